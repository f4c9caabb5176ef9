//! `join-never-fires`: a join task that can never run its action once reached.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::Verdict;
use crate::graph::TaskGraph;
use crate::joins::JoinFinding;

/// Documentation of `join-never-fires`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "join-never-fires",
    severity: Severity::Error,
    summary: "a join task can never run: its inbound tasks can never arrive together",
    explanation: "Mistral starts a join task when enough of its inbound tasks have transitioned to it \
(`join: all`: every one; `join: N`: N of them). It fails the join task with `Failed by tasks: [...]`, \
or leaves it waiting, when that can no longer happen. Gale proves statically that it can never \
happen, whatever the guards evaluate to, when:\n\n\
* two inbound tasks exclude each other: one is reached only when some task succeeds, the other only \
when the same task fails, and that task runs once per execution;\n\
* an inbound task can never run (no start task leads to it), or runs only after the join task itself \
(a loop back into the join);\n\
* `join: N` exceeds the largest number of inbound tasks that can arrive in one run.\n\n\
The join task's action never runs and the branch after it is dead; with `join: all` the workflow \
usually ends in ERROR.\n\n\
**Example:**\n\n```yaml\ncheck:\n  action: std.noop\n  on-success: [deploy]\n  on-error: [rollback]\n\
deploy:\n  on-success: [report]\nrollback:\n  on-success: [report]\nreport:\n  join: all   # deploy and rollback never both run\n```\n\n\
**Fix:** use `join: one` (or a smaller `N`) when the branches are alternatives, or remove `join` \
so each branch runs the task on its own.",
};

/// Reports the finding of join task `j` when it never fires.
pub(crate) fn report(cx: &mut Context<'_>, g: &TaskGraph<'_>, j: usize, finding: &JoinFinding) {
    if finding.verdict != Verdict::NeverFires || finding.too_few_inbound || !g.complete {
        return;
    }
    let task = g.task(j);
    let mut d = Diagnostic::error(
        INFO.code,
        cx.join_span(task),
        format!(
            "join task `{}` can never run: {}",
            task.name, finding.explanation
        ),
    );
    for &k in &finding.culprits {
        let Some(inbound) = finding.inbound.get(k) else {
            continue;
        };
        if let Some(t) = g.workflow.task(&inbound.task) {
            let label = inbound
                .reason
                .clone()
                .unwrap_or_else(|| "excluded by another inbound task".to_string());
            d = d.with_secondary(cx.task_span(t), label);
        }
    }
    d = d
        .with_note("Mistral fails the join task with `Failed by tasks: [...]` (or leaves it waiting); its action never runs")
        .with_help("use `join: one` (or a smaller number) when the branches are alternatives, or remove `join`");
    cx.push(d);
}
