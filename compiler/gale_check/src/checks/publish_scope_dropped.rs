//! `publish-scope-dropped`: publish scopes Mistral silently loses when it combines a
//! task's publish blocks (`mistral-language.md` §10.4).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::{Context, code_list};
use crate::graph::TaskGraph;
use crate::publish::{Scope, Source, State, combine};

/// Documentation of `publish-scope-dropped`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "publish-scope-dropped",
    severity: Severity::Error,
    summary: "Mistral silently drops published variables when it combines a task's publish blocks",
    explanation: "For one completion Mistral combines up to three blocks: the task-level `publish` \
(`publish-on-error`, `publish-on-skip`), the advanced `publish` of `on-complete`, and the advanced \
`publish` of the state's own clause (`on-success`, `on-error`, `on-skip`). It merges `on-complete` \
into the task-level block, then that result into the clause's block, scope by scope — and a scope \
the receiving block does not have is dropped, not copied (`PublishSpec.merge`). So:\n\n\
* `on-complete` `publish.global` (or `atomic`) next to a task-level `publish` is lost: the \
task-level block only has `branch`;\n\
* a task-level `publish` (or `on-complete` `publish.branch`) is lost when the state's clause has \
an advanced `publish` without `branch`;\n\
* `on-complete` `publish.global` is lost when the state's clause has an advanced `publish` \
without `global`.\n\n\
The variables are never published in that state, with no error (checked on Mistral 23).\n\n\
**Example:**\n\n```yaml\nt1:\n  publish:\n    a: 1            # dropped: on-success has no `branch`\n  \
on-success:\n    publish:\n      global:\n        g: 2\n    next: [t2]\n```\n\n\
**Fix:** put every variable of one state in one block: move `a` under \
`on-success.publish.branch`, or `g` under a `global` scope of the block that survives.",
};

/// Reports dropped scopes, once per source, scope and state.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for task in &g.workflow.tasks {
        for state in State::ALL {
            for d in combine(task, state).dropped {
                if d.scope == Scope::Atomic {
                    // Ignored at run time anyway: `atomic-publish` says so.
                    continue;
                }
                let what = if d.names.len() == 1 { "is" } else { "are" };
                let lost = match d.scope {
                    Scope::Global => "never published globally",
                    _ => "never published",
                };
                let why = match d.into {
                    Source::Task(s) => format!(
                        "Mistral merges `on-complete`'s publish into `{}`, which has only a `branch` scope",
                        s.task_key()
                    ),
                    other => format!(
                        "Mistral merges the other blocks into the `publish` of `{}`, which has no `{}` scope",
                        other.key(),
                        d.scope.key()
                    ),
                };
                let help = match (d.source, d.into) {
                    (Source::OnComplete, Source::Task(s)) => format!(
                        "publish {} from `{}`'s clause or from `{}` instead",
                        code_list(&d.names),
                        s.clause().key(),
                        if d.scope == Scope::Global {
                            "another task"
                        } else {
                            "the task"
                        }
                    ),
                    (_, into) => format!(
                        "add a `{}` scope to the `publish` of `{}` and move {} there",
                        d.scope.key(),
                        into.key(),
                        code_list(&d.names)
                    ),
                };
                cx.push(
                    Diagnostic::error(
                        INFO.code,
                        cx.publish_source_span(task, d.source),
                        format!(
                            "{} of {} {what} {lost} when `{}` {}",
                            code_list(&d.names),
                            d.source.describe(d.scope),
                            task.name,
                            state.verb()
                        ),
                    )
                    .with_secondary(
                        cx.publish_source_span(task, d.into),
                        "merged into this block",
                    )
                    .with_note(why)
                    .with_help(help),
                );
            }
        }
    }
}
