//! Plugin actions: small `sh` scripts written to a temporary directory, declared
//! through `gale.toml` text, run with the JSON stdin/stdout protocol.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gale_engine::actions::plugin::{Plugin, plugin_specs_from_toml, register_plugins};
use gale_engine::actions::{Action, ActionOutcome, ActionRegistry, ActionRequest, CancelFlag};
use serde_json::{Value as Json, json};

/// A fresh directory under the system temp dir (removed at the end of the test).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("gale-plugin-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {dir:?}: {e}"));
        TempDir(dir)
    }

    fn script(&self, name: &str, body: &str) {
        let path = self.0.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n"))
            .unwrap_or_else(|e| panic!("write {path:?}: {e}"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        }
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const GALE_TOML: &str = r#"
[actions."acme.echo"]
command = ["./echo.sh"]
input = ["name", { greeting = "hello" }]

[actions."acme.fail"]
command = ["./fail.sh"]

[actions."acme.crash"]
command = ["./crash.sh"]

[actions."acme.garbage"]
command = ["./garbage.sh"]

[actions."acme.slow"]
command = ["./slow.sh"]
timeout = 0.3

[actions."acme.later"]
command = ["sh", "-c", "cat >/dev/null; echo '{\"pending\": true}'"]

[actions."acme.leaky"]
command = ["./leaky.sh"]

[actions."acme.missing"]
command = ["./does-not-exist"]
"#;

fn setup() -> (TempDir, ActionRegistry) {
    let dir = TempDir::new("t");
    // Echo the whole request back as the result (stdin is one JSON line).
    dir.script(
        "echo.sh",
        r#"read -r line; printf '{"result": %s}\n' "$line""#,
    );
    dir.script(
        "fail.sh",
        r#"cat >/dev/null; echo '{"error": {"code": 42, "why": "nope"}}'"#,
    );
    dir.script(
        "crash.sh",
        "cat >/dev/null; echo 'boom: disk full' >&2; exit 3",
    );
    dir.script("garbage.sh", "cat >/dev/null; echo 'not json'");
    // Leaves a background process holding stdout open after answering.
    dir.script(
        "leaky.sh",
        r#"cat >/dev/null; sleep 30 & echo '{"result": "done"}'"#,
    );
    dir.script(
        "slow.sh",
        "cat >/dev/null; sleep 30; echo '{\"result\": 1}'",
    );
    let specs = plugin_specs_from_toml(GALE_TOML, Some(dir.path()))
        .unwrap_or_else(|e| panic!("gale.toml: {e}"));
    let mut registry = ActionRegistry::new();
    register_plugins(&mut registry, &specs);
    (dir, registry)
}

fn request(action: &str, input: Json) -> ActionRequest {
    ActionRequest {
        action: action.into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf-9".into(),
        task_name: "deploy".into(),
        action_execution_id: "ae-9".into(),
        timeout: None,
        item_index: None,
        cancel: CancelFlag::new(),
    }
}

fn run(registry: &ActionRegistry, action: &str, input: Json) -> ActionOutcome {
    let Some(a) = registry.get(action) else {
        panic!("{action} is not registered")
    };
    a.run(&request(action, input))
}

fn error_text(outcome: &ActionOutcome) -> &str {
    match outcome {
        ActionOutcome::Error(Json::String(s)) => s,
        other => panic!("expected an error message, got {other:?}"),
    }
}

#[test]
fn protocol_round_trip() {
    let (_dir, registry) = setup();
    assert_eq!(
        run(&registry, "acme.echo", json!({"name": "web"})),
        ActionOutcome::Success(json!({
            "action": "acme.echo",
            "input": {"name": "web", "greeting": "hello"},
            "execution_id": "wf-9",
            "task": "deploy",
            "action_execution_id": "ae-9",
            "item_index": null,
            "timeout": null,
        }))
    );
    assert_eq!(
        run(&registry, "acme.fail", json!({"anything": 1})),
        ActionOutcome::Error(json!({"code": 42, "why": "nope"}))
    );
    assert_eq!(
        run(&registry, "acme.later", json!({})),
        ActionOutcome::Pending
    );
}

#[test]
fn input_is_checked_against_declared_parameters() {
    let (_dir, registry) = setup();
    assert_eq!(
        run(
            &registry,
            "acme.echo",
            json!({"greeting": "hi", "extra": 1})
        ),
        ActionOutcome::Error(json!(
            "Invalid input [name=acme.echo, missing=['name'], unexpected=['extra']]"
        ))
    );
}

#[test]
fn failures_are_clear() {
    let (_dir, registry) = setup();
    let crash = run(&registry, "acme.crash", json!({}));
    assert_eq!(
        error_text(&crash),
        "The action raised an exception [action=acme.crash, action_ex_id=ae-9, msg='`./crash.sh` exited with exit status: 3; stderr: boom: disk full']"
    );
    let garbage = run(&registry, "acme.garbage", json!({}));
    assert!(
        error_text(&garbage).contains("`./garbage.sh` did not write one JSON object to stdout"),
        "{garbage:?}"
    );
    let missing = run(&registry, "acme.missing", json!({}));
    assert!(
        error_text(&missing).contains("cannot run `./does-not-exist`"),
        "{missing:?}"
    );
}

#[test]
fn timeout_and_cancel_kill_the_process() {
    let (_dir, registry) = setup();
    let start = Instant::now();
    let slow = run(&registry, "acme.slow", json!({}));
    assert!(
        error_text(&slow).ends_with("msg='Timeout after 0.3 seconds']"),
        "{slow:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(3));

    let Some(action) = registry.get("acme.slow") else {
        panic!("acme.slow missing")
    };
    let mut req = request("acme.slow", json!({}));
    req.timeout = Some(Duration::from_secs(20));
    let spec = Plugin::new(gale_engine::actions::plugin::PluginSpec::new(
        "x.y",
        vec!["sleep".into(), "30".into()],
    ));
    let cancel = req.cancel.clone();
    let start = Instant::now();
    let worker = std::thread::spawn(move || spec.run(&req));
    std::thread::sleep(Duration::from_millis(100));
    cancel.cancel();
    let outcome = worker.join().unwrap_or(ActionOutcome::Pending);
    assert!(matches!(outcome, ActionOutcome::Error(_)), "{outcome:?}");
    assert!(start.elapsed() < Duration::from_secs(3));
    drop(action);
}

#[test]
fn leftover_background_process_does_not_hang() {
    let (_dir, registry) = setup();
    let start = Instant::now();
    assert_eq!(
        run(&registry, "acme.leaky", json!({})),
        ActionOutcome::Success(json!("done"))
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}
