//! The `gale` binary end to end: exit codes, output formats, folder walking,
//! unreadable input, `gale explain`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn gale(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gale"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run gale");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh scratch folder with the given files.
fn scratch(name: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gale-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, bytes) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap_or(&dir)).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }
    dir
}

const GOOD: &[u8] = b"version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n";
const BAD: &[u8] =
    b"version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n      on-sucess: t2\n";

#[test]
fn exit_codes() {
    let dir = scratch("exit", &[("good.yaml", GOOD), ("bad.yaml", BAD)]);
    assert_eq!(gale(&["check", "good.yaml"], &dir).0, 0);
    assert_eq!(gale(&["check", "bad.yaml"], &dir).0, 1);
    assert_eq!(gale(&["check", "missing.yaml"], &dir).0, 2);
    assert_eq!(gale(&["check", "--format", "nope", "good.yaml"], &dir).0, 2);
}

#[test]
fn every_format_of_one_error() {
    let dir = scratch("formats", &[("bad.yaml", BAD)]);
    for format in ["full", "concise", "json", "github", "sarif"] {
        let (code, stdout, _) = gale(&["check", "--format", format, "bad.yaml"], &dir);
        assert_eq!(code, 1, "{format}");
        insta::assert_snapshot!(format!("format_{format}"), stdout);
    }
}

#[test]
fn folders_skip_non_mistral_yaml_but_explicit_files_report_it() {
    let other: &[u8] = b"name: CI\non: [push]\njobs: {}\n";
    let dir = scratch("walk", &[("wf/good.yaml", GOOD), ("wf/ci.yml", other)]);
    let (code, stdout, _) = gale(&["check", "--format", "concise", "wf"], &dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("skipped 1 YAML file"), "{stdout}");
    let (code, stdout, _) = gale(&["check", "--format", "concise", "wf/ci.yml"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[not-a-mistral-document]"), "{stdout}");
}

/// `gale test` files next to the workflows (`*.test.yaml`) are skipped by folder walks,
/// even when their keys happen to look like a workflow list.
#[test]
fn folders_skip_gale_test_files() {
    let test_file: &[u8] = b"workflow-file: good.yaml
workflow: wf
env:
  dashboard: x
tests:
  - name: t
";
    let dir = scratch(
        "walk-tests",
        &[("wf/good.yaml", GOOD), ("wf/good.test.yaml", test_file)],
    );
    let (code, stdout, _) = gale(&["check", "--format", "concise", "wf"], &dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("skipped 1 YAML file"), "{stdout}");
}

#[test]
fn invalid_utf8_is_a_located_error() {
    let dir = scratch("utf8", &[("bin.yaml", b"version: '2.0'\nwf: \xff\xfe\n")]);
    let (code, stdout, _) = gale(&["check", "--format", "concise", "bin.yaml"], &dir);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("bin.yaml:2:5: error[invalid-utf8]"),
        "{stdout}"
    );
}

#[test]
fn explain_known_and_unknown_codes() {
    let dir = std::env::temp_dir();
    let (code, stdout, _) = gale(&["explain", "invalid-utf8"], &dir);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("invalid-utf8 (error)"), "{stdout}");
    let (code, _, stderr) = gale(&["explain", "invalid-utf9"], &dir);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `invalid-utf8`?"), "{stderr}");
}

#[test]
fn gale_toml_ignores_and_overrides() {
    let dir = scratch("config", &[("bad.yaml", BAD)]);
    std::fs::write(
        dir.join("gale.toml"),
        "[check.severity]\nunknown-key = \"warning\"\n",
    )
    .expect("write");
    let (code, stdout, _) = gale(&["check", "--format", "concise", "bad.yaml"], &dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("warning[unknown-key]"), "{stdout}");
    std::fs::write(
        dir.join("gale.toml"),
        "[check]\nignore = [\"unknown-key\"]\n",
    )
    .expect("write");
    let (code, stdout, _) = gale(&["check", "--format", "concise", "bad.yaml"], &dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(!stdout.contains("unknown-key"), "{stdout}");
    std::fs::write(
        dir.join("gale.toml"),
        "[check]\nignore = [\"unknown-kye\"]\n",
    )
    .expect("write");
    let (code, _, stderr) = gale(&["check", "bad.yaml"], &dir);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `unknown-key`?"), "{stderr}");
}

/// `gale run` and `gale check` share the project's `gale.toml`: a plugin action
/// declared there runs (JSON on stdin/stdout) and the checker accepts the file.
#[test]
fn plugin_action_from_gale_toml_runs() {
    let toml = br#"[actions."acme.greet"]
command = ["sh", "-c", "cat >/dev/null; echo '{\"result\": {\"greeting\": \"hi\"}}'"]
input = ["name"]
"#;
    let wf = b"version: '2.0'\nwf:\n  output:\n    g: <% $.g %>\n  tasks:\n    greet:\n      action: acme.greet name=ada\n      input: {name: ada}\n      publish:\n        g: <% task().result.greeting %>\n";
    let dir = scratch("plugin-run", &[("gale.toml", toml), ("wf.yaml", wf)]);
    let (code, stdout, stderr) = gale(&["run", "wf.yaml", "--no-store", "--format", "json"], &dir);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let out: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(out["output"], serde_json::json!({"g": "hi"}), "{stdout}");
    let (code, stdout, stderr) = gale(&["check", "wf.yaml"], &dir);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A broken action section is a usage error naming the file.
    let dir = scratch(
        "plugin-bad",
        &[
            ("gale.toml", b"[actions.\"x\"]\ncommand = 3\n"),
            ("wf.yaml", wf),
        ],
    );
    let (code, _, stderr) = gale(&["run", "wf.yaml", "--no-store"], &dir);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("gale.toml"), "{stderr}");
}

