//! Positions of model items, kept apart from the model ([`crate::model`]).
//!
//! The source map answers "where is the name of task 7", "where is the value of its
//! `join`", and lists every string that holds an expression with its owner, span and
//! decoded→source offset map, so later stages can analyse expressions and still
//! point at the exact character.

use gale_diagnostics::Span;
use gale_syntax::OffsetMap;

use crate::fx::FxHashMap;
use crate::model::{ActionId, TaskId, TransitionId, WorkflowId};

/// A model item that has positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// The document itself (top-level keys).
    Document,
    /// A workflow.
    Workflow(WorkflowId),
    /// The `task-defaults` of a workflow.
    TaskDefaults(WorkflowId),
    /// A task.
    Task(TaskId),
    /// An ad-hoc action.
    Action(ActionId),
    /// A transition entry.
    Transition(TransitionId),
}

/// Spans of one `key: value` field of an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldSpans {
    /// The key.
    pub key: Span,
    /// The value node.
    pub value: Span,
}

/// Spans of an item itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemSpans {
    /// The name (the mapping key), or the entry text for transitions.
    pub name: Span,
    /// The whole body.
    pub body: Span,
}

/// A string value holding at least one expression.
#[derive(Clone, Debug, PartialEq)]
pub struct ExpressionSite {
    /// The item it belongs to.
    pub item: Item,
    /// The field of that item (`publish`, `input`, `on-success`, `action`…).
    pub field: &'static str,
    /// The decoded string.
    pub text: String,
    /// The span of the scalar in the source.
    pub span: Span,
    /// Decoded offset → source offset.
    pub offsets: OffsetMap,
}

/// Positions of everything in a [`crate::Document`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceMap {
    items: FxHashMap<Item, ItemSpans>,
    fields: FxHashMap<(Item, &'static str), FieldSpans>,
    /// Key spans of the entries of `name: value` fields (`vars`, `output`…), in the
    /// order of the model's [`crate::DataMap`].
    entries: FxHashMap<(Item, &'static str), Vec<Span>>,
    expressions: Vec<ExpressionSite>,
}

impl SourceMap {
    /// Spans of an item.
    pub fn item(&self, item: Item) -> Option<ItemSpans> {
        self.items.get(&item).copied()
    }

    /// Spans of field `key` (a schema key such as `"join"`) of an item.
    pub fn field(&self, item: Item, key: &'static str) -> Option<FieldSpans> {
        self.fields.get(&(item, key)).copied()
    }

    /// Every string holding an expression, in source order.
    pub fn expressions(&self) -> &[ExpressionSite] {
        &self.expressions
    }

    /// Key spans of the entries of field `key` of an item, index-aligned with the
    /// model's [`crate::DataMap`] (empty when the field is not a `name: value` map).
    pub fn entry_keys(&self, item: Item, key: &'static str) -> &[Span] {
        self.entries.get(&(item, key)).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn set_entry_keys(&mut self, item: Item, key: &'static str, spans: Vec<Span>) {
        self.entries.insert((item, key), spans);
    }

    pub(crate) fn set_item(&mut self, item: Item, name: Span, body: Span) {
        self.items.insert(item, ItemSpans { name, body });
    }

    pub(crate) fn set_field(&mut self, item: Item, key: &'static str, key_span: Span, value: Span) {
        self.fields.insert(
            (item, key),
            FieldSpans {
                key: key_span,
                value,
            },
        );
    }

    pub(crate) fn push_expression(&mut self, site: ExpressionSite) {
        self.expressions.push(site);
    }
}
