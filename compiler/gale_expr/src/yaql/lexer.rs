//! The YAQL lexer: a faithful re-implementation of `yaql/language/lexer.py`
//! (PLY, first matching alternative wins, not the longest).
//!
//! Order of the alternatives at each position (after skipping ` \t\r\n`):
//! `DOLLAR` (`\$\w*`), `NUMBER` (`\b\d+(\.?\d+)?\b`), `FUNC` (`\b[^\W\d]\w*\(`),
//! `KEYWORD_STRING` (`(?!__)\b[^\W\d]\w*\b`), the three string kinds, then the
//! operator symbols (which, with the standard table, behave as a longest match), then
//! the single-character literals `( ) ] , }`. `\w`/`\d` are Unicode classes as in
//! Python's `re`.
//!
//! Like PLY, lexing is lazy from the parser's point of view: the parser consumes the
//! tokens produced before the first lexical error; see [`lex`].

use crate::Span;

/// An operator token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `.`
    Dot,
    /// `?.`
    SafeDot,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
    /// `mod`
    Mod,
    /// `not`
    Not,
    /// `and`
    And,
    /// `or`
    Or,
    /// `in`
    In,
    /// `->`
    Arrow,
    /// `=>` (the keyword-argument arrow; a binary operator in the legacy grammar)
    Mapping,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `!=`
    Ne,
    /// `=`
    Eq,
}

impl Op {
    /// The operator's source text.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Dot => ".",
            Op::SafeDot => "?.",
            Op::Match => "=~",
            Op::NotMatch => "!~",
            Op::Mod => "mod",
            Op::Not => "not",
            Op::And => "and",
            Op::Or => "or",
            Op::In => "in",
            Op::Arrow => "->",
            Op::Mapping => "=>",
            Op::Plus => "+",
            Op::Minus => "-",
            Op::Star => "*",
            Op::Slash => "/",
            Op::Gt => ">",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Le => "<=",
            Op::Ne => "!=",
            Op::Eq => "=",
        }
    }
}

