//! The reference tree-walker: YAQL evaluated straight from the syntax tree.
//!
//! Same semantics as codegen + `gale_vm::interp` (same laziness decisions from the
//! signature table, same intrinsics), written the obvious way so the two can be run
//! side by side: the conformance suite requires them to agree case by case. It is
//! not the runtime (Rust recursion, clones sub-trees into closures); it is the oracle.
//! It still never crashes: nesting is bounded and reported as `StepBudgetExceeded`.

use std::cell::Cell;
use std::rc::Rc;

use gale_expr::yaql::ast::{Arg as AstArg, BinaryOp, Expr, ExprKind};
use gale_vm::ctx::ConstCallable;
use gale_vm::sig::{self, Arg, PairArg};
use gale_vm::value::{Native, NativeBox};
use gale_vm::{Callable, Ctx, Error, ErrorKind, FunctionSet, Lambda, Result, Value};

/// Maximum nesting of evaluations (Rust recursion of the walker).
pub const MAX_DEPTH: u32 = 160;

/// A scope: variables and `def`ined functions, with a parent.
pub struct Scope {
    parent: Option<Rc<Scope>>,
    vars: Vec<(String, Value)>,
    defs: Vec<(String, Rc<Expr>)>,
}

impl Scope {
    /// A root scope: `$` = `data` (when given) and other variables.
    pub fn root(data: Option<Value>, mut vars: Vec<(String, Value)>) -> Rc<Scope> {
        if let Some(d) = data {
            vars.push(("1".into(), d));
        }
        Rc::new(Scope {
            parent: None,
            vars,
            defs: Vec::new(),
        })
    }
    fn child(parent: &Rc<Scope>, vars: Vec<(String, Value)>) -> Scope {
        Scope {
            parent: Some(parent.clone()),
            vars,
            defs: Vec::new(),
        }
    }
    fn lookup(&self, name: &str) -> Value {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => v.clone(),
            None => self
                .parent
                .as_ref()
                .map(|p| p.lookup(name))
                .unwrap_or(Value::Null),
        }
    }
    fn find_def(self: &Rc<Scope>, name: &str) -> Option<(Rc<Scope>, Rc<Expr>)> {
        let bare = name.trim_end_matches('_');
        match self.defs.iter().rev().find(|(n, _)| n == bare) {
            Some((_, body)) => Some((self.clone(), body.clone())),
            None => self.parent.as_ref()?.find_def(name),
        }
    }
}

struct ContextObj(Rc<Scope>);

impl Native for ContextObj {
    fn type_name(&self) -> &'static str {
        "context"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

struct DelegateObj(Rc<Closure>);

impl Native for DelegateObj {
    fn type_name(&self) -> &'static str {
        "function"
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn native_ctx(v: &Value) -> Option<Rc<Scope>> {
    match v {
        Value::Native(nb) => {
            nb.0.as_any()
                .downcast_ref::<ContextObj>()
                .map(|c| c.0.clone())
        }
        _ => None,
    }
}

fn context_value(s: Scope) -> Value {
    Value::Native(Rc::new(NativeBox(Box::new(ContextObj(Rc::new(s))))))
}

/// The walker's shared state.
struct Walker {
    depth: Cell<u32>,
    stack_base: usize,
}

struct Closure {
    walker: Rc<Walker>,
    expr: Rc<Expr>,
    scope: Rc<Scope>,
}

impl Closure {
    fn invoke(&self, cx: &mut Ctx, args: &[Value], kwargs: Vec<(String, Value)>) -> Result<Value> {
        let scope = if args.is_empty() && kwargs.is_empty() {
            self.scope.clone()
        } else {
            Rc::new(bind(&self.scope, args, kwargs))
        };
        eval(&self.walker, cx, &scope, &self.expr)
    }
}

impl Callable for Closure {
    fn call(&self, cx: &mut Ctx, args: &[Value]) -> Result<Value> {
        self.invoke(cx, args, Vec::new())
    }
}

fn bind(parent: &Rc<Scope>, args: &[Value], kwargs: Vec<(String, Value)>) -> Scope {
    let mut vars: Vec<(String, Value)> = args
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1).to_string(), v.clone()))
        .collect();
    vars.extend(kwargs);
    Scope::child(parent, vars)
}

