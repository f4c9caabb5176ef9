//! # gale_codegen — YAQL syntax trees to bytecode
//!
//! [`compile`] lowers a [`gale_expr::yaql::ast::Expr`] to a [`gale_bytecode::Module`]
//! exactly as yaql desugars it (yaql.md §3.3): operators, indexers, list and dict
//! literals become calls of the builtins' names (`#operator_+`, `*equal`, `#indexer`,
//! `#list`, `#map`…); `X.f(args)` is a method call with receiver `X`; `X.word` calls
//! `#member`; `X?.rhs` jumps over the member access when `X` is null; `$name` is a
//! variable read (`$` = `$1`).
//!
//! Laziness is decided here from the ONE signature table (`gale_vm::sig::registry`):
//! an argument is compiled to its own prototype (run later as a lambda with `$`
//! rebound to the lambda's first argument) when any visible overload of the callee
//! takes a lambda at that position or keyword; every other argument is evaluated into
//! a register before the call. Unknown names (possibly `def`ined at run time) get only
//! lazy arguments, so yaql's "no such function" wins over argument errors.
//!
//! Interpreter intrinsics get their own ops: `and`/`or` are jumps (they return an
//! operand, like yaql's), `a -> b` enters the context `a` for `b`, `let`/`with`,
//! `def`, `unpack`, delegates' `lambda` and `E(args)`, and the legacy `a => b` tuples.
//! The whole expression ends with `#finalize` (output conversion).
//!
//! [`reference`] is a direct AST interpreter with the same semantics, the oracle the
//! conformance suite runs beside the bytecode (both must agree); [`eval`] is the
//! front door (`gale eval`, conformance cases).

mod emit;
pub mod eval;
pub mod jinja;
pub mod jinja_compile;
pub mod reference;
pub mod workflow;

use crate::emit::ModuleBuilder;
use gale_bytecode::{
    ArgSpec, Constant, FailKind, Module, Op, Operand, ProtoId, Reg, SiteId, Span, Target,
};
use gale_expr::yaql::ast::{Arg, BinaryOp, Expr, ExprKind};
use gale_vm::FunctionSet;
use gale_vm::sig::{Form, ParamKind, Ty, registry};

/// What the compiled code will run against.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The function set (yaql context) the expression is evaluated in; laziness of
    /// arguments follows its overloads.
    pub functions: FunctionSet,
    /// Run `#finalize` (output conversion) on the result.
    pub finalize: bool,
}

impl Options {
    /// Mistral's configuration: standard functions, output conversion on.
    pub const MISTRAL: Options = Options {
        functions: FunctionSet::Std,
        finalize: true,
    };
}

/// Why an expression could not be compiled (limits of the encoding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    /// What overflowed.
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

type R<T> = Result<T, CompileError>;

/// Compiles a parsed YAQL expression.
pub fn compile(expr: &Expr, options: Options) -> R<Module> {
    let mut g = Gen {
        options,
        b: ModuleBuilder::new("expression"),
    };
    g.proto(expr, options.finalize)?;
    Ok(g.b.module)
}

struct Gen {
    options: Options,
    b: ModuleBuilder,
}

/// The generator is a layer over the module builder: `self.alloc()`, `self.emit(…)`,
/// `self.cur` are the builder's.
impl std::ops::Deref for Gen {
    type Target = ModuleBuilder;
    fn deref(&self) -> &ModuleBuilder {
        &self.b
    }
}

impl std::ops::DerefMut for Gen {
    fn deref_mut(&mut self) -> &mut ModuleBuilder {
        &mut self.b
    }
}

/// An argument by reference (so operators need not build `Arg`s).
#[derive(Clone, Copy)]
enum ArgRef<'e> {
    Positional(&'e Expr),
    Skipped,
    Pair(&'e Expr, &'e Expr),
}

