//! `publish-in-task-defaults`: an advanced `publish` inside a `task-defaults`
//! transition clause, which Mistral never applies.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{ClauseKind, Item};

use super::Context;
use crate::graph::TaskGraph;

/// Documentation of `publish-in-task-defaults`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "publish-in-task-defaults",
    severity: Severity::Warning,
    summary: "`publish` inside a `task-defaults` transition is never applied",
    explanation: "The schema of `task-defaults` accepts the advanced clause form \
`{publish: …, next: …}`, and the `next` entries do become every task's default transitions. The \
`publish` part is never used: Mistral publishes only from the task's own `publish*` keys and own \
clauses (`DirectWorkflowTaskSpec.get_publish`), so no task publishes these variables.\n\n\
**Example:**\n\n```yaml\ntask-defaults:\n  on-error:\n    publish:\n      branch:\n        \
failed: true     # never published\n    next: [handle_error]\n```\n\n\
**Fix:** publish from the tasks themselves (`publish-on-error: {failed: true}`).",
};

/// Reports each `task-defaults` clause with a `publish`.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    let Some(defaults) = wf.task_defaults.as_ref() else {
        return;
    };
    for kind in [
        ClauseKind::OnSuccess,
        ClauseKind::OnError,
        ClauseKind::OnComplete,
        ClauseKind::OnSkip,
    ] {
        let Some(publish) = defaults.clause(kind).and_then(|c| c.publish.as_ref()) else {
            continue;
        };
        let names: Vec<&str> = [&publish.branch, &publish.global, &publish.atomic]
            .into_iter()
            .flatten()
            .flatten()
            .map(|(k, _)| k.as_str())
            .collect();
        let span = cx
            .positions
            .field(Item::TaskDefaults(wf.id), kind.key())
            .map(|f| f.key)
            .or_else(|| cx.positions.item(Item::TaskDefaults(wf.id)).map(|s| s.name))
            .unwrap_or_default();
        cx.push(
            Diagnostic::warning(
                INFO.code,
                span,
                format!(
                    "the `publish` of `task-defaults` `{}` is never applied: no task publishes {}",
                    kind.key(),
                    super::code_list(&names)
                ),
            )
            .with_note("only a task's own `publish*` keys and clauses publish; the `next` entries of this clause still apply")
            .with_help(format!(
                "publish from each task (`{}`), or remove the `publish`",
                match kind {
                    ClauseKind::OnError => "publish-on-error",
                    ClauseKind::OnSkip => "publish-on-skip",
                    _ => "publish",
                }
            )),
        );
    }
}
