//! The task graph of one workflow, on petgraph (private to this crate).
//!
//! Direct workflows: one node per task, one edge per effective transition entry
//! (`on-success`/`on-error`/`on-complete`/`on-skip`, the task's own clause or else
//! the `task-defaults` one, exactly as Mistral merges them), with its clause kind and
//! guard. Entries naming an engine command (`fail`, `succeed`, `pause`, `noop`) are
//! kept apart. Start tasks are computed as Mistral does: tasks no entry leads to,
//! whatever the guards. Reverse workflows: one edge per `requires` (requirement →
//! task), with Mistral's merge of `task-defaults.requires` and its silent removal of
//! a self-requirement.

use gale_hir::fx::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::positions::Positions;
use gale_hir::{ClauseKind, EngineCommand, Join, Task, TaskId, Transition, Workflow, WorkflowType};
use petgraph::algo::dominators::simple_fast;
use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

/// One transition entry between two tasks.
#[derive(Clone, Debug)]
pub(crate) struct Edge<'a> {
    /// The clause it belongs to (`requires` edges use `OnSuccess`).
    pub kind: ClauseKind,
    /// The entry itself (`None` for `requires` edges).
    pub transition: Option<&'a Transition>,
}

impl Edge<'_> {
    /// The guard expression, if any.
    pub fn guard(&self) -> Option<&str> {
        self.transition.and_then(|t| t.guard.as_deref())
    }
}

/// An entry that names an engine command.
#[derive(Clone, Debug)]
pub(crate) struct CommandEntry {
    /// Index of the task whose clause holds it.
    pub task: usize,
    /// The clause.
    pub kind: ClauseKind,
    /// The command.
    pub command: EngineCommand,
}

/// The task graph of one workflow with the facts every check needs.
pub(crate) struct TaskGraph<'a> {
    /// The workflow.
    pub workflow: &'a Workflow,
    /// Node `i` is task `workflow.tasks[i]`.
    pub graph: DiGraph<usize, Edge<'a>>,
    /// Engine-command entries (direct workflows).
    pub commands: Vec<CommandEntry>,
    /// Tasks no entry leads to (direct workflows).
    pub starts: Vec<usize>,
    /// Tasks some start task leads to, whatever the guards.
    pub reachable: Vec<bool>,
    /// Whether the task lies on a cycle (a self-loop counts).
    pub in_cycle: Vec<bool>,
    /// Strongly connected components in topological order (sources first).
    pub components: Vec<Vec<usize>>,
    /// `false` when the model lacks tasks or targets (errors already reported):
    /// certain verdicts are then withheld.
    pub complete: bool,
    /// Immediate dominator of each task over paths from the start tasks.
    idom: Vec<Option<usize>>,
}

