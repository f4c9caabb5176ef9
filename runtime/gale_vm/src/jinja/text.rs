//! The text filters `urlize`, `wordwrap` and `xmlattr`, ported from Jinja2 3.1.6
//! (`jinja2/utils.py::urlize`, `jinja2/filters.py`) and CPython 3.11's `textwrap`
//! (what `wordwrap` calls), with Jinja's default policies (`urlize.rel` =
//! `noopener`, no `target`, no extra schemes) and newline sequence (`\n`).

use std::sync::OnceLock;

use fancy_regex::Regex;

use super::{is_undefined, to_str};
use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::Value;

fn regex(cell: &'static OnceLock<Option<Regex>>, pattern: &str) -> Option<&'static Regex> {
    cell.get_or_init(|| Regex::new(pattern).ok()).as_ref()
}

/// `markupsafe.escape(s)`.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('>', "&gt;")
        .replace('<', "&lt;")
        .replace('\'', "&#39;")
        .replace('"', "&#34;")
}

fn http_re() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    regex(
        &R,
        r"(?i)^((https?://|www\.)(([\w%-]+\.)+)?([a-z]{2,63}|xn--[\w%]{2,59})|([\w%-]{2,63}\.)+(com|net|int|edu|gov|org|info|mil)|(https?://)((([\d]{1,3})(\.[\d]{1,3}){3})|(\[([\da-f]{0,4}:){2}([\da-f]{0,4}:?){1,6}\])))(?::[\d]{1,5})?(?:[/?#]\S*)?$",
    )
}

fn email_re() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    regex(&R, r"^\S+@\w[\w.-]*\.\w+$")
}

fn matches(re: Option<&Regex>, s: &str) -> bool {
    re.is_some_and(|r| r.is_match(s).unwrap_or(false))
}

/// Python's `re.split(r"(\s+)", text)`: words and the whitespace runs between them.
fn split_whitespace_keep(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_ws = None;
    for (i, c) in text.char_indices() {
        let ws = c.is_whitespace();
        match in_ws {
            Some(w) if w != ws => {
                out.push(&text[start..i]);
                start = i;
            }
            _ => {}
        }
        in_ws = Some(ws);
    }
    out.push(&text[start..]);
    // `re.split` starts with the text before the first separator (possibly empty).
    if text.chars().next().is_some_and(char::is_whitespace) {
        out.insert(0, "");
    }
    out
}

/// `urlize(value, trim_url_limit, nofollow, target, rel, extra_schemes)`.
pub fn urlize(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let text = to_str(&a[0])?;
    let limit = match &a[1] {
        Value::Null => None,
        v => Some(
            v.as_i64_lenient()
                .ok_or_else(|| Error::type_error("'>' not supported for trim_url_limit"))?
                .max(0) as usize,
        ),
    };
    let mut rel_parts: Vec<String> = match &a[4] {
        Value::Null => Vec::new(),
        v => to_str(v)?.split_whitespace().map(str::to_string).collect(),
    };
    if super::truthy(&a[2])? {
        rel_parts.push("nofollow".into());
    }
    rel_parts.push("noopener".into());
    rel_parts.sort();
    rel_parts.dedup();
    let rel = rel_parts.join(" ");
    let target = match &a[3] {
        Value::Null => None,
        v => Some(to_str(v)?),
    };
    let schemes: Vec<String> = match &a[5] {
        Value::Null => Vec::new(),
        v => v
            .as_seq()
            .unwrap_or_default()
            .iter()
            .map(to_str)
            .collect::<Result<_>>()?,
    };
    let trim = |x: &str| -> String {
        match limit {
            Some(n) if x.chars().count() > n => {
                format!("{}...", x.chars().take(n).collect::<String>())
            }
            _ => x.to_string(),
        }
    };
    let rel_attr = if rel.is_empty() {
        String::new()
    } else {
        format!(" rel=\"{}\"", html_escape(&rel))
    };
    let target_attr = match &target {
        Some(t) if !t.is_empty() => format!(" target=\"{}\"", html_escape(t)),
        _ => String::new(),
    };
    let escaped = html_escape(&text);
    let mut out = String::with_capacity(escaped.len());
    for word in split_whitespace_keep(&escaped) {
        let mut middle = word;
        let mut head_len = 0;
        loop {
            let rest = &middle[head_len..];
            if rest.starts_with('(') || rest.starts_with('<') {
                head_len += 1;
            } else if rest.starts_with("&lt;") {
                head_len += 4;
            } else {
                break;
            }
        }
        let head = &middle[..head_len];
        middle = &middle[head_len..];
        let mut cut = middle.len();
        loop {
            let m = &middle[..cut];
            if m.ends_with("&gt;") {
                cut -= 4;
            } else if m.ends_with([')', '>', '.', ',', '\n']) {
                cut -= 1;
            } else {
                break;
            }
        }
        let mut middle = middle[..cut].to_string();
        let mut tail = word[head_len + cut..].to_string();
        for (open, close) in [("(", ")"), ("<", ">"), ("&lt;", "&gt;")] {
            let start_count = middle.matches(open).count();
            if start_count <= middle.matches(close).count() {
                continue;
            }
            for _ in 0..start_count.min(tail.matches(close).count()) {
                let Some(i) = tail.find(close) else { break };
                let end = i + close.len();
                middle.push_str(&tail[..end]);
                tail = tail[end..].to_string();
            }
        }
        let linked = if matches(http_re(), &middle) {
            if middle.starts_with("https://") || middle.starts_with("http://") {
                format!(
                    "<a href=\"{middle}\"{rel_attr}{target_attr}>{}</a>",
                    trim(&middle)
                )
            } else {
                format!(
                    "<a href=\"https://{middle}\"{rel_attr}{target_attr}>{}</a>",
                    trim(&middle)
                )
            }
        } else if let Some(addr) = middle
            .strip_prefix("mailto:")
            .filter(|m| matches(email_re(), m))
        {
            format!("<a href=\"{middle}\">{addr}</a>")
        } else if middle.contains('@')
            && !middle.starts_with("www.")
            && !middle.starts_with('@')
            && !middle.contains(':')
            && matches(email_re(), &middle)
        {
            format!("<a href=\"mailto:{middle}\">{middle}</a>")
        } else {
            let mut m = middle.clone();
            for s in &schemes {
                if m != *s && m.starts_with(s.as_str()) {
                    m = format!("<a href=\"{m}\"{rel_attr}{target_attr}>{m}</a>");
                }
            }
            m
        };
        out.push_str(head);
        out.push_str(&linked);
        out.push_str(&tail);
    }
    Ok(Value::str(out))
}

