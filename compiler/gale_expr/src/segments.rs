//! Mistral's expression recognition (`mistral/expressions/__init__.py`,
//! `yaql_expression.py`, `jinja_expression.py`), reproduced exactly.
//!
//! * Jinja is consulted first: a string is Jinja when `{{(.*?)}}` or `{%(.*?)%}`
//!   matches anywhere (Python `re.search`, `.` does not match `\n`).
//! * Otherwise it is YAQL when `<%.*?%>` matches. Each non-overlapping match
//!   (`re.findall`) is one expression; its text is the match with Python's
//!   `strip("<%>")` applied (any run of `<`, `%`, `>` removed from both ends) —
//!   that exact text, surrounding spaces included, is what yaql parses (so positions
//!   in yaql's messages are relative to it).
//! * Whole-string (typed) expressions: YAQL when the first match is the entire
//!   string; Jinja when the first `{{(.*?)}}` match is the entire string.

use std::ops::Range;

use crate::{Lang, Segment, SegmentKind};

/// Non-overlapping matches of `open.*?close` (Python `re.findall`, no DOTALL), as byte
/// ranges. The delimiters are two ASCII bytes each.
pub fn find_delimited(text: &str, open: &[u8; 2], close: &[u8; 2]) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut from = 0usize;
    while let Some(found) = bytes
        .get(from..)
        .and_then(|rest| memchr::memchr(open[0], rest))
    {
        let i = from + found;
        from = i + 1;
        if bytes.get(i + 1) != Some(&open[1]) {
            continue;
        }
        if let Some(end) = close_on_line(bytes, i + 2, close) {
            out.push(i..end);
            from = end;
        }
    }
    out
}

/// The end of the first `close` at or after `from` and before the next line feed
/// (the `.*?close` of a match whose opening delimiter ends at `from`).
#[inline]
fn close_on_line(bytes: &[u8], from: usize, close: &[u8; 2]) -> Option<usize> {
    let mut j = from;
    while let Some(found) = bytes
        .get(j..)
        .and_then(|rest| memchr::memchr2(b'\n', close[0], rest))
    {
        let k = j + found;
        if bytes[k] == b'\n' {
            return None;
        }
        if bytes.get(k + 1) == Some(&close[1]) {
            return Some(k + 2);
        }
        j = k + 1;
    }
    None
}

/// First match of `open.*?close`, if any (Python `re.search`).
fn search_delimited(text: &str, open: &[u8; 2], close: &[u8; 2]) -> Option<Range<usize>> {
    let bytes = text.as_bytes();
    let mut from = 0usize;
    while let Some(found) = memchr::memchr(open[0], bytes.get(from..)?) {
        let i = from + found;
        if bytes.get(i + 1) == Some(&open[1])
            && let Some(end) = close_on_line(bytes, i + 2, close)
        {
            return Some(i..end);
        }
        from = i + 1;
    }
    None
}

/// Whether `text` contains `<%`, `{{` or `{%` at all (a cheap test: a string
/// without one holds no expression and no unclosed delimiter).
pub fn may_hold_expression(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr2_iter(b'<', b'{', bytes).any(|i| {
        matches!(
            (bytes[i], bytes.get(i + 1)),
            (b'<', Some(b'%')) | (b'{', Some(b'{' | b'%'))
        )
    })
}

/// Mistral's Jinja detector: `{{(.*?)}}` or `{%(.*?)%}` matches somewhere.
pub fn is_jinja(text: &str) -> bool {
    search_delimited(text, b"{{", b"}}").is_some() || search_delimited(text, b"{%", b"%}").is_some()
}

/// Mistral's YAQL detector: `<%.*?%>` matches somewhere.
pub fn is_yaql(text: &str) -> bool {
    search_delimited(text, b"<%", b"%>").is_some()
}

/// The language Mistral evaluates `text` with (Jinja wins), or `None` for plain text.
pub fn detect(text: &str) -> Option<Lang> {
    if is_jinja(text) {
        Some(Lang::Jinja)
    } else if is_yaql(text) {
        Some(Lang::Yaql)
    } else {
        None
    }
}

/// The `<% … %>` matches of `text` with, for each, the range of the text yaql
/// parses (Python `match.strip("<%>")`).
pub fn yaql_expressions(text: &str) -> Vec<(Range<usize>, Range<usize>)> {
    find_delimited(text, b"<%", b"%>")
        .into_iter()
        .map(|outer| {
            let m = &text.as_bytes()[outer.clone()];
            let strip = |b: &u8| matches!(b, b'<' | b'%' | b'>');
            let lead = m.iter().take_while(|b| strip(b)).count();
            let inner = if lead == m.len() {
                outer.start + lead..outer.start + lead
            } else {
                let trail = m.iter().rev().take_while(|b| strip(b)).count();
                outer.start + lead..outer.end - trail
            };
            (outer, inner)
        })
        .collect()
}

/// A string that is exactly one expression, which Mistral evaluates to a typed value
/// (not text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WholeExpression {
    /// The language.
    pub lang: Lang,
    /// Byte range of the expression text: for YAQL the `strip("<%>")` text, for Jinja
    /// what is between `{{` and `}}` (as compiled by `compile_expression`).
    pub inner: Range<u32>,
}

