//! YAQL (`<% %>`) and Jinja (`{{ }}`, `{% %}`) inside Mistral strings.
//!
//! [`find_segments`] applies Mistral's own recognition rules to a decoded string;
//! [`check_string`] reports what Mistral's validator would reject in it (mixed
//! languages, syntax errors). Ranges are byte offsets into the decoded string; the
//! caller maps them into the file through the scalar's offset map.
//!
//! The languages themselves: [`yaql`] (lexer, typed AST, chumsky parser reproducing
//! yaql 3.2.0's grammar and messages) and [`jinja`] (lexer, AST and parser
//! reproducing Jinja2 3.1.6's template grammar and messages), plus [`inline`]
//! (Mistral's split of `action: name k=v …` inline parameters) and [`segments`]
//! (recognition and whole-expression rules).
//!
//! This is the only crate that knows chumsky.

#![deny(missing_docs)]

use std::ops::Range;

pub mod inline;
pub mod jinja;
pub mod segments;
pub mod yaql;

pub use segments::{WholeExpression, detect, whole_expression};

/// A byte range in an expression text or string (`Copy`, unlike `Range`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span from `usize` offsets.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// As a `Range<u32>`.
    pub fn range(self) -> Range<u32> {
        self.start..self.end
    }

    /// Shifted right by `by` bytes (e.g. from a segment's inner text to the string).
    pub fn shifted(self, by: u32) -> Span {
        Span {
            start: self.start + by,
            end: self.end + by,
        }
    }
}

impl From<Span> for Range<u32> {
    fn from(s: Span) -> Range<u32> {
        s.range()
    }
}

/// The expression language of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    /// `<% … %>`.
    Yaql,
    /// `{{ … }}` or `{% … %}`.
    Jinja,
}

/// What a segment is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// A value: `<% … %>` or `{{ … }}`.
    Expression,
    /// A Jinja statement `{% … %}`.
    Statement,
}

/// One expression found in a string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Segment {
    /// Its language.
    pub lang: Lang,
    /// Expression or statement.
    pub kind: SegmentKind,
    /// Byte range including the delimiters.
    pub outer: Range<u32>,
    /// Byte range of the body between the delimiters. For YAQL this is exactly the
    /// text yaql parses (Mistral's `strip("<%>")`, surrounding spaces included), so
    /// spans of [`yaql::parse`] on it shift by `inner.start`.
    pub inner: Range<u32>,
}

/// What kind of problem an [`ExprError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExprErrorKind {
    /// A YAQL syntax error (Mistral: `YaqlGrammarException`).
    YaqlSyntax,
    /// A Jinja syntax error (Mistral: `JinjaGrammarException`).
    JinjaSyntax,
    /// YAQL and Jinja in one string (Mistral: `ExpressionGrammarException`).
    MixedLanguages,
}

/// A problem in an expression string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExprError {
    /// What kind.
    pub kind: ExprErrorKind,
    /// Byte range in the decoded string, as narrow as possible.
    pub range: Range<u32>,
    /// One-line message: exactly the message of the exception Mistral raises
    /// (`Parse error: unexpected '*' at position 1 of expression ' * '`,
    /// `Syntax error 'unexpected '*''.`, `The line already contains …`).
    pub message: String,
}

/// The expressions in `text`, by Mistral's rules (Jinja first, regexes that do not
/// cross line breaks).
///
/// * Plain text: empty.
/// * A Jinja string: its `{{ … }}` and `{% … %}` tags as Jinja's lexer sees the whole
///   string (so `{{ "}}" }}` is one segment, and a tag may span lines once the string
///   is Jinja); comments and raw blocks are not segments. If the template does not
///   lex, the one-line regex matches instead.
/// * A YAQL string: each `<%.*?%>` match; `<% %>` inside a Jinja string is text and
///   not reported.
pub fn find_segments(text: &str) -> Vec<Segment> {
    segments::find_segments(text)
}

/// The message of Mistral's `ExpressionGrammarException` for mixed languages.
pub const MIXED_LANGUAGES_MESSAGE: &str = "The line already contains an expression of type 'jinja'. Mixing expression types in a single line is not allowed.";

/// Everything Mistral's validator would reject in the string `text`
/// (`mistral.expressions.validate`), with both languages allowed:
///
/// 1. If the string is Jinja (see [`find_segments`]), the whole string is parsed as a
///    template; a syntax error is reported as [`ExprErrorKind::JinjaSyntax`] and
///    nothing else is checked (Mistral stops there).
/// 2. If it is also YAQL, [`ExprErrorKind::MixedLanguages`] (range: the first
///    `<% … %>`).
/// 3. Otherwise every `<% … %>` is parsed; each failing one gives a
///    [`ExprErrorKind::YaqlSyntax`]. Mistral stops at the first, which is the first
///    element.
///
/// Unrecognised text (unclosed delimiters, expressions split across lines) is plain
/// text and never an error here.
pub fn check_string(text: &str) -> Vec<ExprError> {
    check_and_find(text).errors
}

/// What [`check_and_find`] learns about a string: its errors and its segments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Checked {
    /// What [`check_string`] reports.
    pub errors: Vec<ExprError>,
    /// What [`find_segments`] returns.
    pub segments: Vec<Segment>,
}

