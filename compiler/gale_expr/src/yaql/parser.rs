//! The YAQL parser (chumsky, Pratt operators) over the tokens of [`super::lexer`].
//!
//! It reproduces yaql's PLY/LALR grammar (`yaql/language/parser.py`) with the
//! standard operator table (`yaql/language/factory.py`), including the argument-list
//! rules (skipped positional arguments `f(1,,3)`, no trailing comma, `name => value`
//! only after the positional ones), and the options that change the grammar:
//! delegate calls `E(args)` and the legacy `=>` tuple operator.
//!
//! Errors are reported where yaql's LALR parser detects them (the first token that
//! cannot continue a valid prefix) with yaql's own messages. As in PLY, the lexer is
//! lazy: a grammar error before the first illegal character wins over the lexical
//! error.

use chumsky::input::ValueInput;
use chumsky::prelude::*;

use super::ast::{Arg, BinaryOp, Expr, ExprKind, UnaryOp};
use super::lexer::{Op, Token, char_pos, decode_string, lex};
use crate::Span;

/// Grammar options (yaql.md §3.4, §7.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Options {
    /// The legacy grammar: `=>` is a binary tuple operator, no keyword arguments.
    pub legacy: bool,
    /// Delegate calls `E(args)` on any value.
    pub allow_delegates: bool,
}

impl Options {
    /// The configuration Mistral uses: standard grammar, no delegates.
    pub const MISTRAL: Options = Options {
        legacy: false,
        allow_delegates: false,
    };
}

/// Which exception yaql raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// `YaqlLexicalException` (also a string literal with an undecodable escape,
    /// which Python reports as a `ValueError`).
    Lexical,
    /// `YaqlGrammarException`.
    Grammar,
}

/// A YAQL syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Lexical or grammar.
    pub kind: ParseErrorKind,
    /// Byte range in the expression text (empty at the end for "unexpected end").
    pub span: Span,
    /// yaql's message, e.g. `Parse error: unexpected '*' at position 1 of expression ' * '`.
    pub message: String,
}

/// The result of [`parse`]: a tree when the text parsed, and the errors (yaql stops at
/// the first one, so there is at most one).
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The expression, if parsing succeeded.
    pub expr: Option<Expr>,
    /// Syntax errors.
    pub errors: Vec<ParseError>,
}

/// Parses a YAQL expression as Mistral's engine does.
pub fn parse(text: &str) -> Parsed {
    parse_with(text, Options::MISTRAL)
}

type Extra<'t, 'src> = extra::Err<Simple<'t, Token<'src>, SimpleSpan>>;

fn sp(s: SimpleSpan) -> Span {
    Span {
        start: s.start as u32,
        end: s.end as u32,
    }
}

fn point(s: SimpleSpan) -> Span {
    Span {
        start: s.start as u32,
        end: s.start as u32,
    }
}

fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

/// Parses `text` with the given grammar options.
pub fn parse_with(text: &str, options: Options) -> Parsed {
    // Most expressions are plain paths (`$.host`, `task().result`): their tree is
    // built directly, without the general parser.
    if let Some(expr) = super::parse_simple(text) {
        return Parsed {
            expr: Some(expr),
            errors: Vec::new(),
        };
    }
    parse_with_parser(text, options)
}

/// [`parse_with`] always through the general parser (no shortcut for plain paths).
///
/// Each expression is parsed twice in a row on the same thread: by lowering (for its
/// syntax errors, `gale_hir`) and then by the analysis (for its tree, `gale_check`).
/// The first parse leaves its result here and the second takes it back, so the
/// general parser — two thirds of the time an expression costs — runs once.
pub(crate) fn parse_with_parser(text: &str, options: Options) -> Parsed {
    thread_local! {
        /// Results parsed but not yet asked for again, by text and options.
        static LEFT: std::cell::RefCell<std::collections::HashMap<(Box<str>, Options), Parsed>> =
            std::cell::RefCell::default();
    }
    let key = (Box::<str>::from(text), options);
    if let Some(parsed) = LEFT.with(|left| left.borrow_mut().remove(&key)) {
        return parsed;
    }
    let parsed = parse_uncached(text, options);
    LEFT.with(|left| {
        let mut left = left.borrow_mut();
        if left.len() >= 4096 {
            // Results nobody asked for again (a language server re-lowering a file
            // it does not re-analyse): keep the memo small.
            left.clear();
        }
        left.insert(key, parsed.clone());
    });
    parsed
}

