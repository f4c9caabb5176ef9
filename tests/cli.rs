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
