//! Go to definition, find references and rename for task names (transition targets,
//! `requires`, the task's own name).

use super::{Target, model, target_at, task_references};
use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_hir::Item;

/// Where the thing at `offset` is defined.
pub fn definition(db: &Database, file: SourceFile, offset: u32) -> Option<Span> {
    let (doc, map) = model(db, file)?;
    match target_at(doc, map, file.text(db), offset)? {
        Target::TaskRef(_, task, _) | Target::TaskName(_, task) => {
            map.item(Item::Task(task.id)).map(|s| s.name)
        }
    }
}

/// Every reference to the task at `offset` (its definition first when asked for).
pub fn references(
    db: &Database,
    file: SourceFile,
    offset: u32,
    include_declaration: bool,
) -> Vec<Span> {
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

/// The edits that rename the task at `offset` to `new_name`: its definition and every
/// reference. `Err` explains why the rename is refused.
pub fn rename(
    db: &Database,
    file: SourceFile,
    offset: u32,
    new_name: &str,
) -> Result<Vec<(Span, String)>, String> {
    let valid = !new_name.is_empty() && new_name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if !valid {
        return Err(format!(
            "`{new_name}` is not a valid task name: use letters, digits and `_` so transitions can name it"
        ));
    }
    if gale_hir::schema::ENGINE_COMMANDS.contains(&new_name) || new_name == "version" {
        return Err(format!(
            "`{new_name}` is reserved: a transition to it would not reach the task"
        ));
    }
    let Some((doc, map)) = model(db, file) else {
        return Err("the file has no Mistral model to rename in".into());
    };
    let (workflow, _) = match target_at(doc, map, file.text(db), offset) {
        Some(Target::TaskRef(w, t, _) | Target::TaskName(w, t)) => (w, t),
        None => return Err("no task name here".into()),
    };
    if workflow.task(new_name).is_some() {
        return Err(format!(
            "workflow `{}` already has a task `{new_name}`",
            workflow.name
        ));
    }
    Ok(references(db, file, offset, true)
        .into_iter()
        .map(|s| (s, new_name.to_string()))
        .collect())
}

/// Where the sub-workflow or ad-hoc action named by the `workflow:`/`action:` value at
/// `offset` is defined: in this file, or in another file of the workspace (by the
/// name Mistral registers it under, `<workbook>.<name>` for workbooks).
pub fn callee_definition(
    db: &Database,
    file: SourceFile,
    offset: u32,
) -> Option<(SourceFile, Span)> {
    let (doc, map) = model(db, file)?;
    let task = doc.tasks().map(|(_, t)| t).find(|t| {
        ["workflow", "action"].iter().any(|k| {
            map.field(Item::Task(t.id), k)
                .is_some_and(|f| f.value.start <= offset && offset <= f.value.end)
        })
    })?;
    let name = task.call.name.as_str();
    let want_workflow = task.call.kind == gale_hir::CallKind::Workflow;
    let mut files = vec![file];
    if let Some(workspace) = gale_db::Workspace::try_get(db) {
        files.extend(workspace.files(db).iter().copied().filter(|f| *f != file));
    }
    for candidate in files {
        let Some((other, other_map)) = model(db, candidate) else {
            continue;
        };
        let prefix = other
            .workbook
            .as_ref()
            .and_then(|w| w.name.as_deref())
            .filter(|_| other.kind == gale_hir::DocumentKind::Workbook);
        let matches = |local: &str| {
            let full = match prefix {
                Some(p) => format!("{p}.{local}"),
                None => local.to_string(),
            };
            full == name || (candidate == file && local == name)
        };
        let found = if want_workflow {
            other
                .workflows
                .iter()
                .find(|w| matches(&w.name))
                .and_then(|w| other_map.item(Item::Workflow(w.id)))
        } else {
            other
                .actions
                .iter()
                .find(|a| matches(&a.name))
                .and_then(|a| other_map.item(Item::Action(a.id)))
        };
        if let Some(spans) = found {
            return Some((candidate, spans.name));
        }
    }
    None
}
