//! Deciding which kind of Mistral document a YAML file is, or that it is none.
//!
//! Mistral itself never guesses (each REST endpoint parses one kind); Gale looks at
//! the shape, as the corpus does: a top-level `workflows`/`actions` mapping makes a
//! workbook; bodies with `base` (and none with `tasks`) make an action list;
//! otherwise a workflow list. A file with no `version` 2.x and no workflow-like or
//! action-like body (Orquesta, Heat, CI files, StackStorm metadata…) is not Mistral.

use gale_syntax::{Node, NodeKind, ScalarValue};

use crate::model::DocumentKind;

/// Keys that only Mistral v2 tasks have (used for documents without `version`).
const MISTRAL_TASK_KEYS: &[&str] = &[
    "on-success",
    "on-error",
    "on-complete",
    "publish",
    "with-items",
    "requires",
    "wait-before",
    "wait-after",
    "pause-before",
    "keep-result",
    "safe-rerun",
    "publish-on-error",
];

/// The kind of document `root` is.
pub fn classify(root: Option<&Node>) -> DocumentKind {
    let Some(map) = root.and_then(Node::as_mapping) else {
        return DocumentKind::NotMistral;
    };
    let section = |k: &str| map.get(k).and_then(Node::as_mapping).is_some();
    if section("workflows") || section("actions") {
        return DocumentKind::Workbook;
    }
    let bodies = || {
        map.entries
            .iter()
            .filter(|e| e.key.as_key_str() != Some("version"))
            .filter_map(|e| e.value.as_mapping())
    };
    let has_tasks = bodies().any(|b| b.get("tasks").is_some());
    let has_base = bodies().any(|b| b.get("base").is_some() || b.get("base-input").is_some());
    if has_base && !has_tasks {
        return DocumentKind::ActionList;
    }
    if has_tasks {
        return DocumentKind::WorkflowList;
    }
    match map.get("version").map(|v| &v.kind) {
        Some(NodeKind::Scalar(s)) if is_v2(&s.value, &s.text) => DocumentKind::WorkflowList,
        _ => {
            // No version 2: only Mistral-looking task bodies make it Mistral.
            let mistral_tasks = bodies().any(|b| {
                b.entries.iter().any(|e| {
                    e.value
                        .as_mapping()
                        .is_some_and(|t| MISTRAL_TASK_KEYS.iter().any(|k| t.get(k).is_some()))
                })
            });
            if mistral_tasks {
                DocumentKind::WorkflowList
            } else {
                DocumentKind::NotMistral
            }
        }
    }
}

/// Whether a `version` value reads as 2.x (`2`, `2.0`, `'2.0'`, `'2'`).
pub(crate) fn is_v2(value: &ScalarValue, text: &str) -> bool {
    match value {
        ScalarValue::Int(gale_syntax::IntValue::Small(2)) => true,
        ScalarValue::Float(f) => *f == 2.0,
        ScalarValue::Str => text.trim().parse::<f64>().is_ok_and(|f| f == 2.0),
        _ => false,
    }
}
