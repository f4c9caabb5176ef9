//! Every diagnostic of `gale_check` on the real corpus files Mistral accepts, one
//! line each (`path:line [code] message`), snapshotted for review: each error listed
//! here must be a true defect of the file.

use std::fmt::Write;
use std::path::PathBuf;

use gale_diagnostics::{LineIndex, Severity};

fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.join("manifest.jsonl").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("../shared/corpus not found at {}", dir.display());
    }
    eprintln!("SKIPPED: ../shared not found");
    None
}

#[test]
fn corpus_review() {
    let Some(dir) = corpus_dir() else { return };
    let manifest = std::fs::read_to_string(dir.join("manifest.jsonl")).unwrap_or_default();
    let (mut files, mut errors, mut warnings) = (0, 0, 0);
    let mut lines = String::new();
    let mut joins = [0usize; 4];
    for line in manifest.lines() {
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if entry["mistral_verdict"] != "accepted" {
            continue;
        }
        let rel = entry["path"].as_str().unwrap_or_default();
        let Ok(bytes) = std::fs::read(dir.join(rel)) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let parsed = gale_syntax::parse(&text);
        let lowered = gale_hir::lower(parsed.root.as_ref(), &text);
        let Some(document) = &lowered.document else {
            continue;
        };
        files += 1;
        let analysis = gale_check::check(document, &lowered.source_map);
        for j in &analysis.joins {
            joins[j.verdict as usize] += 1;
        }
        let index = LineIndex::new(&text);
        for d in &analysis.diagnostics {
            match d.severity {
                Severity::Error => errors += 1,
                _ => warnings += 1,
            }
            let _ = writeln!(
                lines,
                "{rel}:{} {} [{}] {}",
                index.line_of(d.primary.span.start) + 1,
                d.severity.as_str(),
                d.code,
                d.message
            );
        }
    }
    assert!(files > 500, "too few corpus files read: {files}");
    let summary = format!(
        "{files} accepted files; {errors} errors, {warnings} warnings; joins: {} always-fires, {} may-not-fire, {} never-fires, {} not-reached\n\n",
        joins[0], joins[1], joins[2], joins[3]
    );
    insta::assert_snapshot!("corpus_review", format!("{summary}{lines}"));
}
