//! `unknown-jinja-test`: `x is name` where Jinja has no test `name`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};

use super::Context;
use crate::calls::{Finding, Problem};

/// Documentation of `unknown-jinja-test`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unknown-jinja-test",
    severity: Severity::Warning,
    summary: "a Jinja test that does not exist",
    explanation: "`x is name` applies Jinja test `name`. Mistral's environment has Jinja's \
built-in tests only (`defined`, `none`, `string`, `number`, `mapping`, `sequence`, `odd`, \
`divisibleby`…); an unknown name fails with `No test named` when the expression is \
compiled, on every evaluation (a warning inside `{% if %}` blocks and `a if b else c`, \
where Jinja fails only when that part runs).\n\n\
**Example:**\n\n```yaml\non-complete:\n  - next: '{{ _.x is definded }}'\n```\n\n\
**Fix:** use a built-in test (`defined`).",
};

/// Reports one finding.
pub(crate) fn report(cx: &mut Context<'_>, span: Span, f: &Finding) {
    let Problem::UnknownTest { suggestion, soft } = &f.problem else {
        return;
    };
    let message = format!("no Jinja test named `{}`", f.name);
    let mut d = if *soft {
        Diagnostic::warning(INFO.code, span, message)
            .with_note("inside `{% if %}` or `… if … else …` Jinja fails only when this part runs")
    } else {
        Diagnostic::warning(INFO.code, span, message)
            .with_note("Jinja raises `No test named` when it compiles the expression")
    };
    if let Some(s) = suggestion {
        d = d.with_help(format!("did you mean `{s}`?")).with_fix(
            format!("replace with `{s}`"),
            span,
            *s,
        );
    }
    cx.push(d);
}
