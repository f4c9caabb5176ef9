//! The Jinja lexer: a re-implementation of `jinja2/lexer.py` (Jinja2 3.1.6) for the
//! environment Mistral uses (default delimiters, `trim_blocks`, `lstrip_blocks`, no
//! line statements).
//!
//! States: template data, `{{ … }}`, `{% … %}`, `{# … #}`, `{% raw %}…{% endraw %}`.
//! Inside tags: whitespace, float, integer, name, string and operator rules in
//! Jinja's order; the end delimiter is only recognised while brackets are balanced;
//! unbalanced closers are errors (`unexpected '}', expected ')'`). Errors carry
//! Jinja's messages; positions in `unexpected char … at N` are character offsets in
//! the (newline-normalised) template, as Jinja prints them.
//!
//! Jinja's lexer is lazy: the parser may fail before reaching a lexical error. The
//! token list therefore ends with either [`Tok::Eof`] or [`Tok::Error`], and the
//! parser raises the error only when it reaches it.

use crate::yaql::lexer::{char_pos, is_digit, is_word};
use crate::{Lang, Segment, SegmentKind, Span};

/// Operators inside tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `*`
    Mul,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `~`
    Tilde,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `=`
    Assign,
    /// `.`
    Dot,
    /// `:`
    Colon,
    /// `|`
    Pipe,
    /// `,`
    Comma,
    /// `;`
    Semicolon,
}

impl JOp {
    /// The operator text (Jinja's description of the token).
    pub fn as_str(self) -> &'static str {
        match self {
            JOp::Add => "+",
            JOp::Sub => "-",
            JOp::Div => "/",
            JOp::FloorDiv => "//",
            JOp::Mul => "*",
            JOp::Mod => "%",
            JOp::Pow => "**",
            JOp::Tilde => "~",
            JOp::LBracket => "[",
            JOp::RBracket => "]",
            JOp::LParen => "(",
            JOp::RParen => ")",
            JOp::LBrace => "{",
            JOp::RBrace => "}",
            JOp::Eq => "==",
            JOp::Ne => "!=",
            JOp::Gt => ">",
            JOp::GtEq => ">=",
            JOp::Lt => "<",
            JOp::LtEq => "<=",
            JOp::Assign => "=",
            JOp::Dot => ".",
            JOp::Colon => ":",
            JOp::Pipe => "|",
            JOp::Comma => ",",
            JOp::Semicolon => ";",
        }
    }
}

/// A Jinja token (after Jinja's `wrap`: whitespace, comments and raw markers dropped).
#[derive(Clone, Debug, PartialEq)]
pub enum Tok<'s> {
    /// Template text.
    Data,
    /// `{{`
    VariableBegin,
    /// `}}`
    VariableEnd,
    /// `{%`
    BlockBegin,
    /// `%}`
    BlockEnd,
    /// A name (identifiers and keywords alike).
    Name(&'s str),
    /// A string literal, unescaped.
    Str(String),
    /// An integer literal (`_` removed; base prefixes kept).
    Int(Box<str>),
    /// A float literal (`_` removed).
    Float(f64),
    /// An operator.
    Op(JOp),
    /// End of template.
    Eof,
    /// A lexical error: Jinja's message.
    Error(String),
}

impl Tok<'_> {
    /// Jinja's `describe_token`.
    pub fn describe(&self) -> String {
        match self {
            Tok::Data => "template data / text".into(),
            Tok::VariableBegin => "begin of print statement".into(),
            Tok::VariableEnd => "end of print statement".into(),
            Tok::BlockBegin => "begin of statement block".into(),
            Tok::BlockEnd => "end of statement block".into(),
            Tok::Name(n) => n.to_string(),
            Tok::Str(_) => "string".into(),
            Tok::Int(_) => "integer".into(),
            Tok::Float(_) => "float".into(),
            Tok::Op(o) => o.as_str().into(),
            Tok::Eof | Tok::Error(_) => "end of template".into(),
        }
    }
}

/// Tokens with byte spans in the original string.
pub type Tokens<'s> = Vec<(Tok<'s>, Span)>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Variable,
    Block,
}

/// Python `repr()` of a one-character string.
fn py_repr_char(c: char) -> String {
    match c {
        '\'' => "\"'\"".into(),
        '\\' => "'\\\\'".into(),
        '\n' => "'\\n'".into(),
        '\r' => "'\\r'".into(),
        '\t' => "'\\t'".into(),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("'\\x{:02x}'", c as u32),
        c => format!("'{c}'"),
    }
}

