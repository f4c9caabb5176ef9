//! `# gale: ignore[code, …]` comments: on the line of a diagnostic, or alone on the
//! line directly above it. `# gale: ignore` without a list suppresses every code.

use gale_diagnostics::{Diagnostic, LineIndex};
use gale_syntax::Comment;

/// The suppression comments of one file.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    /// `(line the comment covers, codes; empty = all)`.
    entries: Vec<(u32, Vec<String>)>,
    index: Option<LineIndex>,
}

impl Suppressions {
    /// Reads the suppression comments of a file.
    pub fn from_comments(text: &str, comments: &[Comment]) -> Suppressions {
        let mut entries = Vec::new();
        let mut index = None;
        for comment in comments {
            let Some(codes) = parse_ignore(&comment.text) else {
                continue;
            };
            let index = index.get_or_insert_with(|| LineIndex::new(text));
            let line = index.line_of(comment.span.start);
            let line_start = index.line_start(line) as usize;
            let alone = text[line_start..comment.span.start as usize]
                .trim()
                .is_empty();
            // A comment alone on its line covers the next line; otherwise its own.
            let covered = if alone { line + 1 } else { line };
            entries.push((covered, codes));
        }
        Suppressions { entries, index }
    }

    /// Whether `diagnostic` is suppressed.
    pub fn suppresses(&self, diagnostic: &Diagnostic) -> bool {
        let Some(index) = &self.index else {
            return false;
        };
        let line = index.line_of(diagnostic.primary.span.start);
        self.entries.iter().any(|(covered, codes)| {
            *covered == line && (codes.is_empty() || codes.iter().any(|c| c == diagnostic.code))
        })
    }
}

/// `gale: ignore[a, b]` → `Some(["a", "b"])`; `gale: ignore` → `Some([])`.
fn parse_ignore(comment: &str) -> Option<Vec<String>> {
    let rest = comment.trim().strip_prefix("gale:")?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let list = rest.strip_prefix('[')?;
    let list = &list[..list.find(']')?];
    Some(
        list.split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::parse_ignore;

    #[test]
    fn parses_ignore_comments() {
        assert_eq!(
            parse_ignore(" gale: ignore[unknown-key, join-never-fires]"),
            Some(vec!["unknown-key".into(), "join-never-fires".into()])
        );
        assert_eq!(parse_ignore(" gale: ignore"), Some(vec![]));
        assert_eq!(parse_ignore(" some comment"), None);
    }
}