/// A YAQL token. Text payloads borrow from the expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Token<'src> {
    /// `$`, `$name`, `$1` (the whole text, `$` included).
    Dollar(&'src str),
    /// An unsigned decimal number (the source text).
    Number(&'src str),
    /// A function name immediately followed by `(` (the name only; the token's span
    /// covers the `(` too).
    Func(&'src str),
    /// A bare word (a string constant).
    Word(&'src str),
    /// A quoted string, delimiters included (`'…'`, `"…"` or `` `…` ``).
    Str(&'src str),
    /// `true`
    True,
    /// `false`
    False,
    /// `null`
    Null,
    /// An operator.
    Op(Op),
    /// `[` (index or list)
    LBracket,
    /// `]`
    RBracket,
    /// `{` (dict literal)
    LBrace,
    /// `}`
    RBrace,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `,`
    Comma,
}

impl Token<'_> {
    /// The token's value as yaql prints it in "unexpected '…'" messages (Python `str()`
    /// of the PLY token value).
    pub fn python_value(&self) -> String {
        match *self {
            Token::Dollar(s) | Token::Func(s) | Token::Word(s) => s.to_owned(),
            Token::Number(s) => python_number_str(s),
            Token::Str(s) => decode_string(s).unwrap_or_else(|_| s.to_owned()),
            Token::True => "True".into(),
            Token::False => "False".into(),
            Token::Null => "None".into(),
            Token::Op(op) => op.as_str().into(),
            Token::LBracket => "[".into(),
            Token::RBracket => "]".into(),
            Token::LBrace => "{".into(),
            Token::RBrace => "}".into(),
            Token::LParen => "(".into(),
            Token::RParen => ")".into(),
            Token::Comma => ",".into(),
        }
    }
}

/// Python `str(int(s))` / `str(float(s))` for a NUMBER token.
fn python_number_str(s: &str) -> String {
    if s.contains('.') {
        match s.parse::<f64>() {
            Ok(f) => python_float_repr(f),
            Err(_) => s.to_owned(),
        }
    } else {
        let t = s.trim_start_matches('0');
        if t.is_empty() { "0".into() } else { t.into() }
    }
}

/// Python's `repr(float)` for finite values (shortest round-trip digits).
pub(crate) fn python_float_repr(f: f64) -> String {
    if f != 0.0 && (f.abs() >= 1e16 || f.abs() < 1e-4) {
        let s = format!("{f:e}");
        // Rust: 1e16, 1.5e-5 ; Python: 1e+16, 1.5e-05
        if let Some((mant, exp)) = s.split_once('e') {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            let digits = if digits.len() < 2 {
                format!("0{digits}")
            } else {
                digits.to_owned()
            };
            return format!("{mant}e{sign}{digits}");
        }
        s
    } else {
        let s = format!("{f}");
        if s.contains('.') || s.contains("inf") || s.contains("NaN") {
            s
        } else {
            format!("{s}.0")
        }
    }
}

/// A lexical error (`YaqlLexicalException`), or a string literal whose escape
/// sequences Python's `unicode-escape` codec rejects (a `ValueError`, which Mistral
/// also reports as a `YaqlGrammarException`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    /// Byte range of the offending character (or string literal).
    pub span: Span,
    /// The message as Mistral shows it.
    pub message: String,
}

/// The result of [`lex`]: the tokens before the first error, and that error.
#[derive(Clone, Debug, Default)]
pub struct Lexed<'src> {
    /// Tokens with their byte spans.
    pub tokens: Vec<(Token<'src>, Span)>,
    /// The first lexical error, if any; lexing stops there.
    pub error: Option<LexError>,
}

/// Python `\w` (Unicode): alphanumeric or underscore.
pub(crate) fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Python `\d` (Unicode decimal digit), approximated by `char::is_numeric` outside ASCII.
pub(crate) fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// Count of `char`s before byte offset `byte` (Python string positions).
pub(crate) fn char_pos(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(byte, |s| s.chars().count())
}

/// Tokenizes a YAQL expression with the standard operator table.
pub fn lex(text: &str) -> Lexed<'_> {
    lex_with(text, false)
}

/// Tokenizes; with `recover`, lexing goes on after an error (the illegal character is
/// skipped; a string with a bad escape is kept) and `error` holds the first one.
pub fn lex_with(text: &str, recover: bool) -> Lexed<'_> {
    let mut first_error: Option<LexError> = None;
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 3 + 1);
    let mut pos = 0usize;
    let prev_is_word = |pos: usize| text[..pos].chars().next_back().is_some_and(is_word);
    while pos < bytes.len() {
        let b = bytes[pos];
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            pos += 1;
            continue;
        }
        let rest = &text[pos..];
        let c = if b.is_ascii() {
            b as char
        } else {
            match rest.chars().next() {
                Some(c) => c,
                None => break,
            }
        };
        // DOLLAR
        if c == '$' {
            let end = pos + 1 + word_run(&rest[1..]);
            tokens.push((Token::Dollar(&text[pos..end]), Span::new(pos, end)));
            pos = end;
            continue;
        }
        // NUMBER
        if is_digit(c)
            && !prev_is_word(pos)
            && let Some(end) = number_end(text, pos)
        {
            tokens.push((Token::Number(&text[pos..end]), Span::new(pos, end)));
            pos = end;
            continue;
        }
        // FUNC / KEYWORD_STRING
        if (is_word(c) && !is_digit(c)) && !prev_is_word(pos) {
            let end = pos + word_run(rest);
            if text[end..].starts_with('(') {
                tokens.push((Token::Func(&text[pos..end]), Span::new(pos, end + 1)));
                pos = end + 1;
                continue;
            }
            if !rest.starts_with("__") {
                let word = &text[pos..end];
                let tok = match word {
                    "true" => Token::True,
                    "false" => Token::False,
                    "null" => Token::Null,
                    "mod" => Token::Op(Op::Mod),
                    "not" => Token::Op(Op::Not),
                    "and" => Token::Op(Op::And),
                    "or" => Token::Op(Op::Or),
                    "in" => Token::Op(Op::In),
                    _ => Token::Word(word),
                };
                tokens.push((tok, Span::new(pos, end)));
                pos = end;
                continue;
            }
        }
        // strings
        if matches!(c, '\'' | '"' | '`')
            && let Some(end) = string_end(text, pos, b)
        {
            let raw = &text[pos..end];
            if c != '`'
                && raw.contains('\\')
                && let Err(msg) = decode_string(raw)
            {
                let err = LexError {
                    span: Span::new(pos, end),
                    message: msg,
                };
                if !recover {
                    return Lexed {
                        tokens,
                        error: Some(err),
                    };
                }
                first_error.get_or_insert(err);
            }
            tokens.push((Token::Str(raw), Span::new(pos, end)));
            pos = end;
            continue;
        }
        // operators (the standard table's order amounts to a longest match)
        let two = bytes.get(pos..pos + 2).unwrap_or(&[]);
        let op2 = match two {
            b"?." => Some(Op::SafeDot),
            b"=~" => Some(Op::Match),
            b"!~" => Some(Op::NotMatch),
            b"->" => Some(Op::Arrow),
            b"=>" => Some(Op::Mapping),
            b">=" => Some(Op::Ge),
            b"<=" => Some(Op::Le),
            b"!=" => Some(Op::Ne),
            _ => None,
        };
        if let Some(op) = op2 {
            tokens.push((Token::Op(op), Span::new(pos, pos + 2)));
            pos += 2;
            continue;
        }
        let one = match b {
            b'[' => Some(Token::LBracket),
            b'.' => Some(Token::Op(Op::Dot)),
            b'+' => Some(Token::Op(Op::Plus)),
            b'-' => Some(Token::Op(Op::Minus)),
            b'*' => Some(Token::Op(Op::Star)),
            b'{' => Some(Token::LBrace),
            b'/' => Some(Token::Op(Op::Slash)),
            b'>' => Some(Token::Op(Op::Gt)),
            b'<' => Some(Token::Op(Op::Lt)),
            b'=' => Some(Token::Op(Op::Eq)),
            b'(' => Some(Token::LParen),
            b')' => Some(Token::RParen),
            b']' => Some(Token::RBracket),
            b',' => Some(Token::Comma),
            b'}' => Some(Token::RBrace),
            _ => None,
        };
        if let Some(tok) = one {
            tokens.push((tok, Span::new(pos, pos + 1)));
            pos += 1;
            continue;
        }
        let end = pos + c.len_utf8();
        let err = LexError {
            span: Span::new(pos, end),
            message: format!(
                "Lexical error: illegal character '{c}' at position {}",
                char_pos(text, pos)
            ),
        };
        if !recover {
            return Lexed {
                tokens,
                error: Some(err),
            };
        }
        first_error.get_or_insert(err);
        pos = end;
    }
    Lexed {
        tokens,
        error: first_error,
    }
}

