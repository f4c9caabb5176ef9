//! The task graph as plain data ([`crate::WorkflowGraph`]) and drawn as Graphviz
//! DOT or Mermaid, with join verdicts (`gale graph`).

use std::fmt::Write;

use gale_hir::{ClauseKind, Document};

use crate::graph::TaskGraph;
use crate::{Analysis, EdgeKind, GraphEdge, Verdict, WorkflowGraph};

/// The plain-data view of a task graph.
pub(crate) fn plain(g: &TaskGraph<'_>) -> WorkflowGraph {
    let wf = g.workflow;
    let mut edges = Vec::new();
    for (i, task) in wf.tasks.iter().enumerate() {
        match wf.kind {
            gale_hir::WorkflowType::Direct => {
                for kind in ClauseKind::ALL {
                    let from_defaults = task.clause(kind).is_none_or(|c| c.next.is_empty());
                    for tr in wf.effective_clause(task, kind) {
                        edges.push(GraphEdge {
                            from: task.name.clone(),
                            to: tr.target.clone(),
                            kind: EdgeKind::Transition(kind),
                            guard: tr.guard.clone(),
                            command: tr.command,
                            from_defaults,
                        });
                    }
                }
            }
            gale_hir::WorkflowType::Reverse => {
                for (req, from_defaults) in crate::graph::requirements(wf, task) {
                    edges.push(GraphEdge {
                        from: req.to_string(),
                        to: task.name.clone(),
                        kind: EdgeKind::Requires,
                        guard: None,
                        command: None,
                        from_defaults,
                    });
                }
            }
        }
        let _ = i;
    }
    let direct = wf.kind == gale_hir::WorkflowType::Direct;
    WorkflowGraph {
        workflow: wf.name.clone(),
        kind: wf.kind,
        tasks: wf.tasks.iter().map(|t| t.name.clone()).collect(),
        starts: if direct {
            g.starts.iter().map(|&i| g.task(i).name.clone()).collect()
        } else {
            Vec::new()
        },
        edges,
        unreachable: if direct && !g.starts.is_empty() {
            (0..g.len())
                .filter(|&i| !g.reachable[i])
                .map(|i| g.task(i).name.clone())
                .collect()
        } else {
            Vec::new()
        },
        cycles: g
            .components
            .iter()
            .filter(|c| c.first().is_some_and(|&i| g.in_cycle[i]))
            .map(|c| c.iter().map(|&i| g.task(i).name.clone()).collect())
            .collect(),
    }
}

fn clause_label(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Transition(k) => k.key(),
        EdgeKind::Requires => "requires",
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn verdict_color(v: Verdict) -> &'static str {
    match v {
        Verdict::AlwaysFires => "darkgreen",
        Verdict::MayNotFire => "orange",
        Verdict::NeverFires => "red",
        Verdict::NotReached => "gray",
    }
}

fn find<'a>(
    document: &Document,
    analysis: &'a Analysis,
    workflow: &str,
) -> Option<&'a WorkflowGraph> {
    document.workflow(workflow)?;
    analysis.graph(workflow)
}

