//! Splitting `name p=v …` strings exactly as Mistral's `_parse_cmd_and_input` does
//! (`mistral/lang/base.py`): used for `action:`, `workflow:`, ad-hoc `base:`,
//! transition entries and the one-line `retry:` form.
//!
//! Mistral uses two regular expressions; this module reproduces their Python `re`
//! semantics by hand (lazy `<%.*?%>`, greedy `{{.*}}` and `\[.*\]` that stop at a
//! line break, Unicode `\w`), including the values it silently drops.

use std::ops::Range;

use crate::model::Value;

/// One inline parameter Mistral keeps.
#[derive(Clone, Debug, PartialEq)]
pub struct InlineParam {
    /// Byte range of the key.
    pub key: Range<usize>,
    /// Byte range of the matched value text (before Mistral strips quotes).
    pub value: Range<usize>,
    /// The key text.
    pub name: String,
    /// The value Mistral passes.
    pub parsed: Value,
}

/// The result of splitting a command string.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CmdAndParams {
    /// Byte range of the command (the action, workflow or target name).
    pub command: Range<usize>,
    /// Parameters in order; a later duplicate key wins (as in Mistral's dict).
    pub params: Vec<InlineParam>,
    /// `key=…` spans whose value Mistral does not recognise and silently drops.
    pub dropped: Vec<Range<usize>>,
    /// Parameters Mistral keeps but not as written: `(span, what happens)`.
    pub altered: Vec<(Range<usize>, Alteration)>,
}

/// How Mistral changes an inline parameter it keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alteration {
    /// `x=12.5`, `t=10s`: only the leading digits are read.
    Truncated,
    /// `a=[1] b=[2]`: the list value runs to the last `]`, swallowing what follows.
    Swallowed,
    /// The same key twice: the last value wins.
    Overridden,
    /// `a.b=1`: the key is read as `b`.
    KeySplit,
}

/// Python's `\w` for `str` patterns.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_key_char(c: char) -> bool {
    is_word(c) || c == '-'
}

/// `open.*?close` at `pos` (lazy, `.` not crossing a line break): end of the match.
pub(crate) fn lazy_delimited(s: &str, pos: usize, open: &str, close: &str) -> Option<usize> {
    let rest = s.get(pos..)?;
    if !rest.starts_with(open) {
        return None;
    }
    let body_start = pos + open.len();
    let body = &s[body_start..];
    let line_end = body.find('\n').unwrap_or(body.len());
    let found = body[..line_end].find(close)?;
    Some(body_start + found + close.len())
}

/// `open.*close` at `pos` (greedy, `.` not crossing a line break): end of the match.
fn greedy_delimited(s: &str, pos: usize, open: &str, close: &str) -> Option<usize> {
    let rest = s.get(pos..)?;
    if !rest.starts_with(open) {
        return None;
    }
    let body_start = pos + open.len();
    let body = &s[body_start..];
    let line_end = body.find('\n').unwrap_or(body.len());
    let found = body[..line_end].rfind(close)?;
    Some(body_start + found + close.len())
}

/// `\s*` from `pos`.
fn skip_ws(s: &str, mut pos: usize) -> usize {
    while let Some(c) = s[pos..].chars().next() {
        if !c.is_whitespace() {
            break;
        }
        pos += c.len_utf8();
    }
    pos
}

/// The command at the start of `s` (Mistral's `CMD_PTRN`), as a byte length.
fn command_match(s: &str) -> Option<usize> {
    let mut chars = s.char_indices();
    if let Some((_, c)) = chars.next()
        && (is_word(c) || c == '.')
    {
        let mut end = c.len_utf8();
        for (i, c) in chars {
            if c == '=' || c == '(' || c == '"' || c.is_whitespace() {
                break;
            }
            end = i + c.len_utf8();
        }
        return Some(end);
    }
    lazy_delimited(s, 0, "<%", "%>")
        .or_else(|| greedy_delimited(s, 0, "{{", "}}"))
        .or_else(|| greedy_delimited(s, 0, "{%", "%}"))
}

