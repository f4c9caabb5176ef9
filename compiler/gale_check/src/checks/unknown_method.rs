//! `unknown-method`: `recv.name(...)` where no function or method `name` exists.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-method`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-method",
    severity: Severity::Warning,
    summary: "a YAQL method that the standard library does not define",
    explanation: "`recv.name(args)` calls method `name` with `recv` as its first argument. When \
no method of that name exists, yaql raises `NoMethodRegisteredException: Unknown method` at \
run time. Method names are camelCase as yaql exposes them (`toUpper`, `orderBy`, \
`containsKey`); the Python spelling (`to_upper`) does not exist.\n\n\
It is a warning: a deployment's plugins may register methods.\n\n\
**Example:**\n\n```yaml\npublish:\n  name: <% $.name.to_upper() %>\n```\n\n\
**Fix:** use the yaql name (`toUpper`).",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::UnknownMethod { suggestion } = &f.problem else {
        return;
    };
    let mut d = Diagnostic::warning(INFO.code, span, format!("unknown method `{}`", f.name))
        .with_note("the YAQL standard library has no method of that name");
    if let Some(s) = suggestion {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(
            format!("replace with `{s}`"),
            span,
            *s,
        );
    }
    cx.push(d);
}
