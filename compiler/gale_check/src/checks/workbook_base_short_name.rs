//! `workbook-base-short-name`: an ad-hoc action of a workbook whose `base` names
//! another action of the workbook without the workbook's prefix.
//!
//! Workbook actions are registered as `<workbook>.<name>`. A task finds them by the
//! short name (`_get_action_descriptor` tries `<workbook>.<name>` first), but a
//! `base` is looked up exactly as written (`AdHocActionDescriptor._visit_hierarchy`
//! in `mistral/actions/adhoc.py`). Checked with the oracle: in workbook `wb`,
//! `a1: {base: a2}` fails the calling task with `Failed to instantiate an action`,
//! `a1: {base: wb.a2}` runs `a2`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{CallKind, Workflow};

use super::Context;
use super::action_base_cycle::{Registry, is_expression};
use crate::positions::Scope;

/// Documentation of `workbook-base-short-name`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "workbook-base-short-name",
    severity: Severity::Warning,
    summary: "a workbook action's `base` names another action of the workbook without the workbook's name",
    explanation: "Mistral registers the actions of workbook `tools` as `tools.greet`, \
`tools.hello`, … Tasks of the workbook may call them by their short name, but a `base` is \
looked up exactly as written: `base: hello` finds no action (or a global `hello` uploaded \
separately, not the workbook's), and every task using the action fails with `Failed to \
instantiate an action`.\n\n\
**Example:**\n\n```yaml\nname: tools\nactions:\n  greet:\n    base: hello\n  hello:\n    base: std.echo output=\"hi\"\n```\n\n\
**Fix:** write the full name: `base: tools.hello`.",
};

/// Reports tasks whose ad-hoc action chain reaches a short workbook name.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow, scope: &Scope) {
    let Some(workbook) = scope.workbook.as_deref() else {
        return;
    };
    if scope.actions.is_empty() || scope.kind != gale_hir::DocumentKind::Workbook {
        return;
    }
    let registry = Registry::of(scope);
    for task in &wf.tasks {
        if task.call.kind != CallKind::Action || is_expression(&task.call.name) {
            continue;
        }
        let Some((mut name, mut action)) = registry.called(&task.call.name) else {
            continue;
        };
        let mut seen = vec![name.to_string()];
        // Follow the chain (a loop is `action-base-cycle`'s).
        let finding = loop {
            let base = action.base.as_str();
            if is_expression(base) || seen.iter().any(|n| n == base) {
                break None;
            }
            match registry.get(base) {
                Some((next_name, next)) => {
                    seen.push(next_name.to_string());
                    name = next_name;
                    action = next;
                }
                None => {
                    let full = format!("{workbook}.{base}");
                    break registry
                        .get(&full)
                        .map(|_| (name.to_string(), base.to_string(), full));
                }
            }
        };
        let Some((owner, base, full)) = finding else {
            continue;
        };
        let span = cx.field_span(task, "action");
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "action `{owner}` used by task `{}` has `base: {base}`, which Mistral looks up as written, not as `{full}`",
                    task.name
                ),
            )
            .with_note("workbook actions are registered under `<workbook>.<name>`; only tasks may use the short name")
            .with_help(format!("write `base: {full}`")),
        );
    }
}
