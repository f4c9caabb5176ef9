//! `requires-self`: a reverse-workflow task that requires itself.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `requires-self`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "requires-self",
    severity: Severity::Warning,
    summary: "a reverse-workflow task lists itself in `requires`",
    explanation: "Mistral removes a task's own name from its requirements \
(`get_task_requires` discards it), so the entry has no effect; it is most likely a typo for another \
task.\n\n\
**Example:**\n\n```yaml\nbuild:\n  requires: [build]\n```\n\n\
**Fix:** name the task that must succeed first, or remove the entry.",
};

/// Reports tasks that require themselves.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for task in &g.workflow.tasks {
        if !task.requires.iter().any(|r| r == &task.name) {
            continue;
        }
        let span = cx.field_span(task, "requires");
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "task `{}` requires itself; Mistral ignores that requirement",
                    task.name
                ),
            )
            .with_help("name the task that must succeed first, or remove the entry"),
        );
    }
}
