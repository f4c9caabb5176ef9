//! One module per diagnostic code: its documentation ([`gale_diagnostics::CodeInfo`])
//! and its detection over a [`TaskGraph`].

mod cycle_without_entry;
mod cycle_without_exit;
mod join_in_loop;
mod join_may_not_fire;
mod join_never_fires;
mod requires_cycle;
mod requires_self;
mod task_started_twice;
mod unreachable_transition;

use gale_diagnostics::{CodeInfo, Diagnostic, Span};
use gale_hir::{Item, SourceMap, Task, Transition, WorkflowType};

use crate::graph::TaskGraph;
use crate::{JoinVerdict, joins};

/// Every code of this crate, sorted by name.
pub(crate) const CODES: &[CodeInfo] = &[
    cycle_without_entry::INFO,
    cycle_without_exit::INFO,
    join_in_loop::INFO,
    join_may_not_fire::INFO,
    join_never_fires::INFO,
    requires_cycle::INFO,
    requires_self::INFO,
    task_started_twice::INFO,
    unreachable_transition::INFO,
];

/// What the checks produce.
pub(crate) struct Context<'a> {
    pub source_map: &'a SourceMap,
    pub diagnostics: Vec<Diagnostic>,
    pub joins: Vec<JoinVerdict>,
}

impl<'a> Context<'a> {
    pub fn new(source_map: &'a SourceMap) -> Self {
        Context {
            source_map,
            diagnostics: Vec::new(),
            joins: Vec::new(),
        }
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    /// The span of a task's name.
    pub fn task_span(&self, task: &Task) -> Span {
        self.source_map
            .item(Item::Task(task.id))
            .map(|s| s.name)
            .unwrap_or_default()
    }

    /// The span of a task's `join` value (its name when absent).
    pub fn join_span(&self, task: &Task) -> Span {
        self.source_map
            .field(Item::Task(task.id), "join")
            .map(|f| f.value)
            .unwrap_or_else(|| self.task_span(task))
    }

    /// The span of a transition entry.
    pub fn transition_span(&self, tr: &Transition) -> Span {
        self.source_map
            .item(Item::Transition(tr.id))
            .map(|s| s.name)
            .unwrap_or_default()
    }
}

/// Runs every check on one workflow.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    match g.workflow.kind {
        WorkflowType::Direct => {
            let conditions = joins::conditions(g);
            for j in 0..g.len() {
                if !g.is_join(j) {
                    continue;
                }
                let finding = joins::verdict(g, &conditions, j);
                join_never_fires::report(cx, g, j, &finding);
                join_may_not_fire::report(cx, g, j, &finding);
                let task = g.task(j);
                cx.joins.push(JoinVerdict {
                    workflow: g.workflow.name.clone(),
                    task: task.name.clone(),
                    join: task.join.unwrap_or(gale_hir::Join::All),
                    verdict: finding.verdict,
                    inbound: finding.inbound,
                    explanation: finding.explanation,
                    span: cx.join_span(task),
                });
            }
            join_in_loop::run(cx, g);
            cycle_without_entry::run(cx, g);
            cycle_without_exit::run(cx, g);
            unreachable_transition::run(cx, g);
            task_started_twice::run(cx, g);
        }
        WorkflowType::Reverse => {
            requires_self::run(cx, g);
            requires_cycle::run(cx, g);
        }
    }
}