/// Whether Mistral evaluates `text` as one typed expression, and which.
pub fn whole_expression(text: &str) -> Option<WholeExpression> {
    match detect(text)? {
        Lang::Jinja => jinja_whole_expression(text),
        Lang::Yaql => yaql_whole_expression(text),
    }
}

/// YAQL: the (first) `<%.*?%>` match is the whole string (`len(expression) == len(expr)`).
/// Only meaningful when the string is not Jinja (see [`whole_expression`]).
pub fn yaql_whole_expression(text: &str) -> Option<WholeExpression> {
    let (outer, inner) = yaql_expressions(text).into_iter().next()?;
    (outer.start == 0 && outer.end == text.len()).then_some(WholeExpression {
        lang: Lang::Yaql,
        inner: inner.start as u32..inner.end as u32,
    })
}

/// Jinja: the first `{{(.*?)}}` match equals the whole string.
pub fn jinja_whole_expression(text: &str) -> Option<WholeExpression> {
    let outer = search_delimited(text, b"{{", b"}}")?;
    (outer.start == 0 && outer.end == text.len()).then(|| WholeExpression {
        lang: Lang::Jinja,
        inner: 2..(text.len() - 2) as u32,
    })
}

fn r32(r: Range<usize>) -> Range<u32> {
    r.start as u32..r.end as u32
}

/// The segments of `text` (see [`crate::find_segments`]).
pub fn find_segments(text: &str) -> Vec<Segment> {
    if !may_hold_expression(text) {
        return Vec::new();
    }
    if is_jinja(text) {
        return jinja_segments(text);
    }
    // YAQL when `<%.*?%>` matches, i.e. when there is at least one expression (the
    // same first match as `is_yaql`'s search): no separate detection pass.
    yaql_expressions(text)
        .into_iter()
        .map(|(outer, inner)| Segment {
            lang: Lang::Yaql,
            kind: SegmentKind::Expression,
            outer: r32(outer),
            inner: r32(inner),
        })
        .collect()
}

/// The segments of a string already known to be Jinja (the Jinja case of
/// [`find_segments`]).
pub(crate) fn jinja_segments(text: &str) -> Vec<Segment> {
    if let Some(segs) = crate::jinja::lexer::segments(text) {
        return segs;
    }
    let mut all: Vec<Segment> = find_delimited(text, b"{{", b"}}")
        .into_iter()
        .map(|r| (r, SegmentKind::Expression))
        .chain(
            find_delimited(text, b"{%", b"%}")
                .into_iter()
                .map(|r| (r, SegmentKind::Statement)),
        )
        .map(|(r, kind)| Segment {
            lang: Lang::Jinja,
            kind,
            inner: r32(r.start + 2..r.end - 2),
            outer: r32(r),
        })
        .collect();
    all.sort_by_key(|s| s.outer.start);
    let mut out: Vec<Segment> = Vec::with_capacity(all.len());
    for s in all {
        if out.last().is_none_or(|l| l.outer.end <= s.outer.start) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_detection() {
        for s in [
            "",
            "plain",
            "<% 1 %>",
            "<% 1\n%> <% 2 %>",
            "<%%>",
            "a <% 1 %> b <% 2 %>",
            "<% 1",
            "{{ x }} <% 1 %>",
            "{% if x %}y{% endif %}",
            "{# c #} <% 1 %>",
            "<<% 1 %>>",
            "<% '%>' %>",
        ] {
            let segs = find_segments(s);
            match detect(s) {
                None => assert!(segs.is_empty(), "{s:?}"),
                Some(lang) => {
                    assert!(!segs.is_empty(), "{s:?}");
                    assert!(segs.iter().all(|g| g.lang == lang), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn recognition() {
        assert_eq!(detect("<% $.a %>"), Some(Lang::Yaql));
        assert_eq!(detect("<% $.a\n%>"), None);
        assert_eq!(detect("{{ _.a }} <% 1 %>"), Some(Lang::Jinja));
        assert_eq!(detect("{# c #}"), None);
        assert_eq!(detect("{%%}"), Some(Lang::Jinja));
        assert_eq!(yaql_expressions("<%% 1 %%>")[0].1, 3..6);
        assert_eq!(yaql_expressions("<%%>")[0].1, 4..4);
        assert_eq!(yaql_expressions("<% \"%>\" %>")[0], (0..6, 2..4));
        assert_eq!(yaql_expressions("a <% 1 %> b <% 2 %>").len(), 2);
    }

    #[test]
    fn whole() {
        assert!(whole_expression("<% 1 %>").is_some());
        assert!(whole_expression(" <% 1 %>").is_none());
        assert!(whole_expression("<% 1 %>\n").is_none());
        assert!(whole_expression("<% 1 %><% 2 %>").is_none());
        assert!(whole_expression("{{ 1 }}").is_some());
        assert!(whole_expression("{{ \"}}\" }}").is_none());
        assert!(whole_expression("{{ 1 }}{{ 2 }}").is_none());
    }
}