/// Evaluates `expr` (then `#finalize`) in `scope`.
pub fn evaluate(cx: &mut Ctx, scope: &Rc<Scope>, expr: &Expr) -> Result<Value> {
    let marker = 0u8;
    let walker = Rc::new(Walker {
        depth: Cell::new(0),
        stack_base: std::ptr::addr_of!(marker) as usize,
    });
    let v = eval(&walker, cx, scope, expr)?;
    gale_vm::convert::output(cx, &v)
}

fn lazy(w: &Rc<Walker>, scope: &Rc<Scope>, e: &Expr) -> Rc<Closure> {
    Rc::new(Closure {
        walker: w.clone(),
        expr: Rc::new(e.clone()),
        scope: scope.clone(),
    })
}

fn mapping_error() -> Error {
    Error::new(
        ErrorKind::MappingTranslation,
        "Cannot convert mapping to keyword argument",
    )
}

fn eval(w: &Rc<Walker>, cx: &mut Ctx, scope: &Rc<Scope>, e: &Expr) -> Result<Value> {
    let depth = w.depth.get();
    let marker = 0u8;
    let used = w.stack_base.abs_diff(std::ptr::addr_of!(marker) as usize);
    if depth >= MAX_DEPTH || used > gale_vm::interp::STACK_LIMIT {
        return Err(Error::new(
            ErrorKind::RecursionError,
            "maximum recursion depth exceeded",
        ));
    }
    w.depth.set(depth + 1);
    let r = cx.tick().and_then(|()| eval_inner(w, cx, scope, e));
    w.depth.set(depth);
    r
}

/// Positional and keyword values.
type Values = (Vec<Value>, Vec<(String, Value)>);

/// Evaluates arguments into values (for `def`s, delegates and context intrinsics).
fn values(w: &Rc<Walker>, cx: &mut Ctx, scope: &Rc<Scope>, args: &[AstArg]) -> Result<Values> {
    let (mut pos, mut kw) = (Vec::new(), Vec::new());
    for a in args {
        match a {
            AstArg::Positional(e) => pos.push(eval(w, cx, scope, e)?),
            AstArg::Skipped(_) => pos.push(Value::Null),
            AstArg::Pair { key, value, .. } => match &key.kind {
                ExprKind::Word(k) => kw.push((k.to_string(), eval(w, cx, scope, value)?)),
                _ => return Err(mapping_error()),
            },
        }
    }
    Ok((pos, kw))
}

fn call(
    w: &Rc<Walker>,
    cx: &mut Ctx,
    scope: &Rc<Scope>,
    name: &str,
    method: bool,
    receiver: Option<Value>,
    args: &[AstArg],
) -> Result<Value> {
    if !method && let Some((def_scope, body)) = scope.find_def(name) {
        let (pos, kw) = values(w, cx, scope, args)?;
        let s = Rc::new(bind(&def_scope, &pos, kw));
        return eval(w, cx, &s, &body);
    }
    let l = crate::laziness(cx.functions, name, method);
    let eager_pairs = matches!(name, "#map" | "dict");
    let mut pos = Vec::new();
    let mut kws = Vec::new();
    let mut index = 0;
    if let Some(r) = receiver {
        pos.push(Arg::Value(r));
        index = 1;
    }
    let operand = |e: &Expr, lazy_arg: bool, cx: &mut Ctx| -> Result<Arg> {
        if lazy_arg {
            Ok(Arg::Lazy(lazy(w, scope, e)))
        } else {
            eval(w, cx, scope, e).map(Arg::Value)
        }
    };
    let lam = |a: Arg| -> Lambda {
        match a {
            Arg::Lazy(l) => l,
            Arg::Value(v) => Rc::new(ConstCallable(v)),
            _ => Rc::new(ConstCallable(Value::Null)),
        }
    };
    for a in args {
        match a {
            AstArg::Positional(e) => {
                pos.push(operand(e, l.position(index), cx)?);
                index += 1;
            }
            AstArg::Skipped(_) => {
                pos.push(Arg::Skipped);
                index += 1;
            }
            AstArg::Pair { key, value, .. } => {
                if l.known && l.pairs {
                    let k = lam(operand(key, !eager_pairs, cx)?);
                    let v = lam(operand(value, !eager_pairs, cx)?);
                    pos.push(Arg::Pair(Rc::new(PairArg { key: k, value: v })));
                } else if let ExprKind::Word(k) = &key.kind {
                    kws.push((k.to_string(), operand(value, l.keyword(k), cx)?));
                } else {
                    return Err(mapping_error());
                }
            }
        }
    }
    sig::call(cx, name, method, pos, kws)
}

