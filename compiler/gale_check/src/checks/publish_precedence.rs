//! `publish-precedence`: two publish blocks of one task set the same variable for
//! the same completion; only one value survives (`mistral-language.md` §10.4).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};

use super::Context;
use crate::graph::TaskGraph;
use crate::publish::{Source, State, combine};

/// Documentation of `publish-precedence`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "publish-precedence",
    severity: Severity::Warning,
    summary: "two publish blocks of a task set the same variable; one value is silently discarded",
    explanation: "For one completion Mistral combines the task-level `publish` (`publish-on-error`, \
`publish-on-skip`), the advanced `publish` of `on-complete` and the advanced `publish` of the state's \
own clause (`on-success`, `on-error`, `on-skip`). When two of them set the same variable in the same \
scope, one value replaces the other (nested mappings are merged key by key). The order is \
`on-complete` over the task-level block over `on-success`/`on-error`/`on-skip` — the guide claims \
the opposite for `on-complete` against `on-success` (checked on Mistral 23).\n\n\
**Example:**\n\n```yaml\nt1:\n  publish:\n    status: done\n  on-success:\n    publish:\n      \
branch:\n        status: ok      # discarded: `publish` wins\n    next: [t2]\n```\n\n\
**Fix:** set each variable in one block only.",
};

/// Reports each variable set twice, at the block whose value is discarded.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    for task in &g.workflow.tasks {
        let mut seen: Vec<(&str, Source, Source)> = Vec::new();
        for state in State::ALL {
            for o in combine(task, state).overridden {
                // `on-complete` against `on-complete` cannot happen; one report per
                // pair of blocks and name (`on-complete` joins two states).
                if seen.contains(&(o.name, o.winner, o.loser)) {
                    continue;
                }
                seen.push((o.name, o.winner, o.loser));
                cx.push(
                    Diagnostic::warning(
                        INFO.code,
                        cx.publish_source_span(task, o.loser),
                        format!(
                            "`{}` set by {} is replaced by the value from {} when `{}` {}",
                            o.name,
                            o.loser.describe(o.scope),
                            o.winner.describe(o.scope),
                            task.name,
                            state.verb()
                        ),
                    )
                    .with_secondary(cx.publish_source_span(task, o.winner), "this value wins")
                    .with_note("Mistral's order: `on-complete`, then `publish`/`publish-on-error`/`publish-on-skip`, then `on-success`/`on-error`/`on-skip`")
                    .with_help(format!("set `{}` in one block only", o.name)),
                );
            }
        }
    }
}
