//! `succeed-while-running`: a `succeed` that may end the workflow while tasks of
//! other branches are still running (they are abandoned in RUNNING).

use std::collections::VecDeque;

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, EngineCommand, Transition};

use super::{Context, code_list};
use crate::graph::TaskGraph;

/// Documentation of `succeed-while-running`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "succeed-while-running",
    severity: Severity::Warning,
    summary: "`succeed` may end the workflow while other branches are still running",
    explanation: "`succeed` puts the workflow in SUCCESS at once: Mistral does not wait for tasks of \
parallel branches, which are left in RUNNING and whose transitions never run (`mistral-language.md` \
§6.4). Tasks listed before `succeed` in the same completion are started and abandoned the same \
way. This check reports a `succeed` reached after a fork (a task that starts several tasks at \
once, or several start tasks) unless a `join: all` task merges every branch of the fork before \
it. Guards are not evaluated: a fork whose entries are all guarded is taken for a choice.\n\n\
**Example:**\n\n```yaml\nstart:\n  on-success: [notify, work]\nwork:\n  on-success: [succeed]   # `notify` may still be running\n```\n\n\
**Fix:** join the branches first (`join: all` on the task that decides), or end the other \
branches on their own and let the workflow finish when every task is done.",
};

/// One completion of `task` that starts several tasks: their indices.
fn fork_targets(g: &TaskGraph<'_>, i: usize) -> Vec<usize> {
    let mut best: Vec<usize> = Vec::new();
    for kinds in [
        [ClauseKind::OnSuccess, ClauseKind::OnComplete],
        [ClauseKind::OnError, ClauseKind::OnComplete],
    ] {
        let edges: Vec<(usize, bool)> = g
            .outbound(i)
            .filter(|(_, e)| kinds.contains(&e.kind))
            .map(|(t, e)| (t, e.guard().is_some()))
            .collect();
        let unguarded = edges.iter().filter(|e| !e.1).count();
        // Two guarded entries are usually alternatives (`x = 1`, `x = 2`).
        if edges.len() >= 2 && unguarded >= 1 && edges.len() > best.len() {
            best = edges.into_iter().map(|e| e.0).collect();
        }
    }
    best
}

/// Tasks reachable from `from` (inclusive).
fn descendants(g: &TaskGraph<'_>, from: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; g.len()];
    let mut queue: VecDeque<usize> = VecDeque::new();
    for &f in from {
        if let Some(s) = seen.get_mut(f)
            && !*s
        {
            *s = true;
            queue.push_back(f);
        }
    }
    while let Some(i) = queue.pop_front() {
        for (t, _) in g.outbound(i) {
            if let Some(s) = seen.get_mut(t)
                && !*s
            {
                *s = true;
                queue.push_back(t);
            }
        }
    }
    seen
}

/// The `succeed` entries of task `i` that may fire, with the task entries fired
/// before them in the same completion.
fn succeeds<'a>(g: &TaskGraph<'a>, i: usize) -> Vec<(&'a Transition, Vec<&'a Transition>)> {
    let wf = g.workflow;
    let task = g.task(i);
    let mut out: Vec<(&Transition, Vec<&Transition>)> = Vec::new();
    for kinds in [
        [ClauseKind::OnSuccess, ClauseKind::OnComplete],
        [ClauseKind::OnError, ClauseKind::OnComplete],
    ] {
        let mut before: Vec<&Transition> = Vec::new();
        for tr in kinds.iter().flat_map(|&k| wf.effective_clause(task, k)) {
            match tr.command {
                Some(EngineCommand::Succeed) => {
                    if !out.iter().any(|(s, _)| s.id == tr.id) {
                        out.push((tr, before.clone()));
                    }
                    if tr.guard.is_none() {
                        break;
                    }
                }
                Some(EngineCommand::Fail) if tr.guard.is_none() => break,
                Some(_) => {}
                None => before.push(tr),
            }
        }
    }
    out
}

