//! `output-on-error-variable-lost`: `output-on-error` reads a variable that a task
//! firing `fail` together with a task entry leaves out of the final context.
//!
//! Mistral evaluates `output-on-error` over the workflow's final context: the
//! merged outbound contexts of the completed tasks that have no next tasks
//! (`DirectWorkflowController.evaluate_workflow_final_context`, `has_next_tasks=False`).
//! A task's `next_tasks` lists the task entries its completion fires, commands
//! excluded (`engine/tasks.py` `_after_task_complete` path), so a task firing
//! `fail` and a task at once counts as having next tasks — which `fail` then
//! never runs (`dispatcher._rearrange_commands`). That task's whole context, and
//! what flowed into it, is missing. Checked with the oracle: `on-success: [t2, fail]`
//! after `publish: {x: 1}` gives `Failed to evaluate expression in
//! output-on-error! … error='x'`; `on-success: [fail]` gives `{x: 1}`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{CallKind, ClauseKind, EngineCommand, Item, Transition};

use super::Context;
use crate::dataflow::{Flow, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `output-on-error-variable-lost`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "output-on-error-variable-lost",
    severity: Severity::Warning,
    summary: "`output-on-error` reads a variable that a task firing `fail` together with a task entry hides",
    explanation: "`output-on-error` is evaluated over the final context: what the completed tasks \
without next tasks hold (plus input, `vars` and `global` publishes). A task whose completion fires \
`fail` **and** a task entry counts as having a next task, although `fail` stops the workflow \
before that task runs; its context — its own publishes and what flowed into it — is then left \
out. Reading such a variable in `output-on-error` fails (`Failed to evaluate expression in \
output-on-error!`): the workflow still fails, but without the output you defined.\n\n\
**Example:**\n\n```yaml\noutput-on-error:\n  reason: <% $.reason %>\ntasks:\n  check:\n    \
action: std.noop\n    publish:\n      reason: quota exceeded\n    on-success: [notify, fail]   # `reason` is lost\n```\n\n\
**Fix:** fire `fail` alone (start the other task from another clause, or guard one of the two), \
or publish the variable with the `global` scope.",
};

/// An unguarded entry of the clauses that fire when task `i` ends in `state`
/// (`on-success` / `on-error`, and `on-complete`): the first `fail`, and whether a
/// task entry fires too.
fn fail_with_task<'a>(g: &TaskGraph<'a>, i: usize, own: ClauseKind) -> Option<&'a Transition> {
    let wf = g.workflow;
    let task = g.task(i);
    let mut fail = None;
    let mut next_task = false;
    for kind in [own, ClauseKind::OnComplete] {
        for tr in wf.effective_clause(task, kind) {
            if tr.guard.is_some() {
                continue;
            }
            match tr.command {
                Some(EngineCommand::Fail) => fail = fail.or(Some(tr)),
                Some(_) => {}
                None => next_task = true,
            }
        }
    }
    if next_task { fail } else { None }
}

/// Reports `output-on-error` reads such a task hides.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    if !g.complete || wf.kind != gale_hir::WorkflowType::Direct {
        return;
    }
    // (task, state index into `flow.published`, the `fail` entry)
    let mut hiding = Vec::new();
    for i in 0..g.len() {
        if !g.reachable.get(i).copied().unwrap_or(false) {
            continue;
        }
        let t = g.task(i);
        let never_fails = t.call.kind == CallKind::Action
            && matches!(t.call.name.as_str(), "std.noop" | "std.echo");
        for (state, kind) in [(0, ClauseKind::OnSuccess), (1, ClauseKind::OnError)] {
            if state == 1 && never_fails {
                continue;
            }
            if let Some(tr) = fail_with_task(g, i, kind) {
                hiding.push((i, state, tr));
            }
        }
    }
    if hiding.is_empty() {
        return;
    }
    for site in &flow.sites {
        if site.site.item != Item::Workflow(wf.id) || site.site.field != "output-on-error" {
            continue;
        }
        for read in &site.reads.vars {
            let name = read.name.as_str();
            if is_internal(name) || flow.always.contains(name) {
                continue;
            }
            let culprit = hiding.iter().find(|(i, state, _)| {
                let before = flow.may.get(*i).and_then(Option::as_ref);
                let own = flow.published.get(*i).and_then(|p| p.get(*state));
                before.is_some_and(|b| b.contains(name)) || own.is_some_and(|p| p.contains(name))
            });
            let Some(&(i, state, tr)) = culprit else {
                continue;
            };
            let task = &g.task(i).name;
            let when = if state == 0 { "succeeds" } else { "fails" };
            cx.push(
                Diagnostic::warning(
                    INFO.code,
                    site.span(&read.range),
                    format!("`{name}` is missing here when task `{task}` {when} and fires `fail`"),
                )
                .with_secondary(
                    cx.transition_span(tr),
                    format!("`fail` fires together with a task entry of `{task}`"),
                )
                .with_note(format!(
                    "`{task}` then counts as having next tasks, so its context is left out of the final context `output-on-error` is evaluated in"
                ))
                .with_note("Mistral then drops `output-on-error`: `Failed to evaluate expression in output-on-error!`")
                .with_help(format!(
                    "fire `fail` alone in `{task}`, or publish `{name}` with the `global` scope"
                )),
            );
        }
    }
}
