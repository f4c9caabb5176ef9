//! Go to definition and find references for task names (transition targets,
//! `requires`, the task's own name).

use super::{Target, model, target_at, task_references};
use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_hir::Item;

/// Where the thing at `offset` is defined.
pub fn definition(db: &Database, file: SourceFile, offset: u32) -> Option<Span> {
    let (doc, map) = model(db, file)?;
    match target_at(doc, map, file.text(db), offset)? {
        Target::TaskRef(_, task, _) | Target::TaskName(_, task) => map.item(Item::Task(task.id)).map(|s| s.name),
    }
}

/// Every reference to the task at `offset` (its definition first when asked for).
pub fn references(db: &Database, file: SourceFile, offset: u32, include_declaration: bool) -> Vec<Span> {
    let Some((doc, map)) = model(db, file) else {
        return Vec::new();
    };
    let text = file.text(db);
    let (workflow, task) = match target_at(doc, map, text, offset) {
        Some(Target::TaskRef(w, t, _) | Target::TaskName(w, t)) => (w, t),
        None => return Vec::new(),
    };
    let mut out = Vec::new();
    if include_declaration && let Some(spans) = map.item(Item::Task(task.id)) {
        out.push(spans.name);
    }
    out.extend(
        task_references(workflow, map, text)
            .into_iter()
            .filter(|(name, _)| *name == task.name)
            .map(|(_, span)| span),
    );
    out.sort();
    out.dedup();
    out
}