impl<'a> TaskGraph<'a> {
    /// Builds the graph of `workflow`.
    pub fn new(workflow: &'a Workflow, positions: &Positions) -> Self {
        let n = workflow.tasks.len();
        let index: HashMap<&str, usize> = workflow
            .tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), i))
            .collect();
        let mut graph: DiGraph<usize, Edge<'a>> = DiGraph::with_capacity(n, n * 2);
        for i in 0..n {
            graph.add_node(i);
        }
        let mut commands = Vec::new();
        let mut complete = !has_dropped_tasks(workflow, positions);
        match workflow.kind {
            WorkflowType::Direct => {
                for (i, task) in workflow.tasks.iter().enumerate() {
                    for kind in ClauseKind::ALL {
                        for tr in workflow.effective_clause(task, kind) {
                            if let Some(command) = tr.command {
                                commands.push(CommandEntry {
                                    task: i,
                                    kind,
                                    command,
                                });
                            } else if let Some(&j) = index.get(tr.target.as_str()) {
                                graph.add_edge(
                                    NodeIndex::new(i),
                                    NodeIndex::new(j),
                                    Edge {
                                        kind,
                                        transition: Some(tr),
                                    },
                                );
                            } else {
                                complete = false;
                            }
                        }
                    }
                }
            }
            WorkflowType::Reverse => {
                for (i, task) in workflow.tasks.iter().enumerate() {
                    for (req, _) in requirements(workflow, task) {
                        match index.get(req) {
                            Some(&j) => {
                                graph.add_edge(
                                    NodeIndex::new(j),
                                    NodeIndex::new(i),
                                    Edge {
                                        kind: ClauseKind::OnSuccess,
                                        transition: None,
                                    },
                                );
                            }
                            None => complete = false,
                        }
                    }
                }
            }
        }
        let starts: Vec<usize> = (0..n)
            .filter(|&i| {
                graph
                    .neighbors_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
                    .next()
                    .is_none()
            })
            .collect();
        let mut reachable = vec![false; n];
        let mut stack = starts.clone();
        for &s in &starts {
            reachable[s] = true;
        }
        while let Some(i) = stack.pop() {
            for j in graph.neighbors(NodeIndex::new(i)) {
                if !reachable[j.index()] {
                    reachable[j.index()] = true;
                    stack.push(j.index());
                }
            }
        }
        let mut components: Vec<Vec<usize>> = kosaraju_scc(&graph)
            .into_iter()
            .map(|c| {
                let mut c: Vec<usize> = c.into_iter().map(|x| x.index()).collect();
                c.sort_unstable();
                c
            })
            .collect();
        components.reverse();
        let mut in_cycle = vec![false; n];
        for c in &components {
            let cyclic = c.len() > 1
                || c.first()
                    .is_some_and(|&i| graph.contains_edge(NodeIndex::new(i), NodeIndex::new(i)));
            if cyclic {
                for &i in c {
                    in_cycle[i] = true;
                }
            }
        }
        // Dominators from a virtual root linked to every start task.
        let mut dom_graph: DiGraph<(), ()> =
            DiGraph::with_capacity(n + 1, graph.edge_count() + starts.len());
        for _ in 0..=n {
            dom_graph.add_node(());
        }
        for e in graph.edge_references() {
            dom_graph.update_edge(e.source(), e.target(), ());
        }
        let root = NodeIndex::new(n);
        for &s in &starts {
            dom_graph.add_edge(root, NodeIndex::new(s), ());
        }
        let doms = simple_fast(&dom_graph, root);
        let idom = (0..n)
            .map(|i| {
                doms.immediate_dominator(NodeIndex::new(i))
                    .map(|d| d.index())
                    .filter(|&d| d < n)
            })
            .collect();
        TaskGraph {
            workflow,
            graph,
            commands,
            starts,
            reachable,
            in_cycle,
            components,
            complete,
            idom,
        }
    }

    /// The task at index `i`.
    pub fn task(&self, i: usize) -> &'a Task {
        &self.workflow.tasks[i]
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.workflow.tasks.len()
    }

    /// Edges into task `i`: (source, edge).
    pub fn inbound(&self, i: usize) -> impl Iterator<Item = (usize, &Edge<'a>)> {
        self.graph
            .edges_directed(NodeIndex::new(i), petgraph::Direction::Incoming)
            .map(|e| (e.source().index(), e.weight()))
    }

    /// Edges out of task `i`: (target, edge).
    pub fn outbound(&self, i: usize) -> impl Iterator<Item = (usize, &Edge<'a>)> {
        self.graph
            .edges_directed(NodeIndex::new(i), petgraph::Direction::Outgoing)
            .map(|e| (e.target().index(), e.weight()))
    }

    /// Distinct tasks with an edge into `i`, in task order.
    pub fn inbound_tasks(&self, i: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self.inbound(i).map(|(s, _)| s).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Distinct tasks `i` has an edge to, in task order.
    pub fn outbound_tasks(&self, i: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self.outbound(i).map(|(t, _)| t).collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether every path from a start task to `b` passes through `a` (`a != b`).
    pub fn dominates(&self, a: usize, b: usize) -> bool {
        if !self.reachable.get(b).copied().unwrap_or(false) {
            return false;
        }
        let mut cur = self.idom.get(b).copied().flatten();
        let mut steps = 0;
        while let Some(d) = cur {
            if d == a {
                return true;
            }
            steps += 1;
            if steps > self.len() {
                return false;
            }
            cur = self.idom.get(d).copied().flatten();
        }
        false
    }

    /// Whether task `i` is a join task (`join: all` or `join: N`).
    pub fn is_join(&self, i: usize) -> bool {
        self.task(i).join.is_some()
    }

    /// Whether task `i` is a `join: all` task.
    pub fn is_join_all(&self, i: usize) -> bool {
        self.task(i).join == Some(Join::All)
    }
}

/// The requirements of a reverse-workflow task as Mistral computes them: its own
/// plus `task-defaults.requires`, without itself, each once. The flag tells whether
/// the name came from `task-defaults` only.
pub(crate) fn requirements<'a>(workflow: &'a Workflow, task: &'a Task) -> Vec<(&'a str, bool)> {
    let mut out: Vec<(&str, bool)> = Vec::new();
    let defaults = workflow
        .task_defaults
        .as_ref()
        .map(|d| d.requires.as_slice())
        .unwrap_or(&[]);
    for (r, d) in task
        .requires
        .iter()
        .map(|r| (r, false))
        .chain(defaults.iter().map(|r| (r, true)))
    {
        if r != &task.name && !out.iter().any(|(x, _)| x == r) {
            out.push((r.as_str(), d));
        }
    }
    out
}

/// Whether a task of `workflow` was left out of the model because of errors: the
/// positions know a task inside the workflow's body that the model lacks.
fn has_dropped_tasks(workflow: &Workflow, positions: &Positions) -> bool {
    let in_model: HashSet<TaskId> = workflow.tasks.iter().map(|t| t.id).collect();
    positions
        .task_items()
        .iter()
        .any(|id| !in_model.contains(id))
}