fn eval_inner(w: &Rc<Walker>, cx: &mut Ctx, scope: &Rc<Scope>, e: &Expr) -> Result<Value> {
    Ok(match &e.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Int(i) => match i64::try_from(*i) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::from_bigint((*i).into()),
        },
        ExprKind::BigInt(s) => match s.parse::<num_bigint::BigInt>() {
            Ok(b) => Value::from_bigint(b),
            Err(_) => Value::Null,
        },
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Str(s) => Value::str(s.as_str()),
        ExprKind::Word(s) => Value::str(&**s),
        ExprKind::Var(n) => scope.lookup(if n.is_empty() { "1" } else { n }),
        ExprKind::Paren(x) => eval(w, cx, scope, x)?,
        ExprKind::Call { name, args, .. } => {
            let bare = name.trim_end_matches('_');
            let positional = args
                .iter()
                .filter(|a| matches!(a, AstArg::Positional(_)))
                .count();
            match (bare, args.as_slice()) {
                ("let" | "with", _) => {
                    let (pos, kw) = values(w, cx, scope, args)?;
                    if bare == "with" && !kw.is_empty() {
                        return Err(Error::no_matching("with", false));
                    }
                    context_value(bind(scope, &pos, kw))
                }
                ("def", [AstArg::Positional(n), AstArg::Positional(body)]) => {
                    let n = eval(w, cx, scope, n)?;
                    let Some(n) = n.as_str() else {
                        return Err(Error::no_matching("def", false));
                    };
                    let mut s = Scope::child(scope, Vec::new());
                    s.defs
                        .push((n.trim_end_matches('_').to_string(), Rc::new(body.clone())));
                    context_value(s)
                }
                ("lambda", [AstArg::Positional(body)])
                    if cx.functions == FunctionSet::StdDelegates && positional == 1 =>
                {
                    Value::Native(Rc::new(NativeBox(Box::new(DelegateObj(lazy(
                        w, scope, body,
                    ))))))
                }
                _ => call(w, cx, scope, name, false, None, args)?,
            }
        }
        ExprKind::DelegateCall { callee, args } => {
            let f = eval(w, cx, scope, callee)?;
            let (pos, kw) = values(w, cx, scope, args)?;
            let Value::Native(nb) = &f else {
                return Err(Error::no_matching("#call", false));
            };
            let Some(d) = nb.0.as_any().downcast_ref::<DelegateObj>() else {
                return Err(Error::no_matching("#call", false));
            };
            d.0.invoke(cx, &pos, kw)?
        }
        ExprKind::Member {
            receiver,
            safe,
            member,
            ..
        } => {
            let r = eval(w, cx, scope, receiver)?;
            if *safe && matches!(r, Value::Null) {
                return Ok(Value::Null);
            }
            match &member.kind {
                ExprKind::Call { name, args, .. } => method_call(w, cx, scope, name, r, args)?,
                ExprKind::Word(k) => {
                    sig::call_values(cx, "#member", false, &[r, Value::str(&**k)])?
                }
                _ => {
                    return Err(Error::new(
                        ErrorKind::NoMatchingFunction,
                        "No function \"#operator_.\" matches supplied arguments",
                    ));
                }
            }
        }
        ExprKind::Index { target, args } => {
            let t = eval(w, cx, scope, target)?;
            call(w, cx, scope, "#indexer", false, Some(t), args)?
        }
        ExprKind::List(args) => call(w, cx, scope, "#list", false, None, args)?,
        ExprKind::Map(args) => call(w, cx, scope, "#map", false, None, args)?,
        ExprKind::Binary { op, lhs, rhs, .. } => match op {
            BinaryOp::And => {
                let l = eval(w, cx, scope, lhs)?;
                if l.truthy() {
                    eval(w, cx, scope, rhs)?
                } else {
                    l
                }
            }
            BinaryOp::Or => {
                let l = eval(w, cx, scope, lhs)?;
                if l.truthy() {
                    l
                } else {
                    eval(w, cx, scope, rhs)?
                }
            }
            BinaryOp::Arrow => {
                let l = eval(w, cx, scope, lhs)?;
                let Some(s) = native_ctx(&l) else {
                    return Err(Error::no_matching("#operator_->", false));
                };
                eval(w, cx, &s, rhs)?
            }
            BinaryOp::LegacyPair => {
                let mut items = Vec::new();
                crate::flatten_pairs(e, &mut items);
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(eval(w, cx, scope, i)?);
                }
                Value::tuple(out)
            }
            _ => {
                let args = [
                    AstArg::Positional((**lhs).clone()),
                    AstArg::Positional((**rhs).clone()),
                ];
                call(w, cx, scope, op.function_name(), false, None, &args)?
            }
        },
        ExprKind::Unary { op, operand, .. } => {
            let args = [AstArg::Positional((**operand).clone())];
            call(w, cx, scope, op.function_name(), false, None, &args)?
        }
        ExprKind::Error => {
            return Err(Error::new(ErrorKind::NoMatchingFunction, "syntax error"));
        }
    })
}