/// The value alternatives of `PARAMS_PTRN` at `pos`: end of the match.
fn value_match(s: &str, pos: usize) -> Option<usize> {
    let rest = &s[pos..];
    for quote in ['"', '\''] {
        if rest.starts_with(quote) {
            let close = rest[1..].find(quote)?;
            return Some(skip_ws(s, pos + 1 + close + 1));
        }
    }
    if let Some(end) = lazy_delimited(s, pos, "{{", "}}") {
        return Some(end);
    }
    if let Some(end) = lazy_delimited(s, pos, "<%", "%>") {
        return Some(end);
    }
    if rest.starts_with('[') {
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if let Some(close) = rest[1..line_end].rfind(']') {
            return Some(skip_ws(s, pos + 1 + close + 1));
        }
    }
    for word in ["true", "false", "null"] {
        if rest.starts_with(word) {
            return Some(pos + word.len());
        }
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then_some(pos + digits)
}

/// Python's `json.loads` on a parameter value, falling back to the text.
fn json_or_text(v: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(v) {
        Ok(j) => from_json(j),
        Err(_) => Value::Str(v.to_string()),
    }
}

/// Converts JSON to a model value.
pub(crate) fn from_json(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Value::Int(i128::from(u))
            } else {
                Value::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::Str(s),
        serde_json::Value::Array(a) => Value::List(a.into_iter().map(from_json).collect()),
        serde_json::Value::Object(o) => Value::Map(
            o.into_iter()
                .map(|(k, v)| (Value::Str(k), from_json(v)))
                .collect(),
        ),
    }
}

/// Splits `s` into command and inline parameters; `None` when Mistral raises
/// `Invalid action/workflow task property`.
pub fn parse_cmd_and_input(s: &str) -> Option<CmdAndParams> {
    if !s.contains(' ') {
        return Some(CmdAndParams {
            command: 0..s.len(),
            ..CmdAndParams::default()
        });
    }
    let command = 0..command_match(s)?;
    let mut params = Vec::new();
    let mut dropped = Vec::new();
    let mut altered = Vec::new();
    let mut pos = 0;
    let mut prev: Option<char> = None;
    while pos < s.len() {
        let Some(c) = s[pos..].chars().next() else {
            break;
        };
        if is_key_char(c) {
            let key_len: usize = s[pos..]
                .chars()
                .take_while(|&c| is_key_char(c))
                .map(char::len_utf8)
                .sum();
            let key_end = pos + key_len;
            if s[key_end..].starts_with('=') {
                let vpos = key_end + 1;
                if let Some(vend) = value_match(s, vpos) {
                    let raw = s[vpos..vend].trim();
                    let parsed = if raw.starts_with('"') || raw.starts_with('\'') {
                        Value::Str(
                            raw.get(1..raw.len().saturating_sub(1))
                                .unwrap_or("")
                                .to_string(),
                        )
                    } else {
                        json_or_text(raw)
                    };
                    let rest_start = s[vend..].chars().next();
                    if raw.bytes().all(|b| b.is_ascii_digit())
                        && rest_start.is_some_and(|c| !c.is_whitespace())
                    {
                        let end = s[vend..]
                            .find(char::is_whitespace)
                            .map_or(s.len(), |i| vend + i);
                        altered.push((pos..end, Alteration::Truncated));
                    } else if raw.starts_with('[') && swallows(raw) {
                        altered.push((pos..vend, Alteration::Swallowed));
                    }
                    if prev == Some('.') && pos >= command.end {
                        altered.push((pos..key_end, Alteration::KeySplit));
                    }
                    if let Some(earlier) = params
                        .iter()
                        .find(|p: &&InlineParam| p.name == s[pos..key_end])
                    {
                        altered
                            .push((earlier.key.start..earlier.value.end, Alteration::Overridden));
                    }
                    params.push(InlineParam {
                        key: pos..key_end,
                        value: vpos..vend,
                        name: s[pos..key_end].to_string(),
                        parsed,
                    });
                    prev = s[..vend].chars().next_back();
                    pos = vend;
                    continue;
                }
                // Only the first position of a word counts as a dropped parameter;
                // Mistral also tries (and fails) at each later character.
                let starts_word = !prev.is_some_and(is_key_char);
                if starts_word && pos >= command.end {
                    let vend = s[vpos..]
                        .find(char::is_whitespace)
                        .map_or(s.len(), |i| vpos + i);
                    dropped.push(pos..vend);
                }
            }
        }
        prev = Some(c);
        pos += c.len_utf8();
    }
    Some(CmdAndParams {
        command,
        params,
        dropped,
        altered,
    })
}

