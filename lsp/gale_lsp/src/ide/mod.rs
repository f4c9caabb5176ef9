//! Editor features as plain data: no LSP types here, only byte [`Span`]s and text.
//!
//! Each feature is one module with one entry function taking the database, the file
//! and (where relevant) a byte offset.

mod actions;
mod completion;
mod definition;
mod hover;
mod inlay;
mod semantic;
mod signature;
mod symbols;

pub use actions::{CodeAction, code_actions};
pub use completion::{Completion, CompletionKind, completions};
pub use definition::{callee_definition, definition, references, rename};
pub use hover::hover;
pub use inlay::{InlayHint, inlay_hints};
pub use semantic::{SemanticToken, TokenKind, semantic_tokens};
pub use signature::{Signature, SignatureHelp, signature_help};
pub use symbols::{Symbol, SymbolKind, document_symbols};

use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_hir::{Document, Item, SourceMap, Task, Workflow};

/// The lowered model and its positions, if the file is a Mistral document.
pub(crate) fn model(db: &Database, file: SourceFile) -> Option<(&Document, &SourceMap)> {
    let lowered = gale_db::lower(db, file);
    lowered.document.as_ref().map(|d| (d, &lowered.source_map))
}

/// What is under the cursor, resolved against the model.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target<'a> {
    /// The name of a task where it is defined.
    TaskName(&'a Workflow, &'a Task),
    /// A reference to a task: a transition target or a `requires` entry.
    TaskRef(&'a Workflow, &'a Task, Span),
}

/// Finds what is at `offset`.
pub(crate) fn target_at<'a>(
    doc: &'a Document,
    map: &SourceMap,
    text: &str,
    offset: u32,
) -> Option<Target<'a>> {
    for workflow in &doc.workflows {
        for task in &workflow.tasks {
            if let Some(spans) = map.item(Item::Task(task.id))
                && spans.name.contains(offset)
            {
                return Some(Target::TaskName(workflow, task));
            }
        }
        for (name, span) in task_references(workflow, map, text) {
            if span.contains(offset)
                && let Some(task) = workflow.task(name)
            {
                return Some(Target::TaskRef(workflow, task, span));
            }
        }
    }
    None
}

/// Every reference to a task name in a workflow: transition targets (also in
/// `task-defaults`) and `requires` entries, with the span of the name.
pub(crate) fn task_references<'a>(
    workflow: &'a Workflow,
    map: &SourceMap,
    text: &str,
) -> Vec<(&'a str, Span)> {
    let mut out = Vec::new();
    let clauses = workflow
        .tasks
        .iter()
        .flat_map(|t| {
            gale_hir::ClauseKind::ALL
                .into_iter()
                .filter_map(move |k| t.clause(k))
        })
        .chain(workflow.task_defaults.iter().flat_map(|d| {
            gale_hir::ClauseKind::ALL
                .into_iter()
                .filter_map(move |k| d.clause(k))
        }));
    for clause in clauses {
        for transition in &clause.next {
            if transition.command.is_some() {
                continue;
            }
            if let Some(spans) = map.item(Item::Transition(transition.id))
                && let Some(span) = find_word(text, spans.name, &transition.target)
            {
                out.push((transition.target.as_str(), span));
            }
        }
    }
    for task in &workflow.tasks {
        if let Some(field) = map.field(Item::Task(task.id), "requires") {
            for name in &task.requires {
                if let Some(span) = find_word(text, field.value, name) {
                    out.push((name.as_str(), span));
                }
            }
        }
    }
    out
}

/// The first whole-word occurrence of `word` inside `within`.
pub(crate) fn find_word(text: &str, within: Span, word: &str) -> Option<Span> {
    let hay = text.get(within.range())?;
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '.';
    let mut from = 0;
    while let Some(i) = hay[from..].find(word) {
        let start = from + i;
        let end = start + word.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            return Some(Span::new(
                within.start + start as u32,
                within.start + end as u32,
            ));
        }
        from = end;
    }
    None
}
