//! `jinja-name-with-parameters`: `action: "{{ … }} key={{ … }}"` — the Jinja name
//! swallows the inline parameters.
//!
//! Mistral splits `name key=value` with `^(<%.*?%>|{{.*}}|{%.*%})` (`CMD_PTRN` in
//! `mistral/lang/base.py`): the Jinja alternatives are greedy, so the name runs to the
//! last `}}` (`%}`) of the line and takes the parameters with it. The parameters are
//! still passed as input, but the evaluated name is `std.echo output=hi`, which no
//! action or workflow has (`Failed to find action [action_name=std.echo output=hi]`,
//! checked with the oracle).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{CallKind, Item, Workflow};

use super::Context;
use super::jinja_blocks_only::first_match;

/// Documentation of `jinja-name-with-parameters`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "jinja-name-with-parameters",
    severity: Severity::Error,
    summary: "a Jinja action or workflow name followed by inline parameters: the name swallows them",
    explanation: "Mistral reads the name of `action: <name> key=value` with a pattern whose Jinja \
part is greedy: `{{ … }}` runs to the *last* `}}` of the value. When a parameter value is also \
Jinja, the name becomes `{{ _.name }} key={{ _.value }}`, which evaluates to something like \
`std.echo output=hi` — no action has that name, so the task fails with `Failed to find action` \
(a failure that bypasses `on-error`). YAQL names are not affected (their pattern is lazy).\n\n\
**Example:**\n\n```yaml\nt1:\n  action: '{{ _.action }} output={{ _.text }}'\n```\n\n\
**Fix:** pass the parameters in `input` (`input: {output: '{{ _.text }}'}`), or write both \
name and values in YAQL (`<% $.action %> output=<% $.text %>`).",
};

/// Whether a (greedy) Jinja name holds `key=` after its first expression.
fn swallows(name: &str) -> bool {
    let (open, close) = if name.starts_with("{{") {
        ("{{", "}}")
    } else if name.starts_with("{%") {
        ("{%", "%}")
    } else {
        return false;
    };
    let Some(first) = first_match(name, open, close) else {
        return false;
    };
    if first.start != 0 {
        return false;
    }
    let rest = &name[first.end..];
    if !rest.starts_with(char::is_whitespace) {
        return false;
    }
    // A `key=` token after the first expression: what `PARAMS_PTRN` also reads as
    // a parameter.
    rest.split_whitespace().any(|w| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        })
    })
}

/// Reports tasks whose Jinja name swallowed their inline parameters.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    for task in &wf.tasks {
        let call = &task.call;
        if !call.explicit || call.inline.is_empty() || !swallows(&call.name) {
            continue;
        }
        let (key, what) = match call.kind {
            CallKind::Action => ("action", "action"),
            CallKind::Workflow => ("workflow", "workflow"),
        };
        let span = cx
            .positions
            .field(Item::Task(task.id), key)
            .map(|f| f.value)
            .unwrap_or_else(|| cx.task_span(task));
        let names: Vec<&str> = call.inline.iter().map(|(k, _)| k.as_str()).collect();
        cx.push(
            Diagnostic::error(
                INFO.code,
                span,
                format!(
                    "the Jinja {what} name of task `{}` runs to the last `}}}}` and takes the inline parameters {} with it",
                    task.name,
                    super::code_list(&names)
                ),
            )
            .with_note(format!(
                "Mistral evaluates the whole `{}` as the {what} name and finds no {what} of that name",
                call.name
            ))
            .with_help("move the parameters into `input`"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::swallows;

    #[test]
    fn greedy_jinja_names_are_found() {
        for (name, want) in [
            ("{{ _.a }} output={{ _.b }}", true),
            ("{{ _.a }} output=\"{{ _.b }}\"", true),
            ("{{ _.a }}", false),
            ("{{ f(x=1) }}", false),
            ("{{ _.a }}{{ _.b }}", false),
            ("<% $.a %> output=<% $.b %>", false),
            ("std.echo output={{ _.b }}", false),
        ] {
            assert_eq!(swallows(name), want, "{name:?}");
        }
    }
}
