//! `ad-hoc-action-shadows-std`: a task calls a built-in action name that an ad-hoc
//! action of the same name hides.
//!
//! Mistral's system action provider asks its delegates in entry-point order —
//! `adhoc`, `dynamic`, `legacy` (`mistral.action.providers` in Mistral 23's entry
//! points) — so an ad-hoc action registered as `std.echo` wins over the built-in
//! `std.echo`. Checked with the oracle: `action: std.echo output=1` with an ad-hoc
//! `std.echo: {base: std.noop}` fails with `Invalid input [name=std.echo,
//! class=mistral.actions.adhoc.AdHocAction, unexpected=['output']]`.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{CallKind, Workflow};

use super::Context;
use super::action_base_cycle::{Registry, is_expression};
use crate::positions::Scope;

/// Documentation of `ad-hoc-action-shadows-std`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "ad-hoc-action-shadows-std",
    severity: Severity::Warning,
    summary: "a task calls a built-in action name that an ad-hoc action of the same name hides",
    explanation: "Mistral looks actions up among ad-hoc actions before the built-in ones, so an \
ad-hoc action uploaded as `std.echo` replaces `std.echo` for every workflow of its namespace. \
A task calling `std.echo` then runs the ad-hoc action, with its `input` list and its `base` — \
usually not what the author of the task expected.\n\n\
**Example:**\n\n```yaml\n# actions.yaml\nversion: '2.0'\nstd.echo:\n  base: std.noop\n```\n\n\
**Fix:** give the ad-hoc action a name of its own (`my.echo`).",
};

/// Reports calls of built-in action names that resolve to an ad-hoc action.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow, scope: &Scope) {
    if scope.actions.is_empty() && scope.external.actions.is_empty() {
        return;
    }
    let registry = Registry::of(scope);
    for task in &wf.tasks {
        let name = task.call.name.as_str();
        if task.call.kind != CallKind::Action
            || is_expression(name)
            || gale_engine::std_action(name).is_none()
        {
            continue;
        }
        let Some((registered, _)) = registry.called(name) else {
            continue;
        };
        let span = cx.field_span(task, "action");
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "`{name}` runs the ad-hoc action `{registered}`, not Mistral's built-in `{name}`"
                ),
            )
            .with_note("Mistral looks up ad-hoc actions before built-in ones")
            .with_help("rename the ad-hoc action, or call it by a name of its own"),
        );
    }
}
