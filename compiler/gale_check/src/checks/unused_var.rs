//! `unused-var`: a workflow `vars` entry is never read.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::Item;

use super::Context;
use super::unused_input::{Extra, entry_span, mentioned};
use crate::dataflow::Flow;
use crate::graph::TaskGraph;

/// Documentation of `unused-var`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "unused-var",
    severity: Severity::Warning,
    summary: "a workflow `vars` entry is never read",
    explanation: "No expression of the workflow reads this variable (`$.name`, `_.name`, \
`$.get('name')`, `global('name')`…). It is evaluated at every start for nothing, or its reader \
misspells it. Workflows that read the whole context are not checked.\n\n\
**Example:**\n\n```yaml\nvars:\n  retries: 3\ntasks:\n  t:\n    action: std.noop\n```\n\n\
**Fix:** remove the entry, or use it.",
};

/// Reports `vars` entries no expression reads.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>, extra: &Extra) {
    let Some(used) = mentioned(flow, extra) else {
        return;
    };
    let wf = g.workflow;
    let Some(vars) = &wf.vars else { return };
    // `global('name')` reads the execution context, which holds the `vars`.
    if flow.sites.iter().any(|s| s.reads.global_computed) {
        return;
    }
    let globals: Vec<&str> = flow
        .sites
        .iter()
        .flat_map(|s| s.reads.globals.iter().map(|r| r.name.as_str()))
        .collect();
    let span = cx
        .positions
        .field(Item::Workflow(wf.id), "vars")
        .map(|f| f.value)
        .unwrap_or_default();
    for (index, (name, _)) in vars.iter().enumerate() {
        if used.contains(name.as_str()) || globals.contains(&name.as_str()) {
            continue;
        }
        cx.push(
            Diagnostic::warning(
                INFO.code,
                entry_span(cx, Item::Workflow(wf.id), "vars", index, span),
                format!("variable `{name}` of workflow `{}` is never read", wf.name),
            )
            .with_help("remove it, or read it with `$.name` / `_.name`"),
        );
    }
}
