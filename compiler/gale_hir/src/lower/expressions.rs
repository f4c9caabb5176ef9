//! Expression checks on string values: syntax (via `gale_expr`), mixed languages,
//! delimiters Mistral does not recognise, and Mistral's "whole expression" rule
//! for policies and guards.
//!
//! Mistral syntax-checks only top-level values of some fields; Gale checks every
//! string leaf of every field whose strings Mistral evaluates, because a broken
//! expression anywhere fails at run time.

use gale_diagnostics::{Diagnostic, Span};
use gale_expr::{ExprErrorKind, find_segments};
use gale_syntax::{Node, NodeKind, Scalar, ScalarValue};

use super::Lower;
use crate::source_map::{ExpressionSite, Item};

/// Whether `s` matches Mistral's `EXPRESSION` type: `^<%.*?%>\s*$` or
/// `^({{(.*?)}})\s*$` (no line break before the closing delimiter).
pub(crate) fn is_whole_expression(s: &str) -> bool {
    let body_end = s.trim_end_matches(char::is_whitespace).len();
    let (open, close) = if s.starts_with("<%") {
        ("<%", "%>")
    } else if s.starts_with("{{") {
        ("{{", "}}")
    } else {
        return false;
    };
    let core = &s[..body_end];
    core.len() >= open.len() + close.len()
        && core.ends_with(close)
        && !core[..core.len() - close.len()].contains('\n')
    // `$` in Python also matches before a final newline: the trailing part
    // after the close delimiter is whitespace only (already trimmed).
}

impl Lower {
    /// Checks every string leaf of `node` (mapping values and list items; never
    /// mapping keys).
    pub fn check_strings(&mut self, node: &Node, item: Item, field: &'static str) {
        match &node.kind {
            NodeKind::Scalar(s) if s.value == ScalarValue::Str => {
                self.check_expr(s, node.span, item, field)
            }
            NodeKind::Scalar(_) => {}
            NodeKind::Mapping(m) => {
                for e in &m.entries {
                    self.check_strings(&e.value, item, field);
                }
            }
            NodeKind::Sequence(q) => {
                for i in &q.items {
                    self.check_strings(i, item, field);
                }
            }
        }
    }

    /// Checks one string scalar.
    pub fn check_expr(&mut self, s: &Scalar, span: Span, item: Item, field: &'static str) {
        let text = s.text.as_str();
        if !gale_expr::segments::may_hold_expression(text) {
            return;
        }
        let checked = gale_expr::check_and_find(text);
        for e in checked.errors {
            let code = match e.kind {
                ExprErrorKind::YaqlSyntax => "yaql-syntax",
                ExprErrorKind::JinjaSyntax => "jinja-syntax",
                ExprErrorKind::MixedLanguages => "mixed-expression-languages",
            };
            let mut d =
                Diagnostic::error(code, s.offsets.span(e.range.start, e.range.end), e.message);
            if e.kind == ExprErrorKind::MixedLanguages {
                d = d.with_help(
                    "use one language per string: either `<% … %>` (YAQL) or `{{ … }}` (Jinja)",
                );
            }
            self.push(d);
        }
        let segments = checked.segments;
        self.check_unclosed(s, &segments);
        if !segments.is_empty() {
            self.map.push_expression(ExpressionSite {
                item,
                field,
                text: s.text.clone(),
                span,
                offsets: s.offsets.clone(),
            });
        }
    }

    /// Checks the part `range` of a string scalar as a string of its own (an inline
    /// parameter value, the command of `action: <% … %> p=1`).
    pub fn check_expr_range(&mut self, s: &Scalar, range: std::ops::Range<usize>) {
        let Some(text) = s.text.get(range.clone()) else {
            return;
        };
        if !gale_expr::segments::may_hold_expression(text) {
            return;
        }
        let base = range.start as u32;
        for e in gale_expr::check_string(text) {
            let code = match e.kind {
                ExprErrorKind::YaqlSyntax => "yaql-syntax",
                ExprErrorKind::JinjaSyntax => "jinja-syntax",
                ExprErrorKind::MixedLanguages => "mixed-expression-languages",
            };
            self.push(Diagnostic::error(
                code,
                s.offsets.span(base + e.range.start, base + e.range.end),
                e.message,
            ));
        }
    }

