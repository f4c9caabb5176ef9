//! Semantic tokens for the YAQL and Jinja expressions inside YAML strings: functions,
//! methods, variables, attributes, operators, strings, numbers, keywords, the
//! delimiters, and task names in `task('name')` calls.
//!
//! Tokens come from `gale_expr`'s lexers on the decoded string and are mapped to the
//! file through the scalar's offset map, so they land on the right characters inside
//! quoted, escaped or block strings. A token whose source text would span a line
//! break (possible in folded or multi-line quoted strings) is left out: LSP tokens
//! are single-line.

use gale_db::{Database, SourceFile};
use gale_diagnostics::Span;
use gale_expr::jinja::lexer::{JOp, Tok};
use gale_expr::yaql::lexer::{Op, Token};
use gale_expr::{Lang, Segment};
use gale_hir::ExpressionSite;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenKind {
    /// A function called as `f(…)` (also Jinja globals).
    Function,
    /// A method called as `x.f(…)`, a Jinja filter (`| f`) or test (`is f`).
    Method,
    /// `$`, `$name`, a Jinja name.
    Variable,
    /// An attribute or key: `$.name`, `x.name`, a bare YAQL word.
    Property,
    /// An operator (`+`, `=`, `->`, `|`…).
    Operator,
    /// A string literal.
    String,
    /// A number literal.
    Number,
    /// `and`, `or`, `not`, `in`, `true`, `null`, Jinja statement words…
    Keyword,
    /// A task name: the string argument of `task(…)`.
    Task,
    /// The expression delimiters `<%`, `%>`, `{{`, `}}`, `{%`, `%}`.
    Delimiter,
}

impl TokenKind {
    /// Every kind, in the order of the LSP legend.
    pub const ALL: [TokenKind; 10] = [
        TokenKind::Function,
        TokenKind::Method,
        TokenKind::Variable,
        TokenKind::Property,
        TokenKind::Operator,
        TokenKind::String,
        TokenKind::Number,
        TokenKind::Keyword,
        TokenKind::Task,
        TokenKind::Delimiter,
    ];

    /// Position in [`TokenKind::ALL`].
    pub fn index(self) -> u32 {
        TokenKind::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or_default() as u32
    }
}

/// One token: a span of the file and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    /// Where (never across a line break).
    pub span: Span,
    /// What.
    pub kind: TokenKind,
}

/// Every expression token of the file, sorted, not overlapping.
pub fn semantic_tokens(db: &Database, file: SourceFile) -> Vec<SemanticToken> {
    let lowered = gale_db::lower(db, file);
    let text = file.text(db);
    let mut out = Vec::new();
    for site in lowered.source_map.expressions() {
        site_tokens(site, text, &mut out);
    }
    out.sort_by_key(|t| (t.span.start, t.span.end));
    let mut last_end = 0;
    out.retain(|t| {
        let keep = t.span.start >= last_end && t.span.end > t.span.start;
        if keep {
            last_end = t.span.end;
        }
        keep
    });
    out
}

/// The tokens of one expression string, in file positions.
fn site_tokens(site: &ExpressionSite, text: &str, out: &mut Vec<SemanticToken>) {
    let mut push = |start: u32, end: u32, kind: TokenKind| {
        let span = site.offsets.span(start, end);
        let single_line = text
            .get(span.start as usize..span.end as usize)
            .is_some_and(|s| !s.contains('\n'));
        if single_line {
            out.push(SemanticToken { span, kind });
        }
    };
    for segment in gale_expr::find_segments(&site.text) {
        let Segment { outer, inner, .. } = &segment;
        if outer.start < inner.start {
            push(outer.start, inner.start, TokenKind::Delimiter);
        }
        if inner.end < outer.end {
            push(inner.end, outer.end, TokenKind::Delimiter);
        }
        let Some(body) = site.text.get(inner.start as usize..inner.end as usize) else {
            continue;
        };
        let tokens = match segment.lang {
            Lang::Yaql => yaql_tokens(body),
            Lang::Jinja => jinja_tokens(body),
        };
        for (start, end, kind) in tokens {
            push(inner.start + start, inner.start + end, kind);
        }
    }
}

