//! yaql's legacy layer (`yaql/legacy.py`, `yaql/standard_library/legacy.py`): visible
//! only in [`FunctionSet::Legacy`](crate::ctx::FunctionSet::Legacy).
//!
//! Implemented here: `tuple`, `toList` (a Python list), `dict`/`#map` from 2-tuples,
//! the filtering `#indexer`, `range(start, stop = null)`, the value `switch`, and
//! `.key` returning null for a missing dict key. The extension-method re-registration
//! of `get list bool int float select where join sum takeWhile` is a rule of
//! [`crate::sig::call`]. Context-producing pieces (`as`, `ctx.expr`, and `a => b` tuple
//! building, which inspects the expression tree) are interpreter intrinsics.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::iter::{Cursor, IterObj, PyIter, to_vec};
use crate::sig::{Args, Slot};
use crate::value::{Dict, Value};

pub(crate) fn tuple(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let items = a.many(0);
    cx.charge(16 * items.len())?;
    Ok(Value::tuple(items))
}

pub(crate) fn to_list(cx: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::list(to_vec(cx, a.v(0), "toList")?))
}

/// `dict(*tuples)`: yaql calls the standard `dict(items)` with the tuple of tuples.
pub(crate) fn dict(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut d = Dict::new();
    for t in a.many(0) {
        let kv = t.as_seq().unwrap_or(&[]);
        if kv.len() != 2 {
            return Err(Error::value_error(format!(
                "dictionary update sequence element has length {}; 2 is required",
                kv.len()
            )));
        }
        cx.charge(40)?;
        d.insert(kv[0].clone(), kv[1].clone())?;
    }
    Ok(Value::dict(d))
}

