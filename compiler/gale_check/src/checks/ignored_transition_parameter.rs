//! `ignored-transition-parameter`: parameters on a transition entry that nothing
//! reads (`t2 msg="x"`, `fail code=1`).

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{EngineCommand, Transition};

use super::{Context, code_list};
use crate::graph::TaskGraph;

/// Documentation of `ignored-transition-parameter`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "ignored-transition-parameter",
    severity: Severity::Warning,
    summary: "a transition entry has parameters nothing reads",
    explanation: "A transition entry may carry parameters (`name param=value`), but only the engine \
commands `fail`, `succeed` and `pause` read one of them: `msg`. Mistral evaluates the parameters of \
every entry that fires and then drops them: a task started by `t2 msg=\"x\"` does not receive `msg` \
(it is not input, nor in its context), and `noop` ignores everything (`mistral/workflow/commands.py` \
`create_command`).\n\n\
**Example:**\n\n```yaml\nt1:\n  on-success:\n    - t2 mode=\"fast\"   # t2 never sees `mode`\n```\n\n\
**Fix:** pass the value through `publish` (the started task reads `$.mode`), or remove the \
parameter.",
};

/// The parameters of `tr` nothing reads.
fn ignored(tr: &Transition) -> Vec<&str> {
    let reads_msg = matches!(
        tr.command,
        Some(EngineCommand::Fail | EngineCommand::Succeed | EngineCommand::Pause)
    );
    tr.params
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !(reads_msg && *k == "msg"))
        .collect()
}

/// Reports ignored parameters of the task's own entries and of `task-defaults`.
pub(crate) fn run(cx: &mut Context<'_>, g: &TaskGraph<'_>) {
    let wf = g.workflow;
    for (_, clause) in wf.written_clauses() {
        for tr in &clause.next {
            let names = ignored(tr);
            if names.is_empty() {
                continue;
            }
            let span = cx.transition_entry_span(tr);
            let (message, help) = match tr.command {
                None => (
                    format!(
                        "{} {} ignored: a task started by a transition receives no parameters",
                        code_list(&names),
                        if names.len() == 1 { "is" } else { "are" }
                    ),
                    "publish the value instead (the started task reads it with `$.name`), or remove the parameter"
                        .to_string(),
                ),
                Some(EngineCommand::Noop) => (
                    format!("`noop` ignores its parameters {}", code_list(&names)),
                    "remove the parameters".to_string(),
                ),
                Some(_) => (
                    format!(
                        "`{}` reads only `msg`: {} {} ignored",
                        tr.target,
                        code_list(&names),
                        if names.len() == 1 { "is" } else { "are" }
                    ),
                    format!("write `{} msg=…`", tr.target),
                ),
            };
            cx.push(
                Diagnostic::warning(INFO.code, span, message)
                    .with_note("Mistral evaluates the parameters of a fired entry, then drops them")
                    .with_help(help),
            );
        }
    }
}
