//! `gale test` end to end (the built binary): the examples pass, the report of a
//! deliberately failing fixture (`tests/gale_test/`) is snapshotted in both
//! formats, broken test files get a located error and exit 2, unmocked network
//! actions fail the test, `--filter` selects tests.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn gale_test(args: &[&str], cwd: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gale"))
        .arg("test")
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
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gale-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap_or(&dir)).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Replaces what changes from run to run: the wall time and uuids.
fn stable(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = match line.find(" in ") {
            Some(i) if line.starts_with("test result:") => format!("{} in <time>", &line[..i]),
            _ => line.to_string(),
        };
        out.push_str(&redact_uuids(&line));
        out.push('\n');
    }
    out
}

fn redact_uuids(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if s.get(i..i + 36).is_some_and(is_uuid) {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let ch = s[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

const WF: &str = "version: '2.0'\nwf:\n  tasks:\n    get:\n      action: std.http\n      input:\n        url: https://example.com\n      publish:\n        code: <% task().result.status %>\n";

#[test]
fn examples_pass() {
    let (code, stdout, stderr) = gale_test(&["examples/tests"], &root());
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("test result: ok. 12 passed, 0 failed"),
        "{stdout}"
    );
    assert!(!stdout.contains('✗'), "{stdout}");
}

#[test]
fn failing_fixture_human_report() {
    let (code, stdout, _) = gale_test(&["tests/gale_test/failing-fixture.yaml"], &root());
    assert_eq!(code, 1);
    insta::assert_snapshot!("failing_human", stable(&stdout));
}

#[test]
fn failing_fixture_json_report() {
    let (code, stdout, _) = gale_test(
        &["--format", "json", "tests/gale_test/failing-fixture.yaml"],
        &root(),
    );
    assert_eq!(code, 1);
    let mut doc: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    if let Some(tests) = doc["tests"].as_array_mut() {
        for t in tests {
            t["duration_ms"] = serde_json::json!(0);
        }
    }
    doc["summary"]["duration_ms"] = serde_json::json!(0);
    assert_eq!(doc["summary"]["passed"], 1);
    assert_eq!(doc["summary"]["failed"], 5);
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    insta::assert_snapshot!("failing_json", redact_uuids(&text));
}

#[test]
fn filter_selects_tests_by_name() {
    let (code, stdout, _) = gale_test(
        &["--filter", "passes", "tests/gale_test/failing-fixture.yaml"],
        &root(),
    );
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let (code, _, stderr) = gale_test(
        &[
            "--filter",
            "no such test",
            "tests/gale_test/failing-fixture.yaml",
        ],
        &root(),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no test name contains"), "{stderr}");
}

#[test]
fn unmocked_network_action_fails_the_test() {
    let dir = scratch(
        "unmocked",
        &[
            ("wf.yaml", WF),
            (
                "wf.test.yaml",
                "workflow-file: wf.yaml\ntests:\n  - name: forgot the mock\n    expect:\n      state: SUCCESS\n",
            ),
        ],
    );
    let (code, stdout, _) = gale_test(&[], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("unmocked action std.http in task get (add a mock"),
        "{stdout}"
    );
}

#[test]
fn mocked_network_action_passes() {
    let dir = scratch(
        "mocked",
        &[
            ("wf.yaml", WF),
            (
                "sub/wf.test.yaml",
                "workflow-file: ../wf.yaml\ntests:\n  - name: mocked\n    mocks:\n      actions:\n        std.http: {result: {status: 200}}\n    expect:\n      state: SUCCESS\n      tasks:\n        get: {published: {code: 200}, input: {$subset: {url: 'https://example.com'}}}\n",
            ),
        ],
    );
    let (code, stdout, _) = gale_test(&["."], &dir);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("sub/wf.test.yaml"), "{stdout}");
}

const OPENSTACK_WF: &str = r#"version: '2.0'
boot:
  tasks:
    vm:
      action: nova.servers_create name="x" flavor="m1"
      publish:
        id: <% task().result.id %>
      on-success: [check]
    check:
      action: glance.images_list
      publish:
        n: <% task().result.len() %>
  output:
    id: <% $.id %>
    n: <% $.n %>
"#;

/// A task mock stands in for any action, OpenStack ones included (no registry
/// here knows `nova.servers_create`); an unmocked one is named as unmocked, not
/// as an unknown action.
#[test]
fn task_mocks_stand_in_for_openstack_actions() {
    let dir = scratch(
        "openstack",
        &[
            ("wf.yaml", OPENSTACK_WF),
            (
                "wf.test.yaml",
                "workflow-file: wf.yaml\ntests:\n  - name: boots\n    mocks:\n      tasks:\n        vm: {result: {id: 7}}\n        check: {result: [1, 2]}\n    expect:\n      state: SUCCESS\n      output: {id: 7, n: 2}\n",
            ),
            (
                "unmocked.test.yaml",
                "workflow-file: wf.yaml\ntests:\n  - name: forgot one\n    mocks:\n      tasks:\n        vm: {result: {id: 7}}\n    expect:\n      state: ERROR\n",
            ),
        ],
    );
    let (code, stdout, _) = gale_test(&["wf.test.yaml"], &dir);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = gale_test(&["unmocked.test.yaml"], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("unmocked action glance.images_list in task check (add a mock"),
        "{stdout}"
    );
}

/// Plugin actions declared in the project's `gale.toml` are known to `gale test`: an
/// unmocked one fails the test (tests stay hermetic), a mocked one answers.
#[test]
fn plugin_actions_from_gale_toml_are_mocked() {
    let plugin_wf = "version: '2.0'\nwf:\n  tasks:\n    deploy:\n      action: acme.deploy\n      input: {app: web}\n      publish:\n        id: <% task().result.id %>\n";
    let toml = "[actions.\"acme.deploy\"]\ncommand = [\"false\"]\ninput = [\"app\"]\n";
    let mocked = "workflow-file: wf.yaml\ntests:\n  - name: mocked plugin\n    mocks:\n      actions:\n        acme.deploy: {result: {id: 7}}\n    expect:\n      state: SUCCESS\n      tasks:\n        deploy: {published: {id: 7}}\n";
    let dir = scratch(
        "plugin-mocked",
        &[
            ("gale.toml", toml),
            ("wf.yaml", plugin_wf),
            ("wf.test.yaml", mocked),
        ],
    );
    let (code, stdout, stderr) = gale_test(&[], &dir);
    assert_eq!(code, 0, "{stdout}{stderr}");

    let unmocked =
        "workflow-file: wf.yaml\ntests:\n  - name: forgot\n    expect:\n      state: SUCCESS\n";
    let dir = scratch(
        "plugin-unmocked",
        &[
            ("gale.toml", toml),
            ("wf.yaml", plugin_wf),
            ("wf.test.yaml", unmocked),
        ],
    );
    let (code, stdout, _) = gale_test(&[], &dir);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("unmocked action acme.deploy in task deploy"),
        "{stdout}"
    );
}

/// Broken test files: each gets `file:line:column: error: …` and exit 2.
#[test]
fn bad_test_files_get_located_errors() {
    let cases: &[(&str, &str)] = &[
        (
            "unknown_key",
            "workflow-file: wf.yaml\ntests:\n  - name: t\n    expcet:\n      state: SUCCESS\n",
        ),
        (
            "yaml_syntax",
            "workflow-file: wf.yaml\ntests:\n  - name: t\n    input: {a: 1\n",
        ),
        (
            "bad_state",
            "workflow-file: wf.yaml\ntests:\n  - name: t\n    expect:\n      state: success\n",
        ),
        (
            "two_answers",
            "workflow-file: wf.yaml\ntests:\n  - name: t\n    mocks:\n      tasks:\n        get: {result: 1, error: 2}\n",
        ),
        (
            "bad_regex",
            "workflow-file: wf.yaml\ntests:\n  - name: t\n    expect:\n      state_info: {$matches: '(unclosed'}\n",
        ),
        ("no_tests", "workflow-file: wf.yaml\n"),
        ("no_name", "workflow-file: wf.yaml\ntests:\n  - input: {}\n"),
    ];
    let mut files = vec![("wf.yaml", WF)];
    let names: Vec<String> = cases
        .iter()
        .map(|(n, _)| format!("{n}.test.yaml"))
        .collect();
    for ((_, text), name) in cases.iter().zip(&names) {
        files.push((name.as_str(), text));
    }
    let dir = scratch("bad", &files);
    let mut report = String::new();
    for name in &names {
        let (code, stdout, _) = gale_test(&[name], &dir);
        assert_eq!(code, 2, "{name}: {stdout}");
        let line = stdout
            .lines()
            .find(|l| l.contains(": error: "))
            .unwrap_or("<no error line>");
        report.push_str(line.trim());
        report.push('\n');
    }
    insta::assert_snapshot!("bad_files", report);
}

/// Mocks and expectations that name missing tasks or actions: the test errors
/// (exit 2) with a hint.
#[test]
fn wrong_names_are_test_errors() {
    let dir = scratch(
        "names",
        &[
            ("wf.yaml", WF),
            (
                "names.test.yaml",
                "workflow-file: wf.yaml\ntests:\n  - name: typo in a task mock\n    mocks:\n      tasks:\n        gte: {result: 1}\n  - name: not a std action\n    mocks:\n      actions:\n        std.htp: {result: 1}\n  - name: missing workflow file\n    workflow-file: nope.yaml\n  - name: unknown workflow\n    workflow: other\n",
            ),
        ],
    );
    let (code, stdout, _) = gale_test(&[], &dir);
    assert_eq!(code, 2, "{stdout}");
    insta::assert_snapshot!("wrong_names", stable(&stdout));
}

#[test]
fn no_test_files_is_a_usage_error() {
    let dir = scratch("empty", &[("wf.yaml", WF)]);
    let (code, _, stderr) = gale_test(&[], &dir);
    assert_eq!(code, 2);
    assert!(stderr.contains("no test files"), "{stderr}");
    let (code, stdout, _) = gale_test(&["missing.test.yaml"], &dir);
    assert_eq!(code, 2);
    assert!(stdout.contains("missing.test.yaml"), "{stdout}");
}

/// `--show-actual` prints an `expect:` block that, pasted into the test, passes.
#[test]
fn show_actual_round_trips() {
    let test = "workflow-file: wf.yaml\ntests:\n  - name: learn\n    mocks:\n      actions:\n        std.http: {result: {status: 201, content: {id: \"yes\"}}}\n";
    let dir = scratch("actual", &[("wf.yaml", WF), ("wf.test.yaml", test)]);
    let (code, stdout, _) = gale_test(&["--show-actual"], &dir);
    assert_eq!(code, 0, "{stdout}");
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| *l != "    expect:")
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert!(block.len() > 3, "{stdout}");
    let text = format!("{test}{}\n", block.join("\n"));
    std::fs::write(dir.join("wf.test.yaml"), &text).expect("write");
    let (code, stdout, _) = gale_test(&[], &dir);
    assert_eq!(code, 0, "{text}\n{stdout}");
    assert!(text.contains("published\":{\"code\":201}"), "{text}");
}
