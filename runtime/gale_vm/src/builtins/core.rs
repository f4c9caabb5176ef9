//! yaql `system`, `common`, `boolean` and `branching` modules.

use crate::compare::{py_eq, py_ge, py_gt, py_le, py_lt};
use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::iter::IterObj;
use crate::sig::{Arg, Args};
use crate::value::Value;

pub(crate) fn member(cx: &mut Ctx, a: &Args) -> Result<Value> {
    member_of(cx, a.v(0), a.str(1))
}

/// `X.word`: dict key (KeyError when missing; null in the legacy function set), mapped
/// over an iterable, or a datetime/timespan property.
pub fn member_of(cx: &mut Ctx, obj: &Value, name: &str) -> Result<Value> {
    match obj {
        Value::Dict(d) => match d.get_str(name) {
            Some(v) => Ok(v.clone()),
            // The legacy layer's `#operator_.` is `dict.get(key)`.
            None if cx.functions == crate::ctx::FunctionSet::Legacy => Ok(Value::Null),
            None => Err(Error::key_error(crate::pyfmt::repr(&Value::str(name)))),
        },
        v if v.is_iterable() => {
            let mut cur = crate::iter::Cursor::expect(cx, v, "#operator_.")?;
            let name = name.to_string();
            Ok(IterObj::from_fn(move |cx| {
                use crate::iter::PyIter;
                match cur.next(cx)? {
                    Some(item) => member_of(cx, &item, &name).map(Some),
                    None => Ok(None),
                }
            }))
        }
        _ => super::date_time::property(obj, name),
    }
}

pub(crate) fn assert(cx: &mut Ctx, a: &Args) -> Result<Value> {
    // yaql memorizes an iterator first, so the condition may consume it.
    let obj = match a.v(0) {
        v @ Value::Iter(it) if !it.is_memo() && !it.is_ordered() => {
            IterObj::memo(Box::new(crate::iter::Cursor::expect(cx, v, "assert")?))
        }
        v => v.clone(),
    };
    let ok = match a.lam(1) {
        Some(l) => l.call(cx, std::slice::from_ref(&obj))?.truthy(),
        None => true,
    };
    if ok {
        Ok(obj)
    } else {
        Err(Error::new(ErrorKind::AssertionError, a.str(2)))
    }
}

pub(crate) fn call(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut pos: Vec<Arg> = Vec::new();
    let method = a.opt(3).is_some();
    if let Some(r) = a.opt(3) {
        pos.push(Arg::Value(r.clone()));
    }
    pos.extend(
        a.v(1)
            .as_seq()
            .unwrap_or(&[])
            .iter()
            .cloned()
            .map(Arg::Value),
    );
    let mut kws = Vec::new();
    if let Value::Dict(d) = a.v(2) {
        for (k, v) in d.map.iter() {
            kws.push((crate::pyfmt::py_str(&k.0), Arg::Value(v.clone())));
        }
    }
    crate::sig::call(cx, a.str(0), method, pos, kws)
}

pub(crate) fn finalize(cx: &mut Ctx, a: &Args) -> Result<Value> {
    crate::convert::output(cx, a.v(0))
}
pub(crate) fn iter(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(a.v(0).clone())
}

pub(crate) fn equal(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(py_eq(a.v(0), a.v(1))))
}
pub(crate) fn not_equal(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(!py_eq(a.v(0), a.v(1))))
}
pub(crate) fn lt(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_lt(a.v(0), a.v(1)).map(Value::Bool)
}
pub(crate) fn le(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_le(a.v(0), a.v(1)).map(Value::Bool)
}
pub(crate) fn gt(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_gt(a.v(0), a.v(1)).map(Value::Bool)
}
pub(crate) fn ge(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_ge(a.v(0), a.v(1)).map(Value::Bool)
}

fn lam_call(cx: &mut Ctx, a: &Args, i: usize) -> Result<Value> {
    match a.lam(i) {
        Some(l) => l.call(cx, &[]),
        None => Ok(Value::Null),
    }
}

pub(crate) fn and(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let l = lam_call(cx, a, 0)?;
    if l.truthy() {
        lam_call(cx, a, 1)
    } else {
        Ok(l)
    }
}
pub(crate) fn or(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let l = lam_call(cx, a, 0)?;
    if l.truthy() {
        Ok(l)
    } else {
        lam_call(cx, a, 1)
    }
}
pub(crate) fn not(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(!a.v(0).truthy()))
}
pub(crate) fn bool_(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.v(0).truthy()))
}
pub(crate) fn is_boolean(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::Bool(_))))
}

pub(crate) fn switch(cx: &mut Ctx, a: &Args) -> Result<Value> {
    for p in a.many_pairs(0) {
        if p.key.call(cx, &[])?.truthy() {
            return p.value.call(cx, &[]);
        }
    }
    Ok(Value::Null)
}
pub(crate) fn select_case(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let ls = a.many_lam(0);
    for (i, l) in ls.iter().enumerate() {
        if l.call(cx, &[])?.truthy() {
            return Ok(Value::Int(i as i64));
        }
    }
    Ok(Value::Int(ls.len() as i64))
}
pub(crate) fn select_all_cases(_: &mut Ctx, a: &Args) -> Result<Value> {
    let ls = a.many_lam(0);
    let mut i = 0usize;
    Ok(IterObj::from_fn(move |cx| {
        while i < ls.len() {
            i += 1;
            if ls[i - 1].call(cx, &[])?.truthy() {
                return Ok(Some(Value::Int(i as i64 - 1)));
            }
        }
        Ok(None)
    }))
}
pub(crate) fn examine(_: &mut Ctx, a: &Args) -> Result<Value> {
    let ls = a.many_lam(0);
    let mut i = 0usize;
    Ok(IterObj::from_fn(move |cx| {
        if i < ls.len() {
            i += 1;
            Ok(Some(Value::Bool(ls[i - 1].call(cx, &[])?.truthy())))
        } else {
            Ok(None)
        }
    }))
}
pub(crate) fn switch_case(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let ls = a.many_lam(1);
    if ls.is_empty() {
        return Ok(Value::Null);
    }
    let i = a.int(0)?;
    let idx = if i < 0 || i as usize >= ls.len() {
        ls.len() - 1
    } else {
        i as usize
    };
    ls[idx].call(cx, &[])
}
pub(crate) fn coalesce(cx: &mut Ctx, a: &Args) -> Result<Value> {
    for l in a.many_lam(0) {
        let v = l.call(cx, &[])?;
        if !matches!(v, Value::Null) {
            return Ok(v);
        }
    }
    Ok(Value::Null)
}
