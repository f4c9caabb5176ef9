//! Agreement with real Mistral 23 on the shared corpus.
//!
//! Every real file and every mutant goes through `gale_syntax::parse` and
//! `gale_hir::lower`. The rule: a file Mistral rejects gets at least one error; a
//! real file Mistral accepts gets none; a mutant whose `checker_expectation` is
//! `error` gets at least one error, one whose expectation is `warning` gets none.
//! The counts and every disagreement are kept in an insta snapshot.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gale_diagnostics::{Diagnostic, Severity};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.join("corpus/manifest.jsonl").exists() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "../shared not found at {}: the corpus test needs it",
            dir.display()
        );
    }
    eprintln!("SKIPPED: ../shared not found");
    None
}

fn check(text: &str) -> Vec<Diagnostic> {
    let parsed = gale_syntax::parse(text);
    let lowered = gale_hir::lower(parsed.root.as_ref(), text);
    let mut all = parsed.diagnostics;
    all.extend(lowered.diagnostics);
    Diagnostic::sort(&mut all);
    all
}

fn first_error(diags: &[Diagnostic]) -> Option<&Diagnostic> {
    diags.iter().find(|d| d.severity == Severity::Error)
}

fn summary(v: &serde_json::Value) -> String {
    let s = v["mistral_error"]["summary"].as_str().unwrap_or("accepted");
    let s: String = s.chars().take(100).collect();
    s.replace('\n', " ")
}

struct Tally {
    agree: usize,
    total: usize,
    disagreements: Vec<String>,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            agree: 0,
            total: 0,
            disagreements: Vec::new(),
        }
    }

    fn record(&mut self, ok: bool, path: &str, diags: &[Diagnostic], text: &str, mistral: String) {
        self.total += 1;
        if ok {
            self.agree += 1;
            return;
        }
        let ours = match first_error(diags) {
            Some(d) => {
                let line = text[..(d.primary.span.start as usize).min(text.len())]
                    .matches('\n')
                    .count()
                    + 1;
                format!("{}:{} {}", d.code, line, d.message)
            }
            None => "no error".to_string(),
        };
        self.disagreements.push(format!(
            "{path}\n    gale:    {ours}\n    mistral: {mistral}"
        ));
    }
}

/// The code(s) a mutant of each kind must get (any one of them).
const EXPECTED_CODES: &[(&str, &[&str])] = &[
    ("action_and_workflow_both", &["action-and-workflow"]),
    ("bad_inline_parameters", &["ignored-inline-parameter"]),
    (
        "bad_with_items_syntax",
        &["invalid-with-items", "wrong-type"],
    ),
    (
        "concurrency_without_with_items",
        &["concurrency-without-with-items"],
    ),
    ("duplicate_input_name", &["duplicate-item"]),
    ("duplicate_task_name", &["duplicate-task"]),
    ("empty_action_name", &["empty-value"]),
    ("empty_tasks", &["empty-value"]),
    ("input_as_mapping", &["wrong-type"]),
    ("join_count_exceeds_inbound", &["join-not-enough-inbound"]),
    ("join_single_inbound", &["join-single-inbound"]),
    ("join_without_inbound", &["join-not-enough-inbound"]),
    ("malformed_jinja", &["jinja-syntax"]),
    ("malformed_yaql", &["yaql-syntax"]),
    ("malformed_yaql_nested", &["yaql-syntax"]),
    ("missing_action_base", &["missing-key"]),
    ("missing_tasks", &["missing-key"]),
    ("missing_workbook_name", &["missing-key"]),
    ("misspelled_engine_command", &["unknown-task"]),
    ("misspelled_task_attribute", &["unknown-key"]),
    ("misspelled_workflow_attribute", &["unknown-key"]),
    ("negative_policy_value", &["negative-value"]),
    ("no_start_task", &["no-start-task"]),
    (
        "on_success_in_reverse_workflow",
        &["transition-in-reverse-workflow"],
    ),
    ("policy_wrong_type", &["wrong-type"]),
    ("publish_not_mapping", &["wrong-type"]),
    (
        "requires_in_direct_workflow",
        &["requires-in-direct-workflow"],
    ),
    ("retry_count_zero_delay_negative", &["negative-value"]),
    ("retry_wrong_type", &["unknown-key", "wrong-type"]),
    ("task_defaults_unknown_key", &["unknown-key"]),
    ("tasks_as_list", &["wrong-type"]),
    ("transition_wrong_type", &["wrong-type"]),
    ("unclosed_expression_delimiter", &["unclosed-expression"]),
    ("undefined_requires_target", &["unknown-task"]),
    ("undefined_transition_target", &["unknown-task"]),
    ("unknown_workflow_type", &["unknown-workflow-type"]),
    ("unreachable_task", &["unreachable-task"]),
    ("unsupported_version", &["unsupported-version"]),
    ("uuid_like_workflow_name", &["uuid-workflow-name"]),
    ("with_items_trailing_garbage", &["with-items-trailing-text"]),
];