/// Python's `str.splitlines()`.
fn splitlines(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = s.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        let brk = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if brk {
            out.push(&s[start..i]);
            let mut next = i + c.len_utf8();
            if c == '\r'
                && let Some((j, '\n')) = it.peek().copied()
            {
                it.next();
                next = j + 1;
            }
            start = next;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

fn wordsep_re() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    // CPython 3.11 `textwrap.TextWrapper.wordsep_re`.
    let ws = r"[\t\n\x0b\x0c\r ]";
    let nws = r"[^\t\n\x0b\x0c\r ]";
    let wp = r#"[\w!"'&.,?]"#;
    let lt = r"[^\d\W]";
    let pattern = format!(
        r"({ws}+|(?<={wp})-{{2,}}(?=\w)|{nws}+?(?:-(?:(?<={lt}{{2}}-)|(?<={lt}-{lt}-))(?={lt}-?{lt})|(?={ws}|\z)|(?<={wp})(?=-{{2,}}\w)))"
    );
    regex(&R, &pattern)
}

fn wordsep_simple_re() -> Option<&'static Regex> {
    static R: OnceLock<Option<Regex>> = OnceLock::new();
    regex(&R, r"([\t\n\x0b\x0c\r ]+)")
}

/// `re.split` with one capturing group covering the whole pattern, empty strings
/// dropped (`TextWrapper._split`).
fn split_chunks(re: &Regex, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut last = 0;
    let mut pos = 0;
    while pos <= text.len() {
        let Ok(Some(m)) = re.find_from_pos(text, pos) else {
            break;
        };
        if m.start() > last {
            out.push(text[last..m.start()].to_string());
        }
        if !m.as_str().is_empty() {
            out.push(m.as_str().to_string());
        }
        last = m.end();
        pos = if m.end() > m.start() {
            m.end()
        } else {
            // An empty match: step over one character.
            m.end() + text[m.end()..].chars().next().map_or(1, char::len_utf8)
        };
    }
    if last < text.len() {
        out.push(text[last..].to_string());
    }
    out
}

fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

fn clen(s: &str) -> usize {
    s.chars().count()
}

fn char_split(s: &str, at: usize) -> (String, String) {
    let i = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
    (s[..i].to_string(), s[i..].to_string())
}

