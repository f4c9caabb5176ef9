//! The salsa database shared by `gale check` and `gale lsp`.
//!
//! Inputs are file texts ([`SourceFile`]); tracked queries go from the YAML tree
//! ([`parse`]) to the semantic model and Mistral's validation ([`lower`]) to the
//! final, suppression-filtered and sorted diagnostics ([`diagnostics`]). The CLI and
//! the language server run the very same queries, so they can never disagree.
//!
//! Incremental: each query re-runs only when what it read changed; equal results
//! cut propagation short (salsa's backdating).

mod codes;
mod config;
mod suppress;

use gale_diagnostics::Diagnostic;
use gale_hir::DocumentKind;

pub use codes::{DRIVER_CODES, all_codes, checks_markdown, code_info};
pub use config::Config;
pub use gale_check::{Analysis, JoinVerdict, Verdict, graph_dot, graph_mermaid};
pub use suppress::Suppressions;

/// One file: its path (as shown to the user) and its text.
#[salsa::input]
pub struct SourceFile {
    /// The path as the user should see it.
    #[returns(ref)]
    pub path: String,
    /// The whole text.
    #[returns(ref)]
    pub text: String,
}

/// The YAML span tree of a file.
#[salsa::tracked(returns(ref))]
pub fn parse(db: &dyn salsa::Database, file: SourceFile) -> gale_syntax::Parsed {
    gale_syntax::parse(file.text(db))
}

/// What kind of Mistral document the file is (or that it is none).
#[salsa::tracked]
pub fn document_kind(db: &dyn salsa::Database, file: SourceFile) -> DocumentKind {
    gale_hir::classify(parse(db, file).root.as_ref())
}

/// The semantic model and Mistral's own validation of a file.
#[salsa::tracked(returns(ref))]
pub fn lower(db: &dyn salsa::Database, file: SourceFile) -> gale_hir::Lowered {
    gale_hir::lower(parse(db, file).root.as_ref(), file.text(db))
}

/// The static analysis of a file (task graphs, join verdicts, cycles): `None` when
/// the file has no semantic model.
#[salsa::tracked(returns(ref))]
pub fn analysis(db: &dyn salsa::Database, file: SourceFile) -> Option<gale_check::Analysis> {
    let lowered = lower(db, file);
    lowered
        .document
        .as_ref()
        .map(|document| gale_check::check(document, &lowered.source_map))
}

/// Every diagnostic of a file: YAML, validation and analysis, minus those suppressed
/// by `# gale: ignore[code]` comments, sorted by position.
#[salsa::tracked(returns(ref))]
pub fn diagnostics(db: &dyn salsa::Database, file: SourceFile) -> Vec<Diagnostic> {
    let parsed = parse(db, file);
    let mut all: Vec<Diagnostic> = parsed.diagnostics.clone();
    all.extend(lower(db, file).diagnostics.iter().cloned());
    if let Some(analysis) = analysis(db, file) {
        all.extend(analysis.diagnostics.iter().cloned());
    }
    let suppressions = Suppressions::from_comments(file.text(db), &parsed.comments);
    all.retain(|d| !suppressions.suppresses(d));
    // A duplicated task, workflow or action name is reported by its own error; the
    // generic YAML `duplicate-key` warning on the same key would only repeat it.
    let error_spans: Vec<_> = all
        .iter()
        .filter(|d| d.severity == gale_diagnostics::Severity::Error)
        .map(|d| d.primary.span)
        .collect();
    all.retain(|d| d.code != "duplicate-key" || !error_spans.contains(&d.primary.span));
    Diagnostic::sort(&mut all);
    all.dedup();
    all
}

/// The one concrete database of Gale.
#[salsa::db]
#[derive(Default, Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    /// A database that reports every salsa event to `log` (tests use this to prove
    /// that a query was reused rather than re-executed).
    pub fn with_event_log(log: impl Fn(salsa::Event) + Send + Sync + 'static) -> Database {
        Database {
            storage: salsa::Storage::new(Some(Box::new(log))),
        }
    }

    /// Adds a file.
    pub fn add_file(&self, path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        SourceFile::new(self, path.into(), text.into())
    }
}

/// Checks one text outside any long-lived database (tests, fuzzing, benchmarks).
pub fn check_text(path: &str, text: &str) -> Vec<Diagnostic> {
    let db = Database::new();
    let file = db.add_file(path, text);
    diagnostics(&db, file).clone()
}
