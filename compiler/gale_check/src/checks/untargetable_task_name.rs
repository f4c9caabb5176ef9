//! `untargetable-task-name`: a task of a direct workflow whose name no transition can
//! express.
//!
//! A transition entry is `name` (`^\S+$`), `name key=value` or `name(key=value)`
//! with a `\w+` name (`mistral/lang/v2/on_clause.py`): a name with whitespace fits
//! none of them. Mistral accepts such a task; no transition can lead to it, so in a
//! direct workflow it can only ever run as a start task.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Workflow, WorkflowType};

use super::Context;

/// Documentation of `untargetable-task-name`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "untargetable-task-name",
    severity: Severity::Warning,
    summary: "a task name with whitespace: no transition can lead to the task",
    explanation: "Transition entries are task names without spaces (`next`), or a name followed by \
parameters (`fail msg=\"…\"`). A task whose name holds whitespace can therefore never be the \
target of a transition: in a direct workflow it runs only as a start task, and an attempt to \
list it in `on-success` is read as a name with parameters and rejected. Mistral accepts the \
name itself.\n\n\
**Example:**\n\n```yaml\ntasks:\n  send mail:\n    action: std.noop\n```\n\n\
**Fix:** use `_` or `-` instead of spaces (`send_mail`).",
};

/// Reports direct-workflow task names holding whitespace.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    if wf.kind != WorkflowType::Direct {
        return;
    }
    for task in &wf.tasks {
        if !task.name.contains(char::is_whitespace) {
            continue;
        }
        let suggestion: String = task.name.split_whitespace().collect::<Vec<_>>().join("_");
        let span = cx.task_span(task);
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "no transition can lead to task `{}`: transition entries cannot name a task with whitespace",
                    task.name
                ),
            )
            .with_note("the task can only run as a start task of the workflow")
            .with_help(format!("rename it, e.g. `{suggestion}`")),
        );
    }
}
