//! `cycle-without-entry`: a loop of tasks that no start task leads into.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `cycle-without-entry`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "cycle-without-entry",
    severity: Severity::Warning,
    summary: "a loop of tasks has no way in: none of its tasks can ever run",
    explanation: "Loops are legal in direct workflows, but a loop needs an entry: a transition into \
it from a task that runs. Mistral's start tasks are the tasks no transition leads to, so tasks that \
only lead to each other are never start tasks and never run. Mistral accepts the workflow. Each \
task is also reported as `unreachable-task`; this code names the whole loop (of two or more tasks) \
once, at its first task.\n\n\
**Example:**\n\n```yaml\nstart:\n  action: std.noop\npoll:\n  on-success: [wait]\nwait:\n  on-success: [poll]\n```\n\n\
**Fix:** add a transition into the loop from a task that runs, or remove the loop.",
};

/// Reports every cycle that no start task reaches.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    if !g.complete || g.starts.is_empty() {
        return;
    }
    for comp in &g.components {
        let Some(&first) = comp.first() else { continue };
        // A single task looping on itself is `unreachable-task` already.
        if comp.len() < 2 || g.reachable[first] {
            continue;
        }
        // Only loops nothing outside leads into (not loops behind other unreachable tasks).
        let entered = comp
            .iter()
            .any(|&i| g.inbound(i).any(|(s, _)| !comp.contains(&s)));
        if entered {
            continue;
        }
        let names: Vec<String> = comp
            .iter()
            .map(|&i| format!("`{}`", g.task(i).name))
            .collect();
        let mut d = Diagnostic::warning(
            INFO.code,
            cx.task_span(g.task(first)),
            format!(
                "the loop {} has no entry: no task outside it leads in, so it never runs",
                names.join(" → ")
            ),
        );
        for &i in comp.iter().skip(1) {
            d = d.with_secondary(cx.task_span(g.task(i)), "on the same loop");
        }
        cx.push(d.with_help("add a transition into the loop from a task that runs, or remove it"));
    }
}