/// The general parser itself.
fn parse_uncached(text: &str, options: Options) -> Parsed {
    let lexed = lex(text);
    if let Some(err) = too_deep(&lexed) {
        return Parsed {
            expr: None,
            errors: vec![err],
        };
    }
    let (expr, errs) = with_parser(options, false, |p| {
        p.parse(owned_tokens(&lexed, text)).into_output_errors()
    });
    if let Some(err) = errs.into_iter().next() {
        // A grammar error at a real token comes before a later lexical error.
        if err.found().is_some() {
            let start = err.span().start;
            let i = lexed
                .tokens
                .partition_point(|(_, s)| (s.start as usize) < start);
            let value = lexed
                .tokens
                .get(i)
                .map(|(t, _)| t.python_value())
                .unwrap_or_default();
            let span = lexed.tokens.get(i).map_or(sp(*err.span()), |(_, s)| *s);
            return Parsed {
                expr: None,
                errors: vec![ParseError {
                    kind: ParseErrorKind::Grammar,
                    span,
                    message: format!(
                        "Parse error: unexpected '{value}' at position {} of expression '{text}'",
                        char_pos(text, span.start as usize),
                    ),
                }],
            };
        }
        if lexed.error.is_none() {
            let end = text.len() as u32;
            return Parsed {
                expr: None,
                errors: vec![ParseError {
                    kind: ParseErrorKind::Grammar,
                    span: Span { start: end, end },
                    message: "Parse error: unexpected end of statement".into(),
                }],
            };
        }
    }
    if let Some(lex_err) = lexed.error {
        return Parsed {
            expr: None,
            errors: vec![ParseError {
                kind: ParseErrorKind::Lexical,
                span: lex_err.span,
                message: lex_err.message,
            }],
        };
    }
    let expr = expr.map(|mut e| {
        fill(&mut e, text);
        e
    });
    Parsed {
        expr,
        errors: Vec::new(),
    }
}

/// Parses half-typed text for the language server: `errors` are exactly those of
/// [`parse_with`] (yaql stops at the first), but `expr` is a best-effort tree even
/// when the text is wrong: missing operands become [`ExprKind::Error`] nodes,
/// missing closing delimiters at the end are assumed, illegal characters are
/// skipped, and trailing garbage is ignored.
pub fn parse_recovering(text: &str, options: Options) -> Parsed {
    let exact = parse_with(text, options);
    if exact.errors.is_empty() {
        return exact;
    }
    let lexed = super::lexer::lex_with(text, true);
    if too_deep(&lexed).is_some() {
        return exact;
    }
    let (expr, _) = with_parser(options, true, |p| {
        p.parse(owned_tokens(&lexed, text)).into_output_errors()
    });
    let expr = expr.map(|mut e| {
        fill(&mut e, text);
        e
    });
    Parsed {
        expr,
        errors: exact.errors,
    }
}

/// Bracket nesting beyond which the text is refused (yaql's table-driven parser has no
/// limit; a recursive parser needs one to keep its stack bounded).
pub const MAX_NESTING: usize = 100;

/// Token count beyond which the text is refused (bounds the depth of left-nested
/// operator chains, hence of the tree).
pub const MAX_TOKENS: usize = 4000;

