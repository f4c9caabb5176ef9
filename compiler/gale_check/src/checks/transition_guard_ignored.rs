//! `transition-guard-ignored`: a condition written as a mapping under `next`
//! (`next: {t2: <% … %>}`), which Mistral drops — the entry always fires.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `transition-guard-ignored`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "transition-guard-ignored",
    severity: Severity::Error,
    summary: "a condition written as a mapping under `next` is ignored: the transition always fires",
    explanation: "Mistral reads `next: {t2: <% … %>}` by iterating the mapping, which yields only its \
key (`_as_list_of_tuples` in `mistral/lang/v2/on_clause.py`). The entry becomes plain `t2`: the \
condition is never evaluated and `t2` starts on every completion of that outcome (checked on \
Mistral 23).\n\n\
**Example:**\n\n```yaml\non-success:\n  publish:\n    branch: {x: 1}\n  next: {t2: <% $.ok %>}   # t2 always starts\n```\n\n\
**Fix:** write the guarded entry as a list item: `next:` then `- t2: <% $.ok %>`.",
};

/// Reports entries whose condition Mistral drops.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    for (kind, clause) in wf.written_clauses() {
        for tr in clause.next.iter().filter(|t| t.ignored_guard.is_some()) {
            let span = cx.transition_entry_span(tr);
            cx.push(
                Diagnostic::error(
                    INFO.code,
                    span,
                    format!(
                        "Mistral ignores this condition: `{}` starts whenever `{}` fires",
                        tr.target,
                        kind.key()
                    ),
                )
                .with_note("a mapping under `next` is read as its list of keys, so the condition is dropped")
                .with_help(format!("make it a list item: `next:` then `- {}: <% … %>` on the next line", tr.target)),
            );
        }
    }
}
