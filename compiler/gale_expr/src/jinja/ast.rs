//! The Jinja syntax tree (the subset of `jinja2.nodes` a template parse produces).
//!
//! Spans are byte ranges in the whole string (the template). Template data is kept as
//! a span only; `trim_blocks`/`lstrip_blocks` whitespace handling is not applied.

use crate::Span;

/// A parsed template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// Top-level nodes.
    pub body: Vec<Node>,
}

/// A template-level node.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// Literal text.
    Data(Span),
    /// `{{ expr }}` (a tuple when the body has top-level commas).
    Output {
        /// The printed expression.
        expr: Expr,
        /// The whole tag.
        span: Span,
    },
    /// `{% if %}…{% elif %}…{% else %}…{% endif %}`.
    If {
        /// `(test, body)` for the `if` and each `elif`.
        branches: Vec<(Expr, Vec<Node>)>,
        /// The `else` body.
        else_body: Vec<Node>,
        /// From `{%` of the `if` to the `endif` tag.
        span: Span,
    },
    /// `{% for target in iter [if filter] [recursive] %}…{% else %}…{% endfor %}`.
    For {
        /// Loop variable(s).
        target: Expr,
        /// The iterated value.
        iter: Expr,
        /// The `if` filter.
        filter: Option<Expr>,
        /// `recursive` given.
        recursive: bool,
        /// Loop body.
        body: Vec<Node>,
        /// `else` body (runs when nothing was iterated).
        else_body: Vec<Node>,
        /// The whole construct.
        span: Span,
    },
    /// `{% set target = value %}` or the block form `{% set target | filters %}…{% endset %}`.
    Set {
        /// Assigned name(s).
        target: Expr,
        /// The value (assignment form).
        value: Option<Expr>,
        /// The filter chain applied to the body (block form), as a [`ExprKind::Filter`]
        /// chain whose innermost target is `None`.
        filter: Option<Expr>,
        /// Body (block form).
        body: Vec<Node>,
        /// The whole construct.
        span: Span,
    },
    /// `{% with a = 1, b = 2 %}…{% endwith %}`.
    With {
        /// `(target, value)` pairs.
        assignments: Vec<(Expr, Expr)>,
        /// Body.
        body: Vec<Node>,
        /// The whole construct.
        span: Span,
    },
    /// Any other statement (`block`, `macro`, `call`, `filter`, `include`, `import`,
    /// `from`, `extends`, `print`, `autoescape`): its tag name, the expressions found
    /// in its header, and its body.
    Other {
        /// The tag name.
        tag: Box<str>,
        /// Expressions of the header.
        exprs: Vec<Expr>,
        /// Body (empty for tags without one).
        body: Vec<Node>,
        /// The whole construct.
        span: Span,
    },
}

/// An expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Its bytes in the template.
    pub span: Span,
}

/// A constant.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// `none` / `None`
    None,
    /// `true`/`True`/`false`/`False`
    Bool(bool),
    /// An integer literal as written without `_` (`42`, `0x1F`, `0b101`, `0o17`).
    Int(Box<str>),
    /// A float literal.
    Float(f64),
    /// A string literal (adjacent literals concatenated), unescaped.
    Str(String),
}

/// Call arguments (also used by filters and tests).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CallArgs {
    /// Positional arguments.
    pub args: Vec<Expr>,
    /// Keyword arguments: name, span of the name, value.
    pub kwargs: Vec<(Box<str>, Span, Expr)>,
    /// `*args`.
    pub dyn_args: Option<Box<Expr>>,
    /// `**kwargs`.
    pub dyn_kwargs: Option<Box<Expr>>,
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
}

