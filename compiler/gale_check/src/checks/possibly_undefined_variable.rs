//! `possibly-undefined-variable`: a variable defined on some paths to a task only.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::dataflow::{Flow, Place, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `possibly-undefined-variable`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "possibly-undefined-variable",
    severity: Severity::Warning,
    summary: "an expression reads a variable published on some paths to the task only",
    explanation: "Branch variables travel along transitions: a task sees what the tasks \
on the path that started it published. When some path reaches the task without publishing the \
variable — typically an `on-error` path from a task that publishes it only on success, or a \
branch that skips the publishing task — the read fails at run time on that path. A `join: all` \
task merges every inbound branch, so a variable published on any of them is defined there. A read \
that `success-only-variable` explains (the missing path is an `on-error` / `on-complete` edge from \
a task that publishes the variable only on success) is reported by that code alone.\n\n\
**Example:**\n\n```yaml\ntasks:\n  get:\n    action: std.http url=https://example.com\n    \
publish:\n      body: <% task().result.content %>\n    on-complete: [show]\n  show:\n    \
action: std.echo output=<% $.body %>\n```\n\n\
**Fix:** publish the variable on every path (e.g. also in `publish-on-error`), or read it with \
`$.get('x')` and a default.",
};

/// Reports reads of names some paths do not define.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    for site in &flow.sites {
        let task = match site.place {
            Place::Input(i) | Place::Inbound(i) | Place::Clause(i, _) | Place::Retry(i) => {
                wf.tasks.get(i)
            }
            _ => continue,
        };
        let Some((must, may)) = flow.defined_at(site.place, task) else {
            continue;
        };
        let task_name = task.map(|t| t.name.as_str()).unwrap_or_default();
        for read in &site.reads.vars {
            let name = read.name.as_str();
            if is_internal(name) || flow.always.contains(name) {
                continue;
            }
            if may.contains(name) && !must.contains(name) {
                cx.push(
                    Diagnostic::warning(
                        INFO.code,
                        site.span(&read.range),
                        format!("variable `{name}` may be undefined here"),
                    )
                    .with_note(format!(
                        "some paths reach task `{task_name}` without publishing `{name}`"
                    ))
                    .with_help(format!(
                        "publish `{name}` on every path, or read it with `$.get('{name}')`"
                    )),
                );
            }
        }
    }
}
