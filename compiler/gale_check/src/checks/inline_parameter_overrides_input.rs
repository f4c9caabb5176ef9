//! `inline-parameter-overrides-input`: a task sets the same parameter inline
//! (`action: std.echo output=a`) and in `input`.
//!
//! Mistral merges the inline parameters into `input` with `merge_dicts`
//! (`mistral/lang/v2/tasks.py` `_process_action_and_workflow`): the inline value
//! replaces the `input` one (two mappings would merge, but an inline value is
//! never a mapping). `gale_hir`
//! keeps the overlapping keys, with the `input` values, in `Task::inline_overrides`.
//! The same value written twice is not reported.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{CallKind, Item, Workflow};

use super::Context;

/// Documentation of `inline-parameter-overrides-input`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "inline-parameter-overrides-input",
    severity: Severity::Warning,
    summary: "a parameter is set both inline in `action`/`workflow` and in `input`, to different values; the inline value wins",
    explanation: "Mistral merges the inline parameters of `action: name key=value` (or \
`workflow:`) into the task's `input` (`TaskSpec._process_action_and_workflow`, `merge_dicts`): \
for a key both set, the inline value replaces the `input` one (inline values are never mappings, so nothing is merged). The `input` value is silently ignored, which is rarely \
what its author meant. The same value written in both places is not reported.\n\n\
**Example:**\n\n```yaml\nsay:\n  action: std.echo output=a\n  input:\n    output: b   # ignored: the action gets `a`\n```\n\n\
**Fix:** set the parameter in one place only.",
};

/// Reports parameters set both inline and in `input`.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow) {
    for task in &wf.tasks {
        if task.inline_overrides.is_empty() {
            continue;
        }
        let field = match task.call.kind {
            CallKind::Action => "action",
            CallKind::Workflow => "workflow",
        };
        let span = cx.field_span(task, field);
        let input = cx.positions.field(Item::Task(task.id), "input");
        for (key, written) in &task.inline_overrides {
            // The same value twice changes nothing.
            if task
                .call
                .inline
                .iter()
                .any(|(k, v)| k == key && v == written)
            {
                continue;
            }
            let mut d = Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "parameter `{key}` of task `{}` is set both inline and in `input`",
                    task.name
                ),
            );
            if let Some(i) = input {
                d = d.with_secondary(i.value, format!("`input` sets `{key}` too"));
            }
            d = d.with_note("Mistral uses the inline value; the `input` value is ignored");
            cx.push(d.with_help(format!("set `{key}` in one place only")));
        }
    }
}
