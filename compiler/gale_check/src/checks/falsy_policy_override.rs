//! `falsy-policy-override`: a task-level policy value that cannot switch off the
//! `task-defaults` one because it is falsy (`timeout: 0`, `pause-before: false`).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{BoolOrExpr, IntOrExpr, Item, Policies};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `falsy-policy-override`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "falsy-policy-override",
    severity: Severity::Warning,
    summary: "a falsy task policy (`timeout: 0`, `pause-before: false`) does not override `task-defaults`",
    explanation: "For each policy Mistral uses the task's own value only when it is truthy; otherwise it \
falls back to the `task-defaults` value (`construct_policies_list` in `mistral/engine/policies.py`). \
So `wait-before: 0`, `wait-after: 0`, `timeout: 0`, `concurrency: 0`, `pause-before: false` or \
`fail-on: false` on a task do not switch off a default: the default still applies. (`retry` is \
different: a task-level `retry`, even with `count: 0`, replaces the default.)\n\n\
**Example:**\n\n```yaml\ntask-defaults:\n  timeout: 60\ntasks:\n  long_job:\n    \
action: std.sleep seconds=600\n    timeout: 0      # still times out after 60 s\n```\n\n\
**Fix:** write the value as an expression (`timeout: <% 0 %>`): Mistral keeps any expression, \
evaluates it, and the policy then does nothing.",
};

fn int_falsy(v: &Option<IntOrExpr>) -> bool {
    matches!(v, Some(IntOrExpr::Int(0)))
}

fn int_set(v: &Option<IntOrExpr>) -> bool {
    matches!(v, Some(IntOrExpr::Expr(_)) | Some(IntOrExpr::Int(1..)))
}

fn bool_falsy(v: &Option<BoolOrExpr>) -> bool {
    matches!(v, Some(BoolOrExpr::Bool(false)))
}

fn bool_set(v: &Option<BoolOrExpr>) -> bool {
    matches!(v, Some(BoolOrExpr::Expr(_)) | Some(BoolOrExpr::Bool(true)))
}

/// `(key, the task's value is falsy, the default is set, literal to suggest)`.
fn overrides(
    task: &Policies,
    defaults: &Policies,
) -> [(&'static str, bool, bool, &'static str); 6] {
    [
        (
            "wait-before",
            int_falsy(&task.wait_before),
            int_set(&defaults.wait_before),
            "<% 0 %>",
        ),
        (
            "wait-after",
            int_falsy(&task.wait_after),
            int_set(&defaults.wait_after),
            "<% 0 %>",
        ),
        (
            "timeout",
            int_falsy(&task.timeout),
            int_set(&defaults.timeout),
            "<% 0 %>",
        ),
        (
            "concurrency",
            int_falsy(&task.concurrency),
            int_set(&defaults.concurrency),
            "<% 0 %>",
        ),
        (
            "pause-before",
            bool_falsy(&task.pause_before),
            bool_set(&defaults.pause_before),
            "<% false %>",
        ),
        (
            "fail-on",
            bool_falsy(&task.fail_on),
            bool_set(&defaults.fail_on),
            "<% false %>",
        ),
    ]
}

/// Reports falsy task policies shadowed by a set default.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    let Some(defaults) = wf.task_defaults.as_ref() else {
        return;
    };
    for task in &wf.tasks {
        for (key, falsy, default_set, literal) in overrides(&task.policies, &defaults.policies) {
            if !(falsy && default_set) {
                continue;
            }
            let Some(field) = cx.positions.field(Item::Task(task.id), key) else {
                continue;
            };
            let mut d = Diagnostic::warning(
                INFO.code,
                field.value,
                format!("`{key}` of task `{}` does not switch off the `task-defaults` value: Mistral ignores a falsy task value", task.name),
            )
            .with_note("for every policy but `retry`, the default applies whenever the task's own value is falsy");
            if let Some(def) = cx.positions.field(Item::TaskDefaults(wf.id), key) {
                d = d.with_secondary(def.value, "this default still applies");
            }
            cx.push(d.with_help(format!(
                "write `{key}: {literal}`: an expression replaces the default"
            )));
        }
    }
}
