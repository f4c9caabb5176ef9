//! A JSON Schema (draft 2020-12) of Mistral v2 documents for other YAML tooling (Red
//! Hat's YAML extension, JetBrains, `check-jsonschema`), generated from the key tables
//! of `gale_hir::schema` (the tables lowering validates against) with the value types
//! of Mistral 23's own schemas (`mistral/lang/types.py`, `mistral/lang/v2/*.py`).
//!
//! The schema is deliberately as permissive as Mistral where Gale reports more: it
//! checks keys and value shapes; graphs, expressions and references are `gale check`'s
//! job. `grammar/mistral-v2.schema.json` holds the output; a test keeps it in sync.

use gale_hir::schema::{
    ACTION_KEYS, CLAUSE_KEYS, DIRECT_TASK_KEYS, ENGINE_COMMANDS, INJECTED_ITEM_KEYS,
    INJECTED_TASK_KEYS, RETRY_KEYS, REVERSE_TASK_KEYS, TASK_COMMON_KEYS, TASK_DEFAULTS_KEYS,
    WORKBOOK_KEYS, WORKFLOW_KEYS, WORKFLOW_TYPES,
};
use serde_json::{Map, Value, json};

/// The value schema of key `key` in `place` (`"workbook"`, `"workflow"`, `"task"`,
/// `"task-defaults"`, `"action"`, `"retry"`), as Mistral types it; `None` for a key
/// this table does not know (a test requires every table key to be known).
pub fn value_schema(place: &str, key: &str) -> Option<Value> {
    let r = |name: &str| json!({ "$ref": format!("#/$defs/{name}") });
    Some(match (place, key) {
        (_, "version") => r("version"),
        (_, "name") | (_, "description") => json!({ "type": "string" }),
        (_, "tags") => r("uniqueStringList"),
        ("workbook", "workflows") => json!({
            "type": "object",
            "properties": { "version": r("version") },
            "additionalProperties": r("workflow"),
        }),
        ("workbook", "actions") => json!({
            "type": "object",
            "properties": { "version": r("version") },
            "additionalProperties": r("action"),
        }),
        ("workflow", "type") | ("task", "type") => r("workflowType"),
        ("workflow", "input") | ("action", "input") => r("parameterList"),
        ("workflow", "output" | "output-on-error" | "vars") => r("nonEmptyDict"),
        ("workflow", "task-defaults") => r("taskDefaults"),
        ("workflow", "tasks") => json!({
            "type": "object",
            "minProperties": 1,
            "additionalProperties": r("task"),
        }),
        ("action", "base") => r("nonEmptyString"),
        ("action", "base-input") => r("nonEmptyDict"),
        ("action", "output") => json!({}),
        ("task", "action" | "workflow" | "target") => r("nonEmptyString"),
        ("task", "input") => json!({ "oneOf": [r("nonEmptyDict"), r("nonEmptyString")] }),
        ("task", "with-items") => {
            json!({ "oneOf": [r("nonEmptyString"), r("uniqueStringList")] })
        }
        ("task", "publish" | "publish-on-error" | "publish-on-skip") => r("nonEmptyDict"),
        ("task", "join") => json!({
            "oneOf": [{ "enum": ["all", "one"] }, r("positiveInteger")]
        }),
        ("task" | "task-defaults", "requires") => {
            json!({ "oneOf": [r("nonEmptyString"), r("uniqueStringList")] })
        }
        ("task" | "task-defaults", "retry") => r("retry"),
        ("task" | "task-defaults", "wait-before" | "wait-after" | "timeout" | "concurrency") => {
            r("expressionOrPositiveInteger")
        }
        ("task" | "task-defaults", "pause-before" | "fail-on" | "keep-result" | "safe-rerun") => {
            r("expressionOrBoolean")
        }
        ("task" | "task-defaults", k) if CLAUSE_KEYS.contains(&k) => r("transitions"),
        ("retry", "count" | "delay") => r("expressionOrPositiveInteger"),
        ("retry", "break-on" | "continue-on") => r("expression"),
        _ => return None,
    })
}

/// The places of a document and their keys, as `gale_hir` lists them.
pub fn places() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut task: Vec<&str> = TASK_COMMON_KEYS.to_vec();
    task.extend(DIRECT_TASK_KEYS);
    task.extend(REVERSE_TASK_KEYS);
    task.extend(INJECTED_TASK_KEYS);
    let mut workflow: Vec<&str> = WORKFLOW_KEYS.to_vec();
    workflow.extend(INJECTED_ITEM_KEYS);
    let mut action: Vec<&str> = ACTION_KEYS.to_vec();
    action.extend(INJECTED_ITEM_KEYS);
    vec![
        ("workbook", WORKBOOK_KEYS.to_vec()),
        ("workflow", workflow),
        ("task", task),
        ("task-defaults", TASK_DEFAULTS_KEYS.to_vec()),
        ("action", action),
        ("retry", RETRY_KEYS.to_vec()),
    ]
}