/// The error for text nested deeper than [`MAX_NESTING`], if it is.
fn too_deep(lexed: &super::lexer::Lexed<'_>) -> Option<ParseError> {
    if let Some((_, s)) = lexed.tokens.get(MAX_TOKENS) {
        return Some(ParseError {
            kind: ParseErrorKind::Grammar,
            span: *s,
            message: format!("expression longer than {MAX_TOKENS} tokens"),
        });
    }
    let mut depth = 0usize;
    for (t, s) in &lexed.tokens {
        match t {
            Token::LParen | Token::LBracket | Token::LBrace | Token::Func(_) => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(ParseError {
                        kind: ParseErrorKind::Grammar,
                        span: *s,
                        message: format!("expression nested more than {MAX_NESTING} levels deep"),
                    });
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// The tokens without their text payloads (the cached parser is `'static`).
#[derive(Clone)]
struct OwnedTokens {
    toks: Vec<(Token<'static>, SimpleSpan)>,
    eoi: SimpleSpan,
}

fn owned_tokens(lexed: &super::lexer::Lexed<'_>, text: &str) -> OwnedTokens {
    let toks = lexed
        .tokens
        .iter()
        .map(|&(t, s)| {
            let t = match t {
                Token::Dollar(_) => Token::Dollar(""),
                Token::Number(_) => Token::Number(""),
                Token::Func(_) => Token::Func(""),
                Token::Word(_) => Token::Word(""),
                Token::Str(_) => Token::Str(""),
                Token::True => Token::True,
                Token::False => Token::False,
                Token::Null => Token::Null,
                Token::Op(o) => Token::Op(o),
                Token::LBracket => Token::LBracket,
                Token::RBracket => Token::RBracket,
                Token::LBrace => Token::LBrace,
                Token::RBrace => Token::RBrace,
                Token::LParen => Token::LParen,
                Token::RParen => Token::RParen,
                Token::Comma => Token::Comma,
            };
            (t, SimpleSpan::from(s.start as usize..s.end as usize))
        })
        .collect();
    OwnedTokens {
        toks,
        eoi: SimpleSpan::from(text.len()..text.len()),
    }
}

impl<'src> chumsky::input::Input<'src> for OwnedTokens {
    type Span = SimpleSpan;
    type Token = Token<'static>;
    type MaybeToken = Token<'static>;
    /// Index of the next token, and the end of the last token consumed.
    type Cursor = (usize, Option<usize>);
    type Cache = OwnedTokens;

    fn begin(self) -> (Self::Cursor, Self::Cache) {
        ((0, None), self)
    }

    fn cursor_location(cursor: &Self::Cursor) -> usize {
        cursor.0
    }

    unsafe fn next_maybe(
        cache: &mut Self::Cache,
        cursor: &mut Self::Cursor,
    ) -> Option<Self::MaybeToken> {
        let (t, s) = *cache.toks.get(cursor.0)?;
        cursor.0 += 1;
        cursor.1 = Some(s.end);
        Some(t)
    }

    unsafe fn span(cache: &mut Self::Cache, range: std::ops::Range<&Self::Cursor>) -> Self::Span {
        // Same rule as chumsky's `MappedInput`.
        match cache.toks.get(range.start.0) {
            Some((_, s)) => SimpleSpan::from(s.start..range.end.1.unwrap_or(cache.eoi.end)),
            None => SimpleSpan::from(cache.eoi.end..cache.eoi.end),
        }
    }
}

impl<'src> ValueInput<'src> for OwnedTokens {
    unsafe fn next(cache: &mut Self::Cache, cursor: &mut Self::Cursor) -> Option<Self::Token> {
        // SAFETY: same contract as `next_maybe`, which has no unsafe requirements here.
        unsafe { <Self as chumsky::input::Input<'src>>::next_maybe(cache, cursor) }
    }
}

type Cached = Boxed<'static, 'static, OwnedTokens, Expr, Extra<'static, 'static>>;

thread_local! {
    /// Parsers built once per thread, per (legacy, delegates, recover).
    static PARSERS: [std::cell::OnceCell<Cached>; 8] = Default::default();
}

fn with_parser<R>(options: Options, recover: bool, f: impl FnOnce(&Cached) -> R) -> R {
    let idx = usize::from(options.legacy)
        | usize::from(options.allow_delegates) << 1
        | usize::from(recover) << 2;
    PARSERS.with(|ps| {
        let p = ps[idx].get_or_init(|| {
            if recover {
                expr_parser(options, true)
                    .then_ignore(any().repeated())
                    .boxed()
            } else {
                expr_parser(options, false).then_ignore(end()).boxed()
            }
        });
        f(p)
    })
}

/// Fills the text-dependent values (names, literals) from the spans.
fn fill(e: &mut Expr, text: &str) {
    let src = |s: Span| text.get(s.start as usize..s.end as usize).unwrap_or("");
    let span = e.span;
    match &mut e.kind {
        ExprKind::Int(_) => e.kind = number(src(span)),
        ExprKind::Str(v) => *v = decode_string(src(span)).unwrap_or_default(),
        ExprKind::Word(w) => *w = src(span).into(),
        ExprKind::Var(v) => *v = src(span).get(1..).unwrap_or("").into(),
        ExprKind::Call {
            name,
            name_span,
            args,
        } => {
            *name = src(*name_span).into();
            fill_args(args, text);
        }
        ExprKind::DelegateCall { callee, args } => {
            fill(callee, text);
            fill_args(args, text);
        }
        ExprKind::Member {
            receiver, member, ..
        } => {
            fill(receiver, text);
            fill(member, text);
        }
        ExprKind::Index { target, args } => {
            fill(target, text);
            fill_args(args, text);
        }
        ExprKind::List(args) | ExprKind::Map(args) => fill_args(args, text),
        ExprKind::Binary { lhs, rhs, .. } => {
            fill(lhs, text);
            fill(rhs, text);
        }
        ExprKind::Unary { operand, .. } => fill(operand, text),
        ExprKind::Paren(inner) => fill(inner, text),
        ExprKind::Null
        | ExprKind::Bool(_)
        | ExprKind::BigInt(_)
        | ExprKind::Float(_)
        | ExprKind::Error => {}
    }
}

fn fill_args(args: &mut [Arg], text: &str) {
    for a in args {
        match a {
            Arg::Positional(e) => fill(e, text),
            Arg::Skipped(_) => {}
            Arg::Pair { key, value, .. } => {
                fill(key, text);
                fill(value, text);
            }
        }
    }
}

fn number(s: &str) -> ExprKind {
    if s.contains('.') {
        return ExprKind::Float(s.parse().unwrap_or(f64::NAN));
    }
    if let Ok(v) = s.parse::<u64>() {
        return ExprKind::Int(v);
    }
    let digits: String = s
        .chars()
        .map(|c| {
            c.to_digit(10)
                .and_then(|d| char::from_digit(d, 10))
                .unwrap_or(c)
        })
        .collect();
    match digits.parse::<u64>() {
        Ok(v) => ExprKind::Int(v),
        Err(_) => {
            let t = digits.trim_start_matches('0');
            ExprKind::BigInt(if t.is_empty() { "0".into() } else { t.into() })
        }
    }
}

fn binary(op: BinaryOp, op_span: SimpleSpan, lhs: Expr, rhs: Expr) -> Expr {
    let span = Span {
        start: lhs.span.start,
        end: rhs.span.end,
    };
    Expr {
        kind: ExprKind::Binary {
            op,
            op_span: sp(op_span),
            lhs: boxed(lhs),
            rhs: boxed(rhs),
        },
        span,
    }
}

fn unary(op: UnaryOp, op_span: SimpleSpan, operand: Expr) -> Expr {
    let span = Span {
        start: op_span.start as u32,
        end: operand.span.end,
    };
    Expr {
        kind: ExprKind::Unary {
            op,
            op_span: sp(op_span),
            operand: boxed(operand),
        },
        span,
    }
}

/// How an operator token binds (yaql.md §3.2): levels 1 (`->`) to 12 (`.`), with
/// `(left, right)` binding powers `2L`/`2L+1` (left-associative) or `2L+1`/`2L`
/// (right-associative), as in yacc's precedence resolution.
enum Binding {
    /// Infix operator.
    Infix(u8, u8, Op),
    /// `[…]` index (postfix).
    Index(u8),
    /// `(…)` delegate call (postfix, loosest: applies to everything on its left).
    Call(u8),
}

fn binding(t: &Token<'_>, legacy: bool, delegates: bool) -> Option<Binding> {
    let lvl = |l: u8, o: Op| Some(Binding::Infix(2 * l, 2 * l + 1, o));
    match *t {
        Token::Op(o @ (Op::Dot | Op::SafeDot)) => lvl(12, o),
        Token::LBracket => Some(Binding::Index(22)),
        Token::Op(o @ (Op::Match | Op::NotMatch)) => lvl(9, o),
        Token::Op(o @ (Op::Star | Op::Slash | Op::Mod)) => lvl(8, o),
        Token::Op(o @ (Op::Plus | Op::Minus)) => lvl(7, o),
        Token::Op(o @ (Op::Gt | Op::Lt | Op::Ge | Op::Le | Op::Ne | Op::Eq | Op::In)) => lvl(6, o),
        Token::Op(o @ Op::And) => lvl(4, o),
        Token::Op(o @ Op::Or) => lvl(3, o),
        Token::Op(o @ Op::Mapping) if legacy => lvl(2, o),
        Token::Op(o @ Op::Arrow) => Some(Binding::Infix(3, 2, o)),
        Token::LParen if delegates => Some(Binding::Call(0)),
        _ => None,
    }
}

fn bin(o: Op) -> BinaryOp {
    match o {
        Op::Arrow => BinaryOp::Arrow,
        Op::Mapping => BinaryOp::LegacyPair,
        Op::Or => BinaryOp::Or,
        Op::And => BinaryOp::And,
        Op::Gt => BinaryOp::Gt,
        Op::Lt => BinaryOp::Lt,
        Op::Ge => BinaryOp::Ge,
        Op::Le => BinaryOp::Le,
        Op::Ne => BinaryOp::Ne,
        Op::Eq => BinaryOp::Eq,
        Op::In => BinaryOp::In,
        Op::Plus => BinaryOp::Add,
        Op::Minus => BinaryOp::Sub,
        Op::Star => BinaryOp::Mul,
        Op::Slash => BinaryOp::Div,
        Op::Mod => BinaryOp::Mod,
        Op::Match => BinaryOp::Match,
        _ => BinaryOp::NotMatch,
    }
}

type ArgsParser<'t, 'src, I> = Boxed<'t, 't, I, (Vec<Arg>, SimpleSpan), Extra<'t, 'src>>;

/// Nesting limit of prefix/right-associative operator chains in one operand.
const MAX_OPERATOR_DEPTH: u16 = 128;

/// The Pratt loop (matklad's formulation), run inside chumsky's `custom`.
#[allow(clippy::too_many_arguments)]
fn pratt<'t, 'src: 't, I>(
    inp: &mut chumsky::input::InputRef<'t, '_, I, Extra<'t, 'src>>,
    min_bp: u8,
    depth: u16,
    legacy: bool,
    delegates: bool,
    atom: &Boxed<'t, 't, I, Expr, Extra<'t, 'src>>,
    index_args: &ArgsParser<'t, 'src, I>,
    call_args: &ArgsParser<'t, 'src, I>,
) -> Result<Expr, Simple<'t, Token<'src>, SimpleSpan>>
where
    I: ValueInput<'t, Token = Token<'src>, Span = SimpleSpan>,
{
    let go = |inp: &mut chumsky::input::InputRef<'t, '_, I, Extra<'t, 'src>>, bp: u8| {
        pratt(
            inp,
            bp,
            depth + 1,
            legacy,
            delegates,
            atom,
            index_args,
            call_args,
        )
    };
    let before = inp.cursor();
    if depth > MAX_OPERATOR_DEPTH {
        // Absurd operator chains (`- - - … x`): refuse instead of exhausting the stack.
        let found = inp.peek();
        let span = inp.span_since(&before);
        return Err(Simple::new(found.map(Into::into), span));
    }
    let prefix = match inp.peek() {
        Some(Token::Op(Op::Plus)) => Some((UnaryOp::Plus, 20)),
        Some(Token::Op(Op::Minus)) => Some((UnaryOp::Minus, 20)),
        Some(Token::Op(Op::Not)) => Some((UnaryOp::Not, 10)),
        _ => None,
    };
    let mut lhs = match prefix {
        Some((op, bp)) => {
            inp.next();
            let op_span = inp.span_since(&before);
            let operand = go(inp, bp)?;
            unary(op, op_span, operand)
        }
        None => inp.parse(atom)?,
    };
    while let Some(b) = inp.peek().and_then(|tok| binding(&tok, legacy, delegates)) {
        match b {
            Binding::Infix(l_bp, r_bp, op) => {
                if l_bp < min_bp {
                    break;
                }
                let op_start = inp.cursor();
                inp.next();
                let op_span = inp.span_since(&op_start);
                let rhs = go(inp, r_bp)?;
                lhs = if matches!(op, Op::Dot | Op::SafeDot) {
                    let span = Span {
                        start: lhs.span.start,
                        end: rhs.span.end,
                    };
                    Expr {
                        kind: ExprKind::Member {
                            receiver: boxed(lhs),
                            safe: op == Op::SafeDot,
                            op_span: sp(op_span),
                            member: boxed(rhs),
                        },
                        span,
                    }
                } else {
                    binary(bin(op), op_span, lhs, rhs)
                };
            }
            Binding::Index(l_bp) | Binding::Call(l_bp) => {
                if l_bp < min_bp {
                    break;
                }
                let is_index = matches!(b, Binding::Index(_));
                let (args, s) = inp.parse(if is_index { index_args } else { call_args })?;
                let span = Span {
                    start: lhs.span.start,
                    end: s.end as u32,
                };
                lhs = if is_index {
                    Expr {
                        kind: ExprKind::Index {
                            target: boxed(lhs),
                            args,
                        },
                        span,
                    }
                } else {
                    Expr {
                        kind: ExprKind::DelegateCall {
                            callee: boxed(lhs),
                            args,
                        },
                        span,
                    }
                };
            }
        }
    }
    Ok(lhs)
}

/// The expression parser.
fn expr_parser<'t, 'src: 't, I>(
    options: Options,
    recover: bool,
) -> impl Parser<'t, I, Expr, Extra<'t, 'src>> + Clone
where
    I: ValueInput<'t, Token = Token<'src>, Span = SimpleSpan>,
{
    // Closing delimiters: with recovery, a missing one at the end of the text is
    // accepted (half-typed text).
    let close = move |t: Token<'src>| {
        just(t)
            .ignored()
            .recover_with(via_parser(end().rewind().filter(move |_| recover)))
    };
    recursive(move |expr| {
        let comma = just(Token::Comma).map_with(|_, e| e.span());
        let arrow = just(Token::Op(Op::Mapping)).map_with(|_, e| e.span());

        // An item that is positional: not followed by `=>`.
        let pos_item = expr.clone().then_ignore(just(Token::Op(Op::Mapping)).not());
        let named = expr
            .clone()
            .then(arrow)
            .then(expr.clone())
            .map(|((key, arrow), value)| Arg::Pair {
                key,
                arrow: sp(arrow),
                value,
            });
        let named_list = named
            .clone()
            .separated_by(just(Token::Comma))
            .at_least(1)
            .collect::<Vec<_>>();

        // `','* item (','+ item)*` — holes are skipped arguments.
        let positional = comma
            .repeated()
            .collect::<Vec<_>>()
            .then(pos_item.clone())
            .then(
                comma
                    .repeated()
                    .at_least(1)
                    .collect::<Vec<_>>()
                    .then(pos_item)
                    .repeated()
                    .collect::<Vec<_>>(),
            )
            .map(|((lead, first), rest)| {
                let mut args = Vec::with_capacity(lead.len() + 1 + rest.len());
                args.extend(lead.iter().map(|s| Arg::Skipped(point(*s))));
                args.push(Arg::Positional(first));
                for (commas, item) in rest {
                    args.extend(commas.iter().skip(1).map(|s| Arg::Skipped(point(*s))));
                    args.push(Arg::Positional(item));
                }
                args
            });
        // After the positional ones: `, named…` or `,, named…`.
        let tail = just(Token::Comma)
            .ignore_then(comma.or_not())
            .then(named_list.clone())
            .map(|(hole, named)| {
                let mut v = Vec::with_capacity(named.len() + 1);
                if let Some(s) = hole {
                    v.push(Arg::Skipped(point(s)));
                }
                v.extend(named);
                v
            });
        let args = choice((
            positional.then(tail.or_not()).map(|(mut p, t)| {
                if let Some(t) = t {
                    p.extend(t);
                }
                p
            }),
            named_list,
            empty().to(Vec::new()),
        ))
        .boxed();

        let literal = select! {
            Token::Null => ExprKind::Null,
            Token::True => ExprKind::Bool(true),
            Token::False => ExprKind::Bool(false),
            // Payloads are filled in from the text afterwards (see `fill`).
            Token::Number(_) => ExprKind::Int(0),
            Token::Str(_) => ExprKind::Str(String::new()),
            Token::Word(_) => ExprKind::Word(Box::default()),
            Token::Dollar(_) => ExprKind::Var(Box::default()),
        }
        .map_with(|kind, e| Expr {
            kind,
            span: sp(e.span()),
        });

        let call = select! { Token::Func(_) => () }
            .map_with(|_, e| e.span())
            .then(args.clone())
            .then_ignore(close(Token::RParen))
            .map_with(|(name_span, args), e| {
                let s: SimpleSpan = name_span;
                Expr {
                    kind: ExprKind::Call {
                        name: Box::default(),
                        // the FUNC token includes the `(`
                        name_span: Span {
                            start: s.start as u32,
                            end: s.end.saturating_sub(1).max(s.start) as u32,
                        },
                        args,
                    },
                    span: sp(e.span()),
                }
            });
        let paren = expr
            .clone()
            .delimited_by(just(Token::LParen), close(Token::RParen))
            .map_with(|inner, e| Expr {
                kind: ExprKind::Paren(boxed(inner)),
                span: sp(e.span()),
            });
        let list = args
            .clone()
            .delimited_by(just(Token::LBracket), close(Token::RBracket))
            .map_with(|a, e| Expr {
                kind: ExprKind::List(a),
                span: sp(e.span()),
            });
        let map = args
            .clone()
            .delimited_by(just(Token::LBrace), close(Token::RBrace))
            .map_with(|a, e| Expr {
                kind: ExprKind::Map(a),
                span: sp(e.span()),
            });

        let atom = choice((literal, call, paren, list, map));
        // With recovery, a missing operand becomes an `Error` node.
        let atom = if recover {
            atom.recover_with(via_parser(empty().map_with(|_, e| Expr {
                kind: ExprKind::Error,
                span: sp(e.span()),
            })))
            .boxed()
        } else {
            atom.boxed()
        };

        let index_args = args
            .clone()
            .delimited_by(just(Token::LBracket), close(Token::RBracket))
            .map_with(|a, e| (a, e.span()))
            .boxed();
        let call_args = just(Token::LParen)
            .ignore_then(args.clone())
            .then_ignore(close(Token::RParen))
            .map_with(|a, e| (a, e.span()))
            .boxed();
        let legacy = options.legacy;
        let delegates = options.allow_delegates;
        // Operator precedence by Pratt parsing (one token look-up per operator
        // position); see `binding` for the table.
        custom(move |inp| pratt(inp, 0, 0, legacy, delegates, &atom, &index_args, &call_args))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(e: &Expr) -> String {
        let a = |args: &[Arg]| {
            args.iter()
                .map(|a| match a {
                    Arg::Positional(e) => shape(e),
                    Arg::Skipped(_) => "_".into(),
                    Arg::Pair { key, value, .. } => format!("{}=>{}", shape(key), shape(value)),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &e.kind {
            ExprKind::Null => "null".into(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::BigInt(s) => s.to_string(),
            ExprKind::Float(f) => f.to_string(),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Word(w) => w.to_string(),
            ExprKind::Var(v) => format!("${v}"),
            ExprKind::Call { name, args, .. } => format!("{name}({})", a(args)),
            ExprKind::DelegateCall { callee, args } => format!("({})({})", shape(callee), a(args)),
            ExprKind::Member {
                receiver,
                safe,
                member,
                ..
            } => {
                format!(
                    "({}{}{})",
                    shape(receiver),
                    if *safe { "?." } else { "." },
                    shape(member)
                )
            }
            ExprKind::Index { target, args } => format!("{}[{}]", shape(target), a(args)),
            ExprKind::List(args) => format!("[{}]", a(args)),
            ExprKind::Map(args) => format!("{{{}}}", a(args)),
            ExprKind::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", shape(lhs), op.as_str(), shape(rhs))
            }
            ExprKind::Unary { op, operand, .. } => format!("({op:?} {})", shape(operand)),
            ExprKind::Paren(e) => shape(e),
            ExprKind::Error => "<error>".into(),
        }
    }

    fn p(s: &str) -> String {
        let r = parse(s);
        match r.expr {
            Some(e) => shape(&e),
            None => format!(
                "ERR {}",
                r.errors.first().map(|e| e.message.as_str()).unwrap_or("")
            ),
        }
    }

    #[test]
    fn precedence() {
        assert_eq!(p("2 * 3 =~ 6"), "(2 * (3 =~ 6))");
        assert_eq!(p("-2.abs()"), "(Minus (2.abs()))");
        assert_eq!(p("-$x[0]"), "(Minus $x[0])");
        assert_eq!(p("not 1 = 2"), "(Not (1 = 2))");
        assert_eq!(p("not a and b"), "((Not a) and b)");
        assert_eq!(p("a = not b + c"), "(a = (Not (b + c)))");
        assert_eq!(p("a -> b -> c"), "(a -> (b -> c))");
        assert_eq!(
            p("$.a.b[0]"),
            "((($.a).b))[0]".replace("((($.a).b))", "(($.a).b)")
        );
        assert_eq!(p("1 - 2 - 3"), "((1 - 2) - 3)");
        assert_eq!(p("a.-1"), "(a.(Minus 1))");
    }

    #[test]
    fn args() {
        assert_eq!(p("f(1,,3)"), "f(1, _, 3)");
        assert_eq!(p("f(,1)"), "f(_, 1)");
        assert_eq!(p("f(1, x => 2)"), "f(1, x=>2)");
        assert_eq!(p("f(1,, x => 2)"), "f(1, _, x=>2)");
        assert_eq!(p("{a => 1, b => [1, 2]}"), "{a=>1, b=>[1, 2]}");
        assert_eq!(p("f()"), "f()");
        assert_eq!(
            p("f(1,,,x=>2)"),
            "ERR Parse error: unexpected '=>' at position 7 of expression 'f(1,,,x=>2)'"
        );
        assert_eq!(
            p("f(1,)"),
            "ERR Parse error: unexpected ')' at position 4 of expression 'f(1,)'"
        );
        assert_eq!(
            p("$f(1)"),
            "ERR Parse error: unexpected '(' at position 2 of expression '$f(1)'"
        );
    }

    #[test]
    fn options() {
        let d = Options {
            legacy: false,
            allow_delegates: true,
        };
        assert!(parse_with("$f(1)", d).errors.is_empty());
        let l = Options {
            legacy: true,
            allow_delegates: false,
        };
        let r = parse_with("1 => 2 => 3", l);
        assert!(r.errors.is_empty(), "{r:?}");
        assert!(parse_with("f(a => b)", l).errors.is_empty());
    }

    #[test]
    fn recovery() {
        let r = |s: &str| {
            parse_recovering(s, Options::MISTRAL)
                .expr
                .map(|e| shape(&e))
        };
        for (text, tree) in [
            ("$.foo.", "(($.foo).<error>)"),
            (
                "$.items.where($.x = ",
                "(($.items).where((($.x) = <error>)))",
            ),
            ("f(1, ", "f(1, <error>)"),
            ("[1, 2", "[1, 2]"),
            ("$.a # + 1", "(($.a) + 1)"),
        ] {
            assert_eq!(r(text).as_deref(), Some(tree), "{text}");
        }
        assert!(parse_recovering("1 2", Options::MISTRAL).expr.is_some());
        assert_eq!(parse_recovering("$.x.", Options::MISTRAL).errors.len(), 1);
    }

    #[test]
    fn errors() {
        assert_eq!(
            p(" * "),
            "ERR Parse error: unexpected '*' at position 1 of expression ' * '"
        );
        assert_eq!(
            p("1 2"),
            "ERR Parse error: unexpected '2' at position 2 of expression '1 2'"
        );
        assert_eq!(p("(2"), "ERR Parse error: unexpected end of statement");
        assert_eq!(p(""), "ERR Parse error: unexpected end of statement");
        assert_eq!(
            p("1 ? 2"),
            "ERR Lexical error: illegal character '?' at position 2"
        );
        assert_eq!(
            p("1 2 ?"),
            "ERR Parse error: unexpected '2' at position 2 of expression '1 2 ?'"
        );
        assert_eq!(
            p(" $.__env "),
            "ERR Lexical error: illegal character '_' at position 3"
        );
    }
}
