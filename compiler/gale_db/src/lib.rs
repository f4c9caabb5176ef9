//! The salsa database shared by `gale check` and `gale lsp`.
//!
//! Inputs are file texts ([`SourceFile`]); tracked queries go from the YAML tree
//! ([`parse`]) to the semantic model and Mistral's validation ([`lower`]) to the
//! final, suppression-filtered and sorted diagnostics ([`diagnostics`]). The CLI and
//! the language server run the very same queries, so they can never disagree.
//!
//! Incremental: each query re-runs only when what it read changed; equal results
//! cut propagation short (salsa's backdating). The file-level values (tree, model,
//! units) are stored behind `Arc`s so a caller can [`retain`] them past the edit that
//! replaces them and free them when it is idle (the language server does, after
//! publishing).

mod codes;
mod config;
pub mod schema;
mod suppress;

use gale_diagnostics::Diagnostic;
use gale_hir::DocumentKind;

pub use codes::{DRIVER_CODES, all_codes, checks_markdown, code_info};
pub use config::Config;
pub use gale_check::{
    Analysis, JoinVerdict, Units, Verdict, WorkflowUnit, graph_dot, graph_mermaid,
};
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

/// The files of a workspace (the language server's open documents and workspace
/// folder): sub-workflows and ad-hoc actions resolve across them. `gale check` sets
/// none, so it checks every file on its own.
#[salsa::input(singleton)]
pub struct Workspace {
    /// Every file of the workspace.
    #[returns(ref)]
    pub files: Vec<SourceFile>,
}

/// What a file offers other files: its workflows and ad-hoc actions under the names
/// Mistral registers them by. Position-free, so edits inside a task do not change it.
#[salsa::tracked(returns(ref))]
pub fn exports(db: &dyn salsa::Database, file: SourceFile) -> gale_check::External {
    lower(db, file)
        .document
        .as_ref()
        .map(gale_check::External::of)
        .unwrap_or_default()
}

/// What the other files of the workspace offer `file` (empty without a workspace).
#[salsa::tracked(returns(ref))]
pub fn external(db: &dyn salsa::Database, file: SourceFile) -> gale_check::External {
    let mut all = gale_check::External::default();
    if let Some(workspace) = Workspace::try_get(db) {
        for other in workspace.files(db) {
            if *other != file {
                all.extend(exports(db, *other));
            }
        }
    }
    all
}

/// The file-level queries, stored behind `Arc`s (see [`retain`]); the functions of
/// the same names at the crate root read through them.
mod stored {
    use super::SourceFile;
    use std::sync::Arc;

    #[salsa::tracked(returns(ref))]
    pub(crate) fn parse(db: &dyn salsa::Database, file: SourceFile) -> Arc<gale_syntax::Parsed> {
        Arc::new(gale_syntax::parse(file.text(db)))
    }

    #[salsa::tracked(returns(ref))]
    pub(crate) fn lower(db: &dyn salsa::Database, file: SourceFile) -> Arc<gale_hir::Lowered> {
        Arc::new(gale_hir::lower(
            super::parse(db, file).root.as_ref(),
            file.text(db),
        ))
    }

    #[salsa::tracked(returns(ref))]
    pub(crate) fn units(
        db: &dyn salsa::Database,
        file: SourceFile,
    ) -> Arc<Option<gale_check::Units>> {
        let lowered = super::lower(db, file);
        Arc::new(lowered.document.as_ref().map(|document| {
            gale_check::units_in(
                document,
                &lowered.source_map,
                super::external(db, file).clone(),
            )
        }))
    }
}

/// The file-level values of one revision of a file, kept alive by [`retain`].
#[must_use = "the values are freed when this is dropped"]
pub struct Retained {
    _parse: std::sync::Arc<gale_syntax::Parsed>,
    _lower: std::sync::Arc<gale_hir::Lowered>,
    _units: std::sync::Arc<Option<gale_check::Units>>,
}

/// Keeps the file-level values of `file` (tree, model, units, and through the units
/// every workflow's unit) alive until the result is dropped.
///
/// salsa frees the values an edit replaced at the start of the next edit
/// (`set_text`); most of that is the thousands of allocations of the tree and the
/// model. A caller that retains them before setting the new text and drops the
/// result once it has answered moves that work out of the edit's latency. Computes
/// the values if they are not current, so call it right after reading the file's
/// [`diagnostics`].
pub fn retain(db: &dyn salsa::Database, file: SourceFile) -> Retained {
    Retained {
        _parse: std::sync::Arc::clone(stored::parse(db, file)),
        _lower: std::sync::Arc::clone(stored::lower(db, file)),
        _units: std::sync::Arc::clone(stored::units(db, file)),
    }
}

