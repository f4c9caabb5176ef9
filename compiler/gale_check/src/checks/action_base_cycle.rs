//! `action-base-cycle`: a task calls an ad-hoc action whose `base` chain loops.
//!
//! Mistral resolves ad-hoc actions when a task runs (`AdHocActionDescriptor.
//! _visit_hierarchy` in `mistral/actions/adhoc.py`): it follows `base` names through
//! the action providers — ad-hoc actions first, under their registered names
//! (`<workbook>.<name>` in workbooks), bases looked up exactly as written — and
//! raises `Found a cycle in an ad-hoc action chain` when a name repeats. The task
//! fails with `Failed to instantiate an action` (checked with the oracle, for an
//! action list and a workbook). The check is made where the action is used, because
//! the definition alone fails nothing.

use gale_diagnostics::{CodeInfo, Diagnostic, Severity};
use gale_hir::{Action, CallKind, DocumentKind, Workflow};

use super::Context;
use crate::positions::Scope;

/// Documentation of `action-base-cycle`.
pub(crate) const INFO: CodeInfo = CodeInfo {
    code: "action-base-cycle",
    severity: Severity::Error,
    summary: "a task calls an ad-hoc action whose `base` chain comes back to itself",
    explanation: "An ad-hoc action runs its `base` action, which may be another ad-hoc action, and \
so on. When the chain comes back to an action already in it, Mistral gives up when the task \
starts (`Found a cycle in an ad-hoc action chain`) and the task fails with `Failed to \
instantiate an action`. Mistral accepts the definitions; the error appears only at run time.\n\n\
**Example:**\n\n```yaml\nversion: '2.0'\ngreet:\n  base: hello\nhello:\n  base: greet\n```\n\n\
**Fix:** end the chain with a real action (`base: std.echo output=…`).",
};

/// Ad-hoc actions under the names Mistral registers them by: this document's
/// (`<workbook>.<name>` in a workbook), then those of other files.
pub(crate) struct Registry<'a> {
    actions: Vec<(String, &'a Action)>,
    workbook: Option<&'a str>,
}

impl<'a> Registry<'a> {
    /// The registry of a document's scope.
    pub(crate) fn of(scope: &'a Scope) -> Registry<'a> {
        let workbook = match scope.kind {
            DocumentKind::Workbook => scope.workbook.as_deref(),
            _ => None,
        };
        let mut actions: Vec<(String, &Action)> = scope
            .actions
            .iter()
            .map(|a| match workbook {
                Some(wb) => (format!("{wb}.{}", a.name), a),
                None => (a.name.clone(), a),
            })
            .collect();
        actions.extend(scope.external.actions.iter().map(|a| (a.name.clone(), a)));
        Registry { actions, workbook }
    }

    /// The ad-hoc action registered as `name` in the registry of `scope`: the same
    /// as `Registry::of(scope).get(name)`, without building the registry (no name
    /// is formatted; a task's callee is looked up once per check).
    pub(crate) fn lookup(scope: &'a Scope, name: &str) -> Option<&'a Action> {
        let workbook = match scope.kind {
            DocumentKind::Workbook => scope.workbook.as_deref(),
            _ => None,
        };
        let local = match workbook {
            Some(wb) => name.strip_prefix(wb).and_then(|r| r.strip_prefix('.')),
            None => Some(name),
        };
        local
            .and_then(|local| scope.actions.iter().find(|a| a.name == local))
            .or_else(|| scope.external.actions.iter().find(|a| a.name == name))
    }

    /// The ad-hoc action registered as `name`.
    pub(crate) fn get(&self, name: &str) -> Option<(&str, &'a Action)> {
        self.actions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(n, a)| (n.as_str(), *a))
    }

    /// The ad-hoc action a task's `action: name` runs, as `_get_action_descriptor`
    /// looks it up: `<workbook>.<name>` first, then `name`.
    pub(crate) fn called(&self, name: &str) -> Option<(&str, &'a Action)> {
        if let Some(wb) = self.workbook
            && let Some(found) = self.get(&format!("{wb}.{name}"))
        {
            return Some(found);
        }
        self.get(name)
    }
}

/// Whether a name is an expression (resolved only at run time).
pub(crate) fn is_expression(name: &str) -> bool {
    name.contains("<%") || name.contains("{{") || name.contains("{%")
}

/// The registered names of the chain from `start` until a name repeats: the loop,
/// or `None` when the chain ends (in a non-ad-hoc or unknown action).
fn cycle(registry: &Registry<'_>, start: &str, action: &Action) -> Option<Vec<String>> {
    let mut chain = vec![start.to_string()];
    let mut current = action;
    // Bounded by the number of actions: every step adds a new name.
    loop {
        let base = current.base.as_str();
        if is_expression(base) {
            return None;
        }
        if chain.iter().any(|n| n == base) {
            chain.push(base.to_string());
            return Some(chain);
        }
        let (name, next) = registry.get(base)?;
        chain.push(name.to_string());
        current = next;
    }
}

/// Reports tasks calling an ad-hoc action whose `base` chain loops.
pub(crate) fn run(cx: &mut Context<'_>, wf: &Workflow, scope: &Scope) {
    if scope.actions.is_empty() && scope.external.actions.is_empty() {
        return;
    }
    let registry = Registry::of(scope);
    for task in &wf.tasks {
        if task.call.kind != CallKind::Action || is_expression(&task.call.name) {
            continue;
        }
        let Some((start, action)) = registry.called(&task.call.name) else {
            continue;
        };
        let Some(chain) = cycle(&registry, start, action) else {
            continue;
        };
        let span = cx.field_span(task, "action");
        cx.push(
            Diagnostic::error(
                INFO.code,
                span,
                format!(
                    "task `{}` can never run action `{}`: its `base` chain loops ({})",
                    task.name,
                    task.call.name,
                    chain
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            )
            .with_note("Mistral fails the task with `Failed to instantiate an action` (`Found a cycle in an ad-hoc action chain`)")
            .with_help("end the chain with a real action, such as `base: std.echo`"),
        );
    }
}