/// Comparison operators (chainable).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `in`
    In,
    /// `not in`
    NotIn,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
    /// `+`
    Pos,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A variable.
    Name(Box<str>),
    /// `ns.attr` as an assignment target (`{% set ns.x = 1 %}`).
    NsRef {
        /// Namespace variable.
        name: Box<str>,
        /// Attribute.
        attr: Box<str>,
    },
    /// A literal.
    Const(Const),
    /// `(a, b)` or a bare `a, b`.
    Tuple(Vec<Expr>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{k: v}`
    Dict(Vec<(Expr, Expr)>),
    /// `target.attr` (also `target.0`, which Jinja turns into an item lookup: see
    /// [`ExprKind::Getitem`]).
    Getattr {
        /// Receiver.
        target: Box<Expr>,
        /// Attribute name.
        attr: Box<str>,
        /// Span of the name.
        attr_span: Span,
    },
    /// `target[index]` (a tuple index for `x[a, b]`, a [`ExprKind::Slice`] for `x[1:2]`).
    Getitem {
        /// Receiver.
        target: Box<Expr>,
        /// Index.
        index: Box<Expr>,
    },
    /// `start:stop:step` inside `[]`.
    Slice {
        /// Start.
        start: Option<Box<Expr>>,
        /// Stop.
        stop: Option<Box<Expr>>,
        /// Step.
        step: Option<Box<Expr>>,
    },
    /// `callee(args)`.
    Call {
        /// The called value.
        callee: Box<Expr>,
        /// Arguments.
        args: CallArgs,
    },
    /// `target | name(args)`; `target` is `None` for the filter of a filter block.
    Filter {
        /// Filtered value.
        target: Option<Box<Expr>>,
        /// Filter name (dotted names joined with `.`).
        name: Box<str>,
        /// Span of the name.
        name_span: Span,
        /// Arguments.
        args: CallArgs,
    },
    /// `target is name(args)` (`is not` is a [`UnaryOp::Not`] around it).
    Test {
        /// Tested value.
        target: Box<Expr>,
        /// Test name.
        name: Box<str>,
        /// Span of the name.
        name_span: Span,
        /// Arguments.
        args: CallArgs,
    },
    /// `op operand`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// The operand.
        operand: Box<Expr>,
    },
    /// `lhs op rhs`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left.
        lhs: Box<Expr>,
        /// Right.
        rhs: Box<Expr>,
    },
    /// `a ~ b ~ c`.
    Concat(Vec<Expr>),
    /// `a < b <= c`, `a in b`, `a not in b`.
    Compare {
        /// First operand.
        first: Box<Expr>,
        /// Following `(operator, operand)` pairs.
        ops: Vec<(CmpOp, Expr)>,
    },
    /// `then if test else otherwise`.
    CondExpr {
        /// Condition.
        test: Box<Expr>,
        /// Value when true.
        then: Box<Expr>,
        /// Value when false (`None`: undefined).
        otherwise: Option<Box<Expr>>,
    },
}

impl CallArgs {
    /// Every argument expression, in source order of kind (positional, keyword,
    /// `*args`, `**kwargs`).
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.args
            .iter()
            .chain(self.kwargs.iter().map(|(_, _, e)| e))
            .chain(self.dyn_args.as_deref())
            .chain(self.dyn_kwargs.as_deref())
    }
}

impl Expr {
    /// Calls `f` on this node and every descendant, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Name(_) | ExprKind::NsRef { .. } | ExprKind::Const(_) => {}
            ExprKind::Tuple(v) | ExprKind::List(v) | ExprKind::Concat(v) => {
                v.iter().for_each(|e| e.walk(f))
            }
            ExprKind::Dict(v) => {
                for (k, x) in v {
                    k.walk(f);
                    x.walk(f);
                }
            }
            ExprKind::Getattr { target, .. } => target.walk(f),
            ExprKind::Getitem { target, index } => {
                target.walk(f);
                index.walk(f);
            }
            ExprKind::Slice { start, stop, step } => {
                for x in [start, stop, step].into_iter().flatten() {
                    x.walk(f);
                }
            }
            ExprKind::Call { callee, args } => {
                callee.walk(f);
                args.exprs().for_each(|e| e.walk(f));
            }
            ExprKind::Filter { target, args, .. } => {
                if let Some(t) = target {
                    t.walk(f);
                }
                args.exprs().for_each(|e| e.walk(f));
            }
            ExprKind::Test { target, args, .. } => {
                target.walk(f);
                args.exprs().for_each(|e| e.walk(f));
            }
            ExprKind::Unary { operand, .. } => operand.walk(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            ExprKind::Compare { first, ops } => {
                first.walk(f);
                ops.iter().for_each(|(_, e)| e.walk(f));
            }
            ExprKind::CondExpr {
                test,
                then,
                otherwise,
            } => {
                test.walk(f);
                then.walk(f);
                if let Some(o) = otherwise {
                    o.walk(f);
                }
            }
        }
    }
}
