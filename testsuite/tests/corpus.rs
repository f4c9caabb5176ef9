//! Agreement with real Mistral 23 on `../shared/corpus`.
//!
//! What is measured here is the *upload validation*: the errors of the codes that
//! are not analysis codes (`gale_syntax`, `gale_hir`, the driver; everything outside
//! [`gale_check::CODES`]), i.e. what Mistral itself decides when a definition is
//! created. Rules: a real file Mistral rejects gets at least one such error; a real
//! file Mistral accepts gets none. Analysis errors (a defect that fails at run time,
//! such as an undefined variable) may appear on accepted files: each one is accounted
//! in `testsuite/data/corpus_review.txt`, checked by `corpus_review.rs`.
//!
//! Mutants: one whose `checker_expectation` is `error` gets an error of any code (even
//! where Mistral misses the fault); one whose expectation is `warning` (Mistral-legal,
//! but a good checker flags it) gets no upload-validation error and at least one
//! diagnostic (it may be an analysis error: `$.no_such_variable` in a `publish`
//! fails whenever the task completes). The counts and every disagreement are
//! snapshotted.

use gale_diagnostics::{Diagnostic, LineIndex, Severity};
use gale_testsuite::{read_manifest, shared_dir};
use std::fmt::Write;
use std::path::Path;

struct Outcome {
    agree: usize,
    total: usize,
    disagreements: Vec<String>,
}

/// Whether `code` belongs to the analysis (reviewed in `corpus_review.rs`).
fn is_analysis(code: &str) -> bool {
    gale_check::CODES.iter().any(|c| c.code == code)
}

/// The first error for which `counts` holds, as `line:col [code] message`.
fn first_error(
    text: &str,
    diags: &[Diagnostic],
    counts: impl Fn(&Diagnostic) -> bool,
) -> Option<String> {
    let index = LineIndex::new(text);
    diags
        .iter()
        .find(|d| d.severity == Severity::Error && counts(d))
        .map(|d| {
            let lc = index.line_col(text, d.primary.span.start);
            format!("{}:{} [{}] {}", lc.line + 1, lc.col + 1, d.code, d.message)
        })
}

/// What a corpus entry must get.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// An upload-validation error (real files Mistral rejects).
    UploadError,
    /// No upload-validation error (real files Mistral accepts).
    NoUploadError,
    /// An error of any code (`error` mutants).
    AnyError,
    /// No upload-validation error, and some diagnostic (`warning` mutants).
    Flagged,
}

fn replay(corpus: &Path, manifest: &str, want: impl Fn(&serde_json::Value) -> Want) -> Outcome {
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
        let want = want(&entry);
        let error = match want {
            Want::AnyError => first_error(&text, &diags, |_| true),
            _ => first_error(&text, &diags, |d| !is_analysis(d.code)),
        };
        let agree = match want {
            Want::UploadError | Want::AnyError => error.is_some(),
            Want::NoUploadError => error.is_none(),
            Want::Flagged => error.is_none() && !diags.is_empty(),
        };
        outcome.total += 1;
        if agree {
            outcome.agree += 1;
        } else {
            let mistral = entry["mistral_error"]["summary"]
                .as_str()
                .unwrap_or("accepted");
            let mistral: String = mistral.chars().take(120).collect();
            outcome.disagreements.push(format!(
                "{rel}\n    gale:    {}\n    mistral: {mistral}",
                error.unwrap_or_else(|| if diags.is_empty() {
                    "no diagnostic".into()
                } else {
                    "no error".into()
                })
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
        if e["mistral_verdict"] == "rejected" {
            Want::UploadError
        } else {
            Want::NoUploadError
        }
    });
    let mutants = replay(&corpus, "mutants/manifest.jsonl", |e| {
        if e["checker_expectation"] == "error" {
            Want::AnyError
        } else {
            Want::Flagged
        }
    });
    let text = format!(
        "{}\n{}",
        report("real files", &real),
        report("mutants", &mutants)
    );
    insta::assert_snapshot!("corpus_agreement", text);
}
