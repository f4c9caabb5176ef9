//! `unknown-jinja-filter`: `x | name` where Jinja has no filter `name`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-jinja-filter`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-jinja-filter",
    severity: Severity::Warning,
    summary: "a Jinja filter that does not exist (Mistral's functions are not filters)",
    explanation: "Mistral evaluates Jinja in a sandboxed environment with Jinja's built-in \
filters only. Its own functions (`json_dump`, `yaml_dump`, `task`…) are globals of the \
context, called as functions — `'x' | json_dump` fails with `No filter named 'json_dump'`. \
Jinja checks filter names when it compiles the template, so the whole string fails whenever \
it is evaluated (Mistral's upload validation only parses it, so it is accepted). Inside \
`{% if %}` blocks and `a if b else c` expressions Jinja defers the failure to the moment \
that part runs: there it is a warning.\n\n\
**Example:**\n\n```yaml\npublish:\n  text: '{{ _.data | json_dump }}'\n  n: '{{ _.items | lenght }}'\n```\n\n\
**Fix:** call Mistral functions as functions (`json_dump(_.data)`), or use a built-in filter \
(`tojson`, `length`).",
};

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
    let message = format!("no Jinja filter named `{}`", f.name);
    let mut d = Diagnostic::warning(INFO.code, span, message).with_note(if *soft {
        "inside `{% if %}` or `… if … else …` Jinja raises `No filter named` only when this part runs"
    } else {
        "Jinja raises `No filter named` when it compiles the expression"
    });
    if *mistral {
        d = d
            .with_note(format!(
                "`{}` is a Mistral function: a global of the Jinja context, not a filter",
                f.name
            ))
            .with_help(format!("call it as a function: `{}(value)`", f.name));
    } else {
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
