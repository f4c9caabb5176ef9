//! Hover: what a task runs, where it is reached from, where it goes, its join.

use super::{Target, model, target_at};
use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_hir::{CallKind, ClauseKind, Join, Task, Workflow};
use std::fmt::Write;

/// Markdown for the thing at `offset`, with the span it describes.
pub fn hover(db: &Database, file: SourceFile, offset: u32) -> Option<(String, Span)> {
    let (doc, map) = model(db, file)?;
    let (workflow, task, span) = match target_at(doc, map, file.text(db), offset)? {
        Target::TaskName(w, t) => (w, t, map.item(gale_hir::Item::Task(t.id))?.name),
        Target::TaskRef(w, t, span) => (w, t, span),
    };
    let mut md = task_markdown(workflow, task);
    if let Some(analysis) = gale_db::analysis(db, file)
        && let Some(j) = analysis
            .joins
            .iter()
            .find(|j| j.workflow == workflow.name && j.task == task.name)
    {
        let _ = writeln!(md, "\n**join verdict:** {}", j.explanation);
    }
    Some((md, span))
}

fn task_markdown(workflow: &Workflow, task: &Task) -> String {
    let mut md = format!(
        "**task** `{}` in workflow `{}`\n\n",
        task.name, workflow.name
    );
    let what = match task.call.kind {
        CallKind::Action => "action",
        CallKind::Workflow => "workflow",
    };
    let _ = writeln!(md, "runs {what} `{}`", task.call.name);
    if let Some(join) = task.join {
        let _ = writeln!(
            md,
            "\njoin: {}",
            match join {
                Join::All => "all inbound tasks".to_string(),
                Join::Count(n) => format!("{n} inbound task(s)"),
            }
        );
    }
    let mut inbound = Vec::new();
    for other in &workflow.tasks {
        for kind in ClauseKind::ALL {
            if workflow
                .effective_clause(other, kind)
                .any(|t| t.target == task.name && t.command.is_none())
            {
                inbound.push(format!("`{}` ({})", other.name, kind.key()));
            }
        }
    }
    if !inbound.is_empty() {
        let _ = writeln!(md, "\nreached from: {}", inbound.join(", "));
    }
    let mut outbound = Vec::new();
    for kind in ClauseKind::ALL {
        for t in workflow.effective_clause(task, kind) {
            let guard = if t.guard.is_some() {
                " (conditional)"
            } else {
                ""
            };
            outbound.push(format!("{} → `{}`{guard}", kind.key(), t.target));
        }
    }
    if !outbound.is_empty() {
        let _ = writeln!(md, "\ngoes to: {}", outbound.join(", "));
    }
    if !task.requires.is_empty() {
        let _ = writeln!(
            md,
            "\nrequires: {}",
            task.requires
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    md
}
