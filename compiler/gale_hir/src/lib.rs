//! The semantic model of Mistral v2 documents (workflow lists, workbooks, ad-hoc
//! action lists) lowered from the span tree, and every definition-time validation
//! real Mistral performs, as diagnostics.

use gale_diagnostics::Diagnostic;
use gale_syntax::Node;

/// What kind of Mistral document a YAML file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// `version`, `name`, `workflows`, `actions`…
    Workbook,
    /// `version` + workflows by name.
    WorkflowList,
    /// `version` + ad-hoc actions by name.
    ActionList,
    /// Not a Mistral v2 document at all.
    NotMistral,
}

/// Classifies a document by its shape (stub: the hir engineer replaces this).
pub fn classify(root: Option<&Node>) -> DocumentKind {
    let _ = root;
    DocumentKind::WorkflowList
}

/// The result of lowering one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lowered {
    /// Every validation diagnostic.
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers a parsed document and validates it as Mistral 23 would.
pub fn lower(root: Option<&Node>, text: &str) -> Lowered {
    let _ = (root, text);
    Lowered::default()
}
