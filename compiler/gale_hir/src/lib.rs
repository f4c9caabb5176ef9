//! The semantic model of Mistral v2 documents (workflow lists, workbooks, ad-hoc
//! action lists) lowered from the span tree, and every definition-time validation
//! real Mistral 23 performs, as diagnostics.
//!
//! Entry points: [`classify`] decides what kind of document a YAML file is;
//! [`lower`] builds the [`Document`] model, its [`SourceMap`] and the diagnostics.
//! [`CODES`] documents every diagnostic code this crate emits.
//!
//! Invariants:
//! - Lowering never panics and never stops at the first problem: every problem
//!   Mistral would report (one at a time) is reported together.
//! - The model holds no positions; the [`SourceMap`] does.
//! - A file that Mistral accepts gets no error, except where Gale deliberately goes
//!   further (the codes documented as such in [`CODES`]).

mod classify;
mod codes;
pub mod fx;
mod lower;
pub mod model;
pub mod schema;
mod source_map;

use gale_diagnostics::{Diagnostic, Span};
use gale_syntax::Node;

pub use classify::classify;
pub use codes::{CODES, CodeInfo, code_info};
pub use lower::did_you_mean;
pub use lower::inline_params::{CmdAndParams, InlineParam, parse_cmd_and_input};
pub use model::*;
pub use source_map::{ExpressionSite, FieldSpans, Item, ItemSpans, SourceMap};

/// The result of lowering one document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lowered {
    /// The model; `None` for an empty document or a file that is not Mistral.
    pub document: Option<Document>,
    /// Positions of the model's items.
    pub source_map: SourceMap,
    /// Every validation diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Lowers a parsed document and validates it as Mistral 23 would (and further).
///
/// `root` is the span tree from `gale_syntax::parse` (`None` for an empty file);
/// `text` is the file text the spans point into.
pub fn lower(root: Option<&Node>, text: &str) -> Lowered {
    let _ = text; // spans point into it; lowering reads decoded scalars only
    let mut cx = lower::Lower::new();
    let document = match root {
        None => {
            cx.push(
                Diagnostic::error("empty-document", Span::empty(0), "the document is empty")
                    .with_help("a Mistral document starts with `version: '2.0'`"),
            );
            None
        }
        Some(root) => match classify(Some(root)) {
            DocumentKind::NotMistral => {
                let empty_map = root.as_mapping().is_some_and(|m| m.entries.is_empty());
                if empty_map {
                    cx.push(
                        Diagnostic::error("empty-document", root.span, "the document is empty")
                            .with_help("a Mistral document starts with `version: '2.0'`"),
                    );
                } else {
                    cx.push(
                        Diagnostic::warning(
                            "not-a-mistral-document",
                            Span::empty(root.span.start),
                            "this YAML file does not look like a Mistral v2 document",
                        )
                        .with_note("Mistral v2 documents have `version: '2.0'` and workflows with `tasks`, a workbook `workflows`/`actions` section, or actions with `base`"),
                    );
                }
                None
            }
            kind => cx.document(root, kind),
        },
    };
    let mut diagnostics = cx.diags;
    Diagnostic::sort(&mut diagnostics);
    Lowered {
        document,
        source_map: cx.map,
        diagnostics,
    }
}
