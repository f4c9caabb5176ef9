//! `description-not-text`: a workflow `description` that is not a non-empty string.
//!
//! Mistral validates the `description` of workbooks, tasks and ad-hoc actions
//! (`gale_hir` reports those), but not of workflows: `description: ''` or
//! `description: 5` is accepted (validation rules, Part C #3, confirmed with
//! Mistral 23's parser).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Item, Value, Workflow};

use super::Context;

/// Documentation of `description-not-text`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "description-not-text",
    severity: Severity::Warning,
    summary: "a workflow `description` is empty or not a string",
    explanation: "Mistral requires a non-empty string as the `description` of a workbook, a task \
or an ad-hoc action, but does not check a workflow's: an empty value, a number or a mapping is \
stored as is, and tools that show descriptions (the dashboard, `openstack workflow show`) get \
something unexpected. Often the text was meant to be a YAML block and lost its indentation.\n\n\
**Example:**\n\n```yaml\nmy_workflow:\n  description:\n  tasks: …\n```\n\n\
**Fix:** write a non-empty text, or remove the key.",
};

/// Reports a workflow `description` that is not a non-empty string.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    let Some(description) = &wf.description else {
        return;
    };
    let what = match description {
        Value::Str(s) if !s.trim().is_empty() => return,
        Value::Str(_) => "empty",
        Value::Null => "empty (null)",
        other => other.type_name(),
    };
    let span = cx
        .positions
        .item(Item::Workflow(wf.id))
        .map(|s| s.name)
        .unwrap_or_default();
    cx.push(
        Diagnostic::warning(
            INFO.code,
            span,
            format!(
                "the `description` of workflow `{}` is {what}, not a text",
                wf.name
            ),
        )
        .with_note("Mistral does not check a workflow's description")
        .with_help("write a non-empty text, or remove the key"),
    );
}
