//! `reads-own-publish`: `fail-on` reading a variable its own task publishes — it
//! sees the value from before the task ran.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::dataflow::{Flow, Place, is_internal};
use crate::graph::TaskGraph;

/// Documentation of `reads-own-publish`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "reads-own-publish",
    severity: Severity::Warning,
    summary: "`fail-on` reads a variable its own task publishes, and sees the value from before the task",
    explanation: "`fail-on` is evaluated after the task succeeded and published, but against a \
context without the task's own published variables (checked on Mistral 23). When the variable \
also exists upstream (an earlier task, a previous turn of a loop, an input), `fail-on` silently \
tests that older value; when it does not, the read fails at run time and `undefined-variable` \
reports it. (Entries of one `publish` block cannot see each other either; a read that can only \
mean a sibling is an `undefined-variable` error, while reading the older value of a name there is \
often deliberate, as in `count: <% $.count + 1 %>`.)\n\n\
**Example:**\n\n```yaml\ncheck:\n  action: std.http url=<% $.url %>\n  publish:\n    status: <% task().result.status %>\n  \
fail-on: <% $.status != 200 %>    # the status of an earlier check\n```\n\n\
**Fix:** test the result directly (`fail-on: <% task().result.status != 200 %>`).",
};

/// Reports `fail-on` reads of the task's own published names that other sources
/// define (when nothing else defines them, `undefined-variable` reports the read).
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>, flow: &Flow<'_>) {
    let wf = g.workflow;
    for site in &flow.sites {
        let Place::Inbound(i) = site.place else {
            continue;
        };
        if site.site.field != "fail-on" {
            continue;
        }
        let Some(task) = wf.tasks.get(i) else {
            continue;
        };
        // `fail-on` runs after a success: what the task publishes then.
        let Some(own) = flow.published.get(i).map(|p| &p[0]) else {
            continue;
        };
        let defined = flow.defined_at(site.place, Some(task));
        for read in &site.reads.vars {
            let name = read.name.as_str();
            if is_internal(name) || !own.contains(name) {
                continue;
            }
            let elsewhere = flow.always.contains(name)
                || matches!(&defined, Some((_, may)) if may.contains(name));
            if !elsewhere {
                continue;
            }
            cx.push(
                Diagnostic::warning(
                    INFO.code,
                    site.span(&read.range),
                    format!(
                        "`fail-on` reads `{name}` from before task `{}` ran, not the value the task publishes",
                        task.name
                    ),
                )
                .with_note("`fail-on` is evaluated without the variables its own task publishes")
                .with_help("test the result directly (`task().result`)"),
            );
        }
    }
}
