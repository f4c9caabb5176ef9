//! `success-only-variable`: a task reached along an `on-error` (or `on-complete`)
//! edge reads a variable its predecessor publishes only when it succeeds.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::ClauseKind;

use super::Context;
use crate::dataflow::{Flow, Place, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `success-only-variable`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "success-only-variable",
    severity: Severity::Warning,
    summary: "a task on an error path reads a variable its predecessor publishes only on success",
    explanation: "A task publishes `publish` (and the `branch` of `on-success`) only when it succeeds, \
and `publish-on-error` (and the `branch` of `on-error`) only when it fails. A task started from \
`on-error` — or from `on-complete` after a failure — sees the failing task's `publish-on-error` \
variables, not its `publish` ones (`mistral-language.md` §10.4). Reading such a variable there \
fails at run time (`Can not evaluate YAQL expression … error='name'`) unless an earlier task \
defines it.\n\n\
**Example:**\n\n```yaml\nfetch:\n  action: std.http url=<% $.url %>\n  publish:\n    body: <% task().result.content %>\n  \
on-error: [report]\nreport:\n  action: std.echo output=<% $.body %>   # `body` is never published on this path\n```\n\n\
**Fix:** publish the variable on the error path too (`publish-on-error`), read the failing task's \
state instead (`task(fetch).state_info`), or guard the read (`$.get('body')`).\n\n\
One read gets one finding: this code replaces `possibly-undefined-variable` there. When no path \
defines the variable at all, the read always fails: it stays an `undefined-variable` error, with \
this cause in its notes.",
};

/// Reports reads that an `on-error`/`on-complete` edge cannot provide.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    if !g.complete {
        return;
    }
    for site in &flow.sites {
        let i = match site.place {
            Place::Input(i) | Place::Inbound(i) => i,
            _ => continue,
        };
        let Some(task) = wf.tasks.get(i) else {
            continue;
        };
        for read in &site.reads.vars {
            let name = read.name.as_str();
            // Every read, like `undefined-variable`: the two are folded per read.
            if is_internal(name) || flow.always.contains(name) {
                continue;
            }
            // An edge into `i` taken when `p` fails, along which `name` is missing
            // although `p` publishes it on success.
            let culprit = g.inbound(i).find(|(p, edge)| {
                if !matches!(edge.kind, ClauseKind::OnError | ClauseKind::OnComplete) {
                    return false;
                }
                // `std.noop` and `std.echo` never fail: such edges mean success.
                let t = g.task(*p);
                if t.call.kind == gale_hir::CallKind::Action
                    && matches!(t.call.name.as_str(), "std.noop" | "std.echo")
                {
                    return false;
                }
                let (Some(pubs), Some(Some(before))) = (flow.published.get(*p), flow.may.get(*p))
                else {
                    return false;
                };
                pubs[0].contains(name) && !pubs[1].contains(name) && !before.contains(name)
            });
            let Some((p, edge)) = culprit else {
                continue;
            };
            let pred = &g.task(p).name;
            let mut d = Diagnostic::warning(
                INFO.code,
                site.span(&read.range),
                format!(
                    "`{name}` is published by `{pred}` only when it succeeds, but `{}` also runs after `{pred}` fails",
                    task.name
                ),
            );
            if let Some(tr) = edge.transition {
                d = d.with_secondary(
                    cx.transition_span(tr),
                    format!("`{}` of `{pred}`", edge.kind.key()),
                );
            }
            cx.push(
                d.with_note(format!("when `{pred}` fails it publishes `publish-on-error`, not `publish`"))
                    .with_help(format!("publish `{name}` in `publish-on-error` of `{pred}` too, or read it with `$.get('{name}')`")),
            );
        }
    }
}
