//! `join-may-not-fire`: a join task that some runs leave short of inbound tasks.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::Verdict;
use crate::graph::TaskGraph;
use crate::joins::JoinFinding;

/// Documentation of `join-may-not-fire`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "join-may-not-fire",
    severity: Severity::Warning,
    summary: "a join task may be left short: an inbound branch is conditional",
    explanation: "Mistral counts an inbound task of a join as failed when it finishes without \
transitioning to the join: its transition was guarded and the guard was false, it failed while only \
its `on-success` leads to the join (and its `on-error` handled the failure elsewhere), or it succeeded \
while only its `on-error` leads there. An inbound task that is itself reached only on such a \
condition counts the same way once its route is closed. When too few inbound tasks remain, Mistral \
fails the join task with `Failed by tasks: [...]` and, without `on-error` on the join, the workflow.\n\n\
Gale reports the join when the inbound tasks that always arrive (given that the join is reached at \
all) are fewer than the join needs, and names the condition each other inbound task depends on. \
Conditions shared by every inbound task are ignored: if none arrives, the join is simply not run.\n\n\
**Example:**\n\n```yaml\nfetch:\n  on-success: [merge]\nscan:\n  on-success:\n    - merge: <% $.found %>\n\
merge:\n  join: all   # fails when $.found is false\n```\n\n\
**Fix:** make every inbound branch reach the join (add the missing outcome, or an `on-complete`), \
or use `join: one` / a smaller `N` when the branches are optional.",
};

/// Reports the finding of join task `j` when it may not fire.
pub(crate) fn report(cx: &mut Context<'_>, g: &TaskGraph<'_>, j: usize, finding: &JoinFinding) {
    if finding.verdict != Verdict::MayNotFire || finding.too_few_inbound || !g.complete {
        return;
    }
    let task = g.task(j);
    let names: Vec<String> = finding
        .culprits
        .iter()
        .filter_map(|&k| finding.inbound.get(k))
        .map(|i| format!("`{}`", i.task))
        .collect();
    let mut d = Diagnostic::warning(
        INFO.code,
        cx.join_span(task),
        format!(
            "join task `{}` may never run: inbound task{} {} may not arrive",
            task.name,
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
    );
    for &k in &finding.culprits {
        let Some(inbound) = finding.inbound.get(k) else {
            continue;
        };
        if let (Some(t), Some(reason)) = (g.workflow.task(&inbound.task), &inbound.reason) {
            d = d.with_secondary(cx.task_span(t), reason.clone());
        }
    }
    d = d
        .with_note("when an inbound task finishes without transitioning here, Mistral fails the join task with `Failed by tasks: [...]`")
        .with_help("make every inbound branch reach the join, or lower the `join` count");
    cx.push(d);
}
