//! `unknown-task-reference`: `task('x')` names no task of the workflow.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, did_you_mean};

use super::Context;
use crate::dataflow::Flow;
use crate::graph::TaskGraph;

/// Documentation of `unknown-task-reference`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-task-reference",
    severity: Severity::Error,
    summary: "`task(name)` names a task the workflow does not have",
    explanation: "`task(name)` looks the name up among the task executions of the current \
workflow execution. For a name no task of the workflow has, it returns null on every run: \
`task(x)` is null and reading from it fails (YAQL `task(x).result` → `Can not evaluate YAQL \
expression [expression=task(x).result, error=Unknown function \"#property#result\"]`, Jinja → \
`'None' has no attribute 'result'`) — usually a typo or a task renamed or moved to another \
workflow. Hence an error.\n\n\
**Example:**\n\n```yaml\npublish:\n  out: <% task(get_dta).result %>\n```\n\n\
**Fix:** name an existing task of this workflow.",
};

/// Reports `task()` references to unknown tasks.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    if !g.complete {
        return;
    }
    for site in &flow.sites {
        for r in &site.reads.tasks {
            if wf.task(&r.name).is_some() {
                continue;
            }
            let span = site.span(&r.range);
            let mut d = Diagnostic::error(
                INFO.code,
                span,
                format!("workflow `{}` has no task `{}`", wf.name, r.name),
            )
            .with_note("`task()` returns null for it on every run, and reading from null fails");
            if let Some(s) = did_you_mean(&r.name, wf.tasks.iter().map(|t| t.name.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?")).with_fix(
                    format!("replace with `{s}`"),
                    span,
                    s,
                );
            }
            cx.push(d);
        }
    }
}
