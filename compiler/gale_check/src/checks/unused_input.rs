//! `unused-input` and the shared "which names does a workflow read" helper.

use std::collections::HashSet;

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::Item;

use super::Context;
use crate::dataflow::Flow;
use crate::graph::TaskGraph;

/// Documentation of `unused-input`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unused-input",
    severity: Severity::Warning,
    summary: "a workflow input is never read",
    explanation: "No expression of the workflow reads this input (`$.name`, `_.name`, \
`$.get('name')`…). Callers must still pass it when it has no default, so it is most likely \
left over or misspelt where it is read. Workflows that read the whole context (`<% $ %>`, \
`execution().input`, a computed key) are not checked.\n\n\
**Example:**\n\n```yaml\ninput:\n  - host\n  - port\ntasks:\n  t:\n    action: std.echo output=<% $.host %>\n```\n\n\
**Fix:** remove the input, or use it.",
};

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

/// Reports inputs no expression reads.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>, extra: &Extra) {
    let Some(used) = mentioned(flow, extra) else {
        return;
    };
    let wf = g.workflow;
    let span = cx
        .source_map
        .field(Item::Workflow(wf.id), "input")
        .map(|f| f.value)
        .unwrap_or_default();
    for p in &wf.input {
        if used.contains(p.name.as_str()) {
            continue;
        }
        cx.push(
            Diagnostic::warning(
                INFO.code,
                name_span(cx, span, &p.name),
                format!("input `{}` of workflow `{}` is never read", p.name, wf.name),
            )
            .with_help("remove it, or read it with `$.name` / `_.name`"),
        );
    }
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
