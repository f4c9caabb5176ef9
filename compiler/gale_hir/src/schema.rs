//! The keys Mistral accepts at each place of a document, shared by lowering (which
//! reports unknown keys) and by "did you mean" suggestions.
//!
//! Lists follow Mistral 23's JSON schemas (`mistral/lang/v2/*.py`). Keys that the
//! parser injects itself (`name`, `version`, a task's `type`) are accepted but
//! overwritten; they are listed separately so they can be reported as ignored.

/// Top-level keys of a workbook.
pub const WORKBOOK_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "tags",
    "workflows",
    "actions",
];

/// Keys of a workflow.
pub const WORKFLOW_KEYS: &[&str] = &[
    "type",
    "description",
    "tags",
    "input",
    "output",
    "output-on-error",
    "vars",
    "task-defaults",
    "tasks",
];

/// Keys of a workflow or ad-hoc action that Mistral overwrites with its own value.
pub const INJECTED_ITEM_KEYS: &[&str] = &["name", "version"];

/// Keys of a task in any workflow.
pub const TASK_COMMON_KEYS: &[&str] = &[
    "description",
    "tags",
    "action",
    "workflow",
    "input",
    "with-items",
    "publish",
    "publish-on-error",
    "publish-on-skip",
    "retry",
    "wait-before",
    "wait-after",
    "timeout",
    "pause-before",
    "concurrency",
    "fail-on",
    "target",
    "keep-result",
    "safe-rerun",
];

/// Keys of a task that Mistral overwrites with its own value.
pub const INJECTED_TASK_KEYS: &[&str] = &["name", "version", "type"];

/// Keys only a task of a direct workflow may have.
pub const DIRECT_TASK_KEYS: &[&str] = &["join", "on-success", "on-error", "on-complete", "on-skip"];

/// Keys only a task of a reverse workflow may have.
pub const REVERSE_TASK_KEYS: &[&str] = &["requires"];

/// Keys of `task-defaults`.
pub const TASK_DEFAULTS_KEYS: &[&str] = &[
    "retry",
    "wait-before",
    "wait-after",
    "timeout",
    "pause-before",
    "concurrency",
    "fail-on",
    "on-complete",
    "on-success",
    "on-error",
    "on-skip",
    "safe-rerun",
    "requires",
];

/// Keys of an ad-hoc action.
pub const ACTION_KEYS: &[&str] = &[
    "base",
    "base-input",
    "input",
    "output",
    "description",
    "tags",
];

/// Keys of a `retry` mapping.
pub const RETRY_KEYS: &[&str] = &["count", "delay", "break-on", "continue-on"];

/// Keys of the advanced transition form `{publish: …, next: …}`.
pub const ADVANCED_CLAUSE_KEYS: &[&str] = &["publish", "next"];

/// Scopes of an advanced `publish`.
pub const PUBLISH_SCOPES: &[&str] = &["branch", "global", "atomic"];

/// The transition clauses of a direct-workflow task.
pub const CLAUSE_KEYS: &[&str] = &["on-success", "on-error", "on-complete", "on-skip"];

/// Engine commands usable as transition targets.
pub const ENGINE_COMMANDS: &[&str] = &["noop", "fail", "succeed", "pause"];

/// Workflow types.
pub const WORKFLOW_TYPES: &[&str] = &["direct", "reverse"];

/// The longest task name Mistral accepts.
pub const MAX_TASK_NAME: usize = 255;

/// The longest name of a task with `join` (`join-task-<uuid>-<name>` must fit 255).
pub const MAX_JOIN_TASK_NAME: usize = MAX_TASK_NAME - 47;

/// Common wrong names of keys, with the key meant (used when edit distance finds
/// nothing; an alias applies only where its target is a valid key).
pub const KEY_ALIASES: &[(&str, &str)] = &[
    ("desc", "description"),
    ("kind", "type"),
    ("variables", "vars"),
    ("var", "vars"),
    ("inputs", "input"),
    ("outputs", "output"),
    ("parameters", "input"),
    ("params", "input"),
    ("steps", "tasks"),
    ("defaults", "task-defaults"),
    ("output_on_error", "output-on-error"),
    ("task_defaults", "task-defaults"),
    ("on-failure", "on-error"),
    ("on_failure", "on-error"),
    ("on-fail", "on-error"),
    ("on-finish", "on-complete"),
    ("on-done", "on-complete"),
    ("on-always", "on-complete"),
    ("next", "on-success"),
    ("then", "on-success"),
    ("depends-on", "requires"),
    ("depends_on", "requires"),
    ("needs", "requires"),
    ("items", "with-items"),
    ("foreach", "with-items"),
    ("for-each", "with-items"),
    ("loop", "with-items"),
    ("cnt", "count"),
    ("retries", "count"),
    ("times", "count"),
    ("attempts", "count"),
    ("interval", "delay"),
    ("sleep", "delay"),
    ("wait", "delay"),
    ("args", "input"),
    ("base_input", "base-input"),
];

/// `a` followed by `b`, as an array (for key tables built from smaller ones).
const fn concat<const N: usize>(a: &[&'static str], b: &[&'static str]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[a.len() + j] = b[j];
        j += 1;
    }
    out
}

const DIRECT_WORKFLOW_TASK_KEY_ARRAY: [&str; TASK_COMMON_KEYS.len() + DIRECT_TASK_KEYS.len()] =
    concat(TASK_COMMON_KEYS, DIRECT_TASK_KEYS);
const REVERSE_WORKFLOW_TASK_KEY_ARRAY: [&str; TASK_COMMON_KEYS.len() + REVERSE_TASK_KEYS.len()] =
    concat(TASK_COMMON_KEYS, REVERSE_TASK_KEYS);

/// Every key of a task in a direct workflow: the common keys, then the direct ones.
pub const DIRECT_WORKFLOW_TASK_KEYS: &[&str] = &DIRECT_WORKFLOW_TASK_KEY_ARRAY;

/// Every key of a task in a reverse workflow: the common keys, then `requires`.
pub const REVERSE_WORKFLOW_TASK_KEYS: &[&str] = &REVERSE_WORKFLOW_TASK_KEY_ARRAY;

/// Every key a task may have in a workflow of the given kind (`direct`: true).
pub fn task_keys(direct: bool) -> impl Iterator<Item = &'static str> {
    TASK_COMMON_KEYS
        .iter()
        .chain(if direct {
            DIRECT_TASK_KEYS
        } else {
            REVERSE_TASK_KEYS
        })
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_key_tables_agree() {
        assert_eq!(
            task_keys(true).collect::<Vec<_>>(),
            DIRECT_WORKFLOW_TASK_KEYS
        );
        assert_eq!(
            task_keys(false).collect::<Vec<_>>(),
            REVERSE_WORKFLOW_TASK_KEYS
        );
    }
}
