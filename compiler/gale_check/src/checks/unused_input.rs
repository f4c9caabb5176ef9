//! Which names a workflow reads (for `unused-var`; an `unused-input` check on the
//! same helper is written but not enabled: see the report).

use gale_hir::fx::FxHashSet as HashSet;

use super::Context;
use crate::dataflow::Flow;

/// Names the workflow's expressions mention, or `None` when it reads the whole
/// context.
pub(crate) fn mentioned<'f>(flow: &'f Flow<'_>, extra: &'f Extra) -> Option<HashSet<&'f str>> {
    if extra.whole_context || flow.sites.iter().any(|s| s.reads.whole_context) {
        return None;
    }
    let mut set: HashSet<&str> = extra.mentioned.iter().map(String::as_str).collect();
    for s in &flow.sites {
        set.extend(s.reads.mentioned.iter().map(String::as_str));
    }
    Some(set)
}

/// Names mentioned outside workflows (ad-hoc actions' `base-input` may read the
/// calling workflow's variables).
#[derive(Default)]
pub(crate) struct Extra {
    /// Mentioned names.
    pub mentioned: Vec<String>,
    /// Some ad-hoc action reads the whole context.
    pub whole_context: bool,
}

/// Where to report entry `index` of field `key` of `item` (a `name: value` map such
/// as `vars`): its key, else `block` (the whole field) when the source map records
/// no per-entry span.
pub(crate) fn entry_span(
    cx: &Context<'_>,
    item: gale_hir::Item,
    key: &'static str,
    index: usize,
    block: gale_diagnostics::Span,
) -> gale_diagnostics::Span {
    cx.positions.entry_key(item, key, index).unwrap_or(block)
}
