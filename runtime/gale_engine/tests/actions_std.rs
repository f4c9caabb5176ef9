//! The standard registry as a whole: every name Mistral 23 registers (entry points
//! of the `mistral.actions` group) is present, agrees with the signature table,
//! and runs through the public API.

use std::time::Duration;

use gale_engine::actions::{
    ActionOutcome, ActionRequest, CancelFlag, StdActionsConfig, std_registry,
};
use gale_engine::{STD_ACTIONS, std_action};
use serde_json::{Value as Json, json};

/// `[mistral.actions]` in mistral-23.0.0.dist-info/entry_points.txt.
const MISTRAL_23_NAMES: &[&str] = &[
    "std.async_noop",
    "std.echo",
    "std.email",
    "std.fail",
    "std.http",
    "std.javascript",
    "std.js",
    "std.mistral_http",
    "std.noop",
    "std.sleep",
    "std.ssh",
    "std.ssh_proxied",
    "std.test_dict",
];

fn run(action: &str, input: Json) -> ActionOutcome {
    let registry = std_registry(&StdActionsConfig::default());
    let Some(a) = registry.get(action) else {
        panic!("{action} is not registered")
    };
    a.run(&ActionRequest {
        action: action.into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf".into(),
        task_name: "t".into(),
        action_execution_id: "ae".into(),
        timeout: Some(Duration::from_secs(5)),
        item_index: None,
        cancel: CancelFlag::new(),
    })
}

#[test]
fn registry_matches_mistral_and_the_table() {
    let registry = std_registry(&StdActionsConfig::default());
    assert_eq!(registry.names(), MISTRAL_23_NAMES);
    let table: Vec<&str> = STD_ACTIONS.iter().map(|a| a.name).collect();
    assert_eq!(table, MISTRAL_23_NAMES);
}

#[test]
fn async_actions_are_pending() {
    for action in STD_ACTIONS.iter().filter(|a| a.asynchronous) {
        if action.name == "std.async_noop" {
            assert_eq!(run(action.name, json!({})), ActionOutcome::Pending);
        }
    }
    assert!(std_action("std.mistral_http").is_some_and(|a| a.asynchronous));
}

#[test]
fn javascript_and_its_alias() {
    for name in ["std.javascript", "std.js"] {
        let outcome = run(
            name,
            json!({"script": "return $.items.map(function (x) { return x * 2; });",
                   "context": {"items": [1, 2, 3]}}),
        );
        if cfg!(feature = "javascript") {
            assert_eq!(outcome, ActionOutcome::Success(json!([2, 4, 6])), "{name}");
        } else {
            assert!(matches!(outcome, ActionOutcome::Error(_)), "{name}");
        }
    }
    if cfg!(feature = "javascript") {
        let ActionOutcome::Error(Json::String(msg)) =
            run("std.js", json!({"script": "throw new TypeError('no');"}))
        else {
            panic!("expected an error")
        };
        assert!(
            msg.starts_with(
                "The action raised an exception [action=<mistral.actions.std_actions.JavaScriptAction object at 0x"
            ),
            "{msg}"
        );
        assert!(
            msg.ends_with(", action_ex_id=ae, msg='JavaScriptAction failed: TypeError: no']"),
            "{msg}"
        );
    }
}
