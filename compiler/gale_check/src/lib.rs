//! Static analysis beyond Mistral: the task graph of every workflow (on petgraph),
//! join verdicts, cycles, reverse-workflow requirements and transitions that can
//! never run, data flow, and the calls inside expressions (YAQL functions and methods
//! against `gale_vm`'s signature table, Jinja filters and tests; see `calls.rs`).
//!
//! Entry point: [`check`] takes the semantic model of `gale_hir` and returns an
//! [`Analysis`]: diagnostics (one module per code under `checks/`, each with its
//! documentation in [`CODES`]), the verdict of every join task as data (for the
//! language server and `gale graph`), and the task graph of every workflow.
//! [`graph_dot`] and [`graph_mermaid`] draw a workflow.
//!
//! Invariants:
//! - Never panics; a model with missing parts (errors already reported by
//!   `gale_hir`) gets no certain verdict (no error from this crate).
//! - No code here duplicates one of `gale_hir` (`unknown-task`, `no-start-task`,
//!   `join-not-enough-inbound`, `unreachable-task`, `join-single-inbound`).
//! - An error is reported only when the defect holds for every run that evaluates
//!   the expression (or reaches the task), whatever guards evaluate to; everything
//!   that depends on data or on the path taken is a warning.
//! - One read, one finding: a read that `success-only-variable` explains is not
//!   also reported by `undefined-variable` / `possibly-undefined-variable`.

mod ast;
mod calls;
mod checks;
mod dataflow;
mod graph;
mod joins;
mod positions;
mod publish;
mod refs;
mod render;
mod signatures;
mod types;

use gale_diagnostics::{CodeInfo, Diagnostic, Span};
use gale_hir::{
    ClauseKind, Document, EngineCommand, ExpressionSite, Join, SourceMap, WorkflowType,
};

pub use positions::{
    External, Positions, Scope, Units, WorkflowSignature, WorkflowUnit, shift_diagnostic, units,
    units_in,
};
pub use render::{graph_dot, graph_mermaid};

/// Every code this crate reports, with its documentation, sorted by name.
pub const CODES: &[CodeInfo] = checks::CODES;

/// The result of analysing one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
    /// The verdict of every join task, in workflow and task order.
    pub joins: Vec<JoinVerdict>,
    /// The task graph of every workflow, in document order.
    pub graphs: Vec<WorkflowGraph>,
}

impl Analysis {
    /// The verdict of join task `task` of workflow `workflow`.
    pub fn join(&self, workflow: &str, task: &str) -> Option<&JoinVerdict> {
        self.joins
            .iter()
            .find(|j| j.workflow == workflow && j.task == task)
    }

    /// The graph of workflow `workflow`.
    pub fn graph(&self, workflow: &str) -> Option<&WorkflowGraph> {
        self.graphs.iter().find(|g| g.workflow == workflow)
    }
}

/// Whether a join task fires once the first inbound task reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Every run that reaches the join brings enough inbound tasks.
    AlwaysFires,
    /// Some runs leave the join short (a guard, an outcome): Mistral then fails the
    /// join task with `Failed by tasks: […]`.
    MayNotFire,
    /// No run can bring enough inbound tasks: the join task never runs its action.
    NeverFires,
    /// No start task leads to the join task at all.
    NotReached,
}

impl Verdict {
    /// Kebab-case name, as shown by `gale graph` and the language server.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::AlwaysFires => "always-fires",
            Verdict::MayNotFire => "may-not-fire",
            Verdict::NeverFires => "never-fires",
            Verdict::NotReached => "not-reached",
        }
    }
}

/// How one inbound task of a join arrives at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arrival {
    /// Whenever the join is reached, this inbound task transitions to it.
    Certain,
    /// Depends on a guard or an outcome the other inbound tasks do not share.
    Conditional,
    /// Excluded by another inbound task (they need opposite outcomes of one task).
    Exclusive,
    /// Can never transition to the join before it runs (unreachable, or only
    /// reachable through the join itself).
    Never,
}

/// One inbound task of a join.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inbound {
    /// The task's name.
    pub task: String,
    /// How it arrives.
    pub arrival: Arrival,
    /// Why it may or cannot arrive, in words.
    pub reason: Option<String>,
}

/// The verdict on one join task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinVerdict {
    /// The workflow's name (as written).
    pub workflow: String,
    /// The join task's name.
    pub task: String,
    /// Its `join` value.
    pub join: Join,
    /// The verdict.
    pub verdict: Verdict,
    /// Its inbound tasks, in task order.
    pub inbound: Vec<Inbound>,
    /// One sentence explaining the verdict.
    pub explanation: String,
    /// Where to show it: the `join` value.
    pub span: Span,
}