/// YAQL tokens of an expression body: `(start, end, kind)` relative to the body.
pub(crate) fn yaql_tokens(body: &str) -> Vec<(u32, u32, TokenKind)> {
    let lexed = gale_expr::yaql::lexer::lex_with(body, true);
    let tokens = &lexed.tokens;
    let mut out = Vec::with_capacity(tokens.len());
    for (i, (token, span)) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| tokens.get(p)).map(|t| t.0);
        let after_dot = matches!(prev, Some(Token::Op(Op::Dot | Op::SafeDot)));
        let kind = match token {
            Token::Dollar(_) => TokenKind::Variable,
            Token::Func(name) => {
                let kind = if after_dot {
                    TokenKind::Method
                } else {
                    TokenKind::Function
                };
                out.push((span.start, span.start + name.len() as u32, kind));
                continue;
            }
            // `task(name)` and `task('name')`: the argument is a task name.
            Token::Word(_) | Token::Str(_) if is_task_argument(tokens, i) => TokenKind::Task,
            Token::Word(_) => TokenKind::Property,
            Token::Number(_) => TokenKind::Number,
            Token::Str(_) => TokenKind::String,
            Token::True | Token::False | Token::Null => TokenKind::Keyword,
            Token::Op(op) => {
                if op.as_str().chars().all(|c| c.is_ascii_alphabetic()) {
                    TokenKind::Keyword
                } else {
                    TokenKind::Operator
                }
            }
            Token::LBracket
            | Token::RBracket
            | Token::LBrace
            | Token::RBrace
            | Token::LParen
            | Token::RParen
            | Token::Comma => continue,
        };
        out.push((span.start, span.end, kind));
    }
    out
}

/// Whether token `i` is the sole argument of a `task(…)` function call.
fn is_task_argument(tokens: &[(Token<'_>, gale_expr::Span)], i: usize) -> bool {
    let Some(call) = i.checked_sub(1) else {
        return false;
    };
    let after_dot = call
        .checked_sub(1)
        .and_then(|p| tokens.get(p))
        .is_some_and(|t| matches!(t.0, Token::Op(Op::Dot | Op::SafeDot)));
    matches!(tokens.get(call), Some((Token::Func("task"), _)))
        && !after_dot
        && matches!(tokens.get(i + 1), Some((Token::RParen, _)))
}

/// Words Jinja reads as keywords (statements, operators, constants).
const JINJA_KEYWORDS: &[&str] = &[
    "and",
    "block",
    "break",
    "continue",
    "elif",
    "else",
    "endblock",
    "endfilter",
    "endfor",
    "endif",
    "endmacro",
    "endset",
    "endwith",
    "false",
    "False",
    "filter",
    "for",
    "if",
    "import",
    "in",
    "include",
    "is",
    "macro",
    "none",
    "None",
    "not",
    "or",
    "recursive",
    "set",
    "true",
    "True",
    "with",
];

/// Jinja tokens of a `{{ … }}` or `{% … %}` body, relative to the body.
pub(crate) fn jinja_tokens(body: &str) -> Vec<(u32, u32, TokenKind)> {
    let tokens = gale_expr::jinja::lexer::lex_expression(body);
    let mut out = Vec::with_capacity(tokens.len());
    for (i, (tok, span)) in tokens.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| tokens.get(p)).map(|t| &t.0);
        let next = tokens.get(i + 1).map(|t| &t.0);
        let kind = match tok {
            Tok::Name(name) => {
                if matches!(prev, Some(Tok::Op(JOp::Pipe))) || matches!(prev, Some(Tok::Name("is")))
                {
                    TokenKind::Method
                } else if matches!(prev, Some(Tok::Op(JOp::Dot))) {
                    if matches!(next, Some(Tok::Op(JOp::LParen))) {
                        TokenKind::Method
                    } else {
                        TokenKind::Property
                    }
                } else if JINJA_KEYWORDS.contains(name) {
                    TokenKind::Keyword
                } else if matches!(next, Some(Tok::Op(JOp::LParen))) {
                    TokenKind::Function
                } else {
                    TokenKind::Variable
                }
            }
            Tok::Str(_) => {
                let task_arg = i >= 2
                    && matches!(prev, Some(Tok::Op(JOp::LParen)))
                    && matches!(tokens.get(i - 2), Some((Tok::Name("task"), _)));
                if task_arg {
                    TokenKind::Task
                } else {
                    TokenKind::String
                }
            }
            Tok::Int(_) | Tok::Float(_) => TokenKind::Number,
            Tok::Op(
                JOp::LBracket
                | JOp::RBracket
                | JOp::LParen
                | JOp::RParen
                | JOp::LBrace
                | JOp::RBrace
                | JOp::Comma
                | JOp::Colon
                | JOp::Semicolon
                | JOp::Dot,
            ) => continue,
            Tok::Op(_) => TokenKind::Operator,
            _ => continue,
        };
        out.push((span.start, span.end, kind));
    }
    out
}