/// Character position in Jinja's normalised source (`\r\n` and `\r` become `\n`).
fn jinja_pos(text: &str, byte: usize) -> usize {
    let prefix = text.get(..byte).unwrap_or(text);
    char_pos(text, byte) - prefix.matches("\r\n").count()
}

/// The length Jinja lexes: one trailing newline is dropped first.
fn lexed_len(text: &str) -> usize {
    if text.ends_with("\r\n") {
        text.len() - 2
    } else if text.ends_with('\n') || text.ends_with('\r') {
        text.len() - 1
    } else {
        text.len()
    }
}

/// Tokenizes a whole template. The last token is `Eof` or `Error`.
pub fn lex(text: &str) -> Tokens<'_> {
    let mut out: Tokens<'_> = Vec::with_capacity(16);
    lex_root(text, 0, lexed_len(text), &mut out);
    out
}

/// Tokenizes an expression as `compile_expression` does (starting inside `{{`).
pub fn lex_expression(text: &str) -> Tokens<'_> {
    let mut out: Tokens<'_> = Vec::with_capacity(8);
    let len = lexed_len(text);
    if let Some(p) = lex_tag(text, 0, len, State::Variable, &mut out) {
        lex_root(text, p, len, &mut out);
    }
    out
}

fn lex_root<'s>(text: &'s str, start: usize, len: usize, out: &mut Tokens<'s>) {
    let bytes = text.as_bytes();
    let mut pos = start;
    let err = |out: &mut Tokens<'s>, msg: String, s: usize, e: usize| {
        out.push((Tok::Error(msg), Span::new(s, e)));
    };
    'root: loop {
        // find the next tag start
        let mut i = pos;
        let start = loop {
            if i + 1 >= len {
                break None;
            }
            if bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#') {
                break Some(i);
            }
            i += 1;
        };
        let Some(ts) = start else {
            if pos < len {
                out.push((Tok::Data, Span::new(pos, len)));
            }
            out.push((Tok::Eof, Span::new(len, len)));
            return;
        };
        if ts > pos {
            out.push((Tok::Data, Span::new(pos, ts)));
        }
        let kind = bytes[ts + 1];
        let mut p = ts + 2;
        if matches!(bytes.get(p), Some(b'-' | b'+')) && p < len {
            p += 1;
        }
        match kind {
            b'#' => {
                // (.*?)((?:\+#}|\-#}\s*|#}\n?))
                match text[p..len].find("#}") {
                    Some(k) => {
                        let mut end = p + k + 2;
                        let dash = k > 0 && bytes[p + k - 1] == b'-';
                        if dash {
                            end = skip_ws(text, end, len);
                        } else if bytes.get(end) == Some(&b'\n') && end < len {
                            end += 1;
                        }
                        pos = end;
                        continue 'root;
                    }
                    None => {
                        if p < len {
                            err(out, "Missing end of comment tag".into(), ts, len);
                        } else {
                            out.push((Tok::Eof, Span::new(len, len)));
                        }
                        return;
                    }
                }
            }
            b'%' => {
                // raw block?
                let q = skip_ws(text, p, len);
                if text[q..len].starts_with("raw") {
                    let r = skip_ws(text, q + 3, len);
                    let close = if text[r..len].starts_with("-%}") {
                        Some(skip_ws(text, r + 3, len))
                    } else if text[r..len].starts_with("%}") {
                        Some(r + 2)
                    } else {
                        None
                    };
                    if let Some(body) = close {
                        // (.*?)({%[-+]?\s*endraw\s*(\+%}|-%}\s*|%}\n?))
                        let mut k = body;
                        loop {
                            let Some(off) = text[k..len].find("{%") else {
                                if body < len {
                                    err(out, "Missing end of raw directive".into(), ts, len);
                                } else {
                                    out.push((Tok::Eof, Span::new(len, len)));
                                }
                                return;
                            };
                            let s = k + off;
                            let mut e = s + 2;
                            if matches!(bytes.get(e), Some(b'-' | b'+')) {
                                e += 1;
                            }
                            e = skip_ws(text, e, len);
                            if text[e..len].starts_with("endraw") {
                                let f = skip_ws(text, e + 6, len);
                                let rest = &text[f..len];
                                let end = if rest.starts_with("+%}") {
                                    Some(f + 3)
                                } else if rest.starts_with("-%}") {
                                    Some(skip_ws(text, f + 3, len))
                                } else if rest.starts_with("%}") {
                                    Some(if bytes.get(f + 2) == Some(&b'\n') && f + 2 < len {
                                        f + 3
                                    } else {
                                        f + 2
                                    })
                                } else {
                                    None
                                };
                                if let Some(end) = end {
                                    if s > body {
                                        out.push((Tok::Data, Span::new(body, s)));
                                    }
                                    pos = end;
                                    continue 'root;
                                }
                            }
                            k = s + 2;
                        }
                    }
                }
                out.push((Tok::BlockBegin, Span::new(ts, p)));
                match lex_tag(text, p, len, State::Block, out) {
                    Some(next) => pos = next,
                    None => return,
                }
            }
            _ => {
                out.push((Tok::VariableBegin, Span::new(ts, p)));
                match lex_tag(text, p, len, State::Variable, out) {
                    Some(next) => pos = next,
                    None => return,
                }
            }
        }
    }
}