fn method_call(
    w: &Rc<Walker>,
    cx: &mut Ctx,
    scope: &Rc<Scope>,
    name: &str,
    receiver: Value,
    args: &[AstArg],
) -> Result<Value> {
    let bare = name.trim_end_matches('_');
    if bare == "unpack" {
        let (names, _) = values(w, cx, scope, args)?;
        let names: Option<Vec<&str>> = names.iter().map(Value::as_str).collect();
        let (Some(names), Some(items)) = (names, gale_vm::iter::Cursor::of(cx, &receiver)) else {
            return Err(Error::no_matching("unpack", true));
        };
        let got = items.collect(cx)?;
        let vars: Vec<(String, Value)> = if names.is_empty() {
            got.into_iter()
                .enumerate()
                .map(|(i, v)| ((i + 1).to_string(), v))
                .collect()
        } else if got.len() != names.len() {
            return Err(Error::value_error(format!(
                "Cannot unpack {} elements into {}",
                got.len(),
                names.len()
            )));
        } else {
            names.iter().map(|n| n.to_string()).zip(got).collect()
        };
        return Ok(context_value(Scope::child(scope, vars)));
    }
    if cx.functions == FunctionSet::Legacy {
        if let Some(inner) = native_ctx(&receiver) {
            let this = inner.lookup("0");
            return call(w, cx, &inner, name, true, Some(this), args);
        }
        if bare == "as" {
            let arg = std::slice::from_ref(&receiver);
            let mut vars = Vec::new();
            for a in args {
                match a {
                    AstArg::Positional(e) => {
                        let t = lazy(w, scope, e).call(cx, arg)?;
                        match (&t, t.as_seq()) {
                            (Value::Tuple(_), Some([v, k])) => {
                                vars.push((gale_vm::pyfmt::py_str(k), v.clone()))
                            }
                            (Value::Tuple(_), _) => {
                                return Err(Error::value_error("as() tuples must be of size 2"));
                            }
                            _ => return Err(Error::value_error("as() must have tuple parameters")),
                        }
                    }
                    AstArg::Pair { key, value, .. } => {
                        let source = lazy(w, scope, key).call(cx, arg)?;
                        let dest = lazy(w, scope, value).call(cx, arg)?;
                        vars.push((gale_vm::pyfmt::py_str(&dest), source));
                    }
                    AstArg::Skipped(_) => {
                        return Err(Error::value_error("as() must have tuple parameters"));
                    }
                }
            }
            vars.push(("0".into(), receiver));
            return Ok(context_value(Scope::child(scope, vars)));
        }
    }
    call(w, cx, scope, name, true, Some(receiver), args)
}
