//! `unknown-action-parameter`: a task passes a parameter its action does not declare.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span, did_you_mean};
use gale_hir::{Item, Task, Workflow};

use crate::positions::Scope;

use super::Context;
use crate::signatures::{Callee, input_keys, resolve};

/// Documentation of `unknown-action-parameter`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-action-parameter",
    severity: Severity::Error,
    summary: "a task passes a parameter its action does not declare",
    explanation: "Before an action runs, Mistral compares the task's input (with inline \
parameters merged) with the action's parameter list and force-fails the whole workflow on an \
undeclared one (`Invalid input [name=std.echo, class=…, unexpected=['outptu']]`; `on-error` is \
not consulted). Checked for the standard actions (the table Gale's runtime uses) and for ad-hoc \
actions of the same workbook, whose `input` list is enforced the same way (an ad-hoc action \
without `input` accepts no parameter). Other actions are not known to Gale and are not checked; \
an `input` given as one expression is not checked either.\n\n\
Mistral accepts the definition, but the task fails on every run, whatever its data: \
an error. (Actions whose signature takes `**kwargs` accept any key and are not checked.)\n\n**Example:**\n\n```yaml\naction: std.echo outptu=hello\n```\n\n\
**Fix:** use a declared parameter name (see `gale explain` or the action's definition).",
};

/// An action's name, its parameters `(name, required)`, and whether it takes
/// `**kwargs`.
pub(crate) type ActionParams<'a> = (String, Vec<(&'a str, bool)>, bool);

/// The declared parameters of an action callee: `(name, required)`, and whether
/// any key is accepted.
pub(crate) fn action_params<'a>(callee: &Callee<'a>) -> Option<ActionParams<'a>> {
    match callee {
        Callee::Std(s) => Some((
            s.name.to_string(),
            s.params.iter().map(|p| (p.name, p.required())).collect(),
            s.kwargs,
        )),
        Callee::AdHoc(a) => Some((
            a.name.clone(),
            a.input
                .iter()
                .filter(|p| !p.name.starts_with("**"))
                .map(|p| (p.name.as_str(), p.default.is_none()))
                .collect(),
            a.input.iter().any(|p| p.name.starts_with("**")),
        )),
        Callee::Workflow(_) => None,
    }
}

/// Where to point for a key of the task's input: the `input` block, else the
/// `action` value (inline parameters).
pub(crate) fn key_span(cx: &Context<'_>, task: &Task, key: &str) -> Span {
    let inline = task.call.inline.iter().any(|(k, _)| k == key);
    let field = |f: &'static str| cx.positions.field(Item::Task(task.id), f).map(|f| f.value);
    let call = if task.call.kind == gale_hir::CallKind::Action {
        "action"
    } else {
        "workflow"
    };
    if inline {
        field(call).or_else(|| field("input"))
    } else {
        field("input").or_else(|| field(call))
    }
    .unwrap_or_else(|| cx.task_span(task))
}

/// Reports undeclared parameters of known actions.
pub(crate) fn run(cx: &mut Context<'_>, workflow: &Workflow, document: &Scope) {
    for task in &workflow.tasks {
        let Some(callee) = resolve(document, task) else {
            continue;
        };
        let Some((name, params, kwargs)) = action_params(&callee) else {
            continue;
        };
        let Some(keys) = input_keys(task) else {
            continue;
        };
        if kwargs {
            continue;
        }
        for key in keys {
            if params.iter().any(|(p, _)| *p == key) {
                continue;
            }
            let span = key_span(cx, task, key);
            let list: Vec<&str> = params.iter().map(|(p, _)| *p).collect();
            let mut d = Diagnostic::error(
                INFO.code,
                span,
                format!("action `{name}` has no parameter `{key}`"),
            )
            .with_note(if list.is_empty() {
                format!("`{name}` takes no parameters; Mistral fails the workflow when task `{}` starts", task.name)
            } else {
                format!(
                    "its parameters are {}; Mistral fails the workflow when task `{}` starts",
                    list.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", "),
                    task.name
                )
            });
            if let Some(s) = did_you_mean(key, list.iter().copied()) {
                d = d.with_help(format!("did you mean `{s}`?"));
            } else {
                d = d.with_help("remove the parameter");
            }
            cx.push(d);
        }
    }
}
