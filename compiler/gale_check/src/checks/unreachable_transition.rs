//! `unreachable-transition`: entries that can never run because `fail` or
//! `succeed` comes first in the same completion.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, EngineCommand, Transition};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `unreachable-transition`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unreachable-transition",
    severity: Severity::Warning,
    summary: "a transition entry never runs: an unguarded `fail` or `succeed` comes before it",
    explanation: "When a task completes, Mistral collects the entries that fire in this order: \
`on-error` (or `on-success`), then `on-complete`. Before running them it drops every command after \
the first `fail` or `succeed` (`_rearrange_commands`): the workflow has ended. So an entry listed \
after an unguarded `fail`/`succeed` in the same clause never runs, and `on-complete` entries never run \
for an outcome whose clause holds an unguarded `fail`/`succeed`.\n\n\
**Example:**\n\n```yaml\nt1:\n  on-error:\n    - fail\n    - notify   # never runs\n```\n\n\
**Fix:** put the entry before `fail`/`succeed`, or remove it.",
};

fn stop(tr: &Transition) -> bool {
    tr.guard.is_none()
        && matches!(
            tr.command,
            Some(EngineCommand::Fail | EngineCommand::Succeed)
        )
}

/// Reports entries after an unguarded `fail`/`succeed`.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    for task in &wf.tasks {
        let stopping = |kind: ClauseKind, cx: &mut Context<'_>| -> Option<&Transition> {
            let mut first: Option<&Transition> = None;
            for tr in wf.effective_clause(task, kind) {
                match first {
                    Some(stopper) if tr.command != Some(EngineCommand::Noop) => {
                        cx.push(
                                Diagnostic::warning(
                                    INFO.code,
                                    cx.transition_span(tr),
                                    format!("`{}` never runs: `{}` before it ends the workflow", tr.target, stopper.target),
                                )
                                .with_secondary(cx.transition_span(stopper), "the workflow ends here")
                                .with_note("Mistral drops every command after the first `fail` or `succeed` of a completion")
                                .with_help(format!("move `{}` before `{}`, or remove it", tr.target, stopper.target)),
                            );
                    }
                    Some(_) => {}
                    None if stop(tr) => first = Some(tr),
                    None => {}
                }
            }
            first
        };
        let on_success = stopping(ClauseKind::OnSuccess, cx);
        let on_error = stopping(ClauseKind::OnError, cx);
        stopping(ClauseKind::OnSkip, cx);
        stopping(ClauseKind::OnComplete, cx);
        if let (Some(s), Some(e)) = (on_success, on_error) {
            for tr in wf.effective_clause(task, ClauseKind::OnComplete) {
                if tr.command == Some(EngineCommand::Noop) {
                    continue;
                }
                cx.push(
                    Diagnostic::warning(
                        INFO.code,
                        cx.transition_span(tr),
                        format!(
                            "`{}` never runs: both `on-success` and `on-error` of task `{}` end the workflow first",
                            tr.target, task.name
                        ),
                    )
                    .with_secondary(cx.transition_span(s), "ends the workflow on success")
                    .with_secondary(cx.transition_span(e), "ends the workflow on error")
                    .with_note("`on-complete` entries run after the `on-success`/`on-error` ones, and Mistral drops every command after `fail` or `succeed`")
                    .with_help("move the entry into `on-success`/`on-error` before the command, or remove it"),
                );
            }
        }
    }
}
