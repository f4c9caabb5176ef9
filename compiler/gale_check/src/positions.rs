//! Position-free inputs for the analysis of one workflow.
//!
//! The analysis of a workflow reads positions (to place diagnostics) but must not
//! change when text *outside* the workflow moves it. [`Positions`] is the part of
//! `gale_hir`'s source map that belongs to one workflow, with every span relative to
//! the start of the workflow's name (its *base*). [`WorkflowUnit`] bundles it with the
//! workflow model and the document-wide facts the checks read ([`Scope`]). Typing in
//! one workflow then leaves every other workflow's unit equal, so a memoising caller
//! (`gale_db`'s salsa queries) reuses their analyses; [`Analysis::shifted`] puts the
//! results back at file positions.

use gale_diagnostics::{Diagnostic, Span};
use gale_hir::{
    Action, Document, DocumentKind, ExpressionSite, FieldSpans, Item, ItemSpans, Parameter,
    SourceMap, TaskId, TransitionId, Workflow, WorkflowId, WorkflowType,
};
use gale_syntax::OffsetMap;

use crate::Analysis;

/// The task fields whose positions the checks read.
const TASK_FIELDS: &[&str] = &[
    "action",
    "workflow",
    "join",
    "input",
    "requires",
    "publish",
    "publish-on-error",
    "publish-on-skip",
    "on-success",
    "on-error",
    "on-complete",
    "on-skip",
    "retry",
    "wait-before",
    "wait-after",
    "timeout",
    "pause-before",
    "concurrency",
    "fail-on",
];
/// The workflow fields whose positions the checks read.
const WORKFLOW_FIELDS: &[&str] = &["vars"];

/// Positions of one workflow's items, relative to its base.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Positions {
    /// Sorted by item.
    items: Vec<(Item, ItemSpans)>,
    /// Sorted by item and key.
    fields: Vec<((Item, &'static str), FieldSpans)>,
    /// Key spans of the entries of those fields that are `name: value` maps, sorted
    /// like `fields`.
    entries: Vec<((Item, &'static str), Vec<Span>)>,
    expressions: Vec<ExpressionSite>,
    /// Every task item in the workflow's body (also those the model dropped).
    tasks: Vec<TaskId>,
}

impl Positions {
    /// Spans of an item.
    pub fn item(&self, item: Item) -> Option<ItemSpans> {
        let k = self.items.binary_search_by(|(i, _)| i.cmp(&item)).ok()?;
        self.items.get(k).map(|(_, s)| *s)
    }

    /// Spans of field `key` of an item (only the fields the checks read).
    pub fn field(&self, item: Item, key: &'static str) -> Option<FieldSpans> {
        let k = self
            .fields
            .binary_search_by(|((i, f), _)| i.cmp(&item).then_with(|| (*f).cmp(key)))
            .ok()?;
        self.fields.get(k).map(|(_, s)| *s)
    }

    /// The key span of entry `index` of field `key` of an item (index-aligned with
    /// the model's `DataMap`), when the source map records one.
    pub fn entry_key(&self, item: Item, key: &'static str, index: usize) -> Option<Span> {
        let k = self
            .entries
            .binary_search_by(|((i, f), _)| i.cmp(&item).then_with(|| (*f).cmp(key)))
            .ok()?;
        self.entries.get(k)?.1.get(index).copied()
    }

    /// Every expression string, in source order.
    pub fn expressions(&self) -> &[ExpressionSite] {
        &self.expressions
    }

    /// Every task item in the body, including tasks the model left out.
    pub fn task_items(&self) -> &[TaskId] {
        &self.tasks
    }
}

/// A workflow as another workflow's task sees it: what calls are checked against.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowSignature {
    /// Its (local) name.
    pub name: String,
    /// Direct or reverse.
    pub kind: WorkflowType,
    /// Its `input`.
    pub input: Vec<Parameter>,
    /// Its `output` (`None` when absent: the sub-workflow's result is then its
    /// whole final context).
    pub output: Option<gale_hir::DataMap>,
}

/// Document-wide, position-free facts the analysis of one workflow reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    /// The document's kind.
    pub kind: DocumentKind,
    /// The workbook's name (workbooks only).
    pub workbook: Option<String>,
    /// Every workflow's signature, in source order.
    pub workflows: Vec<WorkflowSignature>,
    /// Every ad-hoc action.
    pub actions: Vec<Action>,
    /// Some expression of the document reads `env()` or `__actions`.
    pub env_used: bool,
    /// Names ad-hoc actions read from the calling task's context.
    pub mentioned: Vec<String>,
    /// Some ad-hoc action reads the whole calling context.
    pub whole_context: bool,
    /// What other files of the workspace define (empty for `gale check`).
    pub external: External,
}

/// Sub-workflows and ad-hoc actions defined by other files, under the names Mistral
/// registers them by (`<workbook>.<name>` for workbooks, the name itself for workflow
/// and action lists). Looked up only when the document itself has no match.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct External {
    /// Workflows of other files.
    pub workflows: Vec<WorkflowSignature>,
    /// Ad-hoc actions of other files.
    pub actions: Vec<Action>,
}

