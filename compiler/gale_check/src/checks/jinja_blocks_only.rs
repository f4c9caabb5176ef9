//! `jinja-blocks-only`: a Jinja string made of `{% %}` blocks without any `{{ }}`
//! expression, which Mistral's evaluator cannot render.
//!
//! Mistral's `InlineJinjaEvaluator` takes a string when it holds `{{…}}` or `{%…%}`
//! (each on one line), then reads `findall('({{(.*?)}})')[0]`: without a `{{ }}` the
//! list is empty and the evaluation fails with `list index out of range`
//! (`mistral/expressions/jinja_expression.py`). Jinja is tried before YAQL, so the
//! string fails even when it also holds `<% %>`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};
use gale_hir::{ExpressionSite, Item, Workflow};

use super::Context;

/// Documentation of `jinja-blocks-only`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "jinja-blocks-only",
    severity: Severity::Error,
    summary: "a Jinja string has `{% %}` blocks but no `{{ }}` expression: Mistral cannot evaluate it",
    explanation: "Mistral treats a string holding `{% … %}` as Jinja, then looks for its first \
`{{ … }}` to decide whether the whole string is one expression. When there is none, the lookup \
itself fails: every evaluation raises `Can not evaluate Jinja expression [expression=…, \
error=list index out of range]` and the workflow fails (the failure bypasses `on-error`). \
Jinja is chosen before YAQL, so `<% %>` in the same string does not help.\n\n\
**Example:**\n\n```yaml\npublish:\n  mode: '{% if _.fast %}fast{% else %}slow{% endif %}'\n```\n\n\
**Fix:** write the value as one expression (`'{{ \"fast\" if _.fast else \"slow\" }}'`), or \
add a `{{ }}` inside the blocks (`{% if _.fast %}{{ \"fast\" }}{% endif %}`).",
};

/// Fields whose strings Mistral evaluates as values. Policies, guards, `keep-result`,
/// `safe-rerun` and `with-items` are left out: `gale_hir` already rejects `{% %}`
/// there (they must be whole expressions).
const VALUE_FIELDS: &[&str] = &[
    "publish",
    "publish-on-error",
    "publish-on-skip",
    "input",
    "output",
    "output-on-error",
    "vars",
    "target",
    "base-input",
    "on-success",
    "on-error",
    "on-complete",
    "on-skip",
];

/// Fields holding `name key=value…`: the name and each value are evaluated apart.
const COMMAND_FIELDS: &[&str] = &["action", "workflow", "base"];

/// Whether Mistral's Jinja evaluator takes `text` and then fails on it: a `{%…%}`
/// block but no `{{…}}` expression, each searched within one line.
pub(crate) fn only_blocks(text: &str) -> bool {
    first_match(text, "{%", "%}").is_some() && first_match(text, "{{", "}}").is_none()
}

/// The first match of the regular expression `open.*?close` (`.` excluding a line
/// break) in `text`, as a byte range.
pub(crate) fn first_match(text: &str, open: &str, close: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find(open) {
        let start = from + i;
        let body = start + open.len();
        let line_end = text[body..].find('\n').map_or(text.len(), |n| body + n);
        if let Some(j) = text[body..line_end].find(close) {
            return Some(start..body + j + close.len());
        }
        // No close on this line: a later opening on the same line cannot close
        // either; go on after the line break.
        from = line_end;
        if from >= text.len() {
            return None;
        }
    }
    None
}