/// Whether a greedy `[…]` value contains `] key=`: another parameter swallowed.
fn swallows(raw: &str) -> bool {
    let inner = &raw[..raw.len().saturating_sub(1)];
    inner.match_indices(']').any(|(i, _)| {
        let after = inner[i + 1..].trim_start();
        after.len() < inner.len() - i - 1 && {
            let k = after
                .chars()
                .take_while(|&c| is_key_char(c))
                .map(char::len_utf8)
                .sum::<usize>();
            k > 0 && after[k..].starts_with('=')
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(s: &str) -> Vec<(String, Value)> {
        parse_cmd_and_input(s)
            .map(|c| c.params.into_iter().map(|p| (p.name, p.parsed)).collect())
            .unwrap_or_default()
    }

    fn cmd(s: &str) -> Option<&str> {
        parse_cmd_and_input(s).map(|c| &s[c.command])
    }

    #[test]
    fn commands() {
        assert_eq!(cmd("std.echo"), Some("std.echo"));
        assert_eq!(cmd("std.echo output=1"), Some("std.echo"));
        assert_eq!(cmd("my-action.v2 x=1"), Some("my-action.v2"));
        assert_eq!(cmd("<% $.a %> x=1"), Some("<% $.a %>"));
        assert_eq!(
            cmd("{{ _.name }} p={{ _.x }}"),
            Some("{{ _.name }} p={{ _.x }}")
        );
        assert_eq!(cmd("fail(msg='a b')"), Some("fail"));
        assert_eq!(cmd("=x y"), None);
        assert_eq!(cmd("(foo) bar=1"), None);
    }

    #[test]
    fn values_as_mistral_reads_them() {
        let s = |x: &str| Value::Str(x.to_string());
        assert_eq!(params("std.echo output=hello"), vec![]);
        assert_eq!(params("a x=12.5"), vec![("x".into(), Value::Int(12))]);
        assert_eq!(params("a x=007"), vec![("x".into(), s("007"))]);
        assert_eq!(params("a x=-5"), vec![]);
        assert_eq!(params("a x=True"), vec![]);
        assert_eq!(params("a x=true"), vec![("x".into(), Value::Bool(true))]);
        assert_eq!(
            params("a output=[1] delay=[0]"),
            vec![("output".into(), s("[1] delay=[0]"))]
        );
        assert_eq!(params("a a.b=\"c\""), vec![("b".into(), s("c"))]);
        assert_eq!(params("a q='it''s'"), vec![("q".into(), s("it"))]);
        assert_eq!(
            params("a x=<% $.y %> z"),
            vec![("x".into(), s("<% $.y %>"))]
        );
        assert_eq!(
            params("a x=[1, 2]"),
            vec![("x".into(), Value::List(vec![Value::Int(1), Value::Int(2)]))]
        );
        assert_eq!(
            params("count=3 delay=1"),
            vec![
                ("count".into(), Value::Int(3)),
                ("delay".into(), Value::Int(1))
            ]
        );
    }

    #[test]
    fn altered_parameters() {
        let alt = |s: &str| {
            parse_cmd_and_input(s).map(|c| c.altered.into_iter().map(|a| a.1).collect::<Vec<_>>())
        };
        assert_eq!(alt("a x=12.5"), Some(vec![Alteration::Truncated]));
        assert_eq!(alt("a x=12 y=1"), Some(vec![]));
        assert_eq!(
            alt("a output=[1] delay=[0]"),
            Some(vec![Alteration::Swallowed])
        );
        assert_eq!(alt("a x=[1, 2]"), Some(vec![]));
        assert_eq!(alt("a x=1 x=2"), Some(vec![Alteration::Overridden]));
        assert_eq!(alt("a a.b=\"c\""), Some(vec![Alteration::KeySplit]));
    }

    #[test]
    fn dropped_parameters() {
        let c = parse_cmd_and_input("core.http dangling_param=").unwrap_or_default();
        assert_eq!(c.dropped, vec![10..25]);
        let c = parse_cmd_and_input("std.echo output=hello x=1").unwrap_or_default();
        assert_eq!(c.dropped, vec![9..21]);
        assert_eq!(c.params.len(), 1);
    }
}