impl External {
    /// What `document` offers to other files.
    pub fn of(document: &Document) -> External {
        let prefix = match (document.kind, &document.workbook) {
            (DocumentKind::Workbook, Some(wb)) => wb.name.as_ref().map(|n| format!("{n}.")),
            _ => None,
        };
        let full = |name: &str| match &prefix {
            Some(p) => format!("{p}{name}"),
            None => name.to_string(),
        };
        External {
            workflows: if document.kind == DocumentKind::ActionList {
                Vec::new()
            } else {
                document
                    .workflows
                    .iter()
                    .map(|w| WorkflowSignature {
                        name: full(&w.name),
                        kind: w.kind,
                        input: w.input.clone(),
                        output: w.output.clone(),
                    })
                    .collect()
            },
            actions: document
                .actions
                .iter()
                .map(|a| {
                    let mut a = a.clone();
                    a.name = full(&a.name);
                    a
                })
                .collect(),
        }
    }

    /// Adds what another file offers.
    pub fn extend(&mut self, other: &External) {
        self.workflows.extend(other.workflows.iter().cloned());
        self.actions.extend(other.actions.iter().cloned());
    }
}

impl Scope {
    /// The scope of a document on its own.
    pub fn of(document: &Document, source_map: &SourceMap) -> Scope {
        Scope::with_external(document, source_map, External::default())
    }

    /// The scope of a document in a workspace whose other files define `external`.
    pub fn with_external(document: &Document, source_map: &SourceMap, external: External) -> Scope {
        let extra = crate::checks::action_mentions(source_map);
        Scope {
            kind: document.kind,
            workbook: match document.kind {
                DocumentKind::Workbook => document.workbook.as_ref().and_then(|w| w.name.clone()),
                _ => None,
            },
            workflows: document
                .workflows
                .iter()
                .map(|w| WorkflowSignature {
                    name: w.name.clone(),
                    kind: w.kind,
                    input: w.input.clone(),
                    output: w.output.clone(),
                })
                .collect(),
            actions: document.actions.clone(),
            env_used: source_map
                .expressions()
                .iter()
                .any(|s| s.text.contains("env()") || s.text.contains("__actions")),
            mentioned: extra.mentioned,
            whole_context: extra.whole_context,
            external,
        }
    }
}

/// Everything the analysis of one workflow reads, free of file positions.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowUnit {
    /// The workflow.
    pub workflow: Workflow,
    /// Its positions, relative to `base`.
    pub positions: Positions,
    /// Document-wide facts.
    pub scope: std::sync::Arc<Scope>,
}

/// The units of a document: one per workflow with its base offset, and the
/// expression strings outside every workflow (ad-hoc actions, top level), with file
/// positions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Units {
    /// `(base, unit)` per workflow, in source order.
    pub workflows: Vec<(u32, std::sync::Arc<WorkflowUnit>)>,
    /// Expression strings outside every workflow.
    pub rest: Vec<ExpressionSite>,
}

/// Splits a document into per-workflow units (one pass over the source map).
pub fn units(document: &Document, source_map: &SourceMap) -> Units {
    units_in(document, source_map, External::default())
}

