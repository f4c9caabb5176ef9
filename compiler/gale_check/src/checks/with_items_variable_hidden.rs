//! `with-items-variable-hidden`: a `with-items` variable that a variable published
//! upstream hides.
//!
//! Mistral builds each iteration's context as `merge_dicts({var: item}, task ctx)`
//! (`_get_input_dicts` in `mistral/engine/tasks.py`): the task's inbound context — the
//! branch variables published by the tasks before it — overwrites the item. Checked
//! with the oracle: after `t0` publishes `x: 5`, `with-items: x in [1, 2, 3]` with
//! `output=<% $.x %>` gives `[5, 5, 5]`. Workflow input, `vars` and `global`
//! publishes are not in that context and do not hide the item.

use gale_hir::fx::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::collections::VecDeque;

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, Item, Task, Workflow, WorkflowType};

use super::Context;

/// Documentation of `with-items-variable-hidden`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "with-items-variable-hidden",
    severity: Severity::Warning,
    summary: "a `with-items` variable has the name of a variable published before the task, which hides it",
    explanation: "For each iteration Mistral merges the task's context *over* the item variable. \
When a task before this one publishes a (branch) variable of the same name, every iteration \
reads that published value instead of its item: `with-items: host in <% $.hosts %>` after a task \
that published `host` runs the action once per host, each time with the same `host`. Workflow \
inputs, `vars` and `global` publishes do not hide the item.\n\n\
**Example:**\n\n```yaml\npick:\n  action: std.noop\n  publish:\n    host: <% $.hosts[0] %>\n  on-success: ping\nping:\n  with-items: host in <% $.hosts %>\n  action: std.echo output=<% $.host %>   # always hosts[0]\n```\n\n\
**Fix:** rename the `with-items` variable (`h in <% $.hosts %>`).",
};

/// Branch variables a task publishes (task-level blocks and clause `branch`).
fn branch_published(task: &Task) -> HashSet<String> {
    let mut out = HashSet::default();
    for map in [&task.publish, &task.publish_on_error, &task.publish_on_skip]
        .into_iter()
        .flatten()
    {
        out.extend(map.iter().map(|(k, _)| k.clone()));
    }
    for kind in ClauseKind::ALL {
        let own = task.clause(kind);
        if let Some(branch) = own
            .and_then(|c| c.publish.as_ref())
            .and_then(|p| p.branch.as_ref())
        {
            out.extend(branch.iter().map(|(k, _)| k.clone()));
        }
    }
    out
}

/// For every task, the tasks whose completion can lead to it (transitive).
fn upstream(wf: &Workflow) -> HashMap<&str, Vec<&str>> {
    // Direct edges: predecessor → task.
    let mut preds: HashMap<&str, Vec<&str>> = HashMap::default();
    for task in &wf.tasks {
        match wf.kind {
            WorkflowType::Direct => {
                for kind in ClauseKind::ALL {
                    for tr in wf.effective_clause(task, kind) {
                        if tr.command.is_none() {
                            preds
                                .entry(tr.target.as_str())
                                .or_default()
                                .push(task.name.as_str());
                        }
                    }
                }
            }
            WorkflowType::Reverse => {
                for r in &task.requires {
                    preds
                        .entry(task.name.as_str())
                        .or_default()
                        .push(r.as_str());
                }
            }
        }
    }
    let mut out = HashMap::default();
    for task in &wf.tasks {
        let mut seen: HashSet<&str> = HashSet::default();
        let mut queue: VecDeque<&str> = preds
            .get(task.name.as_str())
            .into_iter()
            .flatten()
            .copied()
            .collect();
        while let Some(p) = queue.pop_front() {
            if seen.insert(p) {
                queue.extend(preds.get(p).into_iter().flatten().copied());
            }
        }
        let mut v: Vec<&str> = seen.into_iter().collect();
        v.sort_unstable();
        out.insert(task.name.as_str(), v);
    }
    out
}

/// Reports `with-items` variables hidden by an upstream branch publish.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    if !wf.tasks.iter().any(|t| !t.with_items.is_empty()) {
        return;
    }
    let published: HashMap<&str, HashSet<String>> = wf
        .tasks
        .iter()
        .map(|t| (t.name.as_str(), branch_published(t)))
        .collect();
    let upstream = upstream(wf);
    let sites = cx.positions.expressions();
    for task in &wf.tasks {
        for item in &task.with_items {
            let Some(by) = upstream.get(task.name.as_str()).and_then(|ups| {
                ups.iter()
                    .find(|u| published.get(**u).is_some_and(|p| p.contains(&item.var)))
            }) else {
                continue;
            };
            // Point at the first read of the variable in the task's input.
            let read = sites
                .iter()
                .filter(|s| {
                    s.item == Item::Task(task.id)
                        && matches!(s.field, "input" | "action" | "workflow")
                })
                .find_map(|s| {
                    crate::refs::reads(&s.text)
                        .vars
                        .into_iter()
                        .find(|r| r.name == item.var)
                        .map(|r| s.offsets.span(r.range.start, r.range.end))
                });
            let Some(span) = read else {
                // The item is never read: hiding it changes nothing.
                continue;
            };
            cx.push(
                Diagnostic::warning(
                    INFO.code,
                    span,
                    format!(
                        "`{}` here is the variable published by task `{by}`, not the `with-items` item",
                        item.var
                    ),
                )
                .with_note("Mistral merges the task's context over the item variable of each iteration")
                .with_help(format!("rename the `with-items` variable (`{}` is already published before task `{}`)", item.var, task.name)),
            );
        }
    }
}