/// Length in bytes of the run of `\w` characters at the start of `s`.
fn word_run(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut i = 0;
    // ASCII fast path
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
        i += 1;
    }
    if i == bytes.len() || bytes[i].is_ascii() {
        return i;
    }
    i + s[i..]
        .char_indices()
        .find(|&(_, c)| !is_word(c))
        .map_or(s.len() - i, |(k, _)| k)
}

/// Length in bytes of the run of `\d` characters at the start of `s`.
fn digit_run(s: &str) -> usize {
    s.char_indices()
        .find(|&(_, c)| !is_digit(c))
        .map_or(s.len(), |(i, _)| i)
}

/// End of a NUMBER match at `pos` (`\d+(\.?\d+)?\b`), if any.
fn number_end(text: &str, pos: usize) -> Option<usize> {
    let at_boundary = |i: usize| !text[i..].chars().next().is_some_and(is_word);
    let d1 = pos + digit_run(&text[pos..]);
    if text[d1..].starts_with('.') {
        let d2 = digit_run(&text[d1 + 1..]);
        if d2 > 0 && at_boundary(d1 + 1 + d2) {
            return Some(d1 + 1 + d2);
        }
    }
    at_boundary(d1).then_some(d1)
}

/// End of a quoted string starting at `pos` with quote byte `q`
/// (`q([^q\\]|\\.)*q`, where `.` does not match a newline), if it is closed.
fn string_end(text: &str, pos: usize, q: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = pos + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if b == q {
            return Some(i + 1);
        }
        if b == b'\\' {
            match bytes.get(i + 1) {
                None | Some(b'\n') => return None,
                Some(_) => {
                    // skip the escaped character (may be multi-byte)
                    let c = text[i + 1..].chars().next()?;
                    i += 1 + c.len_utf8();
                    continue;
                }
            }
        }
        i += 1;
    }
    None
}

