//! Completion: task names and engine commands in transitions and `requires`, and the
//! keys valid at the cursor (workflow, task, `task-defaults`, `retry`).
//!
//! The context is read from the text around the cursor (indentation and the parent
//! keys above it), so it works on half-typed files the model cannot lower yet; task
//! names come from the last good model of the file.

use super::model;
use gale_db::{Database, SourceFile};
use gale_hir::schema;

/// What a completion item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A task name.
    Task,
    /// An engine command (`fail`, `succeed`, …).
    EngineCommand,
    /// A mapping key.
    Key,
}

/// One completion item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The text inserted.
    pub label: String,
    /// What it is.
    pub kind: CompletionKind,
    /// A short description.
    pub detail: String,
}

/// The parent keys of the line at `offset`, innermost first: each is the nearest line
/// above with a smaller indentation that ends a key (`name:`).
fn parents(text: &str, offset: usize) -> (usize, Vec<String>) {
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let current = &text[line_start..offset];
    let mut indent = current.len() - current.trim_start_matches([' ', '-']).len();
    let own_indent = indent;
    let mut out = Vec::new();
    for line in text[..line_start].lines().rev() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let line_indent = line.len() - trimmed.len();
        if line_indent < indent {
            let key = trimmed
                .trim_start_matches("- ")
                .split(':')
                .next()
                .unwrap_or("")
                .trim();
            out.push(key.trim_matches(['\'', '"']).to_string());
            indent = line_indent;
            if indent == 0 {
                break;
            }
        }
    }
    (own_indent, out)
}

/// The completions at `offset`.
pub fn completions(db: &Database, file: SourceFile, offset: u32) -> Vec<Completion> {
    let text = file.text(db);
    let offset = (offset as usize).min(text.len());
    if !text.is_char_boundary(offset) {
        return Vec::new();
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let (_, parents) = parents(text, offset);
    let in_value_of = |keys: &[&str]| {
        let trimmed = before.trim_start();
        keys.iter().any(|k| trimmed.starts_with(&format!("{k}:")))
    };
    let transition_keys = [
        "on-success",
        "on-error",
        "on-complete",
        "on-skip",
        "requires",
    ];
    let list_item = before.trim_start().starts_with('-');
    let in_transition = in_value_of(&transition_keys)
        || (list_item
            && parents
                .first()
                .is_some_and(|p| transition_keys.contains(&p.as_str())));
    if in_transition {
        return task_names(db, file, &parents);
    }
    if before.contains(':') || list_item {
        return Vec::new();
    }
    let keys: &[&str] = match parents.as_slice() {
        [_, t, ..] if t == "tasks" => schema::DIRECT_WORKFLOW_TASK_KEYS,
        [r, ..] if r == "retry" => schema::RETRY_KEYS,
        [d, ..] if d == "task-defaults" => schema::TASK_DEFAULTS_KEYS,
        [_] => schema::WORKFLOW_KEYS,
        [_, w] if w == "workflows" => schema::WORKFLOW_KEYS,
        [] => &[
            "version",
            "name",
            "description",
            "tags",
            "workflows",
            "actions",
        ],
        _ => &[],
    };
    keys.iter()
        .map(|k| Completion {
            label: (*k).to_string(),
            kind: CompletionKind::Key,
            detail: "Mistral key".into(),
        })
        .collect()
}

fn task_names(db: &Database, file: SourceFile, parents: &[String]) -> Vec<Completion> {
    let mut out: Vec<Completion> = schema::ENGINE_COMMANDS
        .iter()
        .map(|c| Completion {
            label: (*c).to_string(),
            kind: CompletionKind::EngineCommand,
            detail: "engine command".into(),
        })
        .collect();
    let Some((doc, _)) = model(db, file) else {
        return out;
    };
    // The workflow is the parent just above `tasks` (or the only one).
    let workflow_name = parents
        .iter()
        .position(|p| p == "tasks")
        .and_then(|i| parents.get(i + 1));
    let workflows = doc
        .workflows
        .iter()
        .filter(|w| workflow_name.is_none_or(|n| &w.name == n));
    for workflow in workflows {
        for task in &workflow.tasks {
            out.push(Completion {
                label: task.name.clone(),
                kind: CompletionKind::Task,
                detail: format!("task in `{}`: {}", workflow.name, task.call.name),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, marker: &str) -> Vec<String> {
        let offset = text.find(marker).expect("marker") as u32;
        let text = text.replacen(marker, "", 1);
        let db = Database::new();
        let file = db.add_file("wf.yaml", text);
        completions(&db, file, offset)
            .into_iter()
            .map(|c| c.label)
            .collect()
    }

    const WF: &str = "version: '2.0'\nwf:\n  tasks:\n    first:\n      action: std.noop\n      on-success:\n        - |\n    second:\n      action: std.noop\n";

    #[test]
    fn task_names_in_transitions() {
        let labels = at(WF, "|");
        assert!(
            labels.contains(&"second".to_string()) && labels.contains(&"fail".to_string()),
            "{labels:?}"
        );
    }

    #[test]
    fn task_keys_inside_a_task() {
        let text = "version: '2.0'\nwf:\n  tasks:\n    first:\n      action: std.noop\n      on|\n";
        let labels = at(text, "|");
        assert!(
            labels.contains(&"on-success".to_string()) && labels.contains(&"publish".to_string()),
            "{labels:?}"
        );
    }

    #[test]
    fn workflow_keys_inside_a_workflow() {
        let text = "version: '2.0'\nwf:\n  ta|\n";
        let labels = at(text, "|");
        assert!(
            labels.contains(&"tasks".to_string()) && labels.contains(&"input".to_string()),
            "{labels:?}"
        );
    }
}