/// `coll[expr]`: a sequence indexed by an int (not bool) value of `expr`; otherwise
/// (non-int value, or not a sequence) the items for which `expr` holds.
pub(crate) fn indexer(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = a
        .lam(1)
        .cloned()
        .ok_or_else(|| Error::no_matching(a.name, false))?;
    let coll = a.v(0);
    if let Some(items) = coll.as_seq() {
        let index = f.call(cx, &[])?;
        if let Value::Int(i) = index {
            let n = items.len() as i64;
            let j = if i < 0 { i + n } else { i };
            return usize::try_from(j)
                .ok()
                .and_then(|j| items.get(j))
                .cloned()
                .ok_or_else(|| Error::index_error("tuple index out of range"));
        }
        if let Value::BigInt(_) = index {
            return Err(Error::index_error(
                "cannot fit 'int' into an index-sized integer",
            ));
        }
    }
    let mut c = Cursor::expect(cx, coll, "#indexer")?;
    Ok(IterObj::from_fn(move |cx| {
        while let Some(v) = c.next(cx)? {
            if f.call(cx, std::slice::from_ref(&v))?.truthy() {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }))
}

/// `range(start, stop = null)`: Python `range`, or `itertools.count(start)`.
pub(crate) fn range(_: &mut Ctx, a: &Args) -> Result<Value> {
    let start = a.int(0)?;
    let stop = match a.v(1) {
        Value::Null => None,
        _ => Some(a.int(1)?),
    };
    let mut i = start;
    Ok(IterObj::from_fn(move |_| {
        if stop.is_some_and(|s| i >= s) {
            return Ok(None);
        }
        let v = i;
        i = i.saturating_add(1);
        Ok(Some(Value::Int(v)))
    }))
}

/// `value.switch(cond => result, ...)`: conditions see `$` = value; a legacy-grammar
/// `=>` arrives as a 2-tuple, a standard-grammar one as a pair (both sides evaluated,
/// like yaql's `MappingRule`).
pub(crate) fn switch(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let value = a.v(0).clone();
    let conditions = match a.slots.get(1) {
        Some(Slot::Many(s)) => s.clone(),
        _ => Vec::new(),
    };
    let arg = std::slice::from_ref(&value);
    for c in conditions {
        match c {
            Slot::Pair(p) => {
                let source = p.key.call(cx, arg)?;
                let destination = p.value.call(cx, arg)?;
                if source.truthy() {
                    return Ok(destination);
                }
            }
            Slot::Lambda(l) => match l.call(cx, arg)? {
                Value::Tuple(t) => {
                    if t.len() != 2 {
                        return Err(Error::value_error("switch() tuples must be of size 2"));
                    }
                    if t[0].truthy() {
                        return Ok(t[1].clone());
                    }
                }
                _ => {
                    return Err(Error::value_error(
                        "switch() must have tuple or mapping parameters",
                    ));
                }
            },
            _ => {}
        }
    }
    Ok(Value::Null)
}

/// `dict.key` in the legacy layer: `dict.get(key)` (null when missing).
pub(crate) fn member(cx: &mut Ctx, a: &Args) -> Result<Value> {
    super::core::member_of(cx, a.v(0), a.str(1))
}

#[cfg(test)]
mod tests {
    //! Expected values are the legacy cases of the conformance suite (yaql 3.2.0).
    use super::*;
    use crate::ctx::{FunctionSet, lambda};
    use crate::sig::{Arg, PairArg, call};
    use std::rc::Rc;

    fn legacy() -> Ctx {
        let mut cx = Ctx::default();
        cx.functions = FunctionSet::Legacy;
        cx.options.iterable_dicts = true;
        cx
    }
    fn v(x: impl Into<Value>) -> Arg {
        Arg::Value(x.into())
    }
    fn ints(xs: &[i64]) -> Value {
        Value::tuple(xs.iter().map(|&i| Value::Int(i)).collect())
    }
    fn out(cx: &mut Ctx, r: Result<Value>) -> String {
        match r.and_then(|x| crate::convert::output(cx, &x)) {
            Ok(x) => crate::pyfmt::repr(&x),
            Err(e) => format!("ERR {}", e.kind().python_name()),
        }
    }

    #[test]
    fn function_sets() {
        // tuple(1, 2) exists only in the legacy set.
        let mut std = Ctx::default();
        let e = call(&mut std, "tuple", false, vec![v(1i64)], vec![]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NoFunctionRegistered);
        let mut cx = legacy();
        let r = call(&mut cx, "tuple", false, vec![v(1i64), v(2i64)], vec![]);
        assert_eq!(out(&mut cx, r), "[1, 2]");
        // lambda() only with delegates.
        let mut d = Ctx::default();
        d.functions = FunctionSet::StdDelegates;
        let e = call(&mut d, "lambda", false, vec![v(1i64)], vec![]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NoFunctionRegistered); // intrinsic
        assert!(e.message().contains("interpreter"));
        // Extension methods: sum(list(1,2,3)) = 6, '5'.int() = 5, 5.2.int() = 5.
        let r = call(&mut cx, "sum", false, vec![v(ints(&[1, 2, 3]))], vec![]);
        assert_eq!(out(&mut cx, r), "6");
        let r = call(&mut cx, "int", true, vec![v("5")], vec![]);
        assert_eq!(out(&mut cx, r), "5");
        let e = call(&mut std, "int", true, vec![v("5")], vec![]).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::NoMethodRegistered);
        // takeWhile([1, 2, 3, 4], $ < 3)
        let lt3 = Arg::Lazy(lambda(|_, a| {
            Ok(Value::Bool(a[0].as_i64_lenient().unwrap_or(9) < 3))
        }));
        let r = call(
            &mut cx,
            "takeWhile",
            false,
            vec![v(ints(&[1, 2, 3, 4])), lt3],
            vec![],
        );
        assert_eq!(out(&mut cx, r), "[1, 2]");
    }

    #[test]
    fn range_indexer_member() {
        let mut cx = legacy();
        // range(2).take(4) → [2, 3, 4, 5]; range(1, 4) → [1, 2, 3]
        let r = call(&mut cx, "range", false, vec![v(2i64)], vec![]).unwrap();
        let r = call(&mut cx, "take", true, vec![v(r), v(4i64)], vec![]);
        assert_eq!(out(&mut cx, r), "[2, 3, 4, 5]");
        let r = call(&mut cx, "range", true, vec![v(1i64), v(4i64)], vec![]);
        assert_eq!(out(&mut cx, r), "[1, 2, 3]");
        // list(1,2,3)[1] → 2; list(1,2,3)[$ != 2] → [1, 3]
        let l = ints(&[1, 2, 3]);
        let r = call(
            &mut cx,
            "#indexer",
            false,
            vec![v(l.clone()), v(1i64)],
            vec![],
        );
        assert_eq!(out(&mut cx, r), "2");
        let ne2 = Arg::Lazy(lambda(|_, a| {
            Ok(match a.first() {
                Some(x) => Value::Bool(!crate::compare::py_eq(x, &Value::Int(2))),
                None => Value::Bool(true),
            })
        }));
        let r = call(&mut cx, "#indexer", false, vec![v(l), ne2], vec![]);
        assert_eq!(out(&mut cx, r), "[1, 3]");
        // $.b on a dict → null (legacy), KeyError (standard)
        let mut d = Dict::new();
        d.insert(Value::str("a"), Value::Int(1)).unwrap();
        let r = call(
            &mut cx,
            "#member",
            false,
            vec![v(Value::dict(d.clone())), v("b")],
            vec![],
        );
        assert_eq!(out(&mut cx, r), "None");
        let mut std = Ctx::default();
        let r = call(
            &mut std,
            "#member",
            false,
            vec![v(Value::dict(d)), v("b")],
            vec![],
        );
        assert_eq!(out(&mut std, r), "ERR KeyError");
        // dict(1 => 2, a => b) with legacy tuples
        let r = call(
            &mut cx,
            "dict",
            false,
            vec![
                v(ints(&[1, 2])),
                v(Value::tuple(vec![Value::str("a"), Value::str("b")])),
            ],
            vec![],
        );
        assert_eq!(out(&mut cx, r), "{1: 2, 'a': 'b'}");
    }

    #[test]
    fn value_switch() {
        // switch($, $ > 10 => 1, $ <= 10 => -1) with $ = 15 and 5 (standard grammar pairs)
        let mut cx = legacy();
        let pair = |gt: bool, res: i64| {
            Arg::Pair(Rc::new(PairArg {
                key: lambda(move |_, a| {
                    let x = a[0].as_i64_lenient().unwrap_or(0);
                    Ok(Value::Bool(if gt { x > 10 } else { x <= 10 }))
                }),
                value: lambda(move |_, _| Ok(Value::Int(res))),
            }))
        };
        for (x, want) in [(15i64, "1"), (5, "-1")] {
            let r = call(
                &mut cx,
                "switch",
                false,
                vec![v(x), pair(true, 1), pair(false, -1)],
                vec![],
            );
            assert_eq!(out(&mut cx, r), want);
        }
        // Legacy grammar: the condition evaluates to a 2-tuple.
        let tup = Arg::Lazy(lambda(|_, a| {
            Ok(Value::tuple(vec![Value::Bool(true), a[0].clone()]))
        }));
        let r = call(&mut cx, "switch", true, vec![v(7i64), tup], vec![]);
        assert_eq!(out(&mut cx, r), "7");
    }
}