fn skip_ws(text: &str, mut p: usize, len: usize) -> usize {
    while p < len {
        match text[p..len].chars().next() {
            Some(c) if c.is_whitespace() => p += c.len_utf8(),
            _ => break,
        }
    }
    p
}

/// Lexes inside a tag from `p`; returns the position after the end delimiter, or
/// `None` after pushing `Eof`/`Error` (end of input or error).
fn lex_tag<'s>(
    text: &'s str,
    mut p: usize,
    len: usize,
    state: State,
    out: &mut Tokens<'s>,
) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut balancing: Vec<u8> = Vec::new();
    loop {
        let rest = &text[p..len];
        if balancing.is_empty() {
            match state {
                State::Variable => {
                    if rest.starts_with("-}}") {
                        out.push((Tok::VariableEnd, Span::new(p, p + 3)));
                        return Some(skip_ws(text, p + 3, len));
                    }
                    if rest.starts_with("}}") {
                        out.push((Tok::VariableEnd, Span::new(p, p + 2)));
                        return Some(p + 2);
                    }
                }
                State::Block => {
                    if rest.starts_with("+%}") {
                        out.push((Tok::BlockEnd, Span::new(p, p + 3)));
                        return Some(p + 3);
                    }
                    if rest.starts_with("-%}") {
                        out.push((Tok::BlockEnd, Span::new(p, p + 3)));
                        return Some(skip_ws(text, p + 3, len));
                    }
                    if rest.starts_with("%}") {
                        out.push((Tok::BlockEnd, Span::new(p, p + 2)));
                        let e = if bytes.get(p + 2) == Some(&b'\n') && p + 2 < len {
                            p + 3
                        } else {
                            p + 2
                        };
                        return Some(e);
                    }
                }
            }
        }
        let Some(c) = rest.chars().next() else {
            out.push((Tok::Eof, Span::new(len, len)));
            return None;
        };
        if c.is_whitespace() {
            p = skip_ws(text, p, len);
            continue;
        }
        if is_digit(c) {
            if let Some((end, v)) = float_at(text, p, len) {
                out.push((Tok::Float(v), Span::new(p, end)));
                p = end;
                continue;
            }
            if let Some(end) = integer_at(text, p, len) {
                let lit: String = text[p..end].chars().filter(|&c| c != '_').collect();
                out.push((Tok::Int(lit.into()), Span::new(p, end)));
                p = end;
                continue;
            }
        }
        if is_word(c) {
            let end = p + rest
                .char_indices()
                .find(|&(_, c)| !is_word(c))
                .map_or(rest.len(), |(i, _)| i);
            if is_digit(c) {
                out.push((
                    Tok::Error("Invalid character in identifier".into()),
                    Span::new(p, end),
                ));
                return None;
            }
            out.push((Tok::Name(&text[p..end]), Span::new(p, end)));
            p = end;
            continue;
        }
        if (c == '\'' || c == '"')
            && let Some(end) = string_end(bytes, p, len)
        {
            match unescape(&text[p + 1..end - 1]) {
                Ok(s) => out.push((Tok::Str(s), Span::new(p, end))),
                Err(m) => {
                    out.push((Tok::Error(m), Span::new(p, end)));
                    return None;
                }
            }
            p = end;
            continue;
        }
        let two = bytes.get(p..p + 2).unwrap_or(&[]);
        let op2 = match two {
            b"//" => Some(JOp::FloorDiv),
            b"**" => Some(JOp::Pow),
            b"==" => Some(JOp::Eq),
            b"!=" => Some(JOp::Ne),
            b">=" => Some(JOp::GtEq),
            b"<=" => Some(JOp::LtEq),
            _ => None,
        };
        let (op, n) = match op2 {
            Some(o) => (Some(o), 2),
            None => (
                match c {
                    '+' => Some(JOp::Add),
                    '-' => Some(JOp::Sub),
                    '/' => Some(JOp::Div),
                    '*' => Some(JOp::Mul),
                    '%' => Some(JOp::Mod),
                    '~' => Some(JOp::Tilde),
                    '[' => Some(JOp::LBracket),
                    ']' => Some(JOp::RBracket),
                    '(' => Some(JOp::LParen),
                    ')' => Some(JOp::RParen),
                    '{' => Some(JOp::LBrace),
                    '}' => Some(JOp::RBrace),
                    '>' => Some(JOp::Gt),
                    '<' => Some(JOp::Lt),
                    '=' => Some(JOp::Assign),
                    '.' => Some(JOp::Dot),
                    ':' => Some(JOp::Colon),
                    '|' => Some(JOp::Pipe),
                    ',' => Some(JOp::Comma),
                    ';' => Some(JOp::Semicolon),
                    _ => None,
                },
                1,
            ),
        };
        let Some(op) = op else {
            out.push((
                Tok::Error(format!(
                    "unexpected char {} at {}",
                    py_repr_char(c),
                    jinja_pos(text, p)
                )),
                Span::new(p, p + c.len_utf8()),
            ));
            return None;
        };
        match op {
            JOp::LBrace => balancing.push(b'}'),
            JOp::LParen => balancing.push(b')'),
            JOp::LBracket => balancing.push(b']'),
            JOp::RBrace | JOp::RParen | JOp::RBracket => {
                let data = op.as_str();
                match balancing.pop() {
                    None => {
                        out.push((
                            Tok::Error(format!("unexpected '{data}'")),
                            Span::new(p, p + 1),
                        ));
                        return None;
                    }
                    Some(exp) if exp != data.as_bytes()[0] => {
                        out.push((
                            Tok::Error(format!("unexpected '{data}', expected '{}'", exp as char)),
                            Span::new(p, p + 1),
                        ));
                        return None;
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
        out.push((Tok::Op(op), Span::new(p, p + n)));
        p += n;
    }
}

/// `'([^'\\]*(?:\\.[^'\\]*)*)'` (DOTALL): end of a string literal starting at `p`.
fn string_end(bytes: &[u8], p: usize, len: usize) -> Option<usize> {
    let q = bytes[p];
    let mut i = p + 1;
    while i < len {
        match bytes[i] {
            b'\\' => i += 2,
            b if b == q => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Python `unicode-escape` decoding of a Jinja string body (after
/// `encode("ascii", "backslashreplace")`, so non-ASCII text is kept).
fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('\\') {
        return Ok(s.to_owned());
    }
    let mut out = String::with_capacity(s.len());
    let mut it = s.char_indices().peekable();
    while let Some((_, c)) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some((_, e)) = it.next() else {
            return Err("\\ at end of string".into());
        };
        let mut hex = |n: usize, what: &str| -> Result<(), String> {
            let mut v = 0u32;
            for _ in 0..n {
                match it.peek().and_then(|&(_, h)| h.to_digit(16)) {
                    Some(d) => {
                        v = v * 16 + d;
                        it.next();
                    }
                    None => return Err(format!("truncated {what} escape")),
                }
            }
            match char::from_u32(v) {
                Some(ch) => {
                    out.push(ch);
                    Ok(())
                }
                None => Err("illegal Unicode character".into()),
            }
        };
        match e {
            'x' => hex(2, "\\xXX")?,
            'u' => hex(4, "\\uXXXX")?,
            'U' => hex(8, "\\UXXXXXXXX")?,
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            '\n' => {}
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match it.peek().and_then(|&(_, h)| h.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(v).unwrap_or('\u{fffd}'));
            }
            'N' => {
                // \N{NAME}: accepted when well-formed (no name database here).
                if it.peek().map(|&(_, c)| c) != Some('{') {
                    return Err("malformed \\N character escape".into());
                }
                let mut closed = false;
                for (_, c) in it.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                }
                if !closed {
                    return Err("malformed \\N character escape".into());
                }
                out.push('\u{fffd}');
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

/// Jinja's `float_re` at `p`: returns the end and the value.
fn float_at(text: &str, p: usize, len: usize) -> Option<(usize, f64)> {
    if p > 0 && text.as_bytes()[p - 1] == b'.' {
        return None;
    }
    let b = &text.as_bytes()[..len];
    let digits = |mut i: usize| -> Option<usize> {
        // (\d+_)*\d+
        let start = i;
        loop {
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == s {
                return if s == start { None } else { Some(s - 1) };
            }
            if i < b.len() && b[i] == b'_' && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                i += 1;
                continue;
            }
            return Some(i);
        }
    };
    let int_end = digits(p)?;
    let frac_end = if b.get(int_end) == Some(&b'.') {
        digits(int_end + 1)
    } else {
        None
    };
    let exp = |i: usize| -> Option<usize> {
        if !matches!(b.get(i), Some(b'e' | b'E')) {
            return None;
        }
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        digits(j)
    };
    let end = if let Some(fe) = frac_end {
        exp(fe).unwrap_or(fe)
    } else {
        exp(int_end)?
    };
    let lit: String = text[p..end].chars().filter(|&c| c != '_').collect();
    Some((end, lit.parse().unwrap_or(f64::NAN)))
}

/// Jinja's `integer_re` at `p`.
fn integer_at(text: &str, p: usize, len: usize) -> Option<usize> {
    let b = &text.as_bytes()[..len];
    let run = |mut i: usize, ok: &dyn Fn(u8) -> bool| -> usize {
        // (_?[class])+ ; returns end (== i if none)
        loop {
            if i < b.len() && ok(b[i]) {
                i += 1;
            } else if i + 1 < b.len() && b[i] == b'_' && ok(b[i + 1]) {
                i += 2;
            } else {
                return i;
            }
        }
    };
    if b[p] == b'0' {
        if let Some(&x) = b.get(p + 1) {
            let (ok, n): (&dyn Fn(u8) -> bool, bool) = match x | 0x20 {
                b'b' => (&|c: u8| c == b'0' || c == b'1', true),
                b'o' => (&|c: u8| (b'0'..=b'7').contains(&c), true),
                b'x' => (&|c: u8| c.is_ascii_hexdigit(), true),
                _ => (&|_| false, false),
            };
            if n {
                let e = run(p + 2, ok);
                if e > p + 2 {
                    return Some(e);
                }
            }
        }
        return Some(run(p + 1, &|c| c == b'0'));
    }
    if b[p].is_ascii_digit() {
        return Some(run(p + 1, &|c: u8| c.is_ascii_digit()));
    }
    None
}

/// The tags of a Jinja template as segments (`{{ … }}` expressions and `{% … %}`
/// statements, comments and raw blocks excluded), by Jinja's own lexer. `None` when
/// the template does not lex.
pub fn segments(text: &str) -> Option<Vec<Segment>> {
    let toks = lex(text);
    let mut out = Vec::new();
    let mut open: Option<(Span, SegmentKind)> = None;
    for (t, s) in &toks {
        match t {
            Tok::VariableBegin => open = Some((*s, SegmentKind::Expression)),
            Tok::BlockBegin => open = Some((*s, SegmentKind::Statement)),
            Tok::VariableEnd | Tok::BlockEnd => {
                let (b, kind) = open.take()?;
                out.push(Segment {
                    lang: Lang::Jinja,
                    kind,
                    outer: b.start..s.end,
                    inner: b.end..s.start,
                });
            }
            Tok::Error(_) => return None,
            Tok::Eof if open.is_some() => return None,
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error(s: &str) -> Option<String> {
        match lex(s).pop() {
            Some((Tok::Error(m), _)) => Some(m),
            _ => None,
        }
    }

    #[test]
    fn errors() {
        assert_eq!(
            last_error("{{ $ }}").as_deref(),
            Some("unexpected char '$' at 3")
        );
        assert_eq!(
            last_error("{{ foo( }}").as_deref(),
            Some("unexpected '}', expected ')'")
        );
        assert_eq!(last_error("{{ ) }}").as_deref(), Some("unexpected ')'"));
        assert_eq!(
            last_error("{# x").as_deref(),
            Some("Missing end of comment tag")
        );
        assert_eq!(last_error("{{ 'a' }} {% raw %} {{ $ }} {% endraw %}"), None);
        assert_eq!(last_error("{{ 1 }").as_deref(), Some("unexpected '}'"));
    }

    #[test]
    fn numbers() {
        let t = lex("{{ 1.5 1e3 0x1F 1_000 007 }}");
        let kinds: Vec<_> = t.iter().map(|(t, _)| t.clone()).collect();
        assert_eq!(kinds[1], Tok::Float(1.5));
        assert_eq!(kinds[2], Tok::Float(1000.0));
        assert_eq!(kinds[3], Tok::Int("0x1F".into()));
        assert_eq!(kinds[4], Tok::Int("1000".into()));
    }

    #[test]
    fn segments_of_template() {
        let s = segments("a {{ x }} {% if y %}b{% endif %}").unwrap_or_default();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].inner, 4..7);
    }
}
