//! `unknown-keyword-argument`: `name => value` names no parameter of any overload.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-keyword-argument`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-keyword-argument",
    severity: Severity::Warning,
    summary: "a YAQL keyword argument no overload of the function has",
    explanation: "In yaql, `word => value` inside a call's arguments passes a keyword argument. \
Keyword names are the camelCase parameter names (`maxSplits`, `keySelector`, `rootExecutionId`); \
the Python spelling (`max_splits`) matches nothing. When no overload of the function can bind \
the call because of such a keyword, every run raises `NoMatchingFunctionException` \
(`NoMatchingMethodException`). Functions that take `=>` pairs as values (`dict`, `switch`) \
are never reported. \
Like every call check it is a warning: Mistral accepts the document at upload, the failure \
happens only when the expression runs, and a deployment's plugins can register more \
overloads under the same name (promote it in `gale.toml` if yours has none).\n\n\
**Example:**\n\n```yaml\npublish:\n  parts: <% $.s.split(max_splits => 1) %>\n```\n\n\
**Fix:** use the parameter's yaql name (`maxSplits => 1`).",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::UnknownKeyword {
        keyword,
        suggestion,
        signatures,
    } = &f.problem
    else {
        return;
    };
    let mut d = Diagnostic::warning(
        INFO.code,
        span,
        format!("`{}` has no parameter `{keyword}`", f.name),
    );
    for s in signatures.iter().take(4) {
        d = d.with_note(format!("overload: `{s}`"));
    }
    if let Some(s) = suggestion {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(
            format!("replace with `{s}`"),
            span,
            s.clone(),
        );
    }
    cx.push(d);
}
