//! The Jinja operations compiled templates call (`gale_bytecode::Op::JinjaCall`).
//!
//! A call site's name selects the operation, with an optional `:`-suffix operand
//! fixed at compile time (an attribute, a filter name, an operator):
//!
//! | site name | arguments | result |
//! |---|---|---|
//! | `getattr:NAME` | obj | `obj.NAME` (attribute, then item) |
//! | `getitem` | obj, key | `obj[key]` (item, then attribute) |
//! | `slice` | obj, start, stop, step | `obj[start:stop:step]` |
//! | `call` | callee, args…, keywords… | sandboxed call |
//! | `filter:NAME` / `test:NAME` | value, args…, keywords… | filter result / bool |
//! | `binary:OP` / `unary:OP` / `compare:OP` | operands | Python operator |
//! | `str` | v | `str(v)` |
//! | `concat` | strings… | their concatenation (`~`) |
//! | `tuple` / `list` / `dict` | items / key, value, … | a literal |
//! | `truthy` | v | `bool(v)` (an undefined raises) |
//! | `finish` | v | `v`, after `str(v)` succeeded (Mistral's check of a typed result) |
//! | `unpack:N` | v | a tuple of exactly N items of `v` |
//! | `index:N` | tuple | item N |
//! | `is_mutator:NAME` / `mutate:NAME` | receiver (, args…) | bool / `(result, new receiver)` |
//! | `store_in` | obj, key, value | the updated copy of a dict/list, or null when done |
//! | `nsset:NAME` | namespace, value | null (sets the attribute) |
//! | `undefined:MESSAGE` | — | a lenient `Undefined` |
//! | `raise:KIND` | message | raises `KIND` |
//! | `for`, `macro:NAME` | (see `gale_vm::interp`) | run lazy prototypes |
//!
//! Keyword arguments are the site's keywords; a keyword named `*` is `*args`, one
//! named `**` is `**kwargs` ([`spread`]).

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Dict, Value};

/// A resolved site name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JOp {
    /// `getattr:NAME`.
    Getattr,
    /// `getitem`.
    Getitem,
    /// `slice`.
    Slice,
    /// `call`.
    Call,
    /// `filter:NAME`.
    Filter,
    /// `test:NAME`.
    Test,
    /// `binary:OP`.
    Binary,
    /// `unary:OP`.
    Unary,
    /// `compare:OP`.
    Compare,
    /// `str`.
    Str,
    /// `concat`.
    Concat,
    /// `tuple`.
    Tuple,
    /// `list`.
    List,
    /// `dict`.
    Dict,
    /// `truthy`.
    Truthy,
    /// `finish`.
    Finish,
    /// `unpack:N`.
    Unpack,
    /// `index:N`.
    Index,
    /// `is_mutator:NAME`.
    IsMutator,
    /// `mutate:NAME`.
    Mutate,
    /// `store_in`.
    StoreIn,
    /// `nsset:NAME`.
    NsSet,
    /// `undefined:MESSAGE`.
    Undefined,
    /// `raise:KIND`.
    Raise,
    /// `for` (interpreter).
    For,
    /// `macro:NAME` (interpreter).
    Macro,
    /// Not a Jinja operation.
    Unknown,
}

/// Resolves a site name (done once, when a program is loaded).
pub fn resolve(name: &str) -> JOp {
    let head = name.split_once(':').map_or(name, |(h, _)| h);
    match head {
        "getattr" => JOp::Getattr,
        "getitem" => JOp::Getitem,
        "slice" => JOp::Slice,
        "call" => JOp::Call,
        "filter" => JOp::Filter,
        "test" => JOp::Test,
        "binary" => JOp::Binary,
        "unary" => JOp::Unary,
        "compare" => JOp::Compare,
        "str" => JOp::Str,
        "concat" => JOp::Concat,
        "tuple" => JOp::Tuple,
        "list" => JOp::List,
        "dict" => JOp::Dict,
        "truthy" => JOp::Truthy,
        "finish" => JOp::Finish,
        "unpack" => JOp::Unpack,
        "index" => JOp::Index,
        "is_mutator" => JOp::IsMutator,
        "mutate" => JOp::Mutate,
        "store_in" => JOp::StoreIn,
        "nsset" => JOp::NsSet,
        "undefined" => JOp::Undefined,
        "raise" => JOp::Raise,
        "for" => JOp::For,
        "macro" => JOp::Macro,
        _ => JOp::Unknown,
    }
}

/// The `:`-suffix of a site name (`""` when none).
pub fn operand(name: &str) -> &str {
    name.split_once(':').map_or("", |(_, o)| o)
}