/// The YAML span tree of a file.
pub fn parse(db: &dyn salsa::Database, file: SourceFile) -> &gale_syntax::Parsed {
    stored::parse(db, file)
}

/// What kind of Mistral document the file is (or that it is none).
#[salsa::tracked]
pub fn document_kind(db: &dyn salsa::Database, file: SourceFile) -> DocumentKind {
    gale_hir::classify(parse(db, file).root.as_ref())
}

/// The semantic model and Mistral's own validation of a file.
pub fn lower(db: &dyn salsa::Database, file: SourceFile) -> &gale_hir::Lowered {
    stored::lower(db, file)
}

/// The file split into per-workflow analysis units (position-free) and the
/// expression strings outside workflows: `None` when the file has no semantic model.
/// Re-runs on every edit (it reads positions), but is cheap; its parts cut off.
pub fn units(db: &dyn salsa::Database, file: SourceFile) -> &Option<gale_check::Units> {
    stored::units(db, file)
}

/// The position-free input of workflow number `index` (source order). Equal after an
/// edit elsewhere in the file, so salsa backdates it and [`workflow_analysis`] is
/// reused.
#[salsa::tracked(returns(ref))]
pub fn workflow_unit(
    db: &dyn salsa::Database,
    file: SourceFile,
    index: u32,
) -> Option<std::sync::Arc<gale_check::WorkflowUnit>> {
    units(db, file)
        .as_ref()?
        .workflows
        .get(index as usize)
        .map(|(_, unit)| std::sync::Arc::clone(unit))
}

/// The analysis of workflow number `index`, with positions relative to the
/// workflow's base (see [`analysis`] for file positions).
#[salsa::tracked(returns(ref))]
pub fn workflow_analysis(
    db: &dyn salsa::Database,
    file: SourceFile,
    index: u32,
) -> Option<gale_check::Analysis> {
    workflow_unit(db, file, index)
        .as_deref()
        .map(gale_check::check_workflow)
}

/// The static analysis of a file (task graphs, join verdicts, cycles): `None` when
/// the file has no semantic model. Assembled from the per-workflow analyses, moved to
/// file positions; equal to `gale_check::check` on the whole document.
#[salsa::tracked(returns(ref))]
pub fn analysis(db: &dyn salsa::Database, file: SourceFile) -> Option<gale_check::Analysis> {
    let units = units(db, file).as_ref()?;
    let mut all = gale_check::check_rest(&units.rest);
    for (index, (base, _)) in units.workflows.iter().enumerate() {
        let Some(a) = workflow_analysis(db, file, index as u32) else {
            continue;
        };
        let a = a.shifted(*base);
        all.diagnostics.extend(a.diagnostics);
        all.joins.extend(a.joins);
        all.graphs.extend(a.graphs);
    }
    Diagnostic::sort(&mut all.diagnostics);
    all.diagnostics.dedup();
    Some(all)
}

/// Every diagnostic of a file: YAML, validation and analysis, minus those suppressed
/// by `# gale: ignore[code]` comments, sorted by position.
#[salsa::tracked(returns(ref))]
pub fn diagnostics(db: &dyn salsa::Database, file: SourceFile) -> Vec<Diagnostic> {
    let parsed = parse(db, file);
    let mut all: Vec<Diagnostic> = parsed.diagnostics.clone();
    all.extend(lower(db, file).diagnostics.iter().cloned());
    // The analysis diagnostics straight from the per-workflow queries (the
    // assembled `analysis` also clones graphs and joins, which this does not need).
    if let Some(units) = units(db, file) {
        all.extend(gale_check::check_rest(&units.rest).diagnostics);
        for (index, (base, _)) in units.workflows.iter().enumerate() {
            if let Some(a) = workflow_analysis(db, file, index as u32) {
                all.extend(a.diagnostics.iter().map(|d| {
                    let mut d = d.clone();
                    gale_check::shift_diagnostic(&mut d, *base);
                    d
                }));
            }
        }
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
