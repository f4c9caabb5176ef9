//! YAQL: lexer, syntax tree and parser (yaql 3.2.0 grammar, as configured by Mistral).
//!
//! Entry points: [`parse`] (Mistral's engine), [`parse_with`] (grammar options) and
//! [`parse_recovering`] (best-effort tree for half-typed text).

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{
    Options, ParseError, ParseErrorKind, Parsed, parse, parse_recovering, parse_with,
};

/// Whether `text` is a path expression so simple that yaql certainly parses it:
/// optional spaces, then `$`, `$name` or `name()`, then any number of `.name`,
/// then optional spaces (ASCII names that are not keywords and do not start with
/// `__`). About four in five of the expressions in real workflows are of this form
/// (`$.host`, `task().result`, `execution().id`); recognising them spares the
/// full parser when only the verdict is needed.
pub fn is_simple(text: &str) -> bool {
    let b = text.trim_matches(' ').as_bytes();
    let name_len = |s: &[u8]| -> usize {
        match s.first() {
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => s
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count(),
            _ => 0,
        }
    };
    let plain_name = |s: &[u8]| {
        !s.starts_with(b"__")
            && !matches!(
                s,
                b"true" | b"false" | b"null" | b"mod" | b"not" | b"and" | b"or" | b"in"
            )
    };
    let mut i = match b.first() {
        Some(b'$') => {
            1 + b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        }
        Some(_) => {
            let n = name_len(b);
            if n == 0 || !plain_name(&b[..n]) || b.get(n..n + 2) != Some(b"()") {
                return false;
            }
            n + 2
        }
        None => return false,
    };
    while i < b.len() {
        if b[i] != b'.' {
            return false;
        }
        let n = name_len(&b[i + 1..]);
        if n == 0 || !plain_name(&b[i + 1..i + 1 + n]) {
            return false;
        }
        i += 1 + n;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{is_simple, parse};

    #[test]
    fn simple_paths_parse() {
        for s in [
            " $ ",
            "$",
            " $.host ",
            "$.a.b_c.D9",
            "$var.x",
            "$1",
            " task().result ",
            "execution().id",
            " env() ",
            "$._x",
        ] {
            assert!(is_simple(s), "{s:?}");
            assert!(parse(s).errors.is_empty(), "{s:?}");
            assert!(parse(s).expr.is_some(), "{s:?}");
        }
        for s in [
            "",
            "  ",
            "$.",
            "$.a.",
            "$..a",
            "$.true",
            "$.and",
            "$.__x",
            "$.1",
            "not()",
            "task(x).result",
            "$.a b",
            "\t$.a",
            "$.a\n",
            "$.é",
            "$ .a",
            "f ()",
            "f()()",
            "$.a()",
        ] {
            assert!(!is_simple(s), "{s:?}");
        }
    }
}