/// What an edge of a [`WorkflowGraph`] stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// A transition entry of this clause.
    Transition(ClauseKind),
    /// A `requires` (reverse workflows): from the requirement to the task.
    Requires,
}

/// One edge of a [`WorkflowGraph`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphEdge {
    /// Source task.
    pub from: String,
    /// Target task, or engine command name.
    pub to: String,
    /// What the edge stands for.
    pub kind: EdgeKind,
    /// The guard expression.
    pub guard: Option<String>,
    /// Set when `to` is an engine command.
    pub command: Option<EngineCommand>,
    /// Whether the entry comes from `task-defaults`.
    pub from_defaults: bool,
}

/// The task graph of one workflow, as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowGraph {
    /// The workflow's name.
    pub workflow: String,
    /// Direct or reverse.
    pub kind: WorkflowType,
    /// Task names, in source order.
    pub tasks: Vec<String>,
    /// Start tasks (direct workflows), as Mistral computes them.
    pub starts: Vec<String>,
    /// Every edge, in task and clause order.
    pub edges: Vec<GraphEdge>,
    /// Tasks no start task leads to (direct workflows).
    pub unreachable: Vec<String>,
    /// Cycles (strongly connected components with a loop), task names sorted by
    /// source order.
    pub cycles: Vec<Vec<String>>,
}

/// Analyses a document: the task graph of every workflow and every check of this
/// crate. The same as analysing each of [`units`] with [`check_workflow`] and the
/// expression strings outside workflows with [`check_rest`], which is what the
/// incremental database does.
pub fn check(document: &Document, source_map: &SourceMap) -> Analysis {
    let units = units(document, source_map);
    let mut all = check_rest(&units.rest);
    for (base, unit) in &units.workflows {
        let a = check_workflow(unit).shifted(*base);
        all.diagnostics.extend(a.diagnostics);
        all.joins.extend(a.joins);
        all.graphs.extend(a.graphs);
    }
    Diagnostic::sort(&mut all.diagnostics);
    all.diagnostics.dedup();
    all
}

/// Analyses one workflow; positions are relative to the unit's base (see
/// [`Analysis::shifted`]).
pub fn check_workflow(unit: &WorkflowUnit) -> Analysis {
    let positions = &unit.positions;
    let mut cx = checks::Context::new(positions);
    let extra = checks::unused_input::Extra {
        mentioned: unit.scope.mentioned.clone(),
        whole_context: unit.scope.whole_context,
    };
    let wf = &unit.workflow;
    // Every expression string parsed once, for the data-flow and the call checks.
    let asts: Vec<ast::SiteAst> = positions
        .expressions()
        .iter()
        .map(|s| ast::SiteAst::parse(&s.text))
        .collect();
    let g = graph::TaskGraph::new(wf, positions);
    checks::run(&mut cx, &g);
    let flow = dataflow::Flow::new(&g, positions.expressions(), &asts);
    checks::run_data_flow(&mut cx, &g, &flow, &extra);
    let graphs = vec![render::plain(&g)];
    checks::run_signatures(&mut cx, wf, &unit.scope);
    checks::run_model(&mut cx, wf, &unit.scope);
    checks::run_calls(&mut cx, positions.expressions(), &asts);
    checks::type_mismatch::run_all(&mut cx, wf, positions.expressions(), &asts, &unit.scope);
    let mut diagnostics = cx.diagnostics;
    Diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    Analysis {
        diagnostics,
        joins: cx.joins,
        graphs,
    }
}

/// Analyses the expression strings outside every workflow (ad-hoc actions, top
/// level): the calls they make. Positions are file positions.
pub fn check_rest(sites: &[ExpressionSite]) -> Analysis {
    let empty = Positions::default();
    let mut cx = checks::Context::new(&empty);
    let asts: Vec<ast::SiteAst> = sites.iter().map(|s| ast::SiteAst::parse(&s.text)).collect();
    checks::run_calls(&mut cx, sites, &asts);
    checks::jinja_blocks_only::run(&mut cx, sites, None);
    let mut diagnostics = cx.diagnostics;
    Diagnostic::sort(&mut diagnostics);
    diagnostics.dedup();
    Analysis {
        diagnostics,
        joins: cx.joins,
        graphs: Vec::new(),
    }
}