/// Reports `succeed` entries that may abandon running tasks.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let has_succeed = g
        .commands
        .iter()
        .any(|c| c.command == EngineCommand::Succeed);
    if !has_succeed {
        return;
    }
    // Forks: (the task that forks, or `None` for several start tasks; targets).
    let mut forks: Vec<(Option<usize>, Vec<usize>)> = Vec::new();
    for i in 0..g.len() {
        let targets = fork_targets(g, i);
        if !targets.is_empty() {
            forks.push((Some(i), targets));
        }
    }
    if g.starts.len() >= 2 {
        forks.push((None, g.starts.clone()));
    }
    let fork_reach: Vec<Vec<bool>> = forks.iter().map(|(_, t)| descendants(g, t)).collect();
    // Per fork: the tasks every one of its branches leads to.
    let fork_meet: Vec<Vec<bool>> = forks
        .iter()
        .map(|(_, targets)| {
            let mut meet = vec![true; g.len()];
            for &t in targets {
                let d = descendants(g, &[t]);
                for (m, r) in meet.iter_mut().zip(d) {
                    *m &= r;
                }
            }
            meet
        })
        .collect();
    let mut reported: Vec<gale_hir::TransitionId> = Vec::new();
    for i in 0..g.len() {
        if !g.reachable.get(i).copied().unwrap_or(false) {
            continue;
        }
        for (succeed, before) in succeeds(g, i) {
            // A `task-defaults` entry is shared by many tasks: report it once.
            if reported.contains(&succeed.id) {
                continue;
            }
            let span = cx.transition_span(succeed);
            // Two guarded entries are usually alternatives (`x = 1`, `x = 2`).
            let before: Vec<&Transition> = before
                .into_iter()
                .filter(|t| t.guard.is_none() || succeed.guard.is_none())
                .collect();
            if !before.is_empty() {
                reported.push(succeed.id);
                let names: Vec<&str> = before.iter().map(|t| t.target.as_str()).collect();
                cx.push(
                    Diagnostic::warning(
                        INFO.code,
                        span,
                        format!(
                            "`succeed` ends the workflow right after starting {}: {} left running",
                            code_list(&names),
                            if names.len() == 1 { "it is" } else { "they are" }
                        ),
                    )
                    .with_secondary(cx.transition_span(before[0]), "started here")
                    .with_note("Mistral runs the entries before `succeed`, then ends the workflow in SUCCESS without waiting")
                    .with_help("start these tasks from somewhere that waits for them, or remove them"),
                );
                continue;
            }
            // A fork upstream whose branches are not all merged by a `join: all`
            // task that every path to `i` crosses.
            let unjoined = forks.iter().zip(fork_reach.iter().zip(&fork_meet)).find(
                |((fork, _), (reach, meet))| {
                    if *fork == Some(i) || !reach.get(i).copied().unwrap_or(false) {
                        return false;
                    }
                    let joined = (0..g.len()).any(|j| {
                        g.is_join_all(j)
                            && meet.get(j).copied().unwrap_or(false)
                            && (j == i || g.dominates(j, i))
                    });
                    !joined
                },
            );
            let Some(((fork, targets), _)) = unjoined else {
                continue;
            };
            reported.push(succeed.id);
            let names: Vec<&str> = targets.iter().map(|&t| g.task(t).name.as_str()).collect();
            let origin = match fork {
                Some(f) => format!(
                    "`{}` starts {} together",
                    g.task(*f).name,
                    code_list(&names)
                ),
                None => format!("the workflow starts {} together", code_list(&names)),
            };
            let mut d = Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "`succeed` may end the workflow while other branches are still running: {origin}"
                ),
            );
            if let Some(f) = fork {
                d = d.with_secondary(cx.task_span(g.task(*f)), "the branches start here");
            }
            cx.push(
                d.with_note("`succeed` does not wait: tasks still running are abandoned and their transitions never run")
                    .with_help("merge the branches with a `join: all` task before deciding to succeed"),
            );
        }
    }
}
