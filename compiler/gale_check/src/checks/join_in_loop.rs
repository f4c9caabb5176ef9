//! `join-in-loop`: a join task on a cycle of transitions.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `join-in-loop`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "join-in-loop",
    severity: Severity::Warning,
    summary: "a join task lies on a loop: every iteration shares one join execution",
    explanation: "Mistral keeps a single execution of a join task per workflow execution (its unique \
key is `join-task-<execution>-<task>`): every transition into it, in every iteration of a loop, \
targets that same task execution, and the join logic looks only at the latest execution of each \
inbound task. A join on a loop therefore does not synchronise each iteration's branches the way it \
reads; a partial join (`one`, `N`) re-runs its action and downstream tasks as more inbound tasks \
finish.\n\n\
**Example:**\n\n```yaml\nwork:\n  on-success: [gather]\nside:\n  on-success: [gather]\n\
gather:\n  join: all\n  on-success:\n    - work: <% $.more %>\n```\n\n\
**Fix:** move the join out of the loop (loop inside a sub-workflow and join its result), or drop \
`join` if the loop only ever has one branch.",
};

/// Reports every join task that lies on a cycle.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for j in 0..g.len() {
        if !g.is_join(j) || !g.in_cycle[j] || !g.reachable[j] {
            continue;
        }
        let task = g.task(j);
        let cycle: Vec<String> = g
            .components
            .iter()
            .find(|c| c.contains(&j))
            .map(|c| c.iter().map(|&i| format!("`{}`", g.task(i).name)).collect())
            .unwrap_or_default();
        cx.push(
            Diagnostic::warning(
                INFO.code,
                cx.join_span(task),
                format!(
                    "join task `{}` is on a loop ({}): every iteration shares one join execution",
                    task.name,
                    cycle.join(", ")
                ),
            )
            .with_note("Mistral keeps one execution of a join task per workflow execution and looks only at the latest execution of each inbound task")
            .with_help("move the loop into a sub-workflow, or drop `join`"),
        );
    }
}
