//! `missing-action-parameter`: a task does not pass a required action parameter.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::Workflow;

use crate::positions::Scope;

use super::Context;
use super::unknown_action_parameter::action_params;
use crate::signatures::{input_keys, resolve};

/// Documentation of `missing-action-parameter`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "missing-action-parameter",
    severity: Severity::Error,
    summary: "a task does not pass a parameter its action requires",
    explanation: "A parameter without default is required: Mistral force-fails the workflow \
when the task starts without it (`Invalid input [name=std.echo, class=…, missing=['output']]`). \
A common cause is an inline value Mistral silently drops (`std.echo output=hello` passes no \
`output`: unquoted words are not read). Checked for the standard actions and for ad-hoc actions \
of the same workbook; an `input` given as one expression is not checked. Values supplied at run \
time through the environment (`env: {__actions: {<action>: {…}}}`) are not visible to Gale: \
when the document reads `env()` or `__actions` the parameter may come from there, and Gale \
reports a warning instead of an error.\n\n**Example:**\n\n```yaml\naction: std.http method=GET\n```\n\n\
**Fix:** pass the parameter (quote inline string values: `output=\"hello\"`).",
};

/// Reports required parameters of known actions the task does not pass.
pub(crate) fn run(cx: &mut Context<'_>, workflow: &Workflow, document: &Scope, env_used: bool) {
    for task in &workflow.tasks {
        let Some(callee) = resolve(document, task) else {
            continue;
        };
        let Some((name, params, _)) = action_params(&callee) else {
            continue;
        };
        let Some(keys) = input_keys(task) else {
            continue;
        };
        let missing: Vec<&str> = params
            .iter()
            .filter(|(p, required)| *required && !keys.contains(p))
            .map(|(p, _)| *p)
            .collect();
        if missing.is_empty() {
            continue;
        }
        let span = cx.field_span(task, "action");
        let list = super::code_list(&missing);
        let message = format!(
            "action `{name}` needs {} {list}",
            if missing.len() == 1 {
                "parameter"
            } else {
                "parameters"
            }
        );
        let mut d = if env_used {
            Diagnostic::warning(INFO.code, span, message)
                .with_note("unless the environment supplies it (`env.__actions`), Mistral fails the workflow when the task starts")
        } else {
            Diagnostic::error(INFO.code, span, message).with_note(format!(
                "Mistral fails the workflow when task `{}` starts",
                task.name
            ))
        };
        d = d.with_help(format!("pass {list} in `input` or as inline parameters"));
        cx.push(d);
    }
}