fn refs(args: &[Arg]) -> Vec<ArgRef<'_>> {
    args.iter()
        .map(|a| match a {
            Arg::Positional(e) => ArgRef::Positional(e),
            Arg::Skipped(_) => ArgRef::Skipped,
            Arg::Pair { key, value, .. } => ArgRef::Pair(key, value),
        })
        .collect()
}

/// Which arguments of a callee are lazy.
pub(crate) struct Laziness {
    /// The name has visible overloads of this call form.
    known: bool,
    positions: Vec<bool>,
    rest_from: Option<usize>,
    keywords: Vec<String>,
    all_keywords: bool,
    pairs: bool,
}

impl Laziness {
    pub(crate) fn position(&self, i: usize) -> bool {
        !self.known
            || self.positions.get(i).copied().unwrap_or(false)
            || self.rest_from.is_some_and(|r| i >= r)
    }
    pub(crate) fn keyword(&self, name: &str) -> bool {
        !self.known || self.all_keywords || self.keywords.iter().any(|k| k == name)
    }
}

fn span(e: &Expr) -> Span {
    Span {
        start: e.span.start,
        end: e.span.end,
    }
}

impl Gen {
    fn laziness(&self, name: &str, method: bool) -> Laziness {
        laziness(self.options.functions, name, method)
    }
}

/// Which arguments of `name` are lazy in function set `set`.
pub(crate) fn laziness(set: FunctionSet, name: &str, method: bool) -> Laziness {
    let reg = registry();
    {
        let bare = name.trim_end_matches('_');
        let extension = set == FunctionSet::Legacy
            && gale_vm::signatures::LEGACY_EXTENSION_METHODS.contains(&bare);
        let mut l = Laziness {
            known: false,
            positions: Vec::new(),
            rest_from: None,
            keywords: Vec::new(),
            all_keywords: false,
            pairs: false,
        };
        for &oi in reg.group(name).unwrap_or(&[]) {
            let Some(o) = reg.overloads.get(oi) else {
                continue;
            };
            let form_ok = extension
                || match o.form {
                    Form::Function => !method,
                    Form::Method => method,
                    Form::Extension => true,
                };
            if !set.includes(o.layer) || !form_ok {
                continue;
            }
            l.known = true;
            l.pairs |= o.pairs;
            let mut i = 0;
            for p in &o.params {
                let lazy = matches!(p.ty, Ty::Lambda | Ty::LambdaPair);
                match p.kind {
                    ParamKind::Single => {
                        if lazy {
                            if l.positions.len() <= i {
                                l.positions.resize(i + 1, false);
                            }
                            l.positions[i] = true;
                            l.keywords.push(p.name.clone());
                        }
                        i += 1;
                    }
                    ParamKind::VarArgs => {
                        if lazy {
                            l.rest_from = Some(l.rest_from.map_or(i, |r| r.min(i)));
                        }
                    }
                    ParamKind::VarKw => l.all_keywords |= lazy,
                }
            }
        }
        l
    }
}

impl Gen {
    /// Compiles `e` as a new prototype (returns its id).
    fn proto(&mut self, e: &Expr, finalize: bool) -> R<ProtoId> {
        let (id, saved) = self.open_proto("lambdas")?;
        let result = (|| {
            let r = self.alloc()?;
            self.expr(e, r)?;
            if finalize {
                self.emit(Op::Finalize { dst: r, src: r }, span(e));
            }
            self.emit(Op::Return { src: r }, span(e));
            Ok(())
        })();
        let id = self.close_proto(id, saved, 0);
        result?;
        Ok(id)
    }

    fn operand(&mut self, e: &Expr, lazy: bool) -> R<Operand> {
        if lazy {
            Ok(Operand::Lazy(self.proto(e, false)?))
        } else {
            let r = self.alloc()?;
            self.expr(e, r)?;
            Ok(Operand::Reg(r))
        }
    }

    fn fail(&mut self, kind: FailKind, message: &str, at: Span) -> R<()> {
        let msg = self.string(message)?;
        self.emit(Op::Fail { kind, msg }, at);
        Ok(())
    }