/// Expands the `*args` (`*`) and `**kwargs` (`**`) keywords of a call into positional
/// and keyword arguments, as Python does.
pub fn spread(
    cx: &mut Ctx,
    args: &mut Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Vec<(String, Value)>> {
    if !kwargs.iter().any(|(k, _)| k.starts_with('*')) {
        return Ok(kwargs);
    }
    let mut out = Vec::with_capacity(kwargs.len());
    let mut dyn_kwargs = None;
    for (k, v) in kwargs {
        match k.as_str() {
            "*" => args.extend(super::iterate(cx, &v)?),
            "**" => dyn_kwargs = Some(v),
            _ => out.push((k, v)),
        }
    }
    if let Some(d) = dyn_kwargs {
        match super::check(&d)? {
            Value::Dict(m) => {
                for (key, v) in m.map.iter() {
                    out.push((super::to_str(&key.0)?, v.clone()));
                }
            }
            other => {
                return Err(Error::type_error(format!(
                    "argument after ** must be a mapping, not {}",
                    other.type_name()
                )));
            }
        }
    }
    Ok(out)
}

fn first(args: &mut Vec<Value>) -> Value {
    if args.is_empty() {
        Value::Null
    } else {
        args.remove(0)
    }
}

fn kind_of(name: &str) -> ErrorKind {
    match name {
        "TemplateSyntaxError" => ErrorKind::TemplateSyntaxError,
        "TemplateAssertionError" => ErrorKind::TemplateAssertionError,
        "NameError" => ErrorKind::NameError,
        "ValueError" => ErrorKind::ValueError,
        "IndexError" => ErrorKind::IndexError,
        "UndefinedError" => ErrorKind::UndefinedError,
        _ => ErrorKind::TypeError,
    }
}

/// Runs a value operation (every [`JOp`] but `For` and `Macro`, which need the
/// interpreter). `name` is the site name.
pub fn apply(
    cx: &mut Ctx,
    op: JOp,
    name: &str,
    mut args: Vec<Value>,
    kwargs: Vec<(String, Value)>,
) -> Result<Value> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    Ok(match op {
        JOp::Getattr => super::getattr(cx, &arg(0), operand(name))?,
        JOp::Getitem => super::getitem(cx, &arg(0), &arg(1))?,
        JOp::Slice => super::slice(cx, &arg(0), &arg(1), &arg(2), &arg(3))?,
        JOp::Call => {
            let callee = first(&mut args);
            let kwargs = spread(cx, &mut args, kwargs)?;
            super::call(cx, &callee, args, kwargs)?
        }
        JOp::Filter => {
            let v = first(&mut args);
            let kwargs = spread(cx, &mut args, kwargs)?;
            super::filters::apply(cx, operand(name), v, args, kwargs)?
        }
        JOp::Test => {
            let v = first(&mut args);
            let kwargs = spread(cx, &mut args, kwargs)?;
            Value::Bool(super::tests::apply(cx, operand(name), v, args, kwargs)?)
        }
        JOp::Binary => super::binary(cx, operand(name), &arg(0), &arg(1))?,
        JOp::Unary => super::unary(operand(name), &arg(0))?,
        JOp::Compare => Value::Bool(super::compare(cx, operand(name), &arg(0), &arg(1))?),
        JOp::Str => Value::str(super::to_str(&arg(0))?),
        JOp::Concat => {
            let mut s = String::new();
            for a in &args {
                s.push_str(a.as_str().unwrap_or(""));
            }
            cx.charge(s.len())?;
            Value::str(s)
        }
        JOp::Tuple => Value::tuple(args),
        JOp::List => Value::list(args),
        JOp::Dict => {
            let mut d = Dict::new();
            let mut it = args.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                d.insert(k, v)?;
            }
            Value::dict(d)
        }
        JOp::Truthy => Value::Bool(super::truthy(&arg(0))?),
        JOp::Finish => {
            let v = arg(0);
            super::to_str(&v)?;
            v
        }
        JOp::Unpack => {
            let n: usize = operand(name).parse().unwrap_or(0);
            let values = super::iterate(cx, &arg(0))?;
            if values.len() != n {
                return Err(Error::value_error(if values.len() > n {
                    format!("too many values to unpack (expected {n})")
                } else {
                    format!(
                        "not enough values to unpack (expected {n}, got {})",
                        values.len()
                    )
                }));
            }
            Value::tuple(values)
        }
        JOp::Index => {
            let i: usize = operand(name).parse().unwrap_or(0);
            arg(0)
                .as_seq()
                .and_then(|s| s.get(i).cloned())
                .unwrap_or(Value::Null)
        }
        JOp::IsMutator => Value::Bool(super::methods::is_mutator(&arg(0), operand(name))),
        JOp::Mutate => {
            let recv = first(&mut args);
            let kwargs = spread(cx, &mut args, kwargs)?;
            let (ret, new) = super::methods::mutate(cx, &recv, operand(name), args, kwargs)?;
            Value::tuple(vec![ret, new])
        }
        JOp::StoreIn => store_in(&arg(0), arg(1), arg(2))?,
        JOp::NsSet => {
            let ns = arg(0);
            match super::downcast::<super::Namespace>(&ns) {
                Some(n) => n
                    .attrs
                    .borrow_mut()
                    .insert(Value::str(operand(name)), arg(1))?,
                None => {
                    return Err(Error::new(
                        ErrorKind::TemplateAssertionError,
                        "cannot assign attribute on non-namespace object",
                    ));
                }
            }
            Value::Null
        }
        JOp::Undefined => super::lenient_undefined(operand(name)),
        JOp::Raise => {
            let msg = arg(0).as_str().unwrap_or("").to_string();
            return Err(Error::new(kind_of(operand(name)), msg));
        }
        JOp::For | JOp::Macro | JOp::Unknown => {
            return Err(Error::type_error(format!(
                "unknown Jinja operation {name:?}"
            )));
        }
    })
}