/// `gale run --trace` records every expression the engine evaluates — where it is
/// written, its `line:col`, its text and its value or error — and `gale trace`
/// shows them (full values in `--format json`, one line each in human output).
#[test]
fn run_trace_records_each_expression_value() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/conditional.yaml");
    let example = example.to_str().expect("utf-8 path");
    let dir = scratch("trace-exprs", &[("README", b"trace test\n")]);
    let expressions = |id: &str, input: &str| -> (Vec<serde_json::Value>, String) {
        let args = [
            "run", example, "--db", "t.db", "--id", id, "--trace", "--input", input,
        ];
        let (_, stdout, stderr) = gale(&args, &dir);
        let (code, json, err) = gale(&["trace", id, "--db", "t.db", "--format", "json"], &dir);
        assert_eq!(code, 0, "{stdout}{stderr}{err}");
        let steps: Vec<serde_json::Value> = serde_json::from_str(&json).expect("json");
        let (code, human, err) = gale(&["trace", id, "--db", "t.db"], &dir);
        assert_eq!(code, 0, "{err}");
        let exprs = steps
            .into_iter()
            .filter(|s| s["event"] == "expression")
            .collect();
        (exprs, human)
    };
    // (task, place, expression, line, column, value)
    let summary = |e: &serde_json::Value| {
        (
            e["task"].as_str().unwrap_or("").to_string(),
            e["place"].as_str().unwrap_or("").to_string(),
            e["expression"].as_str().unwrap_or("").to_string(),
            e["line"].as_u64().unwrap_or(0),
            e["column"].as_u64().unwrap_or(0),
            e.get("value").cloned().unwrap_or_default(),
        )
    };
    let row = |task: &str, place: &str, expr: &str, line, column, value| {
        (
            task.to_string(),
            place.to_string(),
            expr.to_string(),
            line,
            column,
            value,
        )
    };
    use serde_json::json;

    let (exprs, human) = expressions("low", r#"{"risk": 3, "change_id": "CH-1"}"#);
    let got: Vec<_> = exprs.iter().map(summary).collect();
    assert_eq!(
        got,
        vec![
            row("assess", "input.output", "$.risk", 13, 31, json!(3)),
            row("assess", "publish.score", "task().result", 15, 16, json!(3)),
            row(
                "assess",
                "on-success → auto_approve",
                "$.score < $.threshold",
                17,
                25,
                json!(true)
            ),
            row(
                "assess",
                "on-success → wait_for_human",
                "$.score >= $.threshold",
                18,
                27,
                json!(false)
            ),
            row(
                "auto_approve",
                "input.output",
                "$.change_id",
                20,
                39,
                json!("CH-1")
            ),
        ],
        "{human}"
    );
    assert!(
        exprs
            .iter()
            .all(|e| e["language"] == "yaql" && e["at"].is_i64())
    );
    for line in [
        "▶ assess",
        "      13:31  input.output  <% $.risk %> = 3",
        "      17:25  on-success → auto_approve  <% $.score < $.threshold %> = true",
        "      18:27  on-success → wait_for_human  <% $.score >= $.threshold %> = false",
        "      20:39  input.output  <% $.change_id %> = \"CH-1\"",
    ] {
        assert!(human.contains(line), "missing {line:?} in\n{human}");
    }

    // A string risk: the guard's comparison fails; the trace holds the error.
    let (exprs, human) = expressions("bad", r#"{"risk": "high", "change_id": "CH-2"}"#);
    let guard = exprs
        .iter()
        .find(|e| e["place"] == "on-success → auto_approve")
        .expect("the guard was evaluated");
    assert!(guard.get("value").is_none(), "{guard}");
    let error = guard["error"].as_str().unwrap_or("");
    assert!(
        error.starts_with("Can not evaluate YAQL expression [expression=$.score < $.threshold")
            && error.contains("No function \"#operator_<\" matches supplied arguments"),
        "{error}"
    );
    assert!(
        !exprs
            .iter()
            .any(|e| e["place"] == "on-success → wait_for_human"),
        "evaluation stops at the failing guard"
    );
    assert!(
        human.contains(
            "17:25  on-success → auto_approve  <% $.score < $.threshold %> \
             ! No function \"#operator_<\" matches supplied arguments"
        ),
        "{human}"
    );
}
