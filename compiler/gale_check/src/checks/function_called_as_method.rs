//! `function-called-as-method`: `recv.name(...)` where `name` is a function only.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `function-called-as-method`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "function-called-as-method",
    severity: Severity::Warning,
    summary: "a YAQL function called with method syntax",
    explanation: "yaql declares each builtin as a function (`f(x)`), a method (`x.f()`) or both. \
Calling a function-only builtin with `.` finds no method and raises \
`NoMethodRegisteredException: Unknown method` whatever the values are — Mistral's functions \
(`json_dump`, `task`, …) and functions such as `list` or `let` are functions only. \
Like every call check it is a warning: Mistral accepts the document at upload, the failure \
happens only when the expression runs, and a deployment's plugins can register more \
overloads under the same name (promote it in `gale.toml` if yours has none).\n\n\
**Example:**\n\n```yaml\npublish:\n  text: <% $.data.json_dump() %>\n```\n\n\
**Fix:** call it as a function: `json_dump($.data)`.",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    if f.problem != Problem::FunctionAsMethod {
        return;
    }
    cx.push(
        Diagnostic::warning(
            INFO.code,
            span,
            format!("`{}` is a function, not a method", f.name),
        )
        .with_note("yaql raises `NoMethodRegisteredException` for this call")
        .with_help(format!("call it as `{}(receiver, …)`", f.name)),
    );
}