/// `obj[key] = value` on a copy (Python mutates in place; values are immutable here):
/// the new dict/list to store back where `obj` came from, or null when nothing more is
/// to be stored (a namespace was updated in place, or `obj` cannot hold items).
pub fn store_in(obj: &Value, key: Value, value: Value) -> Result<Value> {
    if let Some(ns) = super::downcast::<super::Namespace>(obj) {
        ns.attrs.borrow_mut().insert(key, value)?;
        return Ok(Value::Null);
    }
    Ok(match obj {
        Value::Dict(d) => {
            let mut m = d.as_ref().clone();
            m.insert(key, value)?;
            Value::dict(m)
        }
        Value::List(items) => {
            let mut v = items.as_ref().clone();
            let n = v.len() as i64;
            match key.as_i64_lenient() {
                Some(i) if (-n..n).contains(&i) => {
                    v[if i < 0 { i + n } else { i } as usize] = value;
                }
                _ => return Ok(Value::Null),
            }
            Value::list(v)
        }
        _ => Value::Null,
    })
}

/// Turns the lazy objects a typed Jinja result may hold (generators, `range`) into
/// lists and named tuples into tuples, so the value can be stored or encoded (Mistral
/// would keep the Python object; JSON needs the items).
pub fn materialize(cx: &mut Ctx, v: Value) -> Result<Value> {
    Ok(match v {
        Value::Iter(_) => {
            let items = super::iterate(cx, &v)?;
            Value::list(
                items
                    .into_iter()
                    .map(|x| materialize(cx, x))
                    .collect::<Result<_>>()?,
            )
        }
        Value::List(items)
            if items
                .iter()
                .any(|x| matches!(x, Value::Native(_) | Value::Iter(_))) =>
        {
            Value::list(
                items
                    .iter()
                    .map(|x| materialize(cx, x.clone()))
                    .collect::<Result<_>>()?,
            )
        }
        Value::Native(_) => {
            if let Some(t) = super::downcast::<super::NamedTuple>(&v) {
                Value::tuple(t.values.clone())
            } else if let Some(r) = super::downcast::<super::Range>(&v) {
                Value::list(r.items())
            } else {
                v
            }
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(resolve("getattr:items"), JOp::Getattr);
        assert_eq!(resolve("filter:upper"), JOp::Filter);
        assert_eq!(resolve("#operator_+"), JOp::Unknown);
        assert_eq!(operand("undefined:a: b"), "a: b");
    }

    #[test]
    fn value_operations() {
        let mut cx = Ctx::default();
        let two = vec![Value::Int(7), Value::Int(2)];
        assert_eq!(
            apply(&mut cx, JOp::Binary, "binary:/", two.clone(), vec![]).unwrap(),
            Value::Float(3.5)
        );
        assert_eq!(
            apply(&mut cx, JOp::Compare, "compare:<", two, vec![]).unwrap(),
            Value::Bool(false)
        );
        let e = apply(
            &mut cx,
            JOp::Unpack,
            "unpack:3",
            vec![Value::list(vec![])],
            vec![],
        );
        assert_eq!(e.unwrap_err().kind(), ErrorKind::ValueError);
        let spread_args = vec![("*".to_string(), Value::list(vec![Value::Int(1)]))];
        let mut a = Vec::new();
        assert!(spread(&mut cx, &mut a, spread_args).unwrap().is_empty());
        assert_eq!(a, vec![Value::Int(1)]);
    }
}
