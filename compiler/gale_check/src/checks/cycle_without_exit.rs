//! `cycle-without-exit`: a loop whose transitions always fire, so it never ends.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, EngineCommand};
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `cycle-without-exit`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "cycle-without-exit",
    severity: Severity::Error,
    summary: "a loop can never end: each of its transitions fires whatever happens",
    explanation: "A loop in a direct workflow ends when one of its tasks finishes without \
transitioning back into it (a guard is false, or the outcome has no transition) or when `fail` or \
`succeed` stops the workflow. When every task of the loop certainly transitions to the next one \
(`on-complete` without a guard, or the same target on both `on-success` and `on-error` without \
guards) and no task of the loop can issue `fail` or `succeed`, nothing can stop it: the workflow runs \
until someone cancels it. Join tasks are left out (a join runs once per execution).\n\n\
**Example:**\n\n```yaml\npoll:\n  action: std.sleep seconds=10\n  on-complete: [check]\n\
check:\n  action: std.noop\n  on-complete: [poll]\n```\n\n\
**Fix:** guard the transition back (`- poll: <% not $.done %>`), or add an exit such as \
`- succeed: <% $.done %>`.",
};

fn always_fires(g: &TaskGraph<'_>, s: usize, t: usize) -> bool {
    let mut complete = false;
    let mut success = false;
    let mut error = false;
    for (target, e) in g.outbound(s) {
        if target != t || e.guard().is_some() {
            continue;
        }
        match e.kind {
            ClauseKind::OnComplete => complete = true,
            ClauseKind::OnSuccess => success = true,
            ClauseKind::OnError => error = true,
            ClauseKind::OnSkip => {}
        }
    }
    complete || (success && error)
}

/// Reports loops of unconditional transitions with no way out.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    if !g.complete {
        return;
    }
    let n = g.len();
    let stops = |i: usize| {
        g.commands.iter().any(|c| {
            c.task == i && matches!(c.command, EngineCommand::Fail | EngineCommand::Succeed)
        })
    };
    let mut sub: DiGraph<(), ()> = DiGraph::with_capacity(n, n);
    for _ in 0..n {
        sub.add_node(());
    }
    for s in 0..n {
        if g.is_join(s) || stops(s) || !g.reachable[s] {
            continue;
        }
        for t in g.outbound_tasks(s) {
            if !g.is_join(t) && !stops(t) && always_fires(g, s, t) {
                sub.update_edge(NodeIndex::new(s), NodeIndex::new(t), ());
            }
        }
    }
    for comp in kosaraju_scc(&sub) {
        let mut comp: Vec<usize> = comp.into_iter().map(|x| x.index()).collect();
        comp.sort_unstable();
        let Some(&first) = comp.first() else { continue };
        let cyclic =
            comp.len() > 1 || sub.contains_edge(NodeIndex::new(first), NodeIndex::new(first));
        if !cyclic {
            continue;
        }
        let names: Vec<String> = comp
            .iter()
            .map(|&i| format!("`{}`", g.task(i).name))
            .collect();
        let mut d = Diagnostic::error(
            INFO.code,
            cx.task_span(g.task(first)),
            format!(
                "the loop {} never ends: every transition in it fires unconditionally and none of its tasks can stop the workflow",
                names.join(" → ")
            ),
        );
        for &i in comp.iter().skip(1) {
            d = d.with_secondary(cx.task_span(g.task(i)), "on the same loop");
        }
        cx.push(
            d.with_note("the workflow never completes; only cancelling it stops the loop")
                .with_help("guard the transition back into the loop, or add `succeed`/`fail` with a guard as an exit"),
        );
    }
}