    /// Records a string with expressions in the source map without checking it
    /// (its parts were checked separately).
    pub fn register_site(&mut self, s: &Scalar, span: Span, item: Item, field: &'static str) {
        if !gale_expr::segments::may_hold_expression(&s.text) {
            return;
        }
        if !find_segments(&s.text).is_empty() {
            self.map.push_expression(ExpressionSite {
                item,
                field,
                text: s.text.clone(),
                span,
                offsets: s.offsets.clone(),
            });
        }
    }

    /// Warns about `<%`, `{{`, `{%` that open no recognised expression.
    fn check_unclosed(&mut self, s: &Scalar, segments: &[gale_expr::Segment]) {
        let text = s.text.as_str();
        let inside = |pos: usize| {
            segments
                .iter()
                .any(|g| (g.outer.start as usize) <= pos && pos < g.outer.end as usize)
        };
        // Usually every opening delimiter is inside a segment: nothing to report.
        let bytes = text.as_bytes();
        let stray = memchr::memchr2_iter(b'<', b'{', bytes).any(|i| {
            matches!(
                (bytes[i], bytes.get(i + 1)),
                (b'<', Some(b'%')) | (b'{', Some(b'{' | b'%'))
            ) && !inside(i)
        });
        if !stray {
            return;
        }
        for (open, close) in [("<%", "%>"), ("{{", "}}"), ("{%", "%}")] {
            let mut from = 0;
            while let Some(found) = text[from..].find(open) {
                let pos = from + found;
                from = pos + open.len();
                if inside(pos) {
                    continue;
                }
                let rest = &text[pos + open.len()..];
                let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
                if line.contains(close) {
                    // Closed on its own line: an expression the finder grouped
                    // differently (e.g. a Jinja `raw` block), not a lost delimiter.
                    continue;
                }
                let message = if rest.contains(close) {
                    format!(
                        "`{open}` and its `{close}` are on different lines, so Mistral does not see an expression here"
                    )
                } else {
                    format!(
                        "`{open}` has no closing `{close}`, so Mistral reads this as plain text"
                    )
                };
                let span = s.offsets.span(pos as u32, (pos + open.len()) as u32);
                self.push(
                    Diagnostic::warning("unclosed-expression", span, message).with_help(format!(
                        "close the expression with `{close}` on the same line"
                    )),
                );
                // One warning per delimiter kind and string is enough.
                break;
            }
        }
    }

    /// A value that must be a whole expression (policies, retry fields, guards).
    ///
    /// `Ok(text)` when it is one (after checking it); `Err(true)` when it is a
    /// string with expressions but not a whole one (reported here); `Err(false)`
    /// when it holds no expression at all (the caller reports the type).
    pub fn whole_expression(
        &mut self,
        node: &Node,
        item: Item,
        field: &'static str,
        what: &str,
    ) -> Result<String, bool> {
        let Some(s) = node.as_scalar().filter(|s| s.value == ScalarValue::Str) else {
            return Err(false);
        };
        if is_whole_expression(&s.text) {
            self.check_expr(s, node.span, item, field);
            return Ok(s.text.clone());
        }
        if !gale_expr::segments::may_hold_expression(&s.text) {
            return Err(false);
        }
        self.push(
            Diagnostic::error(
                "not-whole-expression",
                node.span,
                format!("{what} must be a single `<% … %>` or `{{{{ … }}}}` expression with nothing around it"),
            )
            .with_note("Mistral accepts an expression here only when it spans the whole value")
            .with_help("move the surrounding text inside the expression"),
        );
        self.check_expr(s, node.span, item, field);
        Err(true)
    }
}

#[cfg(test)]
mod tests {
    use super::is_whole_expression;

    #[test]
    fn whole_expressions() {
        assert!(is_whole_expression("<% $.x %>"));
        assert!(is_whole_expression("<% $.x %>  \n"));
        assert!(is_whole_expression("{{ _.x }}"));
        assert!(is_whole_expression("<% $.a %> and <% $.b %>"));
        assert!(!is_whole_expression("x<% 1 %>"));
        assert!(!is_whole_expression("<% 1 %> x"));
        assert!(!is_whole_expression("{% if x %}y{% endif %}"));
        assert!(!is_whole_expression("<% 1\n %>"));
        assert!(!is_whole_expression("true"));
    }
}
