//! `global-never-published`: `global('name')` of a name no task of the workflow
//! publishes with the `global` scope and `vars` does not define.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, ExpressionSite, Value};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `global-never-published`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "global-never-published",
    severity: Severity::Warning,
    summary: "`global('name')` of a name nothing publishes globally: it is always null",
    explanation: "`global(name)` reads the workflow execution's own context \
(`mistral/expressions/std_functions.py` `global_`), which holds the evaluated `vars` and what tasks \
publish with the `global` scope (`publish: {global: …}` in a task's own `on-success`, `on-error`, \
`on-complete` or `on-skip`). Workflow input and branch variables (`publish`) are not there, and \
`task-defaults` clauses never publish. A name none of these define always reads as null.\n\n\
**Example:**\n\n```yaml\ninput: [limit]\ntasks:\n  t1:\n    action: std.echo output=<% global('limit') %>   # null: `limit` is an input\n```\n\n\
**Fix:** read inputs and branch variables with `$.name`; publish the variable from a clause, \
`on-success: {publish: {global: {name: …}}, next: …}`, if it must be shared across branches (a \
task-level `publish: {global: …}` publishes a branch variable named `global`).",
};

/// Reports `global()` reads of names never in the execution context.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let sites: Vec<&ExpressionSite> = cx
        .positions
        .expressions()
        .iter()
        .filter(|s| s.text.contains("global"))
        .collect();
    if sites.is_empty() || !g.complete {
        return;
    }
    let wf = g.workflow;
    let mut known: Vec<&str> = wf.vars.iter().flatten().map(|(k, _)| k.as_str()).collect();
    for task in &wf.tasks {
        for kind in ClauseKind::ALL {
            if let Some(global) = task
                .clause(kind)
                .and_then(|c| c.publish.as_ref())
                .and_then(|p| p.global.as_ref())
            {
                known.extend(global.iter().map(|(k, _)| k.as_str()));
            }
        }
    }
    let mut found = Vec::new();
    for site in sites {
        // `global('x')` in YAQL and Jinja alike (`global` is one of Mistral's
        // expression functions, registered for both).
        for read in crate::refs::reads(&site.text).globals {
            let name = read.name;
            if known.contains(&name.as_str()) || name.starts_with("__") || name == "openstack" {
                continue;
            }
            let span = site.offsets.span(read.range.start, read.range.end);
            // Jinja when the nearest opening before the read is `{{` / `{%`.
            let before = site
                .text
                .get(..read.range.start as usize)
                .unwrap_or_default();
            let jinja = before.rfind("{{").max(before.rfind("{%")) > before.rfind("<%");
            found.push((name, span, jinja));
        }
    }
    for (name, span, jinja) in found {
        let is_input = wf.input.iter().any(|p| p.name == name);
        let branch = wf.tasks.iter().any(|t| {
            [&t.publish, &t.publish_on_error, &t.publish_on_skip]
                .into_iter()
                .flatten()
                .any(|m| m.iter().any(|(k, _)| *k == name))
        });
        // A task-level `publish` whose `global` (`branch`, `atomic`) key holds the
        // name: Mistral reads scopes only inside a clause's `publish`, so this is a
        // branch variable literally named `global`.
        let literal = wf.tasks.iter().find_map(|t| {
            [&t.publish, &t.publish_on_error, &t.publish_on_skip]
                .into_iter()
                .flatten()
                .flatten()
                .find(|(k, v)| {
                    matches!(k.as_str(), "global" | "branch" | "atomic")
                        && matches!(v, Value::Map(m) if m.iter().any(|(n, _)| n.as_str() == Some(name.as_str())))
                })
                .map(|(k, _)| (t.name.as_str(), k.as_str()))
        });
        let why = if is_input {
            format!("`{name}` is a workflow input: inputs are not in the execution context")
        } else if branch {
            format!("`{name}` is published as a branch variable, not with the `global` scope")
        } else if let Some((task, scope)) = literal {
            format!(
                "task `{task}` publishes `{name}` under a task-level `publish`, where `{scope}` is \
                 not a scope but a branch variable named `{scope}`: scopes are only read in the \
                 `publish` of `on-success`, `on-error`, `on-complete` or `on-skip`"
            )
        } else {
            format!(
                "no task publishes `{name}` with the `global` scope and `vars` does not define it"
            )
        };
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!("`global('{name}')` is always null"),
            )
            .with_note(why)
            .with_help(if is_input || branch {
                format!("read it with `{}.{name}`", if jinja { "_" } else { "$" })
            } else {
                format!(
                    "publish it from a clause: `on-success: {{publish: {{global: {{{name}: …}}}}, next: …}}`, or define it in `vars`"
                )
            }),
        );
    }
}
