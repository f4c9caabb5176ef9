//! The `testsuite/fixtures/check/<code>/*.yaml` cases of this crate's codes, run
//! through `gale_syntax::parse` + `gale_hir::lower`: every diagnostic must be
//! announced by a `# error: [code]` / `# warning: [code]` comment on its line (or
//! `# ^ error: [code]` on the line below it), and every announcement must be met.
//! Also: every code of [`gale_hir::CODES`] has a case that triggers it and one
//! (without any expectation) that must stay silent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testsuite/fixtures/check")
}

/// (line, severity, code) triples announced in the file's comments (1-based lines).
fn expectations(
    text: &str,
    comments: &[gale_syntax::Comment],
) -> BTreeSet<(usize, String, String)> {
    let mut out = BTreeSet::new();
    for c in comments {
        let line = text[..c.span.start as usize].matches('\n').count() + 1;
        let own_line = text[..c.span.start as usize]
            .rsplit('\n')
            .next()
            .is_some_and(|before| before.trim().is_empty());
        let mut body = c.text.trim();
        let mut target = line;
        if let Some(rest) = body.strip_prefix('^') {
            body = rest.trim_start();
            target = line.saturating_sub(1);
        } else if own_line {
            // A comment on its own line without `^` is an ordinary comment.
            if !(body.starts_with("error:") || body.starts_with("warning:")) {
                continue;
            }
        }
        for sev in ["error", "warning"] {
            if let Some(rest) = body.strip_prefix(sev).and_then(|r| r.strip_prefix(':')) {
                for code in rest.split('[').skip(1) {
                    if let Some(code) = code.split(']').next() {
                        out.insert((target, sev.to_string(), code.trim().to_string()));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn fixtures() {
    let dir = fixtures_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        panic!("no fixtures at {}", dir.display());
    };
    let mut failures = Vec::new();
    let mut triggered: BTreeSet<String> = BTreeSet::new();
    let mut silent: BTreeSet<String> = BTreeSet::new();
    let mut dirs: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    dirs.sort();
    for code_dir in dirs {
        let Some(code) = code_dir
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if gale_hir::code_info(&code).is_none() {
            continue; // another crate's code
        }
        let Ok(files) = std::fs::read_dir(&code_dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = files.filter_map(Result::ok).map(|e| e.path()).collect();
        files.sort();
        for f in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "yaml"))
        {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let parsed = gale_syntax::parse(&text);
            let lowered = gale_hir::lower(parsed.root.as_ref(), &text);
            // Only the codes of this crate and of the YAML layer: the others come
            // from later passes (gale_check) that this test does not run.
            let expected: BTreeSet<(usize, String, String)> = expectations(&text, &parsed.comments)
                .into_iter()
                .filter(|(_, _, c)| {
                    gale_hir::code_info(c).is_some()
                        || gale_syntax::CODES.iter().any(|i| i.code == c)
                })
                .collect();
            // As gale_db does: a duplicated name's own error replaces the generic
            // YAML `duplicate-key` warning on the same key.
            let error_spans: Vec<_> = lowered
                .diagnostics
                .iter()
                .filter(|d| d.severity == gale_diagnostics::Severity::Error)
                .map(|d| d.primary.span)
                .collect();
            let actual: BTreeSet<(usize, String, String)> = parsed
                .diagnostics
                .iter()
                .chain(&lowered.diagnostics)
                .filter(|d| d.code != "duplicate-key" || !error_spans.contains(&d.primary.span))
                .map(|d| {
                    let line = text[..(d.primary.span.start as usize).min(text.len())]
                        .matches('\n')
                        .count()
                        + 1;
                    (line, d.severity.as_str().to_string(), d.code.to_string())
                })
                .collect();
            if expected.is_empty() {
                silent.insert(code.clone());
            } else if expected.iter().any(|(_, _, c)| *c == code) {
                triggered.insert(code.clone());
            }
            if expected != actual {
                let name = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
                let missing: Vec<_> = expected.difference(&actual).collect();
                let extra: Vec<_> = actual.difference(&expected).collect();
                let messages: Vec<String> = lowered
                    .diagnostics
                    .iter()
                    .chain(&parsed.diagnostics)
                    .map(|d| format!("{}: {}", d.code, d.message))
                    .collect();
                failures.push(format!(
                    "{name}: missing {missing:?}, unexpected {extra:?}\n    {messages:?}"
                ));
            }
        }
    }
    for c in gale_hir::CODES {
        if !triggered.contains(c.code) {
            failures.push(format!("{}: no fixture triggers it", c.code));
        }
        if !silent.contains(c.code) {
            failures.push(format!("{}: no silent near-identical fixture", c.code));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
