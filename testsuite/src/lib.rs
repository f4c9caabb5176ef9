//! Helpers shared by the conformance tests: locating `../shared`, reading the corpus
//! manifests, and reading the expectations written inside fixture files.

use gale_diagnostics::{Diagnostic, LineIndex};
use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `../shared` beside the checkout. When it is missing: panics with a clear message
/// if `CI` is set, otherwise prints a loud notice and returns `None` (skip).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = workspace_root().join("..").join("shared");
    if dir.join("corpus").is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false") {
        panic!(
            "../shared not found at {}: CI must provide the shared corpus beside the checkout",
            dir.display()
        );
    }
    eprintln!(
        "\n*** SKIPPED: ../shared not found at {} ***\n",
        dir.display()
    );
    None
}

/// One line of a corpus manifest, as parsed JSON.
pub fn read_manifest(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read manifest {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("bad manifest line in {}: {e}", path.display()))
        })
        .collect()
}

/// An expected diagnostic written in a fixture: `# error: [code]` on the line of the
/// diagnostic, or `# ^ error: [code]` alone on the line below it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expectation {
    /// 1-based line.
    pub line: u32,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// The diagnostic code.
    pub code: String,
}

/// Reads the expectations of a fixture from its real YAML comment tokens.
pub fn expectations(text: &str) -> Vec<Expectation> {
    let parsed = gale_syntax::parse(text);
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for comment in &parsed.comments {
        let mut body = comment.text.trim();
        let mut line = index.line_of(comment.span.start) + 1;
        if let Some(rest) = body.strip_prefix('^') {
            body = rest.trim_start();
            line -= 1;
        }
        let Some((severity, rest)) = body.split_once(':') else {
            continue;
        };
        let severity = severity.trim();
        if !matches!(severity, "error" | "warning" | "info") {
            continue;
        }
        let mut rest = rest.trim();
        while let Some(open) = rest.strip_prefix('[') {
            let Some(close) = open.find(']') else { break };
            out.push(Expectation {
                line,
                severity: severity.to_string(),
                code: open[..close].trim().to_string(),
            });
            rest = open[close + 1..].trim_start();
        }
    }
    out.sort();
    out
}

/// The diagnostics of a file in the same form as [`expectations`].
pub fn actual(text: &str, diagnostics: &[Diagnostic]) -> Vec<Expectation> {
    let index = LineIndex::new(text);
    let mut out: Vec<Expectation> = diagnostics
        .iter()
        .map(|d| Expectation {
            line: index.line_of(d.primary.span.start) + 1,
            severity: d.severity.as_str().to_string(),
            code: d.code.to_string(),
        })
        .collect();
    out.sort();
    out
}
