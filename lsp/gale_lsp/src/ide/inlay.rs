//! Inlay hints: the static join verdict after every `join:` value.

use gale_db::Verdict;
use gale_db::{Database, SourceFile};

/// One hint: text shown after `offset`, with a tooltip.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Byte offset the hint follows.
    pub offset: u32,
    /// The short text.
    pub label: String,
    /// The explanation.
    pub tooltip: String,
}

/// The join verdicts of a file as hints.
pub fn inlay_hints(db: &Database, file: SourceFile) -> Vec<InlayHint> {
    let Some(analysis) = gale_db::analysis(db, file) else {
        return Vec::new();
    };
    analysis
        .joins
        .iter()
        .map(|j| InlayHint {
            offset: j.span.end,
            label: match j.verdict {
                Verdict::AlwaysFires => "always fires".to_string(),
                Verdict::MayNotFire => "may not fire".to_string(),
                Verdict::NeverFires => "never fires".to_string(),
                Verdict::NotReached => "not reached".to_string(),
            },
            tooltip: j.explanation.clone(),
        })
        .collect()
}
