//! `transition-mapping-ignored`: a clause written as a one-key mapping
//! (`on-success: {t2: <% … %>}`), which Mistral reads as the advanced form without
//! `next` — the transition never fires.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Clause, ClauseKind};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `transition-mapping-ignored`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "transition-mapping-ignored",
    severity: Severity::Error,
    summary: "a transition clause written as a one-key mapping (`on-success: {t2: <% … %>}`) never fires",
    explanation: "Mistral's schema accepts `on-success: {t2: <% … %>}` (a guarded entry), but \
`OnClauseSpec` reads every mapping as the advanced form `{publish, next}`, and this one has no \
`next`: the clause has no entries (`mistral/lang/v2/on_clause.py`). So `t2` is never started from \
this task — it becomes a start task if nothing else leads to it — and the `task-defaults` clause of \
that kind applies instead (checked on Mistral 23).\n\n\
**Example:**\n\n```yaml\nt1:\n  on-complete: {fail: <% $.status = 'FAILED' %>}   # never fails the workflow\n```\n\n\
**Fix:** write the guarded entry as a list item: `on-complete:` then `- fail: <% … %>`.",
};

/// Reports the ignored entries of every clause of the workflow.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    for (kind, clause) in wf.written_clauses() {
        report(cx, kind, clause);
    }
}

fn report(cx: &mut Context<'_>, kind: ClauseKind, clause: &Clause) {
    let key = kind.key();
    for tr in &clause.ignored {
        let span = cx.transition_entry_span(tr);
        let what = if tr.command.is_some() {
            format!("Mistral never runs `{}` from here", tr.target)
        } else {
            format!("Mistral never starts `{}` from here", tr.target)
        };
        cx.push(
            Diagnostic::error(
                INFO.code,
                span,
                format!("{what}: it reads a mapping under `{key}` as `{{publish, next}}`, and this one has no `next`"),
            )
            .with_note("a clause written as a mapping is the advanced form; its only keys are `publish` and `next`")
            .with_help(format!("make it a list item: `{key}:` then `- {}: <% … %>` on the next line", tr.target)),
        );
    }
}
