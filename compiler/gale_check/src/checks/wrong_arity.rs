//! `wrong-arity`: no overload of a YAQL function or method takes that many arguments.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `wrong-arity`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "wrong-arity",
    severity: Severity::Warning,
    summary: "no overload of a YAQL function accepts that number of arguments",
    explanation: "yaql chooses an overload by the number of arguments, their keyword names, then \
their types at run time. When no overload of the name (in the form used: function or method) \
can take the number of arguments given, every run raises `NoMatchingFunctionException` \
(`NoMatchingMethodException`). Only the count is checked — types depend on data and are never \
reported. For a method call the receiver is the first parameter of the signatures shown. \
Like every call check it is a warning: Mistral accepts the document at upload, the failure \
happens only when the expression runs, and a deployment's plugins can register more \
overloads under the same name (promote it in `gale.toml` if yours has none).\n\n\
**Example:**\n\n```yaml\npublish:\n  name: <% $.name.toUpper(1) %>\n```\n\n\
**Fix:** pass the arguments one of the listed signatures takes.",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::WrongArity {
        method,
        given,
        signatures,
    } = &f.problem
    else {
        return;
    };
    let what = if *method { "method" } else { "function" };
    let args = if *given == 1 { "argument" } else { "arguments" };
    let mut d = Diagnostic::warning(
        INFO.code,
        span,
        format!("no overload of {what} `{}` takes {given} {args}", f.name),
    );
    if *method {
        d = d.with_note("the receiver is the first parameter and is not counted");
    }
    for s in signatures.iter().take(4) {
        d = d.with_note(format!("overload: `{s}`"));
    }
    cx.push(d);
}
