//! `unknown-workflow-input`: a task passes a key its sub-workflow does not declare.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, did_you_mean};
use gale_hir::Workflow;

use crate::positions::Scope;

use super::Context;
use super::unknown_action_parameter::key_span;
use crate::signatures::{Callee, input_keys, resolve};

/// Execution parameters a task may pass to a sub-workflow on purpose.
const EXECUTION_PARAMS: &[&str] = &["env", "task_name", "notify", "evaluate_env", "namespace"];

/// Documentation of `unknown-workflow-input`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-workflow-input",
    severity: Severity::Warning,
    summary: "a task passes a key its sub-workflow does not declare as input",
    explanation: "Mistral splits a sub-workflow task's input: declared inputs go to the \
sub-workflow, every other key silently becomes an *execution parameter* of it. So a misspelt \
input never reaches the child (which then uses its default, or fails for a missing input). The \
execution parameters `env`, `task_name`, `notify`, `evaluate_env` and `namespace` are accepted \
without warning.\n\n\
**Example:**\n\n```yaml\nworkflow: sub\ninput:\n  hots: example.com   # sub declares `host`\n```\n\n\
**Fix:** use a declared input name.",
};

/// Reports keys the sub-workflow does not declare.
pub(crate) fn run(cx: &mut Context<'_>, workflow: &Workflow, document: &Scope) {
    for task in &workflow.tasks {
        let Some(Callee::Workflow(sub)) = resolve(document, task) else {
            continue;
        };
        let Some(keys) = input_keys(task) else {
            continue;
        };
        for key in keys {
            if EXECUTION_PARAMS.contains(&key) || sub.input.iter().any(|p| p.name == key) {
                continue;
            }
            let mut d = Diagnostic::warning(
                INFO.code,
                key_span(cx, task, key),
                format!("sub-workflow `{}` has no input `{key}`", sub.name),
            )
            .with_note("Mistral passes it as an execution parameter, not as input");
            if let Some(s) = did_you_mean(key, sub.input.iter().map(|p| p.name.as_str())) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help("remove the key, or declare it in the sub-workflow's `input`");
            }
            cx.push(d);
        }
    }
}
