//! Document symbols: workflows with their tasks, ad-hoc actions.

use super::model;
use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_hir::Item;

/// What a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A workflow.
    Workflow,
    /// A task.
    Task,
    /// An ad-hoc action.
    Action,
}

/// One outline entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Its name.
    pub name: String,
    /// Extra text (the action or workflow a task calls).
    pub detail: Option<String>,
    /// What it is.
    pub kind: SymbolKind,
    /// The whole definition.
    pub range: Span,
    /// The name.
    pub selection: Span,
    /// Nested symbols.
    pub children: Vec<Symbol>,
}

/// The outline of a file.
pub fn document_symbols(db: &Database, file: SourceFile) -> Vec<Symbol> {
    let Some((doc, map)) = model(db, file) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for workflow in &doc.workflows {
        let Some(spans) = map.item(Item::Workflow(workflow.id)) else {
            continue;
        };
        let children = workflow
            .tasks
            .iter()
            .filter_map(|task| {
                let spans = map.item(Item::Task(task.id))?;
                Some(Symbol {
                    name: task.name.clone(),
                    detail: Some(task.call.name.clone()),
                    kind: SymbolKind::Task,
                    range: spans.name.cover(spans.body),
                    selection: spans.name,
                    children: Vec::new(),
                })
            })
            .collect();
        out.push(Symbol {
            name: workflow.name.clone(),
            detail: Some(format!("{:?} workflow", workflow.kind).to_lowercase()),
            kind: SymbolKind::Workflow,
            range: spans.name.cover(spans.body),
            selection: spans.name,
            children,
        });
    }
    for action in &doc.actions {
        if let Some(spans) = map.item(Item::Action(action.id)) {
            out.push(Symbol {
                name: action.name.clone(),
                detail: Some(format!("base: {}", action.base)),
                kind: SymbolKind::Action,
                range: spans.name.cover(spans.body),
                selection: spans.name,
                children: Vec::new(),
            });
        }
    }
    out.sort_by_key(|s| s.range.start);
    out
}

/// Spans are used by tests and the server alike.
impl Symbol {
    /// The span of the symbol's name.
    pub fn name_span(&self) -> Span {
        self.selection
    }
}