    /// A call of `name`: `receiver` (already in a register) first for methods.
    fn call(
        &mut self,
        name: &str,
        method: bool,
        receiver: Option<Reg>,
        args: &[ArgRef<'_>],
        dst: Reg,
        at: Span,
    ) -> R<()> {
        let mark = self.cur.next;
        let lazy = self.laziness(name, method);
        // `#map`/`dict` evaluate each pair's sides in order anyway: no closures.
        let eager_pairs = matches!(name, "#map" | "dict");
        let mut specs = Vec::with_capacity(args.len() + 1);
        let mut index = 0usize;
        if let Some(r) = receiver {
            specs.push(ArgSpec::Positional(Operand::Reg(r)));
            index = 1;
        }
        for a in args {
            match *a {
                ArgRef::Positional(e) => {
                    let o = self.operand(e, lazy.position(index))?;
                    specs.push(ArgSpec::Positional(o));
                    index += 1;
                }
                ArgRef::Skipped => {
                    specs.push(ArgSpec::Skipped);
                    index += 1;
                }
                ArgRef::Pair(key, value) => {
                    if lazy.known && lazy.pairs {
                        let key = self.operand(key, !eager_pairs)?;
                        let value = self.operand(value, !eager_pairs)?;
                        specs.push(ArgSpec::Pair { key, value });
                    } else if let ExprKind::Word(w) = &key.kind {
                        let name = self.string(w)?;
                        let value = self.operand(value, lazy.keyword(w))?;
                        specs.push(ArgSpec::Keyword { name, value });
                    } else {
                        self.cur.next = mark;
                        return self.fail(
                            FailKind::MappingTranslation,
                            "Cannot convert mapping to keyword argument",
                            span(key),
                        );
                    }
                }
            }
        }
        let site = self.site(name, method, specs)?;
        self.emit(Op::Call { dst, site }, at);
        self.cur.next = mark;
        Ok(())
    }

    /// Arguments evaluated eagerly into a site (intrinsics).
    fn eager_site(
        &mut self,
        name: &str,
        method: bool,
        receiver: Option<Reg>,
        args: &[Arg],
    ) -> R<Result<SiteId, Span>> {
        let mut specs = Vec::new();
        if let Some(r) = receiver {
            specs.push(ArgSpec::Positional(Operand::Reg(r)));
        }
        for a in args {
            match a {
                Arg::Positional(e) => specs.push(ArgSpec::Positional(self.operand(e, false)?)),
                Arg::Skipped(_) => specs.push(ArgSpec::Skipped),
                Arg::Pair { key, value, .. } => match &key.kind {
                    ExprKind::Word(w) => {
                        let name = self.string(w)?;
                        let value = self.operand(value, false)?;
                        specs.push(ArgSpec::Keyword { name, value });
                    }
                    _ => return Ok(Err(span(key))),
                },
            }
        }
        Ok(Ok(self.site(name, method, specs)?))
    }

    fn expr(&mut self, e: &Expr, dst: Reg) -> R<()> {
        let at = span(e);
        match &e.kind {
            ExprKind::Null => self.load(Constant::Null, dst, at),
            ExprKind::Bool(b) => self.load(Constant::Bool(*b), dst, at),
            ExprKind::Int(i) => match i64::try_from(*i) {
                Ok(i) => self.load(Constant::Int(i), dst, at),
                Err(_) => self.load(Constant::BigInt(i.to_string().into()), dst, at),
            },
            ExprKind::BigInt(s) => self.load(Constant::BigInt(s.clone()), dst, at),
            ExprKind::Float(f) => self.load(Constant::Float(*f), dst, at),
            ExprKind::Str(s) => {
                let k = self.string(s)?;
                self.emit(Op::LoadConst { dst, k }, at);
                Ok(())
            }
            ExprKind::Word(w) => {
                let k = self.string(w)?;
                self.emit(Op::LoadConst { dst, k }, at);
                Ok(())
            }
            ExprKind::Var(name) => {
                let name = if name.is_empty() { "1" } else { name };
                let k = self.string(name)?;
                self.emit(Op::LoadVar { dst, name: k }, at);
                Ok(())
            }
            ExprKind::Paren(inner) => self.expr(inner, dst),
            ExprKind::Call { name, args, .. } => self.plain_call(name, args, dst, at),
            ExprKind::DelegateCall { callee, args } => {
                let mark = self.cur.next;
                let r = self.alloc()?;
                self.expr(callee, r)?;
                match self.eager_site("#call", false, Some(r), args)? {
                    Ok(site) => {
                        self.emit(Op::CallValue { dst, site }, at);
                    }
                    Err(k) => self.fail(
                        FailKind::MappingTranslation,
                        "Cannot convert mapping to keyword argument",
                        k,
                    )?,
                }
                self.cur.next = mark;
                Ok(())
            }
            ExprKind::Member {
                receiver,
                safe,
                member,
                ..
            } => {
                let mark = self.cur.next;
                let r = self.alloc()?;
                self.expr(receiver, r)?;
                let skip = if *safe {
                    Some(self.emit(
                        Op::JumpIfNull {
                            src: r,
                            target: Target(0),
                        },
                        at,
                    ))
                } else {
                    None
                };
                match &member.kind {
                    ExprKind::Call { name, args, .. } => {
                        let mat = span(member);
                        if name.trim_end_matches('_') == "unpack" {
                            match self.eager_site("unpack", true, Some(r), args)? {
                                Ok(site) => {
                                    self.emit(Op::Unpack { dst, site }, mat);
                                }
                                Err(k) => self.fail(
                                    FailKind::MappingTranslation,
                                    "Cannot convert mapping to keyword argument",
                                    k,
                                )?,
                            }
                        } else {
                            self.call(name, true, Some(r), &refs(args), dst, mat)?;
                        }
                    }
                    ExprKind::Word(w) => {
                        let k = self.alloc()?;
                        let wk = self.string(w)?;
                        self.emit(Op::LoadConst { dst: k, k: wk }, span(member));
                        let site = self.site(
                            "#member",
                            false,
                            vec![
                                ArgSpec::Positional(Operand::Reg(r)),
                                ArgSpec::Positional(Operand::Reg(k)),
                            ],
                        )?;
                        self.emit(Op::Call { dst, site }, at);
                    }
                    _ => self.fail(
                        FailKind::NoMatchingFunction,
                        "No function \"#operator_.\" matches supplied arguments",
                        at,
                    )?,
                }
                if let Some(j) = skip {
                    let end = self.emit(Op::Jump { target: Target(0) }, at);
                    self.patch(j);
                    self.emit(Op::Move { dst, src: r }, at);
                    self.patch(end);
                }
                self.cur.next = mark;
                Ok(())
            }
            ExprKind::Index { target, args } => {
                let mark = self.cur.next;
                let r = self.alloc()?;
                self.expr(target, r)?;
                // `#indexer(target, args...)`: the target is a plain first argument.
                self.call("#indexer", false, Some(r), &refs(args), dst, at)?;
                self.cur.next = mark;
                Ok(())
            }
            ExprKind::List(args) => self.call("#list", false, None, &refs(args), dst, at),
            ExprKind::Map(args) => self.call("#map", false, None, &refs(args), dst, at),
            ExprKind::Binary { op, lhs, rhs, .. } => match op {
                BinaryOp::And | BinaryOp::Or => {
                    self.expr(lhs, dst)?;
                    let j = if *op == BinaryOp::And {
                        Op::JumpIfFalsy {
                            src: dst,
                            target: Target(0),
                        }
                    } else {
                        Op::JumpIfTruthy {
                            src: dst,
                            target: Target(0),
                        }
                    };
                    let j = self.emit(j, at);
                    self.expr(rhs, dst)?;
                    self.patch(j);
                    Ok(())
                }
                BinaryOp::Arrow => {
                    let mark = self.cur.next;
                    let r = self.alloc()?;
                    self.expr(lhs, r)?;
                    self.emit(Op::Enter { src: r }, at);
                    self.expr(rhs, dst)?;
                    self.emit(Op::Leave, at);
                    self.cur.next = mark;
                    Ok(())
                }
                BinaryOp::LegacyPair => {
                    let mut items = Vec::new();
                    flatten_pairs(e, &mut items);
                    let mark = self.cur.next;
                    let count =
                        u16::try_from(items.len()).map_err(|_| self.too_big("registers"))?;
                    let start = self.cur.next;
                    for _ in 0..count {
                        self.alloc()?;
                    }
                    for (i, item) in items.iter().enumerate() {
                        self.expr(item, Reg(start + i as u16))?;
                    }
                    self.emit(
                        Op::MakeTuple {
                            dst,
                            start: Reg(start),
                            count,
                        },
                        at,
                    );
                    self.cur.next = mark;
                    Ok(())
                }
                _ => {
                    let args = [ArgRef::Positional(lhs), ArgRef::Positional(rhs)];
                    self.call(op.function_name(), false, None, &args, dst, at)
                }
            },
            ExprKind::Unary { op, operand, .. } => {
                let args = [ArgRef::Positional(operand)];
                self.call(op.function_name(), false, None, &args, dst, at)
            }
            ExprKind::Error => self.fail(FailKind::NoMatchingFunction, "syntax error", at),
        }
    }

    fn plain_call(&mut self, name: &str, args: &[Arg], dst: Reg, at: Span) -> R<()> {
        let bare = name.trim_end_matches('_');
        let positional = args
            .iter()
            .filter(|a| matches!(a, Arg::Positional(_)))
            .count();
        match bare {
            "let" | "with" => {
                let mark = self.cur.next;
                match self.eager_site(bare, false, None, args)? {
                    Ok(site) => {
                        self.emit(Op::MakeContext { dst, site }, at);
                    }
                    Err(k) => self.fail(
                        FailKind::MappingTranslation,
                        "Cannot convert mapping to keyword argument",
                        k,
                    )?,
                }
                self.cur.next = mark;
                Ok(())
            }
            "def" if positional == 2 && args.len() == 2 => {
                let (Some(Arg::Positional(n)), Some(Arg::Positional(body))) =
                    (args.first(), args.get(1))
                else {
                    return self.call(name, false, None, &refs(args), dst, at);
                };
                let mark = self.cur.next;
                let r = self.alloc()?;
                self.expr(n, r)?;
                let body = self.proto(body, false)?;
                self.emit(Op::Define { dst, name: r, body }, at);
                self.cur.next = mark;
                Ok(())
            }
            "lambda"
                if self.options.functions == FunctionSet::StdDelegates
                    && positional == 1
                    && args.len() == 1 =>
            {
                let Some(Arg::Positional(body)) = args.first() else {
                    return self.call(name, false, None, &refs(args), dst, at);
                };
                let body = self.proto(body, false)?;
                self.emit(Op::MakeDelegate { dst, body }, at);
                Ok(())
            }
            _ => self.call(name, false, None, &refs(args), dst, at),
        }
    }

    fn load(&mut self, c: Constant, dst: Reg, at: Span) -> R<()> {
        let k = self.constant(c)?;
        self.emit(Op::LoadConst { dst, k }, at);
        Ok(())
    }
}

/// The items of a left-nested legacy `a => b => c` (parentheses stop the flattening).
pub(crate) fn flatten_pairs<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinaryOp::LegacyPair,
            lhs,
            rhs,
            ..
        } => {
            flatten_pairs(lhs, out);
            out.push(rhs);
        }
        _ => out.push(e),
    }
}