/// [`units`] for a document whose workspace's other files define `external`.
pub fn units_in(document: &Document, source_map: &SourceMap, external: External) -> Units {
    let scope = std::sync::Arc::new(Scope::with_external(document, source_map, external));
    // (start, end, index) of each workflow's extent: from its name to its body's end.
    let mut extents: Vec<(u32, u32, usize)> = Vec::new();
    let mut out: Vec<(u32, WorkflowUnit)> = Vec::new();
    for (i, wf) in document.workflows.iter().enumerate() {
        let spans = source_map.item(Item::Workflow(wf.id));
        let base = spans.map(|s| s.name.start.min(s.body.start)).unwrap_or(0);
        if let Some(s) = spans {
            extents.push((base, s.body.end.max(s.name.end), i));
        }
        let mut positions = Positions::default();
        for item in [Item::Workflow(wf.id), Item::TaskDefaults(wf.id)] {
            add_item(&mut positions, source_map, item, base);
        }
        for key in WORKFLOW_FIELDS {
            add_field(&mut positions, source_map, Item::Workflow(wf.id), key, base);
        }
        for key in TASK_FIELDS {
            add_field(
                &mut positions,
                source_map,
                Item::TaskDefaults(wf.id),
                key,
                base,
            );
        }
        out.push((
            base,
            WorkflowUnit {
                workflow: wf.clone(),
                positions,
                scope: std::sync::Arc::clone(&scope),
            },
        ));
    }
    extents.sort();
    let owner = |offset: u32| -> Option<usize> {
        let k = extents.partition_point(|e| e.0 <= offset);
        let e = extents.get(k.checked_sub(1)?)?;
        (offset < e.1 || (e.0 == e.1 && offset == e.0)).then_some(e.2)
    };
    // Tasks and transitions have document-wide ids, assigned in source order.
    let mut id = 0u32;
    while let Some(spans) = source_map.item(Item::Task(TaskId(id))) {
        if let Some(i) = owner(spans.name.start)
            && let Some((base, unit)) = out.get_mut(i)
        {
            let item = Item::Task(TaskId(id));
            add_item(&mut unit.positions, source_map, item, *base);
            for key in TASK_FIELDS {
                add_field(&mut unit.positions, source_map, item, key, *base);
            }
            unit.positions.tasks.push(TaskId(id));
        }
        id += 1;
    }
    let mut id = 0u32;
    while let Some(spans) = source_map.item(Item::Transition(TransitionId(id))) {
        if let Some(i) = owner(spans.name.start)
            && let Some((base, unit)) = out.get_mut(i)
        {
            add_item(
                &mut unit.positions,
                source_map,
                Item::Transition(TransitionId(id)),
                *base,
            );
        }
        id += 1;
    }
    for (_, unit) in &mut out {
        let p = &mut unit.positions;
        p.items.sort_unstable_by_key(|a| a.0);
        p.fields.sort_unstable_by_key(|a| a.0);
        p.entries.sort_unstable_by_key(|a| a.0);
    }
    let mut rest = Vec::new();
    for site in source_map.expressions() {
        let in_workflow = match site.item {
            Item::Workflow(w) | Item::TaskDefaults(w) => workflow_index(document, w),
            _ => owner(site.span.start),
        };
        match in_workflow.and_then(|i| out.get_mut(i)) {
            Some((base, unit)) => {
                let shifted = shift_site(site, *base);
                unit.positions.expressions.push(shifted);
            }
            None => rest.push(site.clone()),
        }
    }
    Units {
        workflows: out
            .into_iter()
            .map(|(base, unit)| (base, std::sync::Arc::new(unit)))
            .collect(),
        rest,
    }
}

fn workflow_index(document: &Document, id: WorkflowId) -> Option<usize> {
    document.workflows.iter().position(|w| w.id == id)
}

fn add_item(positions: &mut Positions, source_map: &SourceMap, item: Item, base: u32) {
    if let Some(s) = source_map.item(item) {
        positions.items.push((
            item,
            ItemSpans {
                name: sub(s.name, base),
                body: sub(s.body, base),
            },
        ));
    }
}

fn add_field(
    positions: &mut Positions,
    source_map: &SourceMap,
    item: Item,
    key: &'static str,
    base: u32,
) {
    if let Some(f) = source_map.field(item, key) {
        positions.fields.push((
            (item, key),
            FieldSpans {
                key: sub(f.key, base),
                value: sub(f.value, base),
            },
        ));
    }
    let keys = source_map.entry_keys(item, key);
    if !keys.is_empty() {
        let keys = keys.iter().map(|k| sub(*k, base)).collect();
        positions.entries.push(((item, key), keys));
    }
}

fn sub(span: Span, base: u32) -> Span {
    Span {
        start: span.start.saturating_sub(base),
        end: span.end.saturating_sub(base),
    }
}

fn add(span: Span, base: u32) -> Span {
    Span {
        start: span.start.saturating_add(base),
        end: span.end.saturating_add(base),
    }
}

fn shift_site(site: &ExpressionSite, base: u32) -> ExpressionSite {
    ExpressionSite {
        item: site.item,
        field: site.field,
        text: site.text.clone(),
        span: sub(site.span, base),
        offsets: OffsetMap::from_runs(
            site.offsets
                .runs()
                .map(|(d, s, l)| (d, s.saturating_sub(base), l))
                .collect(),
            site.offsets.source_end.saturating_sub(base),
        ),
    }
}

/// `diagnostic` moved by `base` bytes (every label and fix edit).
pub fn shift_diagnostic(diagnostic: &mut Diagnostic, base: u32) {
    diagnostic.primary.span = add(diagnostic.primary.span, base);
    for label in &mut diagnostic.secondary {
        label.span = add(label.span, base);
    }
    if let Some(fix) = &mut diagnostic.fix {
        for edit in &mut fix.edits {
            edit.span = add(edit.span, base);
        }
    }
}

impl Analysis {
    /// This analysis with every position moved by `base` bytes.
    pub fn shifted(&self, base: u32) -> Analysis {
        let mut a = self.clone();
        if base != 0 {
            for d in &mut a.diagnostics {
                shift_diagnostic(d, base);
            }
            for j in &mut a.joins {
                j.span = add(j.span, base);
            }
        }
        a
    }
}
