//! What a task calls, when Gale knows its signature: a standard action (from
//! `gale_engine::std_actions`, the table the runtime uses too), an ad-hoc action of
//! the same workbook, or a sub-workflow of the same document.
//!
//! Names are resolved as Mistral does (`mistral-language.md` §2.3–2.4,
//! `engine/tasks.py` `_get_action_descriptor`): in a workbook `<workbook>.<name>`
//! first, then `<name>`; for each, ad-hoc actions win over built-in ones of the
//! same full name (the `adhoc` provider is asked before `legacy`; checked with the
//! oracle, see `ad-hoc-action-shadows-std`). Names that are expressions, and names not
//! found (StackStorm or OpenStack actions, workflows uploaded separately), have no
//! signature and are never checked.

use gale_engine::StdAction;
use gale_hir::{Action, CallKind, DocumentKind, Task, TaskInput};

use crate::checks::action_base_cycle::Registry;
use crate::positions::{Scope, WorkflowSignature};

/// A callee with a known signature.
pub(crate) enum Callee<'a> {
    /// A standard action.
    Std(&'static StdAction),
    /// An ad-hoc action of this workbook.
    AdHoc(&'a Action),
    /// A sub-workflow of this document.
    Workflow(&'a WorkflowSignature),
}

fn is_expression(name: &str) -> bool {
    name.contains("<%") || name.contains("{{") || name.contains("{%")
}

/// The callee of `task`, when its signature is known.
pub(crate) fn resolve<'a>(document: &'a Scope, task: &Task) -> Option<Callee<'a>> {
    let name = task.call.name.as_str();
    if is_expression(name) {
        return None;
    }
    let workbook = match document.kind {
        DocumentKind::Workbook => document.workbook.as_deref(),
        _ => None,
    };
    // `<workbook>.<name>` first, then `<name>`; local names are stored without
    // the prefix.
    let local: Vec<&str> = match workbook {
        Some(wb) => {
            let mut v = vec![name];
            if let Some(rest) = name.strip_prefix(wb).and_then(|r| r.strip_prefix('.')) {
                v.push(rest);
            }
            v
        }
        None => vec![name],
    };
    match task.call.kind {
        CallKind::Action => {
            // `_get_action_descriptor`: `<workbook>.<name>`, then `<name>`; for each,
            // the system provider asks `adhoc` before `legacy` (the built-ins).
            let mut candidates = Vec::with_capacity(2);
            if let Some(wb) = workbook {
                candidates.push(format!("{wb}.{name}"));
            }
            candidates.push(name.to_string());
            candidates.iter().find_map(|c| {
                if let Some(a) = Registry::lookup(document, c) {
                    return Some(Callee::AdHoc(a));
                }
                gale_engine::std_action(c).map(Callee::Std)
            })
        }
        CallKind::Workflow => {
            if document.kind == DocumentKind::ActionList {
                return None;
            }
            let w = local
                .iter()
                .find_map(|n| document.workflows.iter().find(|w| w.name == *n))
                .or_else(|| document.external.workflows.iter().find(|w| w.name == name))?;
            Some(Callee::Workflow(w))
        }
    }
}

/// The keys of the task's input mapping (inline parameters merged), or `None` when
/// the input is an expression (keys unknown until run time).
pub(crate) fn input_keys(task: &Task) -> Option<Vec<&str>> {
    match &task.input {
        TaskInput::None => Some(Vec::new()),
        TaskInput::Map(m) => Some(m.iter().map(|(k, _)| k.as_str()).collect()),
        TaskInput::Expression(_) => None,
    }
}
