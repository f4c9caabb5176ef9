//! `internal-variable-name`: an input, variable or published name that Mistral uses
//! for its own data.
//!
//! Mistral keeps its own entries in the same context as the workflow's variables
//! (`mistral/workflow/data_flow.py`): `__execution` (added before `vars` are merged,
//! read by `execution()`), `__env` (read by `env()`; a task's context is searched
//! before the environment), `__task_execution` (read by `task()`), `openstack`
//! (the caller's auth context, set when authentication is on) and `__versions`
//! (`context_versioning.VERSIONS_KEY`, used to merge parallel branches).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};
use gale_hir::{Clause, DataMap, Item, Workflow};

use super::Context;
use super::unused_input::entry_span;

/// Documentation of `internal-variable-name`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "internal-variable-name",
    severity: Severity::Warning,
    summary: "a variable is named like one of Mistral's internal context entries",
    explanation: "Mistral stores its own data in the workflow context next to the variables: \
`__execution` (what `execution()` returns), `__env` (what `env()` returns), `__task_execution` \
(what `task()` returns), `__versions` (used to merge parallel branches) and `openstack` (the \
caller's credentials when authentication is on). An input, `vars` entry or published variable \
of the same name replaces or hides that data, and the functions that read it return the \
variable or fail.\n\n\
**Example:**\n\n```yaml\npublish:\n  __env: <% task().result %>\n```\n\n\
**Fix:** choose another name.",
};

/// The names Mistral uses in the context, with what reads them.
const INTERNAL: &[(&str, &str)] = &[
    ("__execution", "`execution()`"),
    ("__env", "`env()`"),
    ("__task_execution", "`task()`"),
    ("__versions", "the merging of parallel branches"),
    (
        "openstack",
        "actions that read the caller's OpenStack credentials",
    ),
];

fn internal(name: &str) -> Option<&'static str> {
    INTERNAL.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

fn report(cx: &mut Context<'_>, span: Span, name: &str, what: &str, reader: &str) {
    cx.push(
        Diagnostic::warning(
            INFO.code,
            span,
            format!("{what} `{name}` uses a name Mistral keeps for its own data"),
        )
        .with_note(format!(
            "{reader} reads Mistral's `{name}` entry of the context"
        ))
        .with_help("choose another name"),
    );
}

fn check_map(cx: &mut Context<'_>, map: Option<&DataMap>, span: Span, what: &str) {
    for (name, _) in map.into_iter().flatten() {
        if let Some(reader) = internal(name) {
            report(cx, span, name, what, reader);
        }
    }
}

fn clause_maps(c: &Clause) -> impl Iterator<Item = &DataMap> {
    c.publish
        .iter()
        .flat_map(|p| [&p.branch, &p.global, &p.atomic].into_iter().flatten())
}

/// Reports inputs, `vars` and published variables with internal names.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    let wf_span = cx
        .positions
        .item(Item::Workflow(wf.id))
        .map(|s| s.name)
        .unwrap_or_default();
    for p in &wf.input {
        if let Some(reader) = internal(&p.name) {
            report(cx, wf_span, &p.name, "input", reader);
        }
    }
    let vars_span = cx
        .positions
        .field(Item::Workflow(wf.id), "vars")
        .map(|f| f.value)
        .unwrap_or(wf_span);
    for (index, (name, _)) in wf.vars.iter().flatten().enumerate() {
        if let Some(reader) = internal(name) {
            let span = entry_span(cx, Item::Workflow(wf.id), "vars", index, vars_span);
            report(cx, span, name, "variable", reader);
        }
    }
    for task in &wf.tasks {
        let span = cx.task_span(task);
        for map in [&task.publish, &task.publish_on_error, &task.publish_on_skip] {
            check_map(cx, map.as_ref(), span, "published variable");
        }
        for clause in [
            &task.on_success,
            &task.on_error,
            &task.on_complete,
            &task.on_skip,
        ]
        .into_iter()
        .flatten()
        {
            for map in clause_maps(clause) {
                check_map(cx, Some(map), span, "published variable");
            }
        }
    }
}
