//! `atomic-publish`: the `atomic` publish scope, accepted by Mistral and never
//! applied.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, Item};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `atomic-publish`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "atomic-publish",
    severity: Severity::Warning,
    summary: "the `atomic` publish scope is accepted but never published",
    explanation: "The advanced form `publish: {branch, global, atomic}` accepts `atomic`, but Mistral 23 \
does not implement it: `publish_variables` (`mistral/workflow/data_flow.py`) publishes `branch` and \
`global` only (a TODO stands where `atomic` would be). The variables are evaluated nowhere and \
published nowhere.\n\n\
**Example:**\n\n```yaml\non-success:\n  publish:\n    atomic:\n      counter: <% $.counter + 1 %>   # never published\n```\n\n\
**Fix:** use `global` (visible to every branch) or `branch`.",
};

/// Reports each `atomic` scope of a task's own clauses.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for task in &g.workflow.tasks {
        for kind in [
            ClauseKind::OnSuccess,
            ClauseKind::OnError,
            ClauseKind::OnComplete,
            ClauseKind::OnSkip,
        ] {
            let Some(atomic) = task
                .clause(kind)
                .and_then(|c| c.publish.as_ref())
                .and_then(|p| p.atomic.as_ref())
            else {
                continue;
            };
            let names: Vec<&str> = atomic.iter().map(|(k, _)| k.as_str()).collect();
            let span = cx
                .positions
                .field(Item::Task(task.id), kind.key())
                .map(|f| f.key)
                .unwrap_or_else(|| cx.task_span(task));
            cx.push(
                Diagnostic::warning(
                    INFO.code,
                    span,
                    format!(
                        "the `atomic` scope of `{}` is never published: {} {} unset",
                        kind.key(),
                        super::code_list(&names),
                        if names.len() == 1 { "stays" } else { "stay" }
                    ),
                )
                .with_note("Mistral 23 accepts `atomic` but publishes only `branch` and `global`")
                .with_help("publish them under `global` or `branch`"),
            );
        }
    }
}
