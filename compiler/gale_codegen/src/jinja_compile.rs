//! Jinja templates and expressions compiled to [`gale_bytecode::Module`]s, run by
//! `gale_vm::interp` exactly like YAQL modules (the runtime needs no compiler crate).
//!
//! * [`compile_mistral`]: a whole Mistral string by `InlineJinjaEvaluator.evaluate`'s
//!   rule: exactly one `{{ E }}` → [`compile_expression`] (typed value), anything
//!   else → [`compile_template`] (rendered text), no `{{ }}` at all → a module that
//!   raises Mistral's `IndexError`.
//! * Run a module with `gale_vm::interp::run_jinja(&Program::load(m)?, cx, data)`.
//!
//! Errors Jinja raises before running anything (syntax, unknown filter or test) are
//! compiled into a module that raises them, so every string compiles and the engine
//! sees the error when it evaluates, as Mistral does. [`CompileError`] is only about
//! the limits of the encoding.
//!
//! The code keeps the register design: every prototype is straight-line code with
//! forward jumps. Statements map as follows (semantics of the new ops in
//! `gale_bytecode::op`, of the `JinjaCall` operations in `gale_vm::jinja::ops`):
//! * data → `EmitConst` (whitespace control applied at compile time); `{{ x }}` →
//!   `Emit`; the prototype's text is `TakeOutput`;
//! * variables → `LoadName`/`StoreName` in Jinja scopes; `with` → `PushScope`…`Leave`;
//!   `l.append(x)` and other mutators → `mutate:NAME` then a write-back (`Rebind`,
//!   `store_in`) to where the receiver came from;
//! * `if`/`elif`/`else`, `and`/`or`, `x if c else y`, chained comparisons → `truthy`
//!   then forward jumps;
//! * `for` → the `for` operation with the body, `else` and `if`-filter as lazy
//!   prototypes (each run in a fresh scope, the item in [`gale_vm::interp::LOOP_ITEM`]);
//! * `macro` → `macro:NAME` with the body and defaults as lazy prototypes;
//! * block `set`/`filter` → capture the output (`TakeOutput`), render, re-emit.

use gale_bytecode::{ArgSpec, Constant, Module, Op, Operand, ProtoId, Reg, Span, Target};
use gale_expr::jinja::ast::{BinaryOp, CallArgs, CmpOp, Const, Expr, ExprKind, Node, UnaryOp};
use gale_vm::Value;

pub use crate::CompileError;
use crate::emit::ModuleBuilder;

type R<T> = Result<T, CompileError>;

/// Compiles a whole template (`Environment.from_string(text)`): the module returns the
/// rendered text (a string).
pub fn compile_template(text: &str) -> R<Module> {
    let mut g = Gen::new(text, 0);
    let tpl = match gale_expr::jinja::parse_template(text) {
        Ok(t) => t,
        Err(e) => return g.failing("TemplateSyntaxError", &e.message, e.span.into_span()),
    };
    if let Err(e) = crate::jinja::check_names_nodes(&tpl.body) {
        let mut at = None;
        for_each_expr(&tpl.body, &mut |x| {
            if at.is_none() {
                at = unknown_name(x);
            }
        });
        let at = at.map(IntoSpan::into_span).unwrap_or_default();
        return g.failing(e.kind().python_name(), e.message(), at);
    }
    g.proto(|g| {
        g.nodes(&tpl.body)?;
        let r = g.alloc()?;
        g.emit(Op::TakeOutput { dst: r }, Span::default());
        g.emit(Op::Return { src: r }, Span::default());
        Ok(())
    })?;
    Ok(g.b.module)
}

/// Compiles one Jinja expression (the body of a whole-string `{{ … }}`,
/// `Environment.compile_expression`): the module returns its typed value (an
/// undefined result raises, as Mistral's `str(result)` makes it). Spans are relative
/// to `expr`.
pub fn compile_expression(expr: &str) -> R<Module> {
    compile_expression_at(expr, 0)
}

/// [`compile_expression`] of `expr` found at byte `base` of a larger string (spans are
/// relative to that string).
pub fn compile_expression_at(expr: &str, base: u32) -> R<Module> {
    let mut g = Gen::new(expr, base);
    let parsed = match gale_expr::jinja::parse_expression(expr) {
        Ok(e) => e,
        Err(e) => {
            // Lexer errors are not "translated" on this path: Jinja appends the line.
            let message = if e.message.starts_with("unexpected char") {
                format!("{}\n  line 1", e.message)
            } else {
                e.message
            };
            let at = g.shift(e.span.into_span());
            return g.failing("TemplateSyntaxError", &message, at);
        }
    };
    if let Err(e) = crate::jinja::check_names_expr(&parsed) {
        let at = unknown_name(&parsed)
            .map(|s| g.shift(s.into_span()))
            .unwrap_or_else(|| g.span(&parsed));
        return g.failing(e.kind().python_name(), e.message(), at);
    }
    g.proto(|g| {
        let r = g.alloc()?;
        g.expr(&parsed, r)?;
        let at = g.span(&parsed);
        g.jcall("finish", vec![pos(r)], r, at)?;
        g.emit(Op::Return { src: r }, at);
        Ok(())
    })?;
    Ok(g.b.module)
}