fn object(place: &str, keys: &[&str], required: &[&str], description: &str) -> Value {
    let mut properties = Map::new();
    for key in keys {
        if !properties.contains_key(*key) {
            properties.insert(
                (*key).to_string(),
                value_schema(place, key).unwrap_or_else(|| json!({})),
            );
        }
    }
    // Mistral 23 accepts unknown keys in a workflow (149 accepted corpus files have
    // some, e.g. `workflow_meta`); `gale check` reports them as `unknown-key`.
    let mut o = json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": place == "workflow",
    });
    if !required.is_empty()
        && let Some(map) = o.as_object_mut()
    {
        map.insert("required".into(), json!(required));
    }
    o
}

/// The whole schema as a JSON value.
pub fn json_schema_value() -> Value {
    let expression = json!({
        "description": "a YAQL `<% … %>` or Jinja `{{ … }}` / `{% … %}` expression",
        "type": "string",
        "pattern": "^\\s*(<%[\\s\\S]*%>|\\{\\{[\\s\\S]*\\}\\}|\\{%[\\s\\S]*%\\})\\s*$",
    });
    let mut defs = Map::new();
    let mut def = |name: &str, v: Value| {
        defs.insert(name.to_string(), v);
    };
    def(
        "nonEmptyString",
        json!({ "type": "string", "minLength": 1 }),
    );
    def(
        "uniqueStringList",
        json!({
            "type": "array",
            "items": { "$ref": "#/$defs/nonEmptyString" },
            "uniqueItems": true,
            "minItems": 1,
        }),
    );
    def(
        "positiveInteger",
        json!({ "type": "integer", "minimum": 0 }),
    );
    def(
        "version",
        json!({
            "description": "Mistral v2: `'2.0'`",
            "anyOf": [
                { "$ref": "#/$defs/nonEmptyString" },
                { "type": "number", "minimum": 0 },
            ],
        }),
    );
    def("expression", expression);
    def(
        "expressionOrPositiveInteger",
        json!({ "oneOf": [{ "$ref": "#/$defs/expression" }, { "$ref": "#/$defs/positiveInteger" }] }),
    );
    def(
        "expressionOrBoolean",
        json!({ "oneOf": [{ "$ref": "#/$defs/expression" }, { "type": "boolean" }] }),
    );
    def(
        "nonEmptyDict",
        json!({ "type": "object", "minProperties": 1 }),
    );
    def("workflowType", json!({ "enum": WORKFLOW_TYPES }));
    def(
        "parameterList",
        json!({
            "description": "names, or one-key mappings `name: default`",
            "type": "array",
            "minItems": 1,
            "uniqueItems": true,
            "items": {
                "oneOf": [
                    { "$ref": "#/$defs/nonEmptyString" },
                    { "type": "object", "minProperties": 1, "maxProperties": 1 },
                ],
            },
        }),
    );
    def(
        "transitions",
        json!({
            "description": format!(
                "the next tasks: a name, `name: <% guard %>`, a list of those, or `{{publish: …, next: …}}`; engine commands: {}",
                ENGINE_COMMANDS.join(", ")
            ),
            "oneOf": [
                { "$ref": "#/$defs/nonEmptyString" },
                { "type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": { "$ref": "#/$defs/expression" } },
                {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": true,
                    "items": {
                        "oneOf": [
                            { "$ref": "#/$defs/nonEmptyString" },
                            { "type": "object", "minProperties": 1, "maxProperties": 1 },
                        ],
                    },
                },
                {
                    "type": "object",
                    "properties": { "publish": { "type": "object" }, "next": {} },
                    "additionalProperties": false,
                },
            ],
        }),
    );
    for (place, keys) in places() {
        let (name, required, description): (&str, &[&str], &str) = match place {
            "workbook" => (
                "workbook",
                &["version"],
                "a workbook: workflows and ad-hoc actions",
            ),
            "workflow" => ("workflow", &["tasks"], "a workflow"),
            "task" => (
                "task",
                &[],
                "a task (`join`/`on-*` in direct workflows, `requires` in reverse ones)",
            ),
            "task-defaults" => (
                "taskDefaults",
                &[],
                "defaults for every task of the workflow",
            ),
            "action" => ("action", &["base"], "an ad-hoc action"),
            _ => ("retryPolicy", &["count", "delay"], "a retry policy"),
        };
        let mut o = object(place, &keys, required, description);
        if place == "task"
            && let Some(map) = o.as_object_mut()
        {
            map.insert("not".into(), json!({ "required": ["action", "workflow"] }));
        }
        def(name, o);
    }
    def(
        "retry",
        json!({ "oneOf": [{ "$ref": "#/$defs/retryPolicy" }, { "$ref": "#/$defs/nonEmptyString" }] }),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Mistral Workflow Language v2",
        "description": "Generated by Gale from its checker's key tables (gale_hir::schema); do not edit. Keys and value shapes only: run `gale check` for everything else.",
        "type": "object",
        "required": ["version"],
        "if": { "anyOf": [{ "required": ["workflows"] }, { "required": ["actions"] }, { "required": ["name"] }] },
        "then": { "$ref": "#/$defs/workbook" },
        "else": {
            "properties": { "version": { "$ref": "#/$defs/version" } },
            "additionalProperties": {
                "anyOf": [{ "$ref": "#/$defs/workflow" }, { "$ref": "#/$defs/action" }],
            },
        },
        "$defs": defs,
    })
}

/// The schema as pretty-printed JSON with a final newline.
pub fn json_schema() -> String {
    let mut s = serde_json::to_string_pretty(&json_schema_value()).unwrap_or_default();
    s.push('\n');
    s
}
