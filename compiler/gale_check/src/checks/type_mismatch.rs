//! `type-mismatch`: an operation that raises whatever the data, because the types of
//! its operands are known (literals, input defaults, `vars`, published values; see
//! `types.rs`) and no overload of the operator takes them.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};
use gale_hir::{Collection, ExpressionSite, Item, Workflow};

use super::Context;
use crate::ast::SiteAst;
use crate::types::{Env, Mismatch, Place};

/// Documentation of `type-mismatch`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "type-mismatch",
    severity: Severity::Error,
    summary: "an operator is applied to values it cannot take: the expression always fails",
    explanation: "Gale infers the type of values it can be sure of — literals, workflow input \
defaults, `vars`, published values, with-items variables over a known list, the result of a \
`std.echo` task — and reports an operation none of whose possible operand types the operator \
accepts. YAQL raises `No function \"#operator_+\" matches supplied arguments` (Jinja a Python \
`TypeError`) and Mistral fails the task or the workflow each time the expression is evaluated. \
The rules were recorded from Mistral 23 itself: YAQL `+` adds numbers, strings, lists or dicts \
of one kind (never a string and a number, never booleans); `<`, `>`… compare numbers with \
numbers and strings with strings (`null` compares with anything); `in` needs a list on the \
right (or two strings); `=~` needs strings; YAQL `[]` indexes lists by integer and dicts by \
key, never strings; a method is called on a receiver one of its overloads takes (yaql 3 has no \
string `format`: `'{0}'.format(x)` raises); `with-items` iterates lists, strings and dicts, \
never numbers, booleans or null. Jinja follows Python: `1 + 'a'`, `none < 1` and `1 in 'abc'` \
raise. Also reported: a number divided by a literal `0`, and an unquoted dashed name such as \
`task(say-hello)`, which yaql reads as the subtraction `say - hello` of two words.\n\n\
Unknown stays unknown: a value whose type Gale cannot be sure of (an input without a default or \
with a placeholder one — `null`, `''`, `[]`, `{}` —, \
`env()`, action and sub-workflow results, anything inside a lambda such as `select(...)`) never \
causes this error, nor does an operand that may be of an accepted type. Operations that run \
only sometimes (right of `and`/`or`, in `{% if %}` bodies or loops) are not reported. A type \
from an input default holds when the caller does not pass that input.\n\n\
**Example:**\n\n```yaml\ninput:\n  - retries: '3'\ntasks:\n  next:\n    action: std.echo \
output=<% $.retries + 1 %>\n```\n\n\
**Fix:** convert explicitly (`int($.retries) + 1`, `str($.n) + ' items'`, or Jinja `~` for \
text), or correct the default or the published value.",
};

/// Runs the type checks of one workflow (`type-mismatch`, `invalid-policy-value`)
/// over one shared [`Env`].
pub(crate) fn run_all(
    cx: &mut Context<'_>,
    workflow: &Workflow,
    sites: &[ExpressionSite],
    asts: &[SiteAst],
    scope: &crate::positions::Scope,
) {
    let env = Env::new(workflow, sites).with_scope(scope).with_asts(asts);
    run(cx, workflow, &env, sites, asts);
    super::invalid_policy_value::run(cx, workflow, &env);
}

/// Reports the mismatches of every expression string of `workflow`.
pub(crate) fn run(
    cx: &mut Context<'_>,
    workflow: &Workflow,
    env: &Env<'_>,
    sites: &[ExpressionSite],
    asts: &[SiteAst],
) {
    for (site, ast) in sites.iter().zip(asts) {
        let place = place_of(workflow, site);
        for m in env.mismatches(ast, place) {
            cx.push(diagnostic(site, &m));
        }
    }
    // `with-items` over a value that is not iterable: Mistral's
    // `Wrong input format for: {}. Iterable type is expected for each value.`
    // (strings iterate their characters, dicts their keys).
    for task in &workflow.tasks {
        for w in &task.with_items {
            let Collection::Expression(text) = &w.collection else {
                continue;
            };
            let ty = env.string_type(text, Place::default());
            if !ty.kinds_within_scalar() {
                continue;
            }
            let span = sites
                .iter()
                .find(|s| {
                    s.item == Item::Task(task.id)
                        && s.field == "with-items"
                        && s.text.contains(text.as_str())
                })
                .map(|s| s.span)
                .unwrap_or_else(|| cx.task_span(task));
            cx.push(
                Diagnostic::error(
                    INFO.code,
                    span,
                    format!(
                        "`with-items` iterates over {}, which is not a collection",
                        ty.describe()
                    ),
                )
                .with_label("the task fails here: `Iterable type is expected for each value`")
                .with_note("Mistral fails the task before running any action when a with-items value cannot be iterated")
                .with_help(format!(
                    "give a list, e.g. `{} in <% [...] %>`, or a list-valued variable",
                    w.var
                )),
            );
        }
    }
}

/// Where a site is evaluated, as the type inference needs it.
pub(crate) fn place_of<'a>(workflow: &'a Workflow, site: &ExpressionSite) -> Place<'a> {
    let Item::Task(id) = site.item else {
        return Place::default();
    };
    let Some(task) = workflow.tasks.iter().find(|t| t.id == id) else {
        return Place::default();
    };
    match site.field {
        "input" | "action" | "workflow" => Place {
            input_of: Some(task),
            result_of: None,
        },
        "publish" | "on-success" => Place {
            input_of: None,
            result_of: Some(task),
        },
        _ => Place::default(),
    }
}

/// The source span of a range of the site's string, without surrounding spaces.
fn span(site: &ExpressionSite, range: &std::ops::Range<u32>) -> Span {
    let (mut start, mut end) = (range.start, range.end);
    let bytes = site.text.as_bytes();
    while start < end
        && bytes
            .get(start as usize)
            .is_some_and(u8::is_ascii_whitespace)
    {
        start += 1;
    }
    while end > start
        && bytes
            .get(end as usize - 1)
            .is_some_and(u8::is_ascii_whitespace)
    {
        end -= 1;
    }
    site.offsets.span(start, end)
}

fn diagnostic(site: &ExpressionSite, m: &Mismatch) -> Diagnostic {
    let mut d = Diagnostic::error(INFO.code, span(site, &m.range), m.message.clone())
        .with_label("this always raises when the expression is evaluated");
    let mut notes = Vec::new();
    for op in &m.operands {
        let text = site
            .text
            .get(op.range.start as usize..op.range.end as usize)
            .unwrap_or_default()
            .trim();
        let label = match &op.var {
            Some((name, _)) => format!("`{name}` is {}", op.ty.describe()),
            None => format!("`{text}` is {}", op.ty.describe()),
        };
        d = d.with_secondary(span(site, &op.range), label);
        if let Some((_, v)) = &op.var {
            for s in &v.sources {
                match s.span {
                    Some(sp) => d = d.with_secondary(sp, s.what.clone()),
                    None => notes.push(s.what.clone()),
                }
            }
        }
    }
    for n in notes {
        d = d.with_note(n);
    }
    d.with_note("Mistral fails the task (or the workflow) each time this expression is evaluated")
        .with_help(m.help.clone())
}