/// Reports the expression strings of one workflow (or outside workflows, with
/// `workflow` `None`).
pub(crate) fn run(cx: &mut Context<'_>, sites: &[ExpressionSite], workflow: Option<&Workflow>) {
    let entries = workflow
        .map(|w| transition_bodies(cx, w))
        .unwrap_or_default();
    for site in sites {
        if COMMAND_FIELDS.contains(&site.field) {
            let Some(split) = gale_hir::parse_cmd_and_input(&site.text) else {
                continue;
            };
            let mut parts = vec![split.command.clone()];
            parts.extend(
                split
                    .params
                    .iter()
                    .map(|p| unquoted(&site.text, p.value.clone())),
            );
            for r in parts {
                let part = site.text.get(r.clone()).unwrap_or("");
                if only_blocks(part) && first_match(part, "<%", "%>").is_none() {
                    report(cx, site, site.offsets.span(r.start as u32, r.end as u32));
                }
            }
            continue;
        }
        // With `<% %>` too, `mixed-expression-languages` already reports the string.
        if !VALUE_FIELDS.contains(&site.field)
            || !only_blocks(&site.text)
            || first_match(&site.text, "<%", "%>").is_some()
        {
            continue;
        }
        // Transition entries and their guards are checked by `gale_hir` (a guard
        // must be a whole expression); publish blocks of a clause are values.
        if site.field.starts_with("on-")
            && entries
                .iter()
                .any(|b| b.start <= site.span.start && site.span.end <= b.end)
        {
            continue;
        }
        // A task `input` string is reported once, here (not by `input-not-expression`).
        report(cx, site, site.span);
    }
}

/// The value range without its quotes (Mistral strips them before evaluating).
fn unquoted(text: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let Some(v) = text.get(r.clone()) else {
        return r;
    };
    let trimmed = v.trim_end();
    let quoted = trimmed.len() >= 2
        && ((trimmed.starts_with('"') && trimmed.ends_with('"'))
            || (trimmed.starts_with('\'') && trimmed.ends_with('\'')));
    if quoted {
        r.start + 1..r.start + trimmed.len() - 1
    } else {
        r
    }
}

/// The spans of every transition entry of a workflow (tasks and `task-defaults`).
fn transition_bodies(cx: &Context<'_>, wf: &Workflow) -> Vec<Span> {
    let mut clauses = Vec::new();
    for task in &wf.tasks {
        clauses.extend(
            [
                &task.on_success,
                &task.on_error,
                &task.on_complete,
                &task.on_skip,
            ]
            .into_iter()
            .flatten(),
        );
    }
    if let Some(d) = &wf.task_defaults {
        clauses.extend(
            [&d.on_success, &d.on_error, &d.on_complete, &d.on_skip]
                .into_iter()
                .flatten(),
        );
    }
    clauses
        .iter()
        .flat_map(|c| c.next.iter())
        .filter_map(|t| cx.positions.item(Item::Transition(t.id)).map(|s| s.body))
        .collect()
}

fn report(cx: &mut Context<'_>, site: &ExpressionSite, span: Span) {
    cx.push(
        Diagnostic::error(
            INFO.code,
            span,
            "this Jinja string has `{% %}` blocks but no `{{ }}` expression; Mistral fails to evaluate it",
        )
        .with_note(format!(
            "Mistral raises `Can not evaluate Jinja expression [… error=list index out of range]` whenever it evaluates this `{}` value",
            site.field
        ))
        .with_help("write the value as one `{{ … }}` expression, or print the text with `{{ }}` inside the blocks"),
    );
}

#[cfg(test)]
mod tests {
    use super::{first_match, only_blocks};

    #[test]
    fn blocks_without_expressions_are_found() {
        for (text, want) in [
            ("{% if true %}yes{% endif %}", true),
            ("{% if true %}{{ 1 }}{% endif %}", false),
            ("{{ 1 }}", false),
            ("plain", false),
            ("{%}", false),
            ("<% $.a %> {% if x %}y{% endif %}", true),
            ("{{\n 1 }} {% if x %}y{% endif %}", true),
            ("{% raw %}{{ x }}{% endraw %}", false),
            ("{%\n%}", false),
        ] {
            assert_eq!(only_blocks(text), want, "{text:?}");
        }
    }

    #[test]
    fn first_match_is_lazy_and_line_bound() {
        assert_eq!(first_match("a {{ b }} {{ c }}", "{{", "}}"), Some(2..9));
        assert_eq!(first_match("{{ a\n}} {{ b }}", "{{", "}}"), Some(8..15));
        assert_eq!(first_match("{{ a", "{{", "}}"), None);
    }
}
