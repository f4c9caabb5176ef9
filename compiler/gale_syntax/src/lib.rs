//! Mistral's YAML dialect, read into a span tree.
//!
//! Mistral loads definitions with PyYAML's YAML 1.1 `SafeLoader`, subclassed so that
//! `&` and `*` are plain text and a plain scalar may start with `@`. This crate reads
//! the same text into a [`Node`] tree where every node keeps its byte [`Span`] and
//! every scalar keeps its decoded text, its value resolved by PyYAML 1.1 rules
//! ([`ScalarValue`]) and an [`OffsetMap`] from decoded offsets back to the source.
//!
//! Parsing never fails: [`parse`] always returns a [`Parsed`] with whatever tree could
//! be read plus diagnostics. Comments are kept (for `# gale: ignore[...]` and test
//! expectations).
//!
//! Modules: [`tree`] (the public types), `reader` (`gale_yaml` events → tree), `scalar`
//! (decoding of the five scalar styles), `resolve` (PyYAML 1.1 resolver and
//! constructors), `comments` (comments), `checks`
//! (duplicate keys, unhashable keys, YAML 1.1 surprises) and [`canonical_json`]
//! (a testing aid comparing with Mistral's loader).
//!
//! Diagnostic codes: `yaml-syntax` (error: Mistral's loader rejects the file),
//! `yaml-too-deep` (error), `yaml-too-large` (error), `duplicate-key` (warning),
//! `yaml-11-key` (warning), `yaml-11-value` (warning).

use gale_diagnostics::{Diagnostic, Span};

mod canonical;
mod checks;
mod codes;
mod comments;
mod reader;
mod resolve;
mod scalar;
pub mod tree;

pub use canonical::canonical_json;
pub use codes::CODES;
pub use reader::MAX_DEPTH;
pub use tree::*;

/// Parses `text` as one YAML document in Mistral's dialect.
///
/// Never fails: YAML errors become diagnostics (code `yaml-syntax`) and the tree
/// holds what was read before the error. Diagnostics are sorted by position.
pub fn parse(text: &str) -> Parsed {
    if text.len() >= u32::MAX as usize {
        return Parsed {
            root: None,
            comments: Vec::new(),
            diagnostics: vec![Diagnostic::error(
                "yaml-too-large",
                Span::empty(0),
                "the file is too large to read (4 GiB or more)",
            )],
        };
    }
    let read = reader::read(text);
    let comments = comments::scan(text, &read.opaque);
    let mut diagnostics = read.diagnostics;
    if let Some(root) = &read.root {
        checks::run(root, text, &mut diagnostics);
    }
    Diagnostic::sort(&mut diagnostics);
    Parsed {
        root: read.root,
        comments,
        diagnostics,
    }
}
