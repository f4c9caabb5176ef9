//! Agreement with real Mistral 23 on `../shared/corpus`.
//!
//! Rules (issue: the front-end): a real file Mistral rejects gets at least one error;
//! a real file Mistral accepts gets none; a mutant whose `checker_expectation` is
//! `error` gets an error (even where Mistral misses the fault); one whose expectation
//! is `warning` gets no error. The counts and every disagreement are snapshotted.

use gale_diagnostics::{Diagnostic, LineIndex, Severity};
use gale_testsuite::{read_manifest, shared_dir};
use std::fmt::Write;
use std::path::Path;

struct Outcome {
    agree: usize,
    total: usize,
    disagreements: Vec<String>,
}

fn first_error(text: &str, diags: &[Diagnostic]) -> Option<String> {
    let index = LineIndex::new(text);
    diags
        .iter()
        .find(|d| d.severity == Severity::Error)
        .map(|d| {
            let lc = index.line_col(text, d.primary.span.start);
            format!("{}:{} [{}] {}", lc.line + 1, lc.col + 1, d.code, d.message)
        })
}

fn replay(
    corpus: &Path,
    manifest: &str,
    expect_error: impl Fn(&serde_json::Value) -> bool,
) -> Outcome {
    let mut outcome = Outcome {
        agree: 0,
        total: 0,
        disagreements: Vec::new(),
    };
    for entry in read_manifest(&corpus.join(manifest)) {
        let rel = entry["path"].as_str().unwrap_or_default().to_string();
        let path = corpus.join(&rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        let diags = gale_db::check_text(&rel, &text);
        let error = first_error(&text, &diags);
        let want_error = expect_error(&entry);
        outcome.total += 1;
        if error.is_some() == want_error {
            outcome.agree += 1;
        } else {
            let mistral = entry["mistral_error"]["summary"]
                .as_str()
                .unwrap_or("accepted");
            let mistral: String = mistral.chars().take(120).collect();
            outcome.disagreements.push(format!(
                "{rel}\n    gale:    {}\n    mistral: {mistral}",
                error.unwrap_or_else(|| "no error".into())
            ));
        }
    }
    outcome
}

fn report(title: &str, o: &Outcome) -> String {
    let mut s = format!("{title}: {}/{} agree\n", o.agree, o.total);
    for d in &o.disagreements {
        let _ = writeln!(s, "  {d}");
    }
    s
}

#[test]
fn corpus_agrees_with_mistral() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus");
    let real = replay(&corpus, "manifest.jsonl", |e| {
        e["mistral_verdict"] == "rejected"
    });
    let mutants = replay(&corpus, "mutants/manifest.jsonl", |e| {
        e["checker_expectation"] == "error"
    });
    let text = format!(
        "{}\n{}",
        report("real files", &real),
        report("mutants", &mutants)
    );
    insta::assert_snapshot!("corpus_agreement", text);
}