#[test]
fn corpus_agreement() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    let mut out = String::new();

    let mut real = Tally::new();
    let manifest = std::fs::read_to_string(corpus.join("manifest.jsonl")).unwrap_or_default();
    for line in manifest.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let path = v["path"].as_str().unwrap_or_default();
        let Ok(bytes) = std::fs::read(corpus.join(path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let diags = check(&text);
        let rejected = v["mistral_verdict"] == "rejected";
        let has_error = first_error(&diags).is_some();
        real.record(rejected == has_error, path, &diags, &text, summary(&v));
    }

    let mut mutants = Tally::new();
    let mut wrong_code = Vec::new();
    let manifest =
        std::fs::read_to_string(corpus.join("mutants/manifest.jsonl")).unwrap_or_default();
    for line in manifest.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let path = v["path"].as_str().unwrap_or_default();
        let Ok(bytes) = std::fs::read(corpus.join(path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let diags = check(&text);
        let expect_error = v["checker_expectation"] == "error";
        let has_error = first_error(&diags).is_some();
        let detail = format!(
            "{} ({}; expected {})",
            summary(&v),
            v["detail"].as_str().unwrap_or_default(),
            v["checker_expectation"].as_str().unwrap_or_default()
        );
        let kind = v["mutation_kind"].as_str().unwrap_or_default();
        if let Some((_, codes)) = EXPECTED_CODES.iter().find(|(k, _)| *k == kind)
            && !diags.iter().any(|d| codes.contains(&d.code))
        {
            let got: Vec<&str> = diags.iter().map(|d| d.code).collect();
            wrong_code.push(format!("{path} ({kind}): expected {codes:?}, got {got:?}"));
        }
        mutants.record(expect_error == has_error, path, &diags, &text, detail);
    }

    writeln!(out, "real files: {}/{} agree", real.agree, real.total).ok();
    writeln!(out, "mutants:    {}/{} agree", mutants.agree, mutants.total).ok();
    writeln!(out, "\ndisagreements (real files):").ok();
    for d in &real.disagreements {
        writeln!(out, "  {d}").ok();
    }
    writeln!(out, "\ndisagreements (mutants):").ok();
    for d in &mutants.disagreements {
        writeln!(out, "  {d}").ok();
    }
    writeln!(out, "\nmutants without the expected code:").ok();
    for d in &wrong_code {
        writeln!(out, "  {d}").ok();
    }
    assert!(real.total > 700, "the real corpus was not read");
    assert!(mutants.total > 300, "the mutants were not read");
    insta::assert_snapshot!("corpus_agreement", out);
}

/// How often each code fires on the real corpus (files Mistral accepts and
/// rejects separately): a change here is a change in behaviour to review.
#[test]
fn corpus_code_counts() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    let manifest = std::fs::read_to_string(corpus.join("manifest.jsonl")).unwrap_or_default();
    let mut counts: std::collections::BTreeMap<(String, &'static str, &'static str), usize> =
        std::collections::BTreeMap::new();
    let mut examples: std::collections::BTreeMap<&'static str, String> =
        std::collections::BTreeMap::new();
    for line in manifest.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let path = v["path"].as_str().unwrap_or_default();
        let Ok(bytes) = std::fs::read(corpus.join(path)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let verdict = v["mistral_verdict"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for d in check(&text) {
            *counts
                .entry((verdict.clone(), d.severity.as_str(), d.code))
                .or_default() += 1;
            examples
                .entry(d.code)
                .or_insert_with(|| format!("{path}: {}", d.message));
        }
    }
    let mut out = String::new();
    for ((verdict, sev, code), n) in &counts {
        writeln!(out, "{verdict:9} {sev:8} {code:32} {n}").ok();
    }
    writeln!(out, "\nfirst example of each code:").ok();
    for (code, ex) in &examples {
        writeln!(out, "  {code}: {ex}").ok();
    }
    insta::assert_snapshot!("corpus_code_counts", out);
}

/// Lowering never panics, even on documents cut off anywhere (every 7th corpus
/// file, cut at 25 places).
#[test]
fn truncated_documents_never_panic() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    let manifest = std::fs::read_to_string(corpus.join("manifest.jsonl")).unwrap_or_default();
    let mut checked = 0;
    for line in manifest.lines().step_by(7) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let path = v["path"].as_str().unwrap_or_default();
        let Ok(text) = std::fs::read_to_string(corpus.join(path)) else {
            continue;
        };
        for k in 1..=25 {
            let mut cut = text.len() * k / 26;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let _ = check(&text[..cut]);
            checked += 1;
        }
    }
    assert!(checked > 1000);
}