/// The first match of Python's `re.findall('({{(.*?)}})', text)`: (outer, inner)
/// byte ranges. `.` does not match a newline.
pub fn first_jinja_variable(
    text: &str,
) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut from = 0;
    while let Some(off) = text.get(from..)?.find("{{") {
        let start = from + off;
        let body = start + 2;
        let rest = text.get(body..)?;
        let line_end = rest.find('\n').unwrap_or(rest.len());
        if let Some(close) = rest[..line_end].find("}}") {
            return Some((start..body + close + 2, body..body + close));
        }
        from = start + 1;
    }
    None
}

/// Compiles a Jinja string as Mistral's `InlineJinjaEvaluator.evaluate` treats it
/// (see the module documentation).
pub fn compile_mistral(text: &str) -> R<Module> {
    match first_jinja_variable(text) {
        // `patterns[0]` on an empty list: a string with only `{% %}` blocks.
        None => Gen::new(text, 0).failing("IndexError", "list index out of range", Span::default()),
        Some((outer, inner)) if outer.len() == text.len() => {
            compile_expression_at(text.get(inner.clone()).unwrap_or(""), inner.start as u32)
        }
        Some(_) => compile_template(text),
    }
}

/// Whether a `for` construct's source may read the loop attributes that need every
/// item up front (`length`, `last`, `revindex`, `revindex0`, `nextitem`); a recursive
/// loop's `loop(...)` and unknown uses are covered by matching the words anywhere.
pub(crate) fn needs_lookahead(source: &str) -> bool {
    ["length", "last", "revindex", "nextitem"]
        .iter()
        .any(|w| source.contains(w))
}

/// The name span of the first filter or test in `e` that does not exist.
fn unknown_name(e: &Expr) -> Option<gale_expr::Span> {
    let mut found = None;
    e.walk(&mut |x| {
        if found.is_some() {
            return;
        }
        match &x.kind {
            ExprKind::Filter {
                name, name_span, ..
            } if gale_vm::jinja::filters::lookup(name).is_none() => found = Some(*name_span),
            ExprKind::Test {
                name, name_span, ..
            } if gale_vm::jinja::tests::lookup(name).is_none() => found = Some(*name_span),
            _ => {}
        }
    });
    found
}

/// Calls `f` on every expression of `nodes` (statement headers and outputs).
fn for_each_expr(nodes: &[Node], f: &mut dyn FnMut(&Expr)) {
    for n in nodes {
        match n {
            Node::Data(_) => {}
            Node::Output { expr, .. } => f(expr),
            Node::If {
                branches,
                else_body,
                ..
            } => {
                for (t, b) in branches {
                    f(t);
                    for_each_expr(b, f);
                }
                for_each_expr(else_body, f);
            }
            Node::For {
                iter,
                filter,
                body,
                else_body,
                ..
            } => {
                f(iter);
                if let Some(x) = filter {
                    f(x);
                }
                for_each_expr(body, f);
                for_each_expr(else_body, f);
            }
            Node::Set {
                value,
                filter,
                body,
                ..
            } => {
                for x in value.iter().chain(filter.iter()) {
                    f(x);
                }
                for_each_expr(body, f);
            }
            Node::With {
                assignments, body, ..
            } => {
                for (_, v) in assignments {
                    f(v);
                }
                for_each_expr(body, f);
            }
            Node::Other { exprs, body, .. } => {
                exprs.iter().for_each(&mut *f);
                for_each_expr(body, f);
            }
        }
    }
}

trait IntoSpan {
    fn into_span(self) -> Span;
}

impl IntoSpan for gale_expr::Span {
    fn into_span(self) -> Span {
        Span {
            start: self.start,
            end: self.end,
        }
    }
}

fn pos(r: Reg) -> ArgSpec {
    ArgSpec::Positional(Operand::Reg(r))
}

struct Gen<'t> {
    text: &'t str,
    base: u32,
    b: ModuleBuilder,
    /// The value a filter chain without a target filters (block `set` / `filter`).
    piped: Option<Reg>,
}

