//! `expression-never-evaluated`: `keep-result` or `safe-rerun` given as an
//! expression.
//!
//! Mistral syntax-checks both but never evaluates them: `keep-result` is tested with
//! `if not self.task_spec.get_keep_result()` (`mistral/engine/tasks.py`) and
//! `safe-rerun` is passed on as it is (`_get_safe_rerun`), so any non-empty
//! expression string acts as `true`. Checked with the oracle: `keep-result:
//! <% false %>` keeps the result.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;

/// Documentation of `expression-never-evaluated`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "expression-never-evaluated",
    severity: Severity::Warning,
    summary: "`keep-result` or `safe-rerun` is an expression, which Mistral never evaluates",
    explanation: "Mistral's schema allows an expression for `keep-result` and `safe-rerun`, but \
the engine only tests whether the value is truthy: the expression's text always is. \
`keep-result: <% false %>` keeps the result; `safe-rerun: <% $.idempotent %>` always re-runs.\n\n\
**Example:**\n\n```yaml\nt1:\n  action: std.echo output=<% $.big %>\n  keep-result: <% not $.debug %>\n```\n\n\
**Fix:** write `true` or `false`.",
};

/// Reports `keep-result` / `safe-rerun` expression strings.
pub(crate) fn run(cx: &mut Context<'_>, sites: &[gale_hir::ExpressionSite]) {
    for site in sites {
        let (field, effect) = match site.field {
            "keep-result" => ("keep-result", "the result is always kept"),
            "safe-rerun" => (
                "safe-rerun",
                "the action is always treated as safe to re-run",
            ),
            _ => continue,
        };
        cx.push(
            Diagnostic::warning(
                INFO.code,
                site.span,
                format!("`{field}` is never evaluated: {effect}"),
            )
            .with_note(
                "Mistral tests only whether the value is truthy, and a non-empty string always is",
            )
            .with_help("write `true` or `false`"),
        );
    }
}
