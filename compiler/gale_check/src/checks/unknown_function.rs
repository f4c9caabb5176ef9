//! `unknown-function`: `name(...)` where no function or method `name` exists in the
//! YAQL standard library or among Mistral's functions (`json_pp` gets its own message).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-function`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-function",
    severity: Severity::Warning,
    summary: "a YAQL function that neither yaql nor Mistral defines",
    explanation: "yaql looks a function up by name when the expression runs; a name with no \
function (and no method) in the standard library and among Mistral's functions (`env`, \
`execution`, `executions`, `global`, `json_dump`, `json_parse`, `task`, `tasks`, `uuid`, \
`yaml_dump`, `yaml_parse`) raises `NoFunctionRegisteredException: Unknown function` and fails \
the task. Names are case-sensitive camelCase (`toUpper`, not `to_upper`); a trailing `_` is \
ignored.\n\n\
`json_pp` was removed in Mistral 23.0.0: it gets its own message, and the fix replaces it \
with `json_dump` (same JSON text, indented by 4 spaces).\n\n\
It is a warning, not an error: Mistral accepts the document at upload, and a deployment may \
register its own expression functions (Mistral loads the `mistral.expression.functions` \
entry points), so the name may exist where the workflow runs — real workflows call \
StackStorm's `st2kv`, `regex_match`… and Nokia NSP's `locate_nsp`, `resolve_jinja`…. \
Promote it in `gale.toml` when your deployment has no plugins. Names defined in the same \
expression with `def(name, …)` are not checked.\n\n\
**Example:**\n\n```yaml\npublish:\n  text: <% json_pp($.data) %>\n  n: <% lenght($.items) %>\n```\n\n\
**Fix:** use `json_dump`; correct the spelling (`len`).",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::UnknownFunction {
        suggestion,
        removed,
    } = &f.problem
    else {
        return;
    };
    let d = if let Some((new, why)) = removed {
        Diagnostic::warning(
            INFO.code,
            span,
            format!("unknown function `{}`: removed from Mistral", f.name),
        )
        .with_note(*why)
        .with_help(format!("use `{new}`"))
        .with_fix(format!("replace with `{new}`"), span, *new)
    } else {
        let mut d = Diagnostic::warning(INFO.code, span, format!("unknown function `{}`", f.name))
            .with_note(
                "neither the YAQL standard library nor Mistral defines it; unless a plugin \
                 registers it, yaql raises `NoFunctionRegisteredException`",
            );
        if let Some(s) = suggestion {
            d = d.with_help(format!("did you mean `{s}`?")).with_fix(
                format!("replace with `{s}`"),
                span,
                *s,
            );
        }
        d
    };
    cx.push(d);
}