/// `textwrap.wrap(text, width, expand_tabs=False, replace_whitespace=False, …)`.
fn wrap(
    cx: &mut Ctx,
    text: &str,
    width: i64,
    break_long_words: bool,
    break_on_hyphens: bool,
) -> Result<Vec<String>> {
    let re = if break_on_hyphens {
        wordsep_re()
    } else {
        wordsep_simple_re()
    };
    let Some(re) = re else {
        return Ok(vec![text.to_string()]);
    };
    let mut chunks = split_chunks(re, text);
    if width <= 0 {
        return Err(Error::value_error(format!(
            "invalid width {width} (must be > 0)"
        )));
    }
    let width = width as usize;
    chunks.reverse();
    let mut lines: Vec<String> = Vec::new();
    while !chunks.is_empty() {
        cx.tick()?;
        let mut cur: Vec<String> = Vec::new();
        let mut cur_len = 0usize;
        if chunks.last().is_some_and(|c| is_blank(c)) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(c) = chunks.last() {
            let l = clen(c);
            if cur_len + l <= width {
                cur_len += l;
                cur.extend(chunks.pop());
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| clen(c) > width) {
            // `_handle_long_word`.
            let space_left = if width < 1 { 1 } else { width - cur_len };
            if break_long_words {
                let mut end = space_left;
                if let Some(chunk) = chunks.last_mut() {
                    if break_on_hyphens && clen(chunk) > space_left {
                        let head: String = chunk.chars().take(space_left).collect();
                        if let Some(h) = head.rfind('-') {
                            let h = clen(&head[..h]);
                            if h > 0 && head.chars().take(h).any(|c| c != '-') {
                                end = h + 1;
                            }
                        }
                    }
                    let (a, b) = char_split(chunk, end);
                    cur.push(a);
                    *chunk = b;
                }
            } else if cur.is_empty() {
                cur.extend(chunks.pop());
            }
        }
        if cur.last().is_some_and(|c| is_blank(c)) {
            cur.pop();
        }
        if !cur.is_empty() {
            let line = cur.concat();
            cx.charge(line.len())?;
            lines.push(line);
        }
    }
    Ok(lines)
}

/// `wordwrap(s, width=79, break_long_words=True, wrapstring=None,
/// break_on_hyphens=True)`: each line (paragraph) of `s` wrapped separately.
pub fn wordwrap(cx: &mut Ctx, a: &[Value]) -> Result<Value> {
    let Value::Str(s) = super::check(&a[0])? else {
        return Err(Error::new(
            ErrorKind::AttributeError,
            format!(
                "'{}' object has no attribute 'splitlines'",
                a[0].type_name()
            ),
        ));
    };
    let width = a[1]
        .as_i64_lenient()
        .ok_or_else(|| Error::type_error("'<=' not supported for width"))?;
    let wrapstring = match &a[3] {
        Value::Null => "\n".to_string(),
        v => to_str(v)?,
    };
    let break_long = super::truthy(&a[2])?;
    let on_hyphens = super::truthy(&a[4])?;
    let mut paragraphs = Vec::new();
    for line in splitlines(s) {
        paragraphs.push(wrap(cx, line, width, break_long, on_hyphens)?.join(&wrapstring));
    }
    Ok(Value::str(paragraphs.join(&wrapstring)))
}

/// `xmlattr(d, autospace=True)`: `key="value"` pairs, escaped; `none` and undefined
/// values skipped; keys with whitespace, `/`, `>` or `=` refused.
pub fn xmlattr(_: &mut Ctx, a: &[Value]) -> Result<Value> {
    let Value::Dict(d) = super::check(&a[0])? else {
        return Err(Error::new(
            ErrorKind::AttributeError,
            format!("'{}' object has no attribute 'items'", a[0].type_name()),
        ));
    };
    let mut items = Vec::new();
    for (k, v) in d.map.iter() {
        if matches!(v, Value::Null) || is_undefined(v) {
            continue;
        }
        let key = to_str(&k.0)?;
        if key.chars().any(|c| {
            matches!(
                c,
                ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' | '/' | '>' | '='
            )
        }) {
            return Err(Error::value_error(format!(
                "Invalid character in attribute name: {}",
                crate::pyfmt::repr(&k.0)
            )));
        }
        items.push(format!(
            "{}=\"{}\"",
            html_escape(&key),
            html_escape(&to_str(v)?)
        ));
    }
    let rv = items.join(" ");
    Ok(Value::str(if super::truthy(&a[1])? && !rv.is_empty() {
        format!(" {rv}")
    } else {
        rv
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_splits() {
        assert_eq!(
            split_whitespace_keep(" a  b"),
            vec!["", " ", "a", "  ", "b"]
        );
        assert_eq!(splitlines("a\r\nb\n\nc\n"), vec!["a", "b", "", "c"]);
        let re = wordsep_re().expect("wordsep_re compiles");
        assert_eq!(
            split_chunks(re, "well-known  words"),
            vec!["well-", "known", "  ", "words"]
        );
    }
}
