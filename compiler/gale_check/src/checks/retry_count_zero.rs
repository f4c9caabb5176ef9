//! `retry-count-zero`: a `retry` with `count: 0` that replaces no default, so it
//! does nothing.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{IntOrExpr, Item};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `retry-count-zero`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "retry-count-zero",
    severity: Severity::Info,
    summary: "`retry` with `count: 0` never retries",
    explanation: "A retry policy with `count: 0` stops before the first retry \
(`RetryPolicy.after_task_complete`), whatever `delay`, `break-on` and `continue-on` say. On a task \
it is useful only to switch off a `task-defaults` retry (a task-level `retry` always replaces the \
default); elsewhere it has no effect.\n\n\
**Example:**\n\n```yaml\nt1:\n  action: std.http url=…\n  retry:\n    count: 0    # no retry\n    delay: 5\n```\n\n\
**Fix:** set the number of retries you want, or remove `retry`.",
};

/// Reports `count: 0` on tasks without a default retry and in `task-defaults`.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    let default_retry = wf
        .task_defaults
        .as_ref()
        .and_then(|d| d.policies.retry.as_ref());
    if let Some(r) = default_retry
        && r.count == IntOrExpr::Int(0)
        && let Some(f) = cx.positions.field(Item::TaskDefaults(wf.id), "retry")
    {
        cx.push(
            Diagnostic::new(
                INFO.code,
                Severity::Info,
                f.key,
                "the `task-defaults` `retry` has `count: 0`: no task retries because of it",
            )
            .with_help("set the number of retries, or remove `retry`"),
        );
    }
    if default_retry.is_some() {
        return;
    }
    for task in &wf.tasks {
        let Some(r) = task.policies.retry.as_ref() else {
            continue;
        };
        if r.count != IntOrExpr::Int(0) {
            continue;
        }
        let Some(f) = cx.positions.field(Item::Task(task.id), "retry") else {
            continue;
        };
        cx.push(
            Diagnostic::new(
                INFO.code,
                Severity::Info,
                f.key,
                format!(
                    "`retry` of task `{}` has `count: 0`: the task is never retried",
                    task.name
                ),
            )
            .with_help("set the number of retries, or remove `retry`"),
        );
    }
}
