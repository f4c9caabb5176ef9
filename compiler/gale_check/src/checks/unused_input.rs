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

/// Where to report an unused entry: the `input`/`vars` block (the model keeps no
/// span per entry).
pub(crate) fn name_span(
    _cx: &Context<'_>,
    span: gale_diagnostics::Span,
    _name: &str,
) -> gale_diagnostics::Span {
    span
}
