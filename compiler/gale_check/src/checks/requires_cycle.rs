//! `requires-cycle`: reverse-workflow tasks that require each other.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `requires-cycle`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "requires-cycle",
    severity: Severity::Error,
    summary: "reverse-workflow tasks require each other in a cycle: none of them can ever run",
    explanation: "In a reverse workflow a task runs once every task it `requires` has succeeded. When \
requirements form a cycle (`a` requires `b`, `b` requires `a`), no task of the cycle can ever start, \
and neither can any task that requires one of them: a run targeting such a task ends in ERROR or \
never finishes. Mistral does not detect this at upload.\n\n\
**Example:**\n\n```yaml\ntype: reverse\ntasks:\n  a:\n    requires: [b]\n  b:\n    requires: [a]\n```\n\n\
**Fix:** remove one requirement of the cycle.",
};

/// Reports every cycle of requirements.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for comp in &g.components {
        if comp.len() < 2 {
            continue;
        }
        let Some(&first) = comp.first() else { continue };
        let names: Vec<String> = comp
            .iter()
            .map(|&i| format!("`{}`", g.task(i).name))
            .collect();
        let span_of = |i: usize| {
            let task = g.task(i);
            cx.field_span(task, "requires")
        };
        let mut d = Diagnostic::error(
            INFO.code,
            span_of(first),
            format!(
                "tasks {} require each other: none of them can ever run",
                names.join(", ")
            ),
        );
        for &i in comp.iter().skip(1) {
            d = d.with_secondary(span_of(i), "part of the same cycle");
        }
        cx.push(
            d.with_note(
                "a reverse-workflow task starts only after every task it requires has succeeded",
            )
            .with_help("remove one requirement of the cycle"),
        );
    }
}
