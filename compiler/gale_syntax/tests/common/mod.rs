//! Helpers shared by the corpus tests: locating `../shared`, reading manifests.

#![allow(dead_code)]

use std::path::PathBuf;

/// `<workspace root>/../shared/corpus`, or `None` (after a loud message) when it is
/// missing. Panics when it is missing and `CI` is set.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.join("manifest.jsonl").is_file() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("../shared/corpus not found at {}", dir.display());
    }
    eprintln!("SKIPPED: ../shared not found ({})", dir.display());
    None
}

/// Every corpus path (real files, then mutants), relative to the corpus root.
pub fn corpus_paths(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for manifest in ["manifest.jsonl", "mutants/manifest.jsonl"] {
        let text = std::fs::read_to_string(dir.join(manifest)).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            if let Some(p) = v.get("path").and_then(|p| p.as_str()) {
                out.push(p.to_string());
            }
        }
    }
    out
}

/// Every corpus file as `(path, text)`.
pub fn corpus_files() -> Option<Vec<(String, String)>> {
    let dir = corpus_dir()?;
    let files = corpus_paths(&dir)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(dir.join(&p)).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, text)
        })
        .collect::<Vec<_>>();
    assert!(
        files.len() > 1000,
        "corpus looks incomplete: {} files",
        files.len()
    );
    Some(files)
}
