//! `method-called-as-function`: `name(...)` where `name` is a method only.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `method-called-as-function`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "method-called-as-function",
    severity: Severity::Warning,
    summary: "a YAQL method called with function syntax",
    explanation: "yaql declares each builtin as a function (`f(x)`), a method (`x.f()`) or both. \
Calling a method-only builtin as a plain function finds no function and raises \
`NoFunctionRegisteredException: Unknown function` whatever the values are. String methods \
(`toUpper`, `split`, `startsWith`…) and most query methods (`where`, `select`, `orderBy`…) are \
methods only. \
Like every call check it is a warning: Mistral accepts the document at upload, the failure \
happens only when the expression runs, and a deployment's plugins can register more \
overloads under the same name (promote it in `gale.toml` if yours has none).\n\n\
**Example:**\n\n```yaml\npublish:\n  name: <% toUpper($.name) %>\n```\n\n\
**Fix:** call it on its first argument: `$.name.toUpper()`.",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    if f.problem != Problem::MethodAsFunction {
        return;
    }
    cx.push(
        Diagnostic::warning(
            INFO.code,
            span,
            format!("`{}` is a method, not a function", f.name),
        )
        .with_note("yaql raises `NoFunctionRegisteredException` for this call")
        .with_help(format!(
            "call it on its first argument: `receiver.{}(…)`",
            f.name
        )),
    );
}
