//! `task-not-yet-run`: `task('x')` where task `x` cannot have run before.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::WorkflowType;

use super::Context;
use crate::dataflow::{Flow, Place};
use crate::graph::TaskGraph;

/// Documentation of `task-not-yet-run`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "task-not-yet-run",
    severity: Severity::Warning,
    summary: "`task(name)` reads a task that no path runs before this one",
    explanation: "In a direct workflow, `task(x)` inside task `t` finds an execution of `x` \
only if `x` ran before `t` in the same workflow execution. When no chain of transitions leads \
from `x` to `t`, `x` has not run yet (or runs on a parallel branch with no ordering), and \
`task(x)` returns null.\n\n\
**Example:**\n\n```yaml\ntasks:\n  first:\n    action: std.echo output=<% task(second).result %>\n    \
on-success: [second]\n  second:\n    action: std.noop\n```\n\n\
**Fix:** reference a task that runs before, or move the expression after `x` (for example into \
a task `x` transitions to).",
};

/// Reports `task()` references to tasks that cannot precede the reading task.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    if g.workflow.kind != WorkflowType::Direct || !g.complete {
        return;
    }
    let mut reach_cache: Vec<Option<Vec<bool>>> = vec![None; g.len()];
    for site in &flow.sites {
        let i = match site.place {
            Place::Input(i) | Place::Inbound(i) | Place::Clause(i, _) | Place::Retry(i) => i,
            _ => continue,
        };
        if !g.reachable.get(i).copied().unwrap_or(false) {
            continue;
        }
        let me = g.task(i);
        for r in &site.reads.tasks {
            let Some(j) = g.workflow.tasks.iter().position(|t| t.name == r.name) else {
                continue;
            };
            if j == i {
                continue;
            }
            let Some(slot) = reach_cache.get_mut(j) else {
                continue;
            };
            let reach = slot.get_or_insert_with(|| forward(g, j));
            if reach.get(i).copied().unwrap_or(true) {
                continue;
            }
            cx.push(
                Diagnostic::warning(
                    INFO.code,
                    site.span(&r.range),
                    format!(
                        "task `{}` cannot have run before task `{}`",
                        r.name, me.name
                    ),
                )
                .with_note(format!(
                    "no chain of transitions leads from `{}` to `{}`, so `task({})` returns null",
                    r.name, me.name, r.name
                ))
                .with_help("reference a task that runs before this one"),
            );
        }
    }
}

/// Tasks reachable from `from` through one or more transitions.
fn forward(g: &TaskGraph<'_>, from: usize) -> Vec<bool> {
    let mut seen = vec![false; g.len()];
    let mut stack: Vec<usize> = g.outbound_tasks(from);
    while let Some(t) = stack.pop() {
        if let Some(s) = seen.get_mut(t)
            && !*s
        {
            *s = true;
            stack.extend(g.outbound_tasks(t));
        }
    }
    seen
}
