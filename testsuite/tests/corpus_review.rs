//! Every analysis error on a real file Mistral accepts is reviewed.
//!
//! Mistral 23 accepts 748 files of `../shared/corpus` at upload. Gale's analysis
//! (`gale_check`, the codes of [`gale_check::CODES`]) reports an *error* only for
//! a defect that fails or misbehaves at run time on every run that reaches it
//! (an undefined variable, a parameter the action does not take, …). On these
//! files each such error must be a real defect of that file, listed in
//! `testsuite/data/corpus_review.txt` with one line saying why; anything else is
//! a false positive, to be fixed in the analysis (never by adding it here).
//!
//! Rule (shared with `corpus.rs`): errors of the upload validation (`gale_syntax`,
//! `gale_hir`: what Mistral itself rejects when a definition is created) are
//! measured against Mistral's verdict by `corpus.rs`; errors of analysis codes on
//! accepted files are accounted here. Warnings are not reviewed.
//!
//! Review file: one line per error, `<path>:<line>:<col> [<code>] <message> — <why>`
//! (1-based line and column; `#` comments and blank lines ignored). An entry is
//! matched by `<path>:<line>:<col> [<code>]`; the message is kept for the reader.
//! The test fails when an error is not reviewed (printing the lines to add, with
//! `TODO` as the reason) or a reviewed error no longer appears (printing the lines
//! to remove), so the file always lists exactly the errors Gale reports.

use gale_diagnostics::{LineIndex, Severity};
use gale_testsuite::{read_manifest, shared_dir, workspace_root};
use std::collections::BTreeMap;

/// The review file, relative to the workspace root.
const REVIEW: &str = "testsuite/data/corpus_review.txt";

/// Whether `code` belongs to the analysis (not to the upload validation).
fn is_analysis(code: &str) -> bool {
    gale_check::CODES.iter().any(|c| c.code == code)
}

/// Reviewed entries: key `path:line:col [code]` → how many times, and the lines.
fn read_review(text: &str) -> (BTreeMap<String, usize>, Vec<String>) {
    let mut keys = BTreeMap::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((head, why)) = line.split_once(" — ") else {
            problems.push(format!("{REVIEW}:{}: no ` — <why>` part", n + 1));
            continue;
        };
        if why.trim().is_empty() || why.contains("TODO") {
            problems.push(format!("{REVIEW}:{}: the reason is missing", n + 1));
        }
        let Some(end) = head
            .find("] ")
            .or_else(|| head.ends_with(']').then(|| head.len() - 1))
        else {
            problems.push(format!("{REVIEW}:{}: no `[code]`", n + 1));
            continue;
        };
        *keys.entry(head[..=end].to_string()).or_insert(0) += 1;
    }
    (keys, problems)
}

#[test]
fn every_analysis_error_on_accepted_files_is_reviewed() {
    let Some(shared) = shared_dir() else { return };
    let corpus = shared.join("corpus");
    let review_path = workspace_root().join(REVIEW);
    let review = std::fs::read_to_string(&review_path)
        .unwrap_or_else(|e| panic!("{}: {e}", review_path.display()));
    let (mut reviewed, mut problems) = read_review(&review);

    let mut unreviewed = Vec::new();
    let mut errors = 0usize;
    let mut files = 0usize;
    for entry in read_manifest(&corpus.join("manifest.jsonl")) {
        if entry["mistral_verdict"] != "accepted" {
            continue;
        }
        files += 1;
        let rel = entry["path"].as_str().unwrap_or_default().to_string();
        let path = corpus.join(&rel);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        let index = LineIndex::new(&text);
        for d in gale_db::check_text(&rel, &text) {
            if d.severity != Severity::Error || !is_analysis(d.code) {
                continue;
            }
            errors += 1;
            let lc = index.line_col(&text, d.primary.span.start);
            let key = format!("{rel}:{}:{} [{}]", lc.line + 1, lc.col + 1, d.code);
            match reviewed.get_mut(&key) {
                Some(n) if *n > 0 => *n -= 1,
                _ => unreviewed.push(format!("{key} {} — TODO", d.message)),
            }
        }
    }
    let stale: Vec<String> = reviewed
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} (×{n})"))
        .collect();
    if !unreviewed.is_empty() {
        problems.push(format!(
            "{} analysis error(s) on accepted files are not in {REVIEW}: fix the false \
             positive, or, if the file really has this defect, add the line with the reason:\n{}",
            unreviewed.len(),
            unreviewed.join("\n")
        ));
    }
    if !stale.is_empty() {
        problems.push(format!(
            "{} reviewed error(s) no longer appear; remove them from {REVIEW}:\n{}",
            stale.len(),
            stale.join("\n")
        ));
    }
    assert!(files > 700, "only {files} accepted files found");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    eprintln!("{errors} reviewed analysis errors on {files} accepted files");
}
