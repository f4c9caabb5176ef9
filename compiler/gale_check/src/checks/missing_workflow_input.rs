//! `missing-workflow-input`: a task does not pass a required input of its
//! sub-workflow.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Workflow, WorkflowType};

use crate::positions::Scope;

use super::Context;
use crate::signatures::{Callee, input_keys, resolve};

/// Documentation of `missing-workflow-input`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "missing-workflow-input",
    severity: Severity::Error,
    summary: "a task does not pass a required input of its sub-workflow",
    explanation: "An input declared without default must be passed: the sub-workflow \
then fails to start and the task fails (`Invalid input [name=sub, class=DirectWorkflowSpec, \
missing=['a']]`). A reverse sub-workflow also needs `task_name` (the task to reach). Checked \
for sub-workflows of the same document; an `input` given as one expression is not checked.\n\n\
Mistral accepts the definition, but the task fails on every run: an error.\n\n**Example:**\n\n```yaml\nworkflows:\n  sub:\n    input: [host]\n    tasks: {t: {action: std.noop}}\n  \
main:\n    tasks:\n      call:\n        workflow: sub\n```\n\n\
**Fix:** pass the input in the task's `input` (or give it a default in the sub-workflow).",
};

/// Reports required sub-workflow inputs the task does not pass.
pub(crate) fn run(cx: &mut Context<'_>, workflow: &Workflow, document: &Scope) {
    for task in &workflow.tasks {
        let Some(Callee::Workflow(sub)) = resolve(document, task) else {
            continue;
        };
        let Some(keys) = input_keys(task) else {
            continue;
        };
        let mut missing: Vec<&str> = sub
            .input
            .iter()
            .filter(|p| p.default.is_none() && !keys.contains(&p.name.as_str()))
            .map(|p| p.name.as_str())
            .collect();
        missing.dedup();
        if sub.kind == WorkflowType::Reverse && !keys.contains(&"task_name") {
            missing.push("task_name");
        }
        if missing.is_empty() {
            continue;
        }
        let span = cx.field_span(task, "workflow");
        let list = super::code_list(&missing);
        cx.push(
            Diagnostic::error(
                INFO.code,
                span,
                format!(
                    "sub-workflow `{}` needs {} {list}",
                    sub.name,
                    if missing.len() == 1 {
                        "input"
                    } else {
                        "inputs"
                    }
                ),
            )
            .with_note(format!(
                "the sub-workflow cannot start, so task `{}` fails",
                task.name
            ))
            .with_help(format!("pass {list} in the task's `input`")),
        );
    }
}
