//! The YAQL syntax tree.
//!
//! One node per construct of yaql's grammar (yaql.md §3), before desugaring into
//! function calls: the evaluator decides what `#operator_+`, `#indexer`... mean.
//! Every node has a byte [`Span`] relative to the expression text that was parsed
//! (for a `<% … %>` segment: relative to the segment's inner range).
//! The tree owns its data (no borrow of the source).

use crate::Span;

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its bytes in the expression text.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal that fits in `u64` (literals are unsigned).
    Int(u64),
    /// An integer literal too large for `u64`: its decimal digits, without leading
    /// zeros.
    BigInt(Box<str>),
    /// A float literal (`3.14`).
    Float(f64),
    /// A quoted string literal, escapes decoded.
    Str(String),
    /// A bare word (`ACTIVE`, `foo_bar`): a string constant that some parameters
    /// (method names after `.`, keyword-argument names) require.
    Word(Box<str>),
    /// `$`, `$name`, `$1`: the name without the `$` (`""` for `$`).
    Var(Box<str>),
    /// `name(args)`: a function call (FUNC token).
    Call {
        /// The function name.
        name: Box<str>,
        /// Span of the name (without the `(`).
        name_span: Span,
        /// The arguments.
        args: Vec<Arg>,
    },
    /// `callee(args)` on a value: delegate call (`#call`, only with delegates on).
    DelegateCall {
        /// The called value.
        callee: Box<Expr>,
        /// The arguments.
        args: Vec<Arg>,
    },
    /// `receiver.member` or `receiver?.member` (`#operator_.` / `#operator_?.`);
    /// `member` is passed unevaluated: typically a [`ExprKind::Word`] (key access)
    /// or a [`ExprKind::Call`] (method call).
    Member {
        /// Left side.
        receiver: Box<Expr>,
        /// `?.` rather than `.`.
        safe: bool,
        /// Span of the operator.
        op_span: Span,
        /// Right side.
        member: Box<Expr>,
    },
    /// `target[args]` (`#indexer`).
    Index {
        /// The indexed value.
        target: Box<Expr>,
        /// The index arguments.
        args: Vec<Arg>,
    },
    /// `[args]` (`#list`).
    List(Vec<Arg>),
    /// `{args}` (`#map`); items are normally [`Arg::Pair`].
    Map(Vec<Arg>),
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Span of the operator token.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// `op operand`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Span of the operator token.
        op_span: Span,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `(inner)`.
    Paren(Box<Expr>),
    /// Placeholder left by error recovery.
    Error,
}

/// One item of an argument list (call, index, list or dict literal).
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// A positional value.
    Positional(Expr),
    /// A skipped positional argument (`f(1,,3)`); the span is empty, at the comma
    /// that follows the hole.
    Skipped(Span),
    /// `key => value`: a keyword argument when `key` is a word, else a pair.
    Pair {
        /// Left of `=>`.
        key: Expr,
        /// Span of `=>`.
        arrow: Span,
        /// Right of `=>`.
        value: Expr,
    },
}

/// Binary operators (yaql.md §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `->`
    Arrow,
    /// `=>` of the legacy grammar (builds tuples).
    LegacyPair,
    /// `or`
    Or,
    /// `and`
    And,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `!=` (`*not_equal`)
    Ne,
    /// `=` (`*equal`)
    Eq,
    /// `in`
    In,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `mod`
    Mod,
    /// `=~`
    Match,
    /// `!~`
    NotMatch,
}

impl BinaryOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Arrow => "->",
            BinaryOp::LegacyPair => "=>",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Gt => ">",
            BinaryOp::Lt => "<",
            BinaryOp::Ge => ">=",
            BinaryOp::Le => "<=",
            BinaryOp::Ne => "!=",
            BinaryOp::Eq => "=",
            BinaryOp::In => "in",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "mod",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
        }
    }

    /// The name of the function yaql calls (`#operator_+`, `*equal`...).
    pub fn function_name(self) -> &'static str {
        match self {
            BinaryOp::Eq => "*equal",
            BinaryOp::Ne => "*not_equal",
            BinaryOp::Arrow => "#operator_->",
            BinaryOp::LegacyPair => "#operator_=>",
            BinaryOp::Or => "#operator_or",
            BinaryOp::And => "#operator_and",
            BinaryOp::Gt => "#operator_>",
            BinaryOp::Lt => "#operator_<",
            BinaryOp::Ge => "#operator_>=",
            BinaryOp::Le => "#operator_<=",
            BinaryOp::In => "#operator_in",
            BinaryOp::Add => "#operator_+",
            BinaryOp::Sub => "#operator_-",
            BinaryOp::Mul => "#operator_*",
            BinaryOp::Div => "#operator_/",
            BinaryOp::Mod => "#operator_mod",
            BinaryOp::Match => "#operator_=~",
            BinaryOp::NotMatch => "#operator_!~",
        }
    }
}

/// Prefix operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// unary `+`
    Plus,
    /// unary `-`
    Minus,
}

impl UnaryOp {
    /// The name of the function yaql calls (`#unary_operator_-`...).
    pub fn function_name(self) -> &'static str {
        match self {
            UnaryOp::Not => "#unary_operator_not",
            UnaryOp::Plus => "#unary_operator_+",
            UnaryOp::Minus => "#unary_operator_-",
        }
    }
}

impl Expr {
    /// Calls `f` on this node and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        let args = |args: &'a [Arg], f: &mut dyn FnMut(&'a Expr)| {
            for a in args {
                match a {
                    Arg::Positional(e) => e.walk(f),
                    Arg::Skipped(_) => {}
                    Arg::Pair { key, value, .. } => {
                        key.walk(f);
                        value.walk(f);
                    }
                }
            }
        };
        match &self.kind {
            ExprKind::Call { args: a, .. } | ExprKind::List(a) | ExprKind::Map(a) => args(a, f),
            ExprKind::DelegateCall { callee, args: a } => {
                callee.walk(f);
                args(a, f);
            }
            ExprKind::Member {
                receiver, member, ..
            } => {
                receiver.walk(f);
                member.walk(f);
            }
            ExprKind::Index { target, args: a } => {
                target.walk(f);
                args(a, f);
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            ExprKind::Unary { operand, .. } => operand.walk(f),
            ExprKind::Paren(e) => e.walk(f),
            _ => {}
        }
    }
}
