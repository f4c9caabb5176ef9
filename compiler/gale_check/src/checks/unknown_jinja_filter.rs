//! `unknown-jinja-filter`: `x | name` where Jinja has no filter `name`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-jinja-filter`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-jinja-filter",
    severity: Severity::Warning,
    summary: "a Jinja filter that does not exist, or a Mistral function piped a value it cannot take",
    explanation: "Mistral evaluates Jinja in a sandboxed environment with Jinja's built-in \
filters plus its own functions. Those functions take the *context* as their first argument, so \
used as a filter they receive the piped value as the context: `_ | env` works, but \
`_.d | json_dump` fails with `json_dump_() missing 1 required positional argument: 'data'` \
(recorded from Mistral 23). An unknown filter name fails with `No filter named …`: \
Jinja checks filter names when it compiles the template, so the whole string fails whenever \
it is evaluated (Mistral's upload validation only parses it, so it is accepted). Inside \
`{% if %}` blocks and `a if b else c` expressions Jinja defers the failure to the moment \
that part runs: there it is a warning.\n\n\
**Example:**\n\n```yaml\npublish:\n  text: '{{ _.data | json_dump }}'\n  n: '{{ _.items | lenght }}'\n```\n\n\
**Fix:** call Mistral functions as functions (`json_dump(_.data)`), or use a built-in filter \
(`tojson`, `length`).",
};

/// Mistral functions that, piped as a filter, miss their required data argument.
const MISTRAL_FILTERS_NEEDING_DATA: &[&str] = &[
    "json_dump",
    "json_parse",
    "yaml_dump",
    "yaml_parse",
    "global",
];

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::UnknownFilter {
        suggestion,
        mistral,
        soft,
    } = &f.problem
    else {
        return;
    };
    if *mistral {
        // Mistral's functions are filters too, taking the piped value as the context:
        // only those that also need a data argument certainly fail.
        if !MISTRAL_FILTERS_NEEDING_DATA.contains(&f.name.as_str()) {
            return;
        }
        let d = Diagnostic::warning(
            INFO.code,
            span,
            format!(
                "`{}` used as a filter gets the value as its context, not as its data",
                f.name
            ),
        )
        .with_note(format!(
            "Mistral fails with `{}_() missing 1 required positional argument: '{}'`",
            f.name,
            if f.name == "global" {
                "var_name"
            } else {
                "data"
            }
        ))
        .with_help(format!("call it as a function: `{}(value)`", f.name));
        cx.push(d);
        return;
    }
    let message = format!("no Jinja filter named `{}`", f.name);
    let mut d = Diagnostic::warning(INFO.code, span, message).with_note(if *soft {
        "inside `{% if %}` or `… if … else …` Jinja raises `No filter named` only when this part runs"
    } else {
        "Jinja raises `No filter named` when it compiles the expression"
    });
    {
        if let Some(s) = suggestion {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(
                format!("replace with `{s}`"),
                span,
                *s,
            );
        }
    }
    cx.push(d);
}
