//! Diagnostics for every stage of Gale: byte spans, the line index that turns them
//! into line/column positions, the [`Diagnostic`] value itself, and its renderers
//! (see [`render`]).
//!
//! Diagnostics are plain data. Stages create them; only the renderers know about
//! terminals, JSON, SARIF or GitHub annotations.

mod line_index;
pub mod render;

pub use line_index::{LineCol, LineIndex};

/// A half-open range of byte offsets `[start, end)` into one file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// First byte of the range.
    pub start: u32,
    /// One past the last byte of the range.
    pub end: u32,
}

impl Span {
    /// The span `[start, end)`; `end` is clamped to be at least `start`.
    pub fn new(start: u32, end: u32) -> Span {
        Span {
            start,
            end: end.max(start),
        }
    }

    /// An empty span at `offset`.
    pub fn empty(offset: u32) -> Span {
        Span::new(offset, offset)
    }

    /// Number of bytes covered.
    pub fn len(self) -> u32 {
        self.end - self.start
    }

    /// Whether the span covers no byte.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Whether `offset` lies inside the span (an empty span contains its start).
    pub fn contains(self, offset: u32) -> bool {
        (self.start <= offset && offset < self.end) || (self.is_empty() && offset == self.start)
    }

    /// The span as a `usize` range, for slicing the text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The document is wrong: real Mistral rejects it, or it certainly fails at run time.
    Error,
    /// Probably a mistake, but Mistral accepts it.
    Warning,
    /// Worth knowing; never fails a check.
    Info,
}

impl Severity {
    /// The lower-case name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A span with a message attached, shown under the source excerpt.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What to say there (may be empty for the primary label).
    pub message: String,
}

/// A machine-applicable edit: replace the text at `span` with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fix {
    /// One-line title of the fix, e.g. "replace with `on-success`".
    pub title: String,
    /// Text edits, non-overlapping.
    pub edits: Vec<Edit>,
}

/// One text edit of a [`Fix`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Edit {
    /// The bytes replaced.
    pub span: Span,
    /// The new text.
    pub replacement: String,
}

/// One problem found in a file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Stable kebab-case code, e.g. `unknown-task`.
    pub code: &'static str,
    /// How serious it is.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// The narrowest span that shows the problem, with an optional label.
    pub primary: Label,
    /// Related places (e.g. the first definition of a duplicate).
    pub secondary: Vec<Label>,
    /// Why it matters, or context (each note one line or short paragraph).
    pub notes: Vec<String>,
    /// What to do about it.
    pub help: Option<String>,
    /// An edit that fixes it, when one is certain enough to offer.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the given code, severity, message and primary span.
    pub fn new(
        code: &'static str,
        severity: Severity,
        span: Span,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// An error diagnostic.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, span, message)
    }

    /// A warning diagnostic.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, span, message)
    }

    /// Sets the label text of the primary span.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary labelled span.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Sets the help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Sets the fix.
    pub fn with_fix(
        mut self,
        title: impl Into<String>,
        span: Span,
        replacement: impl Into<String>,
    ) -> Diagnostic {
        self.fix = Some(Fix {
            title: title.into(),
            edits: vec![Edit {
                span,
                replacement: replacement.into(),
            }],
        });
        self
    }

    /// Orders diagnostics deterministically: by position, then severity, then code.
    pub fn sort(diagnostics: &mut [Diagnostic]) {
        diagnostics.sort_by(|a, b| {
            (a.primary.span, a.severity, a.code, &a.message).cmp(&(
                b.primary.span,
                b.severity,
                b.code,
                &b.message,
            ))
        });
    }
}

/// The documentation of one diagnostic code, for `gale explain`, SARIF rule
/// descriptions and the generated `docs/checks.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    /// The stable kebab-case code.
    pub code: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line: what the check finds.
    pub summary: &'static str,
    /// Markdown: why it matters, an example, and the fix.
    pub explanation: &'static str,
}

/// A file's path and text, as the renderers need them.
#[derive(Clone, Copy, Debug)]
pub struct SourceFile<'a> {
    /// The path as the user should see it.
    pub path: &'a str,
    /// The whole text.
    pub text: &'a str,
}

/// "Did you mean": the candidate closest to `word` by edit distance, if close enough.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Damerau–Levenshtein (optimal string alignment) distance in Unicode scalar values.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_close_keys() {
        let keys = ["on-success", "on-error", "on-complete", "publish"];
        assert_eq!(did_you_mean("on-sucess", keys), Some("on-success"));
        assert_eq!(did_you_mean("on_error", keys), Some("on-error"));
        assert_eq!(did_you_mean("zzz", keys), None);
    }

    #[test]
    fn span_cover_and_contains() {
        let s = Span::new(3, 5).cover(Span::new(1, 2));
        assert_eq!(s, Span::new(1, 5));
        assert!(s.contains(4));
        assert!(!s.contains(5));
        assert!(Span::empty(7).contains(7));
    }
}
