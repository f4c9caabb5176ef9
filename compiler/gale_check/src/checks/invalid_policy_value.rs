//! `invalid-policy-value`: a policy expression whose value is certain to fail
//! Mistral's check of policy values (`mistral/engine/policies.py`: each policy
//! validates its evaluated fields against a JSON schema before the task starts).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity, Span};
use gale_hir::{BoolOrExpr, IntOrExpr, Item, Policies, Workflow};

use super::Context;
use crate::types::{Env, Place, const_number};

/// Documentation of `invalid-policy-value`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "invalid-policy-value",
    severity: Severity::Error,
    summary: "a policy expression yields a value Mistral rejects: the task always fails",
    explanation: "Mistral evaluates policy expressions when the task runs and then checks the \
values: `wait-before`, `wait-after`, `timeout`, `concurrency` and `retry` `count`/`delay` must \
be integers of 0 or more (a float with no fraction such as `1.0` passes), `pause-before` must \
be a boolean. Anything else fails the task with `Invalid data type in WaitBeforePolicy: 'abc' \
is not of type 'integer'`. Mistral's definition check cannot see this (any expression is \
accepted there); Gale reports it when the expression's type is known — a literal such as \
`<% 'abc' %>`, a string default of an input, a published string — and never when it may be \
valid. `fail-on` is not checked by Mistral (any value is used for its truth).\n\n\
**Example:**\n\n```yaml\ntasks:\n  poll:\n    action: std.noop\n    wait-before: <% '10' %>\n```\n\n\
**Fix:** write the number itself (`wait-before: 10`), or convert (`<% int($.delay) %>`).",
};

/// Policy key → the class name in Mistral's error message.
fn class(key: &str) -> &'static str {
    match key {
        "wait-before" => "WaitBeforePolicy",
        "wait-after" => "WaitAfterPolicy",
        "timeout" => "TimeoutPolicy",
        "concurrency" => "ConcurrencyPolicy",
        "retry" => "RetryPolicy",
        _ => "PauseBeforePolicy",
    }
}

/// Checks the policies of every task and of `task-defaults`.
pub(crate) fn run(cx: &mut Context<'_>, workflow: &Workflow, env: &Env<'_>) {
    if let Some(d) = &workflow.task_defaults {
        let item = Item::TaskDefaults(workflow.id);
        let fallback = cx
            .positions
            .item(Item::Workflow(workflow.id))
            .map(|s| s.name)
            .unwrap_or_default();
        check(cx, env, &d.policies, item, fallback);
    }
    for task in &workflow.tasks {
        let fallback = cx.task_span(task);
        check(cx, env, &task.policies, Item::Task(task.id), fallback);
    }
}

fn check(cx: &mut Context<'_>, env: &Env<'_>, p: &Policies, item: Item, fallback: Span) {
    // (policy, field of the expression site, words for the value, value)
    let mut ints: Vec<(&'static str, &'static str, String, &IntOrExpr)> = Vec::new();
    for (key, v) in [
        ("wait-before", &p.wait_before),
        ("wait-after", &p.wait_after),
        ("timeout", &p.timeout),
        ("concurrency", &p.concurrency),
    ] {
        if let Some(v) = v {
            ints.push((key, key, format!("`{key}`"), v));
        }
    }
    if let Some(r) = &p.retry {
        ints.push(("retry", "count", "retry `count`".into(), &r.count));
        ints.push(("retry", "delay", "retry `delay`".into(), &r.delay));
    }
    for (key, field, what, v) in ints {
        let IntOrExpr::Expr(text) = v else {
            continue;
        };
        let ty = env.string_type(text, Place::default());
        let bad_number = const_number(text).filter(|n| *n < 0.0 || n.fract() != 0.0);
        let problem = if ty.kinds_within_non_integer() {
            format!("evaluates to {}", ty.describe())
        } else if let Some(n) = bad_number {
            if n < 0.0 {
                format!("evaluates to `{n}`, below 0")
            } else {
                format!("evaluates to `{n}`, which is not an integer")
            }
        } else {
            continue;
        };
        let span = env.site_span(item, field, text).unwrap_or(fallback);
        let message = format!("{what} {problem}; Mistral requires an integer of 0 or more");
        let label = format!("the task fails here: `Invalid data type in {}`", class(key));
        let help = format!(
            "write a number (`{field}: 10`) or an expression that yields one (`<% int(…) %>`)"
        );
        cx.push(diagnostic(env, span, message, label, text, help));
    }
    if let Some(BoolOrExpr::Expr(text)) = &p.pause_before {
        let ty = env.string_type(text, Place::default());
        if ty.kinds_within_non_bool() {
            let span = env
                .site_span(item, "pause-before", text)
                .unwrap_or(fallback);
            let message = format!(
                "`pause-before` evaluates to {}; Mistral requires a boolean",
                ty.describe()
            );
            let label = "the task fails here: `Invalid data type in PauseBeforePolicy`".into();
            let help = "write `true`/`false` or a condition such as `<% $.n > 0 %>`".into();
            cx.push(diagnostic(env, span, message, label, text, help));
        }
    }
}

fn diagnostic(
    env: &Env<'_>,
    span: Span,
    message: String,
    label: String,
    text: &str,
    help: String,
) -> Diagnostic {
    let mut d = Diagnostic::error(INFO.code, span, message).with_label(label);
    for s in env.sources_of(text) {
        d = d.with_note(s);
    }
    d.with_note(
        "Mistral validates policy values after evaluating them and fails the task when one is invalid",
    )
    .with_help(help)
}