/// The value of a string token (delimiters included in `raw`): yaql's
/// `decode_escapes` for `'…'`/`"…"`, `` \` `` → `` ` `` for back-quoted strings.
/// Errors carry Python's `unicode-escape` codec message.
pub fn decode_string(raw: &str) -> Result<String, String> {
    let quote = raw.as_bytes().first().copied().unwrap_or(b'\'');
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
    if quote == b'`' {
        return Ok(inner.replace("\\`", "`"));
    }
    if !inner.contains('\\') {
        return Ok(inner.to_owned());
    }
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let esc = &rest[i..];
        let (consumed, value) = decode_one_escape(esc)?;
        match value {
            Some(v) => out.push_str(&v),
            None => out.push_str(&esc[..consumed]),
        }
        rest = &esc[consumed..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Decodes one escape at the start of `esc` (which starts with `\`). Returns the
/// consumed byte length and the decoded text (`None`: kept verbatim).
fn decode_one_escape(esc: &str) -> Result<(usize, Option<String>), String> {
    let mut chars = esc.chars();
    chars.next();
    let Some(c) = chars.next() else {
        return Ok((1, None));
    };
    let hex = |n: usize, what: &str| -> Result<(usize, Option<String>), String> {
        // `\\x..` takes exactly n arbitrary characters (regex `.`: not a newline).
        let body: String = esc[2..].chars().take(n).collect();
        if body.chars().count() < n || body.contains('\n') {
            return Ok((2, None));
        }
        let consumed = 2 + body.len();
        let valid_hex = body.chars().take_while(|c| c.is_ascii_hexdigit()).count();
        if valid_hex < n {
            let end = 1 + valid_hex; // python reports "position 0-N"
            return Err(format!(
                "'unicodeescape' codec can't decode bytes in position 0-{end}: truncated {what} escape"
            ));
        }
        let v = u32::from_str_radix(&body, 16).unwrap_or(u32::MAX);
        match char::from_u32(v) {
            Some(ch) => Ok((consumed, Some(ch.to_string()))),
            None => Err(format!(
                "'unicodeescape' codec can't decode bytes in position 0-{}: illegal Unicode character",
                consumed - 1
            )),
        }
    };
    match c {
        'U' => hex(8, "\\UXXXXXXXX"),
        'u' => hex(4, "\\uXXXX"),
        'x' => hex(2, "\\xXX"),
        '0'..='7' => {
            let digits: String = esc[1..]
                .chars()
                .take(3)
                .take_while(|c| ('0'..='7').contains(c))
                .collect();
            let v = u32::from_str_radix(&digits, 8).unwrap_or(0);
            let ch = char::from_u32(v).unwrap_or('\u{fffd}');
            Ok((1 + digits.len(), Some(ch.to_string())))
        }
        'N' => {
            // \N{NAME}: needs a name database; accept the syntax and keep a placeholder.
            if esc[2..].starts_with('{')
                && let Some(close) = esc[3..].find('}')
                && close > 0
            {
                return Ok((3 + close + 1, Some('\u{fffd}'.to_string())));
            }
            Ok((2, None))
        }
        '\\' => Ok((2, Some("\\".into()))),
        '\'' => Ok((2, Some("'".into()))),
        '"' => Ok((2, Some("\"".into()))),
        'a' => Ok((2, Some("\u{7}".into()))),
        'b' => Ok((2, Some("\u{8}".into()))),
        'f' => Ok((2, Some("\u{c}".into()))),
        'n' => Ok((2, Some("\n".into()))),
        'r' => Ok((2, Some("\r".into()))),
        't' => Ok((2, Some("\t".into()))),
        'v' => Ok((2, Some("\u{b}".into()))),
        _ => Ok((1, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Token<'_>> {
        lex(s).tokens.into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn first_match_rules() {
        assert_eq!(
            kinds("$a.b"),
            vec![Token::Dollar("$a"), Token::Op(Op::Dot), Token::Word("b")]
        );
        assert_eq!(kinds("not(x)")[0], Token::Func("not"));
        assert_eq!(kinds("1.5e3").len(), 2);
        assert!(lex("1.5e3").error.is_some());
        assert_eq!(
            kinds("2.abs()"),
            vec![
                Token::Number("2"),
                Token::Op(Op::Dot),
                Token::Func("abs"),
                Token::RParen
            ]
        );
        assert_eq!(
            lex("$.__d").error.map(|e| e.message).as_deref(),
            Some("Lexical error: illegal character '_' at position 2")
        );
        assert_eq!(
            kinds("a=>b>=c"),
            vec![
                Token::Word("a"),
                Token::Op(Op::Mapping),
                Token::Word("b"),
                Token::Op(Op::Ge),
                Token::Word("c")
            ]
        );
    }

    #[test]
    fn strings() {
        assert_eq!(decode_string(r"'\d+'").as_deref(), Ok(r"\d+"));
        assert_eq!(decode_string(r"'a\nb'").as_deref(), Ok("a\nb"));
        assert_eq!(decode_string(r"'\x41'").as_deref(), Ok("A"));
        assert!(decode_string(r"'\x4g'").is_err());
        assert_eq!(decode_string(r"`a\`b\n`").as_deref(), Ok("a`b\\n"));
        assert_eq!(python_number_str("007"), "7");
        assert_eq!(python_number_str("1.50"), "1.5");
    }
}
