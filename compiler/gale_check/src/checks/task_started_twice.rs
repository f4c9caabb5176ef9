//! `task-started-twice`: one completion fires two entries for the same task.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, Transition};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `task-started-twice`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "task-started-twice",
    severity: Severity::Warning,
    summary: "one completion starts the same task twice",
    explanation: "Each fired transition entry that names an ordinary task creates a new execution of \
that task. When a task names the same target in `on-success` and `on-complete` (or in `on-error` and \
`on-complete`), both entries fire on the same completion and the \
target runs twice, in parallel, with everything after it. Join tasks are the exception: every \
firing reaches the one join execution.\n\n\
**Example:**\n\n```yaml\nt1:\n  on-success: [t2]\n  on-complete: [t2]   # t2 runs twice when t1 succeeds\n```\n\n\
**Fix:** keep the target in one clause (`on-complete` covers both outcomes).",
};

/// Reports targets fired twice by one completion.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    for task in &wf.tasks {
        let mut reported: Vec<u32> = Vec::new();
        for (outcome, kinds) in [
            ("succeeds", [ClauseKind::OnSuccess, ClauseKind::OnComplete]),
            ("fails", [ClauseKind::OnError, ClauseKind::OnComplete]),
        ] {
            let entries: Vec<&Transition> = kinds
                .iter()
                .flat_map(|&k| wf.effective_clause(task, k))
                .filter(|t| t.command.is_none())
                .collect();
            for (k, tr) in entries.iter().enumerate() {
                let Some(first) = entries[..k].iter().find(|e| e.target == tr.target) else {
                    continue;
                };
                let Some(target) = wf.task(&tr.target) else {
                    continue;
                };
                // Two guarded entries are usually alternatives (`x = 'a'`, `x = 'b'`).
                let both_guarded = tr.guard.is_some() && first.guard.is_some();
                if target.join.is_some() || both_guarded || reported.contains(&tr.id.0) {
                    continue;
                }
                reported.push(tr.id.0);
                let certainty = if tr.guard.is_some() || first.guard.is_some() {
                    "may start"
                } else {
                    "starts"
                };
                cx.push(
                    Diagnostic::warning(
                        INFO.code,
                        cx.transition_span(tr),
                        format!(
                            "when `{}` {outcome}, it {certainty} `{}` twice",
                            task.name, tr.target
                        ),
                    )
                    .with_secondary(cx.transition_span(first), "first entry for the same task")
                    .with_note("every fired entry creates a new execution of its target task")
                    .with_help(
                        "keep the target in one clause (`on-complete` covers both outcomes)",
                    ),
                );
            }
        }
    }
}
