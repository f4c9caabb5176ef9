//! `input-default-expression`: a workflow `input` default that holds an expression.
//!
//! `prepare_input` (`mistral/engine/workflows.py`) copies defaults into the input as
//! they are written; nothing evaluates them. Checked with the oracle: with
//! `input: [b: 1, a: <% $.b %>]`, `$.a` is the text `<% $.b %>`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Item, Value, Workflow};

use super::Context;

/// Documentation of `input-default-expression`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "input-default-expression",
    severity: Severity::Warning,
    summary: "a workflow input default holds an expression, which Mistral never evaluates",
    explanation: "Mistral copies the defaults of a workflow's `input` into the execution as \
written: an expression there is not evaluated, and the input's value is the expression's text \
(`<% $.region %>`, not the region).\n\n\
**Example:**\n\n```yaml\ninput:\n  - region: eu\n  - endpoint: <% 'https://' + $.region %>\n```\n\n\
**Fix:** compute the value in `vars` (which are evaluated, and can read the input) or in the \
task that uses it.",
};

/// Whether a value holds an expression string, at any depth.
fn holds_expression(v: &Value) -> bool {
    match v {
        Value::Str(s) => !gale_expr::find_segments(s).is_empty(),
        Value::List(items) => items.iter().any(holds_expression),
        Value::Map(entries) => entries.iter().any(|(_, v)| holds_expression(v)),
        _ => false,
    }
}

/// Reports input defaults holding expressions.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    // The model keeps no span per input: point at the workflow's name.
    let span = cx
        .positions
        .item(Item::Workflow(wf.id))
        .map(|s| s.name)
        .unwrap_or_default();
    for p in &wf.input {
        let Some(default) = &p.default else { continue };
        if !holds_expression(default) {
            continue;
        }
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "the default of input `{}` of workflow `{}` holds an expression; Mistral uses its text as is",
                    p.name, wf.name
                ),
            )
            .with_note("workflow input defaults are never evaluated")
            .with_help("compute the value in `vars`, which can read the input"),
        );
    }
}