/// [`check_string`] and [`find_segments`] in one pass over the string (each
/// delimiter search done once): `errors` and `segments` are exactly what the two
/// functions return.
pub fn check_and_find(text: &str) -> Checked {
    if !segments::may_hold_expression(text) {
        return Checked::default();
    }
    let jinja = segments::is_jinja(text);
    if jinja {
        let errors = match jinja::parse_template(text) {
            Err(e) => vec![ExprError {
                kind: ExprErrorKind::JinjaSyntax,
                range: e.span.range(),
                message: format!("Syntax error '{}'.", e.message),
            }],
            Ok(_) => match segments::yaql_expressions(text).first() {
                Some((first, _)) => vec![ExprError {
                    kind: ExprErrorKind::MixedLanguages,
                    range: first.start as u32..first.end as u32,
                    message: MIXED_LANGUAGES_MESSAGE.into(),
                }],
                None => Vec::new(),
            },
        };
        return Checked {
            errors,
            segments: segments::jinja_segments(text),
        };
    }
    let yaql_exprs = segments::yaql_expressions(text);
    let mut errors = Vec::new();
    let mut segs = Vec::with_capacity(yaql_exprs.len());
    for (outer, inner) in yaql_exprs {
        let body = &text[inner.clone()];
        if !yaql::is_simple(body) {
            let parsed = yaql::parser::parse_with_parser(body, yaql::Options::MISTRAL);
            for e in parsed.errors.into_iter().take(1) {
                errors.push(ExprError {
                    kind: ExprErrorKind::YaqlSyntax,
                    range: e.span.shifted(inner.start as u32).range(),
                    message: e.message,
                });
            }
        }
        segs.push(Segment {
            lang: Lang::Yaql,
            kind: SegmentKind::Expression,
            outer: outer.start as u32..outer.end as u32,
            inner: inner.start as u32..inner.end as u32,
        });
    }
    Checked {
        errors,
        segments: segs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(ExprErrorKind, String)> {
        check_string(s)
            .into_iter()
            .map(|e| (e.kind, e.message))
            .collect()
    }

    #[test]
    fn mistral_rules() {
        assert!(kinds("<% $.a %>").is_empty());
        assert_eq!(
            kinds("<% * %>"),
            vec![(
                ExprErrorKind::YaqlSyntax,
                "Parse error: unexpected '*' at position 1 of expression ' * '".into()
            )]
        );
        assert_eq!(
            kinds("<% 1 %> {{ 2 }}"),
            vec![(
                ExprErrorKind::MixedLanguages,
                MIXED_LANGUAGES_MESSAGE.into()
            )]
        );
        assert_eq!(kinds("{{ * }} <% 1 %>")[0].0, ExprErrorKind::JinjaSyntax);
        assert!(kinds("<% 1 ").is_empty());
        assert!(kinds("<% * \n %>").is_empty());
        assert_eq!(
            kinds("{{ $ }}"),
            vec![(
                ExprErrorKind::JinjaSyntax,
                "Syntax error 'unexpected char '$' at 3'.".into()
            )]
        );
        let e = check_string("x <% 1 2 %>");
        assert_eq!(e[0].range, 7..8);
    }

    /// `check_string` as it was before `check_and_find`: the reference.
    fn reference_check_string(text: &str) -> Vec<ExprError> {
        let jinja = segments::is_jinja(text);
        if jinja && let Err(e) = jinja::parse_template(text) {
            return vec![ExprError {
                kind: ExprErrorKind::JinjaSyntax,
                range: e.span.range(),
                message: format!("Syntax error '{}'.", e.message),
            }];
        }
        let yaql_exprs = segments::yaql_expressions(text);
        let Some((first, _)) = yaql_exprs.first() else {
            return Vec::new();
        };
        if jinja {
            return vec![ExprError {
                kind: ExprErrorKind::MixedLanguages,
                range: first.start as u32..first.end as u32,
                message: MIXED_LANGUAGES_MESSAGE.into(),
            }];
        }
        let mut errors = Vec::new();
        for (_, inner) in yaql_exprs {
            let parsed = yaql::parse(&text[inner.clone()]);
            for e in parsed.errors.into_iter().take(1) {
                errors.push(ExprError {
                    kind: ExprErrorKind::YaqlSyntax,
                    range: e.span.shifted(inner.start as u32).range(),
                    message: e.message,
                });
            }
        }
        errors
    }

    #[test]
    fn check_and_find_agrees() {
        for s in [
            "",
            "plain",
            "<% $.a %>",
            "<% $.a %> and <% * %>",
            "<%%>",
            "<%% 1 %%>",
            "{{ _.a }} <% 1 %>",
            "{{ * }}",
            "{% if x %}y{% endif %}",
            "{% raw %}{{ x }}{% endraw %}",
            "a {{ b",
            "<% $.a\n %>",
            "{%%}",
            "<% task().result %> {{ x }}",
            "{{ '}}' }}",
        ] {
            let c = check_and_find(s);
            assert_eq!(c.errors, reference_check_string(s), "{s:?}");
            assert_eq!(c.segments, find_segments(s), "{s:?}");
        }
    }
}