/// The task graph of `workflow` as Graphviz DOT: tasks as boxes (join tasks
/// coloured by verdict), transitions labelled with their clause and guard (dashed
/// when guarded), engine commands as octagons. `None` when there is no such
/// workflow.
pub fn graph_dot(document: &Document, workflow: &str, analysis: &Analysis) -> Option<String> {
    let g = find(document, analysis, workflow)?;
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&g.workflow));
    let _ = writeln!(
        out,
        "  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];"
    );
    if !g.starts.is_empty() {
        let _ = writeln!(
            out,
            "  \"__start\" [shape=circle, label=\"\", width=0.2, style=filled, fillcolor=black];"
        );
        for s in &g.starts {
            let _ = writeln!(out, "  \"__start\" -> \"{}\";", dot_escape(s));
        }
    }
    for t in &g.tasks {
        let mut attrs = Vec::new();
        if let Some(j) = analysis.join(&g.workflow, t) {
            let join = match j.join {
                gale_hir::Join::All => "all".to_string(),
                gale_hir::Join::Count(n) => n.to_string(),
            };
            attrs.push(format!(
                "label=\"{}\\njoin: {} ({})\"",
                dot_escape(t),
                join,
                j.verdict.as_str()
            ));
            attrs.push(format!("color={}, penwidth=2", verdict_color(j.verdict)));
            attrs.push(format!("tooltip=\"{}\"", dot_escape(&j.explanation)));
        }
        if g.unreachable.contains(t) {
            attrs.push("style=dashed, fontcolor=gray".to_string());
        }
        if attrs.is_empty() {
            let _ = writeln!(out, "  \"{}\";", dot_escape(t));
        } else {
            let _ = writeln!(out, "  \"{}\" [{}];", dot_escape(t), attrs.join(", "));
        }
    }
    for (k, e) in g.edges.iter().enumerate() {
        let to = match e.command {
            Some(_) => {
                let id = format!("__cmd{k}");
                let _ = writeln!(
                    out,
                    "  \"{id}\" [shape=octagon, label=\"{}\", fontsize=10];",
                    dot_escape(&e.to)
                );
                id
            }
            None => dot_escape(&e.to),
        };
        let mut label = clause_label(e.kind).to_string();
        if let Some(guard) = &e.guard {
            label.push_str("\\n");
            label.push_str(&dot_escape(guard));
        }
        let color = match e.kind {
            EdgeKind::Transition(ClauseKind::OnSuccess) => "darkgreen",
            EdgeKind::Transition(ClauseKind::OnError) => "red",
            EdgeKind::Transition(ClauseKind::OnComplete) => "blue",
            EdgeKind::Transition(ClauseKind::OnSkip) => "gray",
            EdgeKind::Requires => "black",
        };
        let style = if e.guard.is_some() {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  \"{}\" -> \"{to}\" [label=\"{label}\", color={color}{style}];",
            dot_escape(&e.from)
        );
    }
    out.push_str("}\n");
    Some(out)
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('|', "#124;")
        .replace('\n', " ")
}

/// The task graph of `workflow` as a Mermaid flowchart, with join verdicts as
/// classes. `None` when there is no such workflow.
pub fn graph_mermaid(document: &Document, workflow: &str, analysis: &Analysis) -> Option<String> {
    let g = find(document, analysis, workflow)?;
    let id = |name: &str| -> String {
        match g.tasks.iter().position(|t| t == name) {
            Some(i) => format!("t{i}"),
            None => "unknown".to_string(),
        }
    };
    let mut out = String::from("flowchart TD\n");
    if !g.starts.is_empty() {
        out.push_str("  start((start))\n");
    }
    for (i, t) in g.tasks.iter().enumerate() {
        match analysis.join(&g.workflow, t) {
            Some(j) => {
                let join = match j.join {
                    gale_hir::Join::All => "all".to_string(),
                    gale_hir::Join::Count(n) => n.to_string(),
                };
                let _ = writeln!(
                    out,
                    "  t{i}[\"{}<br/>join: {join} ({})\"]:::{}",
                    mermaid_text(t),
                    j.verdict.as_str(),
                    j.verdict.as_str().replace('-', "_")
                );
            }
            None if g.unreachable.contains(t) => {
                let _ = writeln!(out, "  t{i}[\"{}\"]:::unreachable", mermaid_text(t));
            }
            None => {
                let _ = writeln!(out, "  t{i}[\"{}\"]", mermaid_text(t));
            }
        }
    }
    for s in &g.starts {
        let _ = writeln!(out, "  start --> {}", id(s));
    }
    for (k, e) in g.edges.iter().enumerate() {
        let to = match e.command {
            Some(_) => {
                let _ = writeln!(out, "  c{k}{{{{\"{}\"}}}}", mermaid_text(&e.to));
                format!("c{k}")
            }
            None => id(&e.to),
        };
        let mut label = clause_label(e.kind).to_string();
        if let Some(guard) = &e.guard {
            label.push_str(": ");
            label.push_str(guard);
        }
        let arrow = if e.guard.is_some() { "-.->" } else { "-->" };
        let _ = writeln!(
            out,
            "  {} {arrow}|\"{}\"| {to}",
            id(&e.from),
            mermaid_text(&label)
        );
    }
    out.push_str("  classDef always_fires stroke:#2a2,stroke-width:2px\n");
    out.push_str("  classDef may_not_fire stroke:#e90,stroke-width:2px\n");
    out.push_str("  classDef never_fires stroke:#d22,stroke-width:3px\n");
    out.push_str("  classDef not_reached stroke:#999,stroke-dasharray:4\n");
    out.push_str("  classDef unreachable stroke:#999,stroke-dasharray:4,color:#999\n");
    Some(out)
}
