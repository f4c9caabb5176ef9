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

/// The tree of a [`is_simple`] expression, built directly (exactly the tree the
/// parser builds for it); `None` for any other text.
pub(crate) fn parse_simple(text: &str) -> Option<ast::Expr> {
    use ast::{Expr, ExprKind};
    if !is_simple(text) {
        return None;
    }
    let b = text.as_bytes();
    let lead = b.iter().take_while(|c| **c == b' ').count();
    let end = text.len() - b.iter().rev().take_while(|c| **c == b' ').count();
    let name_end = |from: usize| {
        from + b[from..end]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count()
    };
    let (mut expr, mut i) = if b.get(lead) == Some(&b'$') {
        let z = name_end(lead + 1);
        let var = Expr {
            kind: ExprKind::Var(text.get(lead + 1..z)?.into()),
            span: crate::Span::new(lead, z),
        };
        (var, z)
    } else {
        let z = name_end(lead);
        let call = Expr {
            kind: ExprKind::Call {
                name: text.get(lead..z)?.into(),
                name_span: crate::Span::new(lead, z),
                args: Vec::new(),
            },
            span: crate::Span::new(lead, z + 2),
        };
        (call, z + 2)
    };
    while i < end {
        let z = name_end(i + 1);
        let member = Expr {
            kind: ExprKind::Word(text.get(i + 1..z)?.into()),
            span: crate::Span::new(i + 1, z),
        };
        let start = expr.span.start as usize;
        expr = Expr {
            kind: ExprKind::Member {
                receiver: Box::new(expr),
                safe: false,
                op_span: crate::Span::new(i, i + 1),
                member: Box::new(member),
            },
            span: crate::Span::new(start, z),
        };
        i = z;
    }
    Some(expr)
}

#[cfg(test)]
mod tests {
    use super::{Options, is_simple, parse, parse_simple, parser};

    /// The direct trees are the parser's trees, under every grammar option.
    #[test]
    fn simple_trees_are_the_parsers() {
        for s in [
            " $ ",
            "$",
            "$x",
            " $.host ",
            "$.a.b_c.D9",
            "$var.x",
            "$1",
            " task().result ",
            "execution().id",
            " env() ",
            "$._x",
            "  $.a.b.c.d  ",
        ] {
            let expr = parse_simple(s);
            assert!(expr.is_some(), "{s:?}");
            for legacy in [false, true] {
                for allow_delegates in [false, true] {
                    let options = Options {
                        legacy,
                        allow_delegates,
                    };
                    let full = parser::parse_with_parser(s, options);
                    assert!(full.errors.is_empty(), "{s:?}");
                    assert_eq!(full.expr, expr, "{s:?} {options:?}");
                }
            }
        }
    }

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

    /// Every plain-path expression of the real corpus gets the parser's own tree.
    #[test]
    fn corpus_simple_trees_are_the_parsers() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        let Ok(manifest) = std::fs::read_to_string(root.join("manifest.jsonl")) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "../shared/corpus not found"
            );
            eprintln!("*** SKIPPED: ../shared not found ***");
            return;
        };
        let mut simple = 0;
        for line in manifest.lines() {
            let Some(path) = line
                .split("\"path\": \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
            else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(root.join(path)) else {
                continue;
            };
            for (_, inner) in crate::segments::yaql_expressions(&text) {
                let body = &text[inner];
                if let Some(expr) = parse_simple(body) {
                    simple += 1;
                    let full = parser::parse_with_parser(body, Options::MISTRAL);
                    assert!(full.errors.is_empty(), "{body:?}");
                    assert_eq!(full.expr, Some(expr), "{body:?}");
                }
            }
        }
        assert!(simple > 1000, "only {simple} plain paths found");
    }
}
