//! Inline parameters of `action:`/`workflow:`/`base:` strings
//! (`std.echo output=<% $.x %> n=1`), split exactly as Mistral's
//! `BaseSpec._parse_cmd_and_input` does (`mistral/lang/base.py`, `PARAMS_PTRN`).
//!
//! Mistral validates each inline parameter value on its own, never the whole
//! string, so a checker must run [`crate::check_string`] on the values returned here
//! (a line such as `run a=<% $.x %> b={{ _.y }}` is legal).

use std::ops::Range;

/// One `name=value` inline parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InlineParam {
    /// Byte range of the name.
    pub name: Range<u32>,
    /// Byte range of the value as Mistral keeps it: surrounding whitespace stripped and,
    /// for `"…"`/`'…'`, without the quotes. Values that are not quoted are further
    /// passed through `json.loads` by Mistral (numbers, `true`, lists...); only values
    /// that stay strings are expressions.
    pub value: Range<u32>,
    /// The value was quoted.
    pub quoted: bool,
}

fn is_key_char(c: char) -> bool {
    c == '-' || c == '_' || c.is_alphanumeric()
}

/// `{{.*?}}` / `<%.*?%>` at `p` (same line): end of the match.
fn delimited_at(text: &str, p: usize, open: &str, close: &str) -> Option<usize> {
    if !text[p..].starts_with(open) {
        return None;
    }
    let body = &text[p + open.len()..];
    let line = body.find('\n').map_or(body, |n| &body[..n]);
    line.find(close).map(|k| p + open.len() + k + close.len())
}

fn skip_ws(text: &str, mut p: usize) -> usize {
    while let Some(c) = text[p..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        p += c.len_utf8();
    }
    p
}

/// The value alternatives of `PARAMS_PTRN`, in order; returns the end of the match.
fn value_at(text: &str, p: usize) -> Option<usize> {
    let rest = &text[p..];
    for q in ['"', '\''] {
        if rest.starts_with(q)
            && let Some(k) = rest[1..].find(q)
        {
            return Some(skip_ws(text, p + 1 + k + 1));
        }
    }
    if let Some(e) = delimited_at(text, p, "{{", "}}") {
        return Some(e);
    }
    if let Some(e) = delimited_at(text, p, "<%", "%>") {
        return Some(e);
    }
    if rest.starts_with('[') {
        let line = rest.find('\n').map_or(rest, |n| &rest[..n]);
        if let Some(k) = line.rfind(']') {
            return Some(skip_ws(text, p + k + 1));
        }
    }
    for w in ["true", "false", "null"] {
        if rest.starts_with(w) {
            return Some(p + w.len());
        }
    }
    let digits = rest
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    (digits > 0).then_some(p + digits)
}

/// The inline parameters of a task `action`/`workflow` (or ad-hoc `base`) string.
/// Empty when the string has no space (Mistral then takes it as a bare name).
pub fn inline_params(text: &str) -> Vec<InlineParam> {
    let mut out = Vec::new();
    if !text.contains(' ') {
        return out;
    }
    let mut i = 0usize;
    while i < text.len() {
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if !is_key_char(c) {
            i += c.len_utf8();
            continue;
        }
        let key_end = i + text[i..]
            .char_indices()
            .find(|&(_, c)| !is_key_char(c))
            .map_or(text.len() - i, |(k, _)| k);
        if !text[key_end..].starts_with('=') {
            i = key_end;
            continue;
        }
        let vstart = key_end + 1;
        let Some(vend) = value_at(text, vstart) else {
            i = vstart;
            continue;
        };
        let raw = &text[vstart..vend];
        let lead = raw.len() - raw.trim_start().len();
        let trimmed = raw.trim();
        let (mut s, mut e) = (vstart + lead, vstart + lead + trimmed.len());
        let quoted = trimmed.starts_with('"') || trimmed.starts_with('\'');
        if quoted && e - s >= 2 {
            s += 1;
            e -= 1;
        }
        out.push(InlineParam {
            name: i as u32..key_end as u32,
            value: s as u32..e as u32,
            quoted,
        });
        i = vend.max(i + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(s: &str) -> Vec<&str> {
        inline_params(s)
            .into_iter()
            .map(|p| &s[p.value.start as usize..p.value.end as usize])
            .collect()
    }

    #[test]
    fn split() {
        assert_eq!(
            values("core.local cmd=<% $.cmd %> jinja_cmd={{ _.cmd }}"),
            vec!["<% $.cmd %>", "{{ _.cmd }}"]
        );
        assert_eq!(
            values("std.echo output=\"a b\" n=1 f=true x=[1, 2]"),
            vec!["a b", "1", "true", "[1, 2]"]
        );
        assert_eq!(values("std.noop"), Vec::<&str>::new());
        assert_eq!(values("std.echo output=hello"), Vec::<&str>::new());
    }
}
