//! Fixture cases: every `testsuite/fixtures/check/<code>/*.yaml` is checked; the
//! diagnostics must be exactly those written in its comments, and the full rendering
//! is snapshotted. Every code folder must hold a case that triggers its code and one
//! that must not.

use gale_diagnostics::{SourceFile, render};
use gale_testsuite::{actual, expectations, workspace_root};
use std::fmt::Write;
use std::path::PathBuf;

fn fixture_files() -> Vec<PathBuf> {
    let root = workspace_root().join("testsuite/fixtures/check");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fixtures_produce_exactly_their_expectations() {
    let files = fixture_files();
    assert!(
        !files.is_empty(),
        "no fixtures found under testsuite/fixtures/check"
    );
    let root = workspace_root();
    let mut failures = String::new();
    for path in &files {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rel = path
            .strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let diagnostics = gale_db::check_text(&rel, &text);
        let expected = expectations(&text);
        let got = actual(&text, &diagnostics);
        if expected != got {
            let _ = writeln!(
                failures,
                "{rel}:\n  expected {expected:?}\n  got      {got:?}"
            );
        }
        let mut rendered = String::new();
        for d in &diagnostics {
            rendered.push_str(&render::full(
                SourceFile {
                    path: &rel,
                    text: &text,
                },
                d,
                false,
            ));
        }
        let name = rel
            .trim_start_matches("testsuite/fixtures/check/")
            .replace('/', "__");
        insta::with_settings!({snapshot_path => root.join("testsuite/snapshots/fixtures"), prepend_module_to_snapshot => false}, {
            insta::assert_snapshot!(name, rendered);
        });
    }
    assert!(
        failures.is_empty(),
        "fixture expectations not met:\n{failures}"
    );
}

#[test]
fn every_code_folder_has_a_positive_and_a_negative_case() {
    let root = workspace_root().join("testsuite/fixtures/check");
    let mut problems = Vec::new();
    let Ok(entries) = std::fs::read_dir(&root) else {
        panic!("missing {}", root.display());
    };
    for entry in entries.flatten() {
        let dir = entry.path();
        if !dir.is_dir() {
            continue;
        }
        let code = entry.file_name().to_string_lossy().to_string();
        let (mut positive, mut negative) = (false, false);
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(text) = std::fs::read_to_string(file.path()) else {
                continue;
            };
            if expectations(&text).iter().any(|e| e.code == code) {
                positive = true;
            } else {
                negative = true;
            }
        }
        if !positive || !negative {
            problems.push(format!("{code}: triggers={positive} must-not={negative}"));
        }
    }
    assert!(
        problems.is_empty(),
        "code folders lacking cases:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_orphaned_fixture_snapshots() {
    let root = workspace_root();
    let names: Vec<String> = fixture_files()
        .iter()
        .map(|p| {
            p.strip_prefix(&root)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
                .trim_start_matches("testsuite/fixtures/check/")
                .replace('/', "__")
        })
        .collect();
    let snaps = root.join("testsuite/snapshots/fixtures");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(&snaps).into_iter().flatten().flatten() {
        let file = entry.file_name().to_string_lossy().to_string();
        if let Some(stem) = file.strip_suffix(".snap")
            && !names.iter().any(|n| n == stem)
        {
            orphans.push(file);
        }
    }
    assert!(
        orphans.is_empty(),
        "snapshots without a fixture (delete them): {orphans:?}"
    );
}

/// Codes that cannot have a fixture file, each with the test that covers it instead.
const NO_FIXTURE: &[(&str, &str)] = &[
    (
        "yaml-too-large",
        "needs a 4 GiB file; gale_syntax unit test",
    ),
    (
        "invalid-utf8",
        "a driver check on bytes; tests/cli.rs invalid_utf8_is_a_located_error",
    ),
];

#[test]
fn every_code_has_a_fixture_folder() {
    let root = workspace_root().join("testsuite/fixtures/check");
    let missing: Vec<&str> = gale_db::all_codes()
        .iter()
        .map(|c| c.code)
        .filter(|code| !NO_FIXTURE.iter().any(|(c, _)| c == code))
        .filter(|code| !root.join(code).is_dir())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a fixture folder: {missing:?}"
    );
}
