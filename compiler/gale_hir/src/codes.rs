//! The table of diagnostic codes this crate emits, with their documentation
//! (`gale explain CODE`, `docs/checks.md`).

pub use gale_diagnostics::Severity;

/// Documentation of one diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// What it means and why it matters.
    pub explanation: &'static str,
    /// A minimal YAML fragment that triggers it.
    pub example: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

/// Every code this crate emits, sorted by name.
pub const CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "action-and-workflow",
        severity: Severity::Error,
        summary: "A task has both `action` and `workflow`.",
        explanation: "A task runs either one action or one sub-workflow. Mistral rejects a task that names both.",
        example: "t1:
  action: std.echo output=hi
  workflow: other_wf",
        fix: "Remove one of the two keys.",
    },
    CodeInfo {
        code: "altered-inline-parameter",
        severity: Severity::Warning,
        summary: "Mistral keeps an inline parameter, but not as written.",
        explanation: "Mistral's inline-parameter reader takes only the leading digits of a number (`x=12.5` passes 12), lets a list value run to the last `]` on the line (`a=[1] b=[2]` passes `a` as the text `[1] b=[2]`), keeps the last of two equal keys, and reads `a.b=1` as `b=1`.",
        example: "action: std.sleep seconds=1.5",
        fix: "Quote the value, reorder the parameters, or move them to `input`.",
    },
    CodeInfo {
        code: "concurrency-without-with-items",
        severity: Severity::Warning,
        summary: "`concurrency` on a task without `with-items` has no effect.",
        explanation: "`concurrency` limits how many `with-items` iterations run at once. On a task without `with-items` Mistral accepts and ignores it.",
        example: "t1:
  action: std.noop
  concurrency: 3",
        fix: "Remove `concurrency`, or add the `with-items` it was meant for.",
    },
    CodeInfo {
        code: "duplicate-action",
        severity: Severity::Error,
        summary: "An ad-hoc action is defined twice in one document.",
        explanation: "YAML keeps only the last of two equal keys, so Mistral silently loses the first definition.",
        example: "my_action:
  base: std.echo
my_action:
  base: std.noop",
        fix: "Rename or remove one of the definitions.",
    },
    CodeInfo {
        code: "duplicate-item",
        severity: Severity::Error,
        summary: "A list that must hold unique items repeats one.",
        explanation: "Mistral's schema requires unique items in workflow `input`, `tags`, `with-items` lists, `requires` and transition lists, and rejects duplicates.",
        example: "input:
  - name
  - name",
        fix: "Remove the repeated item.",
    },
    CodeInfo {
        code: "duplicate-task",
        severity: Severity::Error,
        summary: "A task name is defined twice in one workflow.",
        explanation: "YAML keeps only the last of two equal keys: Mistral silently replaces the first task with the second, with its transitions and publishing.",
        example: "tasks:
  t1:
    action: std.echo output=a
  t1:
    action: std.echo output=b",
        fix: "Rename one of the tasks.",
    },
    CodeInfo {
        code: "duplicate-workflow",
        severity: Severity::Error,
        summary: "A workflow is defined twice in one document.",
        explanation: "YAML keeps only the last of two equal keys, so Mistral silently loses the first workflow.",
        example: "wf:
  tasks: {t1: {action: std.noop}}
wf:
  tasks: {t2: {action: std.noop}}",
        fix: "Rename or remove one of the workflows.",
    },
    CodeInfo {
        code: "empty-document",
        severity: Severity::Error,
        summary: "The document defines nothing.",
        explanation: "An empty file, or one holding only `version`, is rejected by Mistral (`'version' is a required property` / `At least one item must be in the list`).",
        example: "version: '2.0'",
        fix: "Add at least one workflow (or action).",
    },
    CodeInfo {
        code: "empty-value",
        severity: Severity::Error,
        summary: "A value that must not be empty is empty.",
        explanation: "Mistral requires non-empty strings and mappings for most keys (`action: \"\"`, `tasks: {}`, `publish: {}`, `input: []` are rejected).",
        example: "t1:
  action: \"\"",
        fix: "Write a value, or remove the key.",
    },
    CodeInfo {
        code: "engine-command-task-name",
        severity: Severity::Warning,
        summary: "A task is named like an engine command (`fail`, `succeed`, `pause`, `noop`).",
        explanation: "A transition to `fail` always runs the engine command, so a task with that name can never be reached by a transition.",
        example: "tasks:
  fail:
    action: std.noop",
        fix: "Rename the task.",
    },
    CodeInfo {
        code: "ignored-inline-parameter",
        severity: Severity::Warning,
        summary: "Mistral silently drops an inline parameter whose value it cannot read.",
        explanation: "Inline values must be quoted strings, integers, `true`/`false`/`null`, JSON lists or expressions. Anything else (`output=hello`, `x=True`, `x=`) is skipped without an error, and the action then misses the parameter at run time.",
        example: "action: std.echo output=hello",
        fix: "Quote the value (`output=\"hello\"`), or move the parameter to `input`.",
    },
    CodeInfo {
        code: "ignored-key",
        severity: Severity::Warning,
        summary: "A key Mistral overwrites with its own value (`name`, `version`, a task's `type`).",
        explanation: "Mistral injects `name` and `version` into every workflow, task and action, and the workflow's type into every task, replacing what was written.",
        example: "t1:
  name: other
  action: std.noop",
        fix: "Remove the key.",
    },
    CodeInfo {
        code: "inline-parameters-with-string-input",
        severity: Severity::Error,
        summary: "Inline parameters combined with an `input` expression string.",
        explanation: "Mistral merges inline parameters into `input`; when `input` is a string this crashes its parser (HTTP 500).",
        example: "t1:
  action: std.echo output=1
  input: <% $.params %>",
        fix: "Move the parameters into the expression, or use an `input` mapping.",
    },
    CodeInfo {
        code: "input-redefined",
        severity: Severity::Warning,
        summary: "A workflow or action input is declared twice.",
        explanation: "`input: [a, {a: 1}]` passes Mistral's uniqueness check because the two items differ, and the later declaration silently wins.",
        example: "input:\n  - retries\n  - retries: 3",
        fix: "Keep one declaration.",
    },
    CodeInfo {
        code: "invalid-inline-parameters",
        severity: Severity::Error,
        summary: "Mistral cannot split the value into a name and inline parameters.",
        explanation: "`action:`, `workflow:`, `base:` and one-line `retry:` values that contain a space must start with a name (letters, digits, `_`, `.`, `-`) or one expression (`Invalid action/workflow task property`).",
        example: "action: \"=x y\"",
        fix: "Start with the action name, then `key=value` pairs.",
    },
    CodeInfo {
        code: "invalid-name",
        severity: Severity::Error,
        summary: "A workbook workflow or action name contains characters Mistral does not allow there.",
        explanation: "Inside a workbook, names must match `[\\w-]+` (no dots, no spaces); Mistral prefixes them with `<workbook>.` itself.",
        example: "workflows:
  my.wf:
    tasks: {t1: {action: std.noop}}",
        fix: "Use letters, digits, `_` and `-` only.",
    },
    CodeInfo {
        code: "invalid-transition",
        severity: Severity::Error,
        summary: "A transition entry is not in a form Mistral accepts.",
        explanation: "An entry is a task name without spaces, `name param=value` with exactly one space, or `name(param=value)` with a space inside, optionally as `{entry: <% condition %>}` with exactly one key. `fail(msg='x')` is rejected because it matches two forms.",
        example: "on-success:
  - fail  msg=\"two spaces\"",
        fix: "Write `fail msg=\"…\"` with one space, and one entry per list item.",
    },
    CodeInfo {
        code: "invalid-value",
        severity: Severity::Error,
        summary: "A value is of the right type but not one Mistral accepts.",
        explanation: "Examples: `join: 'all '`, `join: -1`, an `input` item with two keys.",
        example: "join: some",
        fix: "Use one of the values listed in the message.",
    },
    CodeInfo {
        code: "invalid-with-items",
        severity: Severity::Error,
        summary: "A `with-items` entry is not `var in <collection>`.",
        explanation: "Mistral requires `var in [JSON list]` or `var in <% expression %>` / `{{ expression }}`; a literal list must be strict JSON.",
        example: "with-items: <% $.hosts %>",
        fix: "Name the item variable: `with-items: host in <% $.hosts %>`.",
    },
    CodeInfo {
        code: "jinja-syntax",
        severity: Severity::Error,
        summary: "A Jinja expression has a syntax error.",
        explanation: "Mistral rejects top-level Jinja syntax errors when the workflow is uploaded; Gale checks every string Mistral evaluates, at any depth, because a broken expression fails the workflow at run time.",
        example: "publish:
  x: '{{ _.a + }}'",
        fix: "Fix the expression.",
    },
    CodeInfo {
        code: "join-not-enough-inbound",
        severity: Severity::Error,
        summary: "A `join` waits for more inbound tasks than lead to the task.",
        explanation: "`join: all` needs at least one inbound task and `join: N` needs at least N (task-defaults transitions count). Mistral rejects the workflow.",
        example: "t3:
  join: 3     # only t1 and t2 lead here",
        fix: "Lower the number, or add the missing transitions.",
    },
    CodeInfo {
        code: "join-single-inbound",
        severity: Severity::Warning,
        summary: "A `join` on a task with a single inbound task has no effect.",
        explanation: "With one inbound task there is nothing to synchronise; the `join` is probably left over or the other transitions are missing.",
        example: "t2:
  join: all   # only t1 leads here",
        fix: "Remove `join`, or add the transitions it should wait for.",
    },
    CodeInfo {
        code: "missing-key",
        severity: Severity::Error,
        summary: "A required key is missing.",
        explanation: "Mistral requires `version` in every document, `name` in a workbook, `tasks` in a workflow, `base` in an ad-hoc action, and `count` and `delay` in `retry`.",
        example: "my_wf:
  input: [a]",
        fix: "Add the key named in the message.",
    },
    CodeInfo {
        code: "mixed-expression-languages",
        severity: Severity::Error,
        summary: "One string mixes YAQL (`<% %>`) and Jinja (`{{ }}`).",
        explanation: "Mistral rejects such strings (`Mixing expression types in a single line is not allowed`) and would evaluate only the Jinja part.",
        example: "x: \"<% $.a %> {{ _.b }}\"",
        fix: "Use one language per string.",
    },
    CodeInfo {
        code: "negative-value",
        severity: Severity::Error,
        summary: "A count or number of seconds is negative.",
        explanation: "Policies (`wait-before`, `wait-after`, `timeout`, `concurrency`) and `retry` `count`/`delay` must be integers ≥ 0.",
        example: "wait-before: -5",
        fix: "Use 0 or a positive number.",
    },
    CodeInfo {
        code: "no-start-task",
        severity: Severity::Error,
        summary: "Every task of a direct workflow is the target of a transition.",
        explanation: "A direct workflow starts with the tasks no transition leads to (task-defaults included). Without one, Mistral rejects the workflow.",
        example: "t1: {on-success: t2}
t2: {on-success: t1}",
        fix: "Remove the transition into the task that should run first.",
    },
    CodeInfo {
        code: "not-a-mistral-document",
        severity: Severity::Warning,
        summary: "The YAML file is not a Mistral v2 document.",
        explanation: "The file has no `version: '2.0'` and nothing shaped like workflows, a workbook or ad-hoc actions (for example an Orquesta workflow, a Heat template or a CI file).",
        example: "version: 1.0
tasks:
  t1: {action: core.noop}",
        fix: "Check only Mistral v2 files.",
    },
    CodeInfo {
        code: "not-whole-expression",
        severity: Severity::Error,
        summary: "A value that must be a single expression has text around it.",
        explanation: "Policies, `retry` fields and transition conditions accept an expression only when it spans the whole value (`x<% 1 %>` and `'<% $.a %> or (<% $.b %>)'` are rejected).",
        example: "timeout: \"<% $.t %>s\"",
        fix: "Move the surrounding text inside the expression.",
    },
    CodeInfo {
        code: "requires-in-direct-workflow",
        severity: Severity::Error,
        summary: "`requires` in a task of a direct workflow.",
        explanation: "`requires` belongs to reverse workflows; Mistral rejects it in direct ones.",
        example: "t2:
  requires: [t1]",
        fix: "Use `on-success: t2` on `t1` instead, or make the workflow `type: reverse`.",
    },
    CodeInfo {
        code: "reserved-task-name",
        severity: Severity::Error,
        summary: "A task is named `version`.",
        explanation: "Mistral skips the key `version` when it reads tasks, so the task silently disappears.",
        example: "tasks:
  version:
    action: std.noop",
        fix: "Rename the task.",
    },
    CodeInfo {
        code: "task-name-too-long",
        severity: Severity::Error,
        summary: "A task name is longer than Mistral allows.",
        explanation: "Task names may have at most 255 characters, 208 for tasks with `join`.",
        example: "a_task_name_of_300_characters…: {action: std.noop}",
        fix: "Shorten the name.",
    },
    CodeInfo {
        code: "transition-in-reverse-workflow",
        severity: Severity::Error,
        summary: "`on-success`, `on-error`, `on-complete`, `on-skip` or `join` in a reverse workflow.",
        explanation: "Reverse workflows have no transitions: tasks declare `requires`. Mistral rejects these keys there.",
        example: "type: reverse
tasks:
  t1:
    on-success: t2",
        fix: "Express the order with `requires` on the later task.",
    },
    CodeInfo {
        code: "unclosed-expression",
        severity: Severity::Warning,
        summary: "An expression delimiter that Mistral does not recognise.",
        explanation: "`<%` without `%>`, or with `%>` on a later line, is plain text for Mistral: the value is passed literally.",
        example: "x: <% $.a",
        fix: "Close the expression on the same line.",
    },
    CodeInfo {
        code: "unknown-key",
        severity: Severity::Error,
        summary: "A key that is not valid at this place.",
        explanation: "Mistral rejects unknown keys in tasks, `task-defaults`, `retry`, workbooks and actions. Unknown workflow keys that look like misspellings of real ones (`inputs`, `desc`, `kind`) are reported too, although Mistral ignores them: the setting is silently lost.",
        example: "t1:
  action: std.noop
  on_success: t2",
        fix: "Use the key suggested in the help (`on-success`).",
    },
    CodeInfo {
        code: "unknown-task",
        severity: Severity::Error,
        summary: "A transition or `requires` names a task that does not exist.",
        explanation: "Targets must be tasks of the same workflow or, for transitions, the engine commands `fail`, `succeed`, `pause`, `noop`.",
        example: "on-error: [fial]",
        fix: "Fix the name (did you mean `fail`?).",
    },
    CodeInfo {
        code: "unknown-workflow-key",
        severity: Severity::Warning,
        summary: "A workflow key Mistral ignores.",
        explanation: "Mistral silently accepts unknown workflow-level keys. Keys that do not resemble a real key are often read by other tools (Nokia NSP's `workflow_meta`), so they are only a warning.",
        example: "my_wf:
  workflow_meta: {}",
        fix: "Remove it unless another tool needs it.",
    },
    CodeInfo {
        code: "unknown-workflow-type",
        severity: Severity::Error,
        summary: "A workflow `type` other than `direct` or `reverse`.",
        explanation: "Mistral fails with `Failed to find a specification class to instantiate`. Types are case-sensitive.",
        example: "type: Direct",
        fix: "Write `direct` or `reverse`.",
    },
    CodeInfo {
        code: "unreachable-task",
        severity: Severity::Warning,
        summary: "A task of a direct workflow that no start task leads to.",
        explanation: "Such a task can never run (for example a task reachable only from itself).",
        example: "t9:
  on-success: t9",
        fix: "Add a transition to it, or remove it.",
    },
    CodeInfo {
        code: "unsupported-version",
        severity: Severity::Error,
        summary: "A `version` other than 2.0.",
        explanation: "Workbooks must say `version: '2.0'` (a quoted string: an unquoted `2.0` makes Mistral return no workbook). Mistral does not check the version of workflow and action lists, but anything other than 2.0 means the file is not written for this language.",
        example: "version: '3.0'",
        fix: "Write `version: '2.0'`.",
    },
    CodeInfo {
        code: "uuid-workflow-name",
        severity: Severity::Error,
        summary: "A workflow name that looks like a UUID.",
        explanation: "Mistral tells workflow ids from names by their shape and rejects UUID-like names.",
        example: "b98180ba-48a0-4e26-ab2e-50dc224f6fd1:
  tasks: …",
        fix: "Choose a descriptive name.",
    },
    CodeInfo {
        code: "with-items-trailing-text",
        severity: Severity::Warning,
        summary: "Text after the `with-items` collection is ignored.",
        explanation: "Mistral matches only the `var in <collection>` prefix and silently drops the rest.",
        example: "with-items: host in <% $.hosts %> and more",
        fix: "Remove the text, or move it inside the expression.",
    },
    CodeInfo {
        code: "wrong-type",
        severity: Severity::Error,
        summary: "A value has the wrong type.",
        explanation: "Each key has a type in Mistral's schema (mapping, list, string, non-negative integer, boolean or expression). The message names the expected type.",
        example: "publish: result",
        fix: "Write the value in the expected form (here `publish: {name: <% … %>}`).",
    },
    CodeInfo {
        code: "yaql-syntax",
        severity: Severity::Error,
        summary: "A YAQL expression has a syntax error.",
        explanation: "Mistral rejects top-level YAQL syntax errors when the workflow is uploaded; Gale checks every string Mistral evaluates, at any depth, because a broken expression fails the workflow at run time.",
        example: "publish:
  x: <% len($.a %>",
        fix: "Fix the expression.",
    },
];

/// The documentation of `code`.
pub fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::CODES;

    #[test]
    fn codes_are_sorted_unique_kebab_case() {
        for w in CODES.windows(2) {
            assert!(w[0].code < w[1].code, "{} before {}", w[0].code, w[1].code);
        }
        for c in CODES {
            assert!(
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{}",
                c.code
            );
            assert!(!c.summary.is_empty() && !c.explanation.is_empty() && !c.fix.is_empty());
        }
    }
}