/// The generator is a layer over the module builder: `self.alloc()`, `self.emit(…)`,
/// `self.cur` are the builder's.
impl std::ops::Deref for Gen<'_> {
    type Target = ModuleBuilder;
    fn deref(&self) -> &ModuleBuilder {
        &self.b
    }
}

impl std::ops::DerefMut for Gen<'_> {
    fn deref_mut(&mut self) -> &mut ModuleBuilder {
        &mut self.b
    }
}

impl<'t> Gen<'t> {
    fn new(text: &'t str, base: u32) -> Gen<'t> {
        Gen {
            text,
            base,
            b: ModuleBuilder::new("template"),
            piped: None,
        }
    }

    fn shift(&self, s: Span) -> Span {
        Span {
            start: s.start.saturating_add(self.base),
            end: s.end.saturating_add(self.base),
        }
    }

    fn span(&self, e: &Expr) -> Span {
        self.shift(e.span.into_span())
    }

    /// A module that raises `kind` with `message` (at `at`).
    fn failing(mut self, kind: &str, message: &str, at: Span) -> R<Module> {
        self.proto(|g| {
            let r = g.alloc()?;
            let k = g.string(message)?;
            g.emit(Op::LoadConst { dst: r, k }, at);
            g.jcall(&format!("raise:{kind}"), vec![pos(r)], r, at)?;
            g.emit(Op::Return { src: r }, at);
            Ok(())
        })?;
        Ok(self.b.module)
    }

    fn jump(&mut self, at: Span) -> usize {
        self.emit(Op::Jump { target: Target(0) }, at)
    }

    fn jump_if_falsy(&mut self, src: Reg, at: Span) -> usize {
        self.emit(
            Op::JumpIfFalsy {
                src,
                target: Target(0),
            },
            at,
        )
    }

    /// A new prototype whose code `body` emits (it must end with a terminator).
    fn proto(&mut self, body: impl FnOnce(&mut Self) -> R<()>) -> R<ProtoId> {
        let (id, saved) = self.open_proto("prototypes")?;
        let saved_pipe = self.piped.take();
        let result = body(self);
        self.piped = saved_pipe;
        let id = self.close_proto(id, saved, 1);
        result?;
        Ok(id)
    }

    fn jcall(&mut self, name: &str, args: Vec<ArgSpec>, dst: Reg, at: Span) -> R<()> {
        let site = self.site(name, false, args)?;
        self.emit(Op::JinjaCall { dst, site }, at);
        Ok(())
    }

    fn raise(&mut self, kind: &str, message: &str, dst: Reg, at: Span) -> R<()> {
        let k = self.string(message)?;
        self.emit(Op::LoadConst { dst, k }, at);
        self.jcall(&format!("raise:{kind}"), vec![pos(dst)], dst, at)
    }

    fn load(&mut self, c: Constant, dst: Reg, at: Span) -> R<()> {
        let k = self.constant(c)?;
        self.emit(Op::LoadConst { dst, k }, at);
        Ok(())
    }

    fn load_null(&mut self, dst: Reg, at: Span) -> R<()> {
        self.load(Constant::Null, dst, at)
    }

    /// Evaluates `e` into a fresh register.
    fn value(&mut self, e: &Expr) -> R<Reg> {
        let r = self.alloc()?;
        self.expr(e, r)?;
        Ok(r)
    }

    /// Call arguments in the tree-walker's order: positional, `*args`, keywords,
    /// `**kwargs`.
    fn call_args(&mut self, args: &CallArgs, specs: &mut Vec<ArgSpec>) -> R<()> {
        for e in &args.args {
            let r = self.value(e)?;
            specs.push(pos(r));
        }
        if let Some(d) = &args.dyn_args {
            let r = self.value(d)?;
            let name = self.string("*")?;
            specs.push(ArgSpec::Keyword {
                name,
                value: Operand::Reg(r),
            });
        }
        for (k, _, e) in &args.kwargs {
            let r = self.value(e)?;
            let name = self.string(k)?;
            specs.push(ArgSpec::Keyword {
                name,
                value: Operand::Reg(r),
            });
        }
        if let Some(d) = &args.dyn_kwargs {
            let r = self.value(d)?;
            let name = self.string("**")?;
            specs.push(ArgSpec::Keyword {
                name,
                value: Operand::Reg(r),
            });
        }
        Ok(())
    }

    fn expr(&mut self, e: &Expr, dst: Reg) -> R<()> {
        let at = self.span(e);
        let mark = self.cur.next;
        match &e.kind {
            ExprKind::Name(n) => {
                let name = self.string(n)?;
                self.emit(Op::LoadName { dst, name }, at);
            }
            ExprKind::NsRef { name, attr } => {
                let name = self.string(name)?;
                self.emit(Op::LoadName { dst, name }, at);
                self.jcall(&format!("getattr:{attr}"), vec![pos(dst)], dst, at)?;
            }
            ExprKind::Const(c) => match c {
                Const::None => self.load(Constant::Null, dst, at)?,
                Const::Bool(b) => self.load(Constant::Bool(*b), dst, at)?,
                Const::Float(f) if f.is_finite() => self.load(Constant::Float(*f), dst, at)?,
                // Jinja's code generator writes `repr(inf)`, a name Python lacks.
                Const::Float(_) => self.raise("NameError", "name 'inf' is not defined", dst, at)?,
                Const::Str(s) => {
                    let k = self.string(s)?;
                    self.emit(Op::LoadConst { dst, k }, at);
                }
                Const::Int(t) => match crate::jinja::int_literal(t) {
                    Ok(Value::Int(i)) => self.load(Constant::Int(i), dst, at)?,
                    Ok(Value::BigInt(b)) => {
                        self.load(Constant::BigInt(b.to_string().into()), dst, at)?
                    }
                    Ok(_) | Err(_) => self.raise(
                        "ValueError",
                        &format!("invalid integer literal {t}"),
                        dst,
                        at,
                    )?,
                },
            },
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let mut specs = Vec::with_capacity(items.len());
                for i in items {
                    let r = self.value(i)?;
                    specs.push(pos(r));
                }
                let name = if matches!(e.kind, ExprKind::Tuple(_)) {
                    "tuple"
                } else {
                    "list"
                };
                self.jcall(name, specs, dst, at)?;
            }
            ExprKind::Dict(pairs) => {
                let mut specs = Vec::with_capacity(pairs.len() * 2);
                for (k, v) in pairs {
                    let rk = self.value(k)?;
                    let rv = self.value(v)?;
                    specs.push(pos(rk));
                    specs.push(pos(rv));
                }
                self.jcall("dict", specs, dst, at)?;
            }
            ExprKind::Getattr { target, attr, .. } => {
                let t = self.value(target)?;
                self.jcall(&format!("getattr:{attr}"), vec![pos(t)], dst, at)?;
            }
            ExprKind::Getitem { target, index } => {
                let t = self.value(target)?;
                if let ExprKind::Slice { start, stop, step } = &index.kind {
                    let mut specs = vec![pos(t)];
                    for part in [start, stop, step] {
                        let r = match part {
                            Some(x) => self.value(x)?,
                            None => {
                                let r = self.alloc()?;
                                self.load_null(r, at)?;
                                r
                            }
                        };
                        specs.push(pos(r));
                    }
                    self.jcall("slice", specs, dst, at)?;
                } else {
                    let i = self.value(index)?;
                    self.jcall("getitem", vec![pos(t), pos(i)], dst, at)?;
                }
            }
            ExprKind::Slice { .. } => {
                self.raise("TypeError", "a slice is only valid inside []", dst, at)?
            }
            ExprKind::Call { callee, args } => {
                if let ExprKind::Getattr { target, attr, .. } = &callee.kind {
                    self.method_call(target, attr, args, dst, at)?;
                } else {
                    let f = self.value(callee)?;
                    let mut specs = vec![pos(f)];
                    self.call_args(args, &mut specs)?;
                    self.jcall("call", specs, dst, at)?;
                }
            }
            ExprKind::Filter {
                target, name, args, ..
            } => {
                let v = match target {
                    Some(t) => self.value(t)?,
                    None => match self.piped {
                        Some(p) => p,
                        None => {
                            let r = self.alloc()?;
                            self.load_null(r, at)?;
                            r
                        }
                    },
                };
                let mut specs = vec![pos(v)];
                self.call_args(args, &mut specs)?;
                self.jcall(&format!("filter:{name}"), specs, dst, at)?;
            }
            ExprKind::Test {
                target, name, args, ..
            } => {
                let v = self.value(target)?;
                let mut specs = vec![pos(v)];
                self.call_args(args, &mut specs)?;
                self.jcall(&format!("test:{name}"), specs, dst, at)?;
            }
            ExprKind::Unary { op, operand } => {
                let v = self.value(operand)?;
                let o = match op {
                    UnaryOp::Not => "not",
                    UnaryOp::Neg => "-",
                    UnaryOp::Pos => "+",
                };
                self.jcall(&format!("unary:{o}"), vec![pos(v)], dst, at)?;
            }
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinaryOp::And | BinaryOp::Or => {
                    self.expr(lhs, dst)?;
                    let t = self.alloc()?;
                    self.jcall("truthy", vec![pos(dst)], t, at)?;
                    let j = if *op == BinaryOp::And {
                        self.jump_if_falsy(t, at)
                    } else {
                        self.emit(
                            Op::JumpIfTruthy {
                                src: t,
                                target: Target(0),
                            },
                            at,
                        )
                    };
                    self.expr(rhs, dst)?;
                    self.patch(j);
                }
                _ => {
                    let l = self.value(lhs)?;
                    let r = self.value(rhs)?;
                    let o = match op {
                        BinaryOp::Add => "+",
                        BinaryOp::Sub => "-",
                        BinaryOp::Mul => "*",
                        BinaryOp::Div => "/",
                        BinaryOp::FloorDiv => "//",
                        BinaryOp::Mod => "%",
                        _ => "**",
                    };
                    self.jcall(&format!("binary:{o}"), vec![pos(l), pos(r)], dst, at)?;
                }
            },
            ExprKind::Concat(parts) => {
                let mut specs = Vec::with_capacity(parts.len());
                for p in parts {
                    let r = self.value(p)?;
                    let pat = self.span(p);
                    self.jcall("str", vec![pos(r)], r, pat)?;
                    specs.push(pos(r));
                }
                self.jcall("concat", specs, dst, at)?;
            }
            ExprKind::Compare { first, ops } => {
                let mut left = self.value(first)?;
                let mut exits = Vec::new();
                for (i, (op, rhs)) in ops.iter().enumerate() {
                    let right = self.value(rhs)?;
                    let o = match op {
                        CmpOp::Eq => "==",
                        CmpOp::Ne => "!=",
                        CmpOp::Lt => "<",
                        CmpOp::LtEq => "<=",
                        CmpOp::Gt => ">",
                        CmpOp::GtEq => ">=",
                        CmpOp::In => "in",
                        CmpOp::NotIn => "notin",
                    };
                    self.jcall(
                        &format!("compare:{o}"),
                        vec![pos(left), pos(right)],
                        dst,
                        at,
                    )?;
                    if i + 1 < ops.len() {
                        exits.push(self.jump_if_falsy(dst, at));
                    }
                    left = right;
                }
                for j in exits {
                    self.patch(j);
                }
            }
            ExprKind::CondExpr {
                test,
                then,
                otherwise,
            } => {
                let t = self.value(test)?;
                self.jcall("truthy", vec![pos(t)], t, at)?;
                let j = self.jump_if_falsy(t, at);
                self.expr(then, dst)?;
                let end = self.jump(at);
                self.patch(j);
                match otherwise {
                    Some(o) => self.expr(o, dst)?,
                    None => self.jcall(
                        "undefined:the inline if-expression on line 1 evaluated to false and \
                         no else section was defined.",
                        vec![],
                        dst,
                        at,
                    )?,
                }
                self.patch(end);
            }
        }
        self.cur.next = mark;
        Ok(())
    }

    /// `target.attr(args)`: a mutating method of a list or dict runs on a copy that is
    /// stored back where the receiver came from; anything else is a plain call.
    fn method_call(
        &mut self,
        target: &Expr,
        attr: &str,
        args: &CallArgs,
        dst: Reg,
        at: Span,
    ) -> R<()> {
        let recv = self.value(target)?;
        let c = self.alloc()?;
        self.jcall(&format!("is_mutator:{attr}"), vec![pos(recv)], c, at)?;
        let plain = self.jump_if_falsy(c, at);
        let mark = self.cur.next;
        let mut specs = vec![pos(recv)];
        self.call_args(args, &mut specs)?;
        let pair = self.alloc()?;
        self.jcall(&format!("mutate:{attr}"), specs, pair, at)?;
        self.jcall("index:0", vec![pos(pair)], dst, at)?;
        let new = self.alloc()?;
        self.jcall("index:1", vec![pos(pair)], new, at)?;
        self.store_back(target, new, at)?;
        let end = self.jump(at);
        self.cur.next = mark;
        self.patch(plain);
        let f = self.alloc()?;
        self.jcall(&format!("getattr:{attr}"), vec![pos(recv)], f, at)?;
        let mut specs = vec![pos(f)];
        self.call_args(args, &mut specs)?;
        self.jcall("call", specs, dst, at)?;
        self.patch(end);
        Ok(())
    }

    /// Stores `value` where `place` reads from: a variable (in the scope that binds
    /// it), a dict item or attribute (copy-on-write up the path), a namespace
    /// attribute. Other places (call results, literals) are left alone.
    fn store_back(&mut self, place: &Expr, value: Reg, at: Span) -> R<()> {
        let mark = self.cur.next;
        match &place.kind {
            ExprKind::Name(n) => {
                let name = self.string(n)?;
                self.emit(Op::Rebind { name, src: value }, at);
            }
            ExprKind::Getattr { target, attr, .. } => {
                let obj = self.value(target)?;
                let key = self.alloc()?;
                let k = self.string(attr)?;
                self.emit(Op::LoadConst { dst: key, k }, at);
                self.store_in(target, obj, key, value, at)?;
            }
            ExprKind::Getitem { target, index }
                if !matches!(index.kind, ExprKind::Slice { .. }) =>
            {
                let obj = self.value(target)?;
                let key = self.value(index)?;
                self.store_in(target, obj, key, value, at)?;
            }
            _ => {}
        }
        self.cur.next = mark;
        Ok(())
    }

    fn store_in(&mut self, target: &Expr, obj: Reg, key: Reg, value: Reg, at: Span) -> R<()> {
        let new = self.alloc()?;
        self.jcall("store_in", vec![pos(obj), pos(key), pos(value)], new, at)?;
        let done = self.emit(
            Op::JumpIfNull {
                src: new,
                target: Target(0),
            },
            at,
        );
        self.store_back(target, new, at)?;
        self.patch(done);
        Ok(())
    }

    /// Binds `target` (a name, a tuple of targets, `ns.attr`) to `value`.
    fn assign(&mut self, target: &Expr, value: Reg) -> R<()> {
        let at = self.span(target);
        let mark = self.cur.next;
        match &target.kind {
            ExprKind::Name(n) => {
                let name = self.string(n)?;
                self.emit(Op::StoreName { name, src: value }, at);
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let t = self.alloc()?;
                self.jcall(&format!("unpack:{}", items.len()), vec![pos(value)], t, at)?;
                for (i, item) in items.iter().enumerate() {
                    let x = self.alloc()?;
                    self.jcall(&format!("index:{i}"), vec![pos(t)], x, at)?;
                    self.assign(item, x)?;
                }
            }
            ExprKind::NsRef { name, attr } => {
                let ns = self.alloc()?;
                let name = self.string(name)?;
                self.emit(Op::LoadName { dst: ns, name }, at);
                self.jcall(&format!("nsset:{attr}"), vec![pos(ns), pos(value)], ns, at)?;
            }
            _ => {
                let r = self.alloc()?;
                self.raise(
                    "TemplateSyntaxError",
                    "cannot assign to this expression",
                    r,
                    at,
                )?;
            }
        }
        self.cur.next = mark;
        Ok(())
    }

    fn node_span(&self, n: &Node) -> Span {
        let s = match n {
            Node::Data(s) => *s,
            Node::Output { span, .. }
            | Node::If { span, .. }
            | Node::For { span, .. }
            | Node::Set { span, .. }
            | Node::With { span, .. }
            | Node::Other { span, .. } => *span,
        };
        self.shift(s.into_span())
    }

    /// Renders `body` into its own text (a register), keeping the output so far.
    fn capture(&mut self, body: &[Node], at: Span) -> R<Reg> {
        let saved = self.alloc()?;
        self.emit(Op::TakeOutput { dst: saved }, at);
        self.nodes(body)?;
        let inner = self.alloc()?;
        self.emit(Op::TakeOutput { dst: inner }, at);
        self.emit(Op::Emit { src: saved }, at);
        Ok(inner)
    }

    /// A prototype rendering `body` and returning its text; `item` first binds the
    /// loop target to the `for` builtin's current item.
    fn body_proto(&mut self, body: &[Node], item: Option<&Expr>) -> R<ProtoId> {
        self.proto(|g| {
            if let Some(target) = item {
                g.bind_item(target)?;
            }
            g.nodes(body)?;
            let r = g.alloc()?;
            let at = Span::default();
            g.emit(Op::TakeOutput { dst: r }, at);
            g.emit(Op::Return { src: r }, at);
            Ok(())
        })
    }

    /// Binds the loop target to the current item. A plain name is bound by the `for`
    /// builtin itself (the name is its fifth argument); other targets read the item
    /// from [`gale_vm::interp::LOOP_ITEM`].
    fn bind_item(&mut self, target: &Expr) -> R<()> {
        if matches!(target.kind, ExprKind::Name(_)) {
            return Ok(());
        }
        let it = self.alloc()?;
        let name = self.string(gale_vm::interp::LOOP_ITEM)?;
        let at = self.span(target);
        self.emit(Op::LoadName { dst: it, name }, at);
        self.assign(target, it)
    }

    fn nodes(&mut self, nodes: &[Node]) -> R<()> {
        for n in nodes {
            self.node(n)?;
        }
        Ok(())
    }

    fn node(&mut self, n: &Node) -> R<()> {
        let at = self.node_span(n);
        let mark = self.cur.next;
        match n {
            Node::Data(span) => {
                let t = crate::jinja::data_text(self.text, span.start as usize, span.end as usize);
                if !t.is_empty() {
                    let k = self.string(&t)?;
                    self.emit(Op::EmitConst { k }, at);
                }
            }
            Node::Output { expr, .. } => {
                let r = self.value(expr)?;
                let eat = self.span(expr);
                self.emit(Op::Emit { src: r }, eat);
            }
            Node::If {
                branches,
                else_body,
                ..
            } => {
                let mut ends = Vec::new();
                for (test, body) in branches {
                    let r = self.value(test)?;
                    let tat = self.span(test);
                    self.jcall("truthy", vec![pos(r)], r, tat)?;
                    let j = self.jump_if_falsy(r, tat);
                    self.cur.next = mark;
                    self.nodes(body)?;
                    ends.push(self.jump(at));
                    self.patch(j);
                }
                self.nodes(else_body)?;
                for j in ends {
                    self.patch(j);
                }
            }
            Node::For {
                target,
                iter,
                filter,
                body,
                else_body,
                span,
                recursive,
            } => {
                // No `loop` object when the construct never names it.
                let source = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("loop");
                // Flags: no `loop` object when the construct never names it; `lookahead`
                // when it may ask for the length (Jinja then lists the filtered items
                // first; otherwise filter and body interleave).
                let mut flags = Vec::new();
                if !*recursive && !source.contains("loop") {
                    flags.push("noloop");
                }
                if *recursive {
                    flags.push("recursive");
                }
                if needs_lookahead(source) {
                    flags.push("lookahead");
                }
                let name = if flags.is_empty() {
                    "for".to_string()
                } else {
                    format!("for:{}", flags.join(","))
                };
                let seq = self.value(iter)?;
                let body_p = self.body_proto(body, Some(target))?;
                let else_p = if else_body.is_empty() {
                    None
                } else {
                    Some(self.body_proto(else_body, None)?)
                };
                let filter_p = match filter {
                    Some(f) => Some(self.proto(|g| {
                        g.bind_item(target)?;
                        let r = g.value(f)?;
                        let fat = g.span(f);
                        g.jcall("truthy", vec![pos(r)], r, fat)?;
                        g.emit(Op::Return { src: r }, fat);
                        Ok(())
                    })?),
                    None => None,
                };
                let lazy = |p: Option<ProtoId>| match p {
                    Some(p) => ArgSpec::Positional(Operand::Lazy(p)),
                    None => ArgSpec::Skipped,
                };
                let mut specs = vec![pos(seq), lazy(Some(body_p)), lazy(else_p), lazy(filter_p)];
                if let ExprKind::Name(n) = &target.kind {
                    let r = self.alloc()?;
                    let k = self.string(n)?;
                    self.emit(Op::LoadConst { dst: r, k }, at);
                    specs.push(pos(r));
                }
                let out = self.alloc()?;
                let iat = self.span(iter);
                self.jcall(&name, specs, out, iat)?;
                self.emit(Op::Emit { src: out }, at);
            }
            Node::Set {
                target,
                value,
                filter,
                body,
                ..
            } => {
                let v = match value {
                    Some(e) => self.value(e)?,
                    None => {
                        let inner = self.capture(body, at)?;
                        match filter {
                            Some(f) => {
                                let saved = self.piped.replace(inner);
                                let r = self.value(f);
                                self.piped = saved;
                                r?
                            }
                            None => inner,
                        }
                    }
                };
                self.assign(target, v)?;
            }
            Node::With {
                assignments, body, ..
            } => {
                let mut values = Vec::with_capacity(assignments.len());
                for (t, e) in assignments {
                    values.push((t, self.value(e)?));
                }
                self.emit(Op::PushScope, at);
                for (t, r) in values {
                    if let ExprKind::Name(n) = &t.kind {
                        let name = self.string(n)?;
                        self.emit(Op::StoreName { name, src: r }, at);
                    }
                }
                self.nodes(body)?;
                self.emit(Op::Leave, at);
            }
            Node::Other {
                tag,
                exprs,
                body,
                span,
            } => self.other(tag, exprs, body, *span, at)?,
        }
        self.cur.next = mark;
        Ok(())
    }

    fn other(
        &mut self,
        tag: &str,
        exprs: &[Expr],
        body: &[Node],
        span: gale_expr::Span,
        at: Span,
    ) -> R<()> {
        match tag {
            "include" | "extends" | "import" | "from" => {
                let r = self.alloc()?;
                self.raise(
                    "TypeError",
                    "no loader for this environment specified",
                    r,
                    at,
                )
            }
            "block" | "autoescape" => self.nodes(body),
            "print" => {
                for e in exprs {
                    let r = self.value(e)?;
                    self.emit(Op::Emit { src: r }, at);
                }
                Ok(())
            }
            "filter" => {
                let inner = self.capture(body, at)?;
                let v = match exprs.first() {
                    Some(f) => {
                        let saved = self.piped.replace(inner);
                        let r = self.value(f);
                        self.piped = saved;
                        r?
                    }
                    None => inner,
                };
                self.emit(Op::Emit { src: v }, at);
                Ok(())
            }
            "macro" => {
                let header = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let Some((name, params)) = crate::jinja::macro_header(header) else {
                    let r = self.alloc()?;
                    return self.raise("TemplateSyntaxError", "unsupported macro header", r, at);
                };
                let m = self.alloc()?;
                self.make_macro(&name, &params, exprs, body, m, at)?;
                let n = self.string(&name)?;
                self.emit(Op::StoreName { name: n, src: m }, at);
                Ok(())
            }
            "call" => {
                // `{% call(params) f(args) %}body{% endcall %}`: `f(args, caller=<macro>)`.
                let header = self
                    .text
                    .get(span.start as usize..span.end as usize)
                    .unwrap_or("");
                let Some((defaults, Some(call))) = exprs.split_last().map(|(c, d)| (d, Some(c)))
                else {
                    return Ok(());
                };
                let params = crate::jinja::caller_params(header);
                let c = self.alloc()?;
                self.make_macro("caller", &params, defaults, body, c, at)?;
                let ExprKind::Call { callee, args } = &call.kind else {
                    return Ok(());
                };
                let f = self.value(callee)?;
                let mut specs = vec![pos(f)];
                self.call_args(args, &mut specs)?;
                let name = self.string("caller")?;
                specs.push(ArgSpec::Keyword {
                    name,
                    value: Operand::Reg(c),
                });
                let r = self.alloc()?;
                let cat = self.span(call);
                self.jcall("call", specs, r, cat)?;
                self.emit(Op::Emit { src: r }, at);
                Ok(())
            }
            other => {
                let r = self.alloc()?;
                self.raise(
                    "TemplateAssertionError",
                    &format!("the '{other}' statement is not supported by gale"),
                    r,
                    at,
                )
            }
        }
    }

    /// A macro value (`macro:NAME`) into `dst`: `body` rendered with `params` bound,
    /// `exprs` the defaults of the last parameters.
    fn make_macro(
        &mut self,
        name: &str,
        params: &[String],
        exprs: &[Expr],
        body: &[Node],
        dst: Reg,
        at: Span,
    ) -> R<()> {
        {
            {
                let body_p = self.body_proto(body, None)?;
                let first_default = params.len() - exprs.len().min(params.len());
                let mut specs = vec![ArgSpec::Positional(Operand::Lazy(body_p))];
                for p in params.iter().take(first_default) {
                    let r = self.alloc()?;
                    let k = self.string(p)?;
                    self.emit(Op::LoadConst { dst: r, k }, at);
                    specs.push(pos(r));
                }
                for (p, d) in params.iter().skip(first_default).zip(exprs) {
                    let dp = self.proto(|g| {
                        let r = g.value(d)?;
                        let dat = g.span(d);
                        g.emit(Op::Return { src: r }, dat);
                        Ok(())
                    })?;
                    let name = self.string(p)?;
                    specs.push(ArgSpec::Keyword {
                        name,
                        value: Operand::Lazy(dp),
                    });
                }
                self.jcall(&format!("macro:{name}"), specs, dst, at)?;
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_verifies() {
        for text in [
            "{{ _.a }}",
            "x {{ _.a | default(1) }} {% for i in [1, 2] if i %}{{ loop.index }}{% else %}e{% endfor %}",
            "{% set x = [] %}{{ x.append(1) }}{% with y = 2 %}{{ y }}{% endwith %}{{ x }}",
            "{% macro m(a, b=2) %}{{ a + b }}{% endmacro %}{{ m(1) }}",
            "{% set t | upper %}a{% endset %}{{ t }}",
            "{% if %}",
            "{{ 1 | nope }}",
        ] {
            let m = compile_mistral(text).expect("compiles");
            assert!(gale_bytecode::verify(&m).is_ok(), "{text}");
            let bytes = gale_bytecode::encode::encode(&m);
            assert_eq!(
                gale_bytecode::encode::decode(&bytes).as_ref(),
                Ok(&m),
                "{text}"
            );
        }
    }
}
