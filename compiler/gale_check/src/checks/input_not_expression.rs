//! `input-not-expression`: a task `input` string that cannot evaluate to a mapping.
//!
//! Mistral evaluates a string `input` and requires a dict (`_get_action_input` in
//! `mistral/engine/tasks.py`: `Wrong dynamic input for task`). Only a string that is
//! exactly one expression can yield a dict: Jinja when its first `{{…}}` is the whole
//! string, YAQL when its first `<%…%>` is (`InlineYAQLEvaluator.evaluate`). Any other
//! string — plain text, text around an expression, two expressions, a trailing line
//! break from a `|` block — evaluates to a string.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Item, TaskInput, Workflow};

use super::Context;
use super::jinja_blocks_only::{first_match, only_blocks};

/// Documentation of `input-not-expression`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "input-not-expression",
    severity: Severity::Error,
    summary: "a task `input` string that is not one whole expression: it can never be a mapping",
    explanation: "A task's `input` is a mapping of parameters, or a string that Mistral evaluates \
to one. Only a string that is exactly one expression (`<% … %>` or `{{ … }}`, nothing around it) \
can yield a mapping; plain text, text around an expression or a trailing line break (a `|` block \
scalar) always yields a string, and the task fails with `Wrong dynamic input for task: … Dict type \
is expected` — a failure that bypasses `on-error`. Mistral accepts such a definition.\n\n\
**Example:**\n\n```yaml\nt1:\n  action: std.echo\n  input: output=hello\n```\n\n\
**Fix:** write the parameters as a mapping (`input: {output: hello}`), or make the string one \
expression that returns a mapping (`input: <% $.params %>`).",
};

/// Whether evaluating `text` in Mistral returns the value of one expression
/// (rather than a string).
pub(crate) fn is_single_expression(text: &str) -> bool {
    // Jinja is tried first (`{{…}}` or `{%…%}`): whole when the first `{{…}}` is
    // the string itself.
    if let Some(m) = first_match(text, "{{", "}}") {
        return m.start == 0 && m.end == text.len();
    }
    if first_match(text, "{%", "%}").is_some() {
        return false;
    }
    // YAQL: whole when one found expression is as long as the string, i.e. the
    // first (lazy) match spans it.
    first_match(text, "<%", "%>").is_some_and(|m| m.start == 0 && m.end == text.len())
}

/// Reports string `input`s that are not one expression.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    for task in &wf.tasks {
        let TaskInput::Expression(text) = &task.input else {
            continue;
        };
        // With inline parameters Mistral crashes first
        // (`inline-parameters-with-string-input`).
        if !task.call.inline.is_empty() {
            continue;
        }
        // `{% %}` without `{{ }}` is reported by `jinja-blocks-only`, two languages by
        // `mixed-expression-languages`: both fail before the type test.
        let yaql = first_match(text, "<%", "%>").is_some();
        let jinja =
            first_match(text, "{{", "}}").is_some() || first_match(text, "{%", "%}").is_some();
        if is_single_expression(text) || only_blocks(text) || (yaql && jinja) {
            continue;
        }
        let Some(field) = cx.positions.field(Item::Task(task.id), "input") else {
            continue;
        };
        let trailing = text.trim_end() != text.as_str() && is_single_expression(text.trim_end());
        let mut d = Diagnostic::error(
            INFO.code,
            field.value,
            format!(
                "the `input` of task `{}` is a string that Mistral cannot turn into a mapping",
                task.name
            ),
        )
        .with_note("the task fails with `Wrong dynamic input for task … Dict type is expected` whenever it runs");
        d = if trailing {
            d.with_label("the whitespace after the expression makes the value a string")
                .with_help("remove the trailing whitespace (use `>-` or `|-` for a block scalar)")
        } else if first_match(text, "<%", "%>").is_some() || first_match(text, "{{", "}}").is_some()
        {
            d.with_label("text around the expression makes the value a string")
                .with_help("make `input` one expression returning a mapping, or write a mapping of parameters")
        } else {
            d.with_label("plain text, not an expression")
                .with_help("write the parameters as a mapping: `input:` then `name: value` lines")
        };
        cx.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::is_single_expression;

    #[test]
    fn single_expressions_are_recognised_as_mistral_does() {
        for (text, want) in [
            ("<% $.a %>", true),
            ("{{ _.a }}", true),
            ("<% $.a %> ", false),
            ("<% $.a %>\n", false),
            (" <% $.a %>", false),
            ("<% $.a %><% $.b %>", false),
            ("{{ {'a': {'b': 1}} }}", false),
            ("{{ {'a': 1} }}", true),
            ("hello", false),
            ("{% if x %}{{ y }}{% endif %}", false),
            ("<% $.a\n %>", false),
        ] {
            assert_eq!(is_single_expression(text), want, "{text:?}");
        }
    }
}
