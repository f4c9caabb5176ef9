//! yaql `collections` and `queries` modules: the core (list/dict/set building and
//! access, `where`/`select`/`orderBy`/folds...). The remaining queries and the
//! positional collection edits are in [`super::queries`].

use std::rc::Rc;

use crate::compare::py_eq;
use crate::ctx::{Ctx, Lambda};
use crate::error::{Error, Result};
use crate::iter::{Cursor, IterObj, PyIter, to_vec};
use crate::sig::Args;
use crate::value::{Dict, Set, Value};

fn cur(cx: &Ctx, v: &Value) -> Result<Cursor> {
    Cursor::expect(cx, v, "collection")
}
fn lam(a: &Args, i: usize) -> Result<Lambda> {
    a.lam(i)
        .cloned()
        .ok_or_else(|| Error::no_matching(a.name, true))
}

pub(crate) fn list_literal(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let items = a.many(0);
    cx.charge(items.len() * 16)?;
    Ok(Value::tuple(items))
}
pub(crate) fn list(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut out = Vec::new();
    for v in a.many(0) {
        if let Value::Iter(_) = v {
            out.extend(to_vec(cx, &v, "list")?);
        } else {
            out.push(v);
        }
    }
    cx.charge(16 * out.len())?;
    Ok(to_list_value(cx, out))
}
/// What yaql's `to_list` delegate returns: a tuple, or a Python list when the legacy
/// layer's `toList` overrides it (yaql resolves the delegate in the caller's context).
pub(crate) fn to_list_value(cx: &Ctx, items: Vec<Value>) -> Value {
    if cx.functions == crate::ctx::FunctionSet::Legacy {
        Value::list(items)
    } else {
        Value::tuple(items)
    }
}
/// `toList()`: yaql 3.2 returns a *tuple* (the input itself when it is one).
pub(crate) fn to_list(cx: &mut Ctx, a: &Args) -> Result<Value> {
    match a.v(0) {
        t @ Value::Tuple(_) => Ok(t.clone()),
        v => Ok(Value::tuple(to_vec(cx, v, "toList")?)),
    }
}
fn pairs_dict(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut d = Dict::new();
    for p in a.many_pairs(0) {
        let k = p.key.call(cx, &[])?;
        let v = p.value.call(cx, &[])?;
        cx.charge(40)?;
        d.insert(k, v)?;
    }
    Ok(Value::dict(d))
}
pub(crate) fn map_literal(cx: &mut Ctx, a: &Args) -> Result<Value> {
    pairs_dict(cx, a)
}
pub(crate) fn dict_pairs(cx: &mut Ctx, a: &Args) -> Result<Value> {
    pairs_dict(cx, a)
}
pub(crate) fn dict_items(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut d = Dict::new();
    let mut c = cur(cx, a.v(0))?;
    while let Some(item) = c.next(cx)? {
        let kv = to_vec(cx, &item, "dict")?;
        if kv.len() != 2 {
            return Err(Error::value_error(format!(
                "dictionary update sequence element has length {}; 2 is required",
                kv.len()
            )));
        }
        d.insert(kv[0].clone(), kv[1].clone())?;
    }
    Ok(Value::dict(d))
}
pub(crate) fn to_dict(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (ks, vs) = (lam(a, 1)?, a.lam(2).cloned());
    let mut d = Dict::new();
    let mut c = cur(cx, a.v(0))?;
    while let Some(item) = c.next(cx)? {
        let k = ks.call(cx, std::slice::from_ref(&item))?;
        let v = match &vs {
            Some(f) => f.call(cx, std::slice::from_ref(&item))?,
            None => item,
        };
        d.insert(k, v)?;
    }
    Ok(Value::dict(d))
}
pub(crate) fn indexer_seq(_: &mut Ctx, a: &Args) -> Result<Value> {
    let items = a.v(0).as_seq().unwrap_or(&[]);
    let i = a.int(1)?;
    let idx = if i < 0 { i + items.len() as i64 } else { i };
    if idx < 0 {
        return Err(Error::index_error("tuple index out of range"));
    }
    items
        .get(idx as usize)
        .cloned()
        .ok_or_else(|| Error::index_error("tuple index out of range"))
}
fn dict_of(v: &Value) -> &Dict {
    static EMPTY: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let _ = EMPTY;
    match v {
        Value::Dict(d) => d,
        _ => unreachable_dict(),
    }
}
fn unreachable_dict() -> &'static Dict {
    thread_local!(static E: &'static Dict = Box::leak(Box::new(Dict::new())));
    E.with(|e| *e)
}
pub(crate) fn indexer_dict(_: &mut Ctx, a: &Args) -> Result<Value> {
    dict_of(a.v(0))
        .get(a.v(1))
        .cloned()
        .ok_or_else(|| Error::key_error(crate::pyfmt::repr(a.v(1))))
}
pub(crate) fn indexer_dict_default(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(dict_of(a.v(0))
        .get(a.v(1))
        .cloned()
        .unwrap_or_else(|| a.v(2).clone()))
}
pub(crate) fn get(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(dict_of(a.v(0))
        .get(a.v(1))
        .cloned()
        .unwrap_or_else(|| a.v(2).clone()))
}
fn with_dict(
    cx: &mut Ctx,
    a: &Args,
    f: impl FnOnce(&mut Ctx, &mut Dict) -> Result<()>,
) -> Result<Value> {
    let mut d = dict_of(a.v(0)).clone();
    cx.charge(d.len() * 40)?;
    f(cx, &mut d)?;
    Ok(Value::dict(d))
}
pub(crate) fn set_dict(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let r = dict_of(a.v(1)).clone();
    with_dict(cx, a, |_, d| {
        for (k, v) in r.map {
            d.map.insert(k, v);
        }
        Ok(())
    })
}
pub(crate) fn set_kv(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (k, v) = (a.v(1).clone(), a.v(2).clone());
    with_dict(cx, a, |_, d| d.insert(k, v))
}
pub(crate) fn set_pairs(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let ps = a.many_pairs(1);
    with_dict(cx, a, |cx, d| {
        for p in ps {
            let k = p.key.call(cx, &[])?;
            let v = p.value.call(cx, &[])?;
            d.insert(k, v)?;
        }
        Ok(())
    })
}
pub(crate) fn keys(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = dict_of(a.v(0));
    let mut s = Set::new_frozen();
    s.items = d.map.keys().cloned().collect();
    Ok(Value::set(s))
}
pub(crate) fn values(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::list(dict_of(a.v(0)).map.values().cloned().collect()))
}
pub(crate) fn items(_: &mut Ctx, a: &Args) -> Result<Value> {
    let mut s = Set::new_frozen();
    for (k, v) in dict_of(a.v(0)).map.iter() {
        s.insert(Value::tuple(vec![k.0.clone(), v.clone()]))?;
    }
    Ok(Value::set(s))
}
pub(crate) fn delete_keys(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let ks = a.many(1);
    with_dict(cx, a, |_, d| {
        for k in ks {
            d.map.shift_remove(&crate::value::Key(k));
        }
        Ok(())
    })
}
pub(crate) fn delete_all(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let ks = to_vec(cx, a.v(1), "deleteAll")?;
    with_dict(cx, a, |_, d| {
        for k in ks {
            d.map.shift_remove(&crate::value::Key(k));
        }
        Ok(())
    })
}
pub(crate) fn contains_key(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(dict_of(a.v(0)).get(a.v(1)).is_some()))
}
pub(crate) fn contains_value(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(
        dict_of(a.v(0)).map.values().any(|v| py_eq(v, a.v(1))),
    ))
}
fn member(cx: &mut Ctx, coll: &Value, x: &Value) -> Result<bool> {
    if let Value::Set(s) = coll {
        return Ok(s.contains(x));
    }
    let mut c = cur(cx, coll)?;
    while let Some(v) = c.next(cx)? {
        if py_eq(&v, x) {
            return Ok(true);
        }
    }
    Ok(false)
}
pub(crate) fn in_(cx: &mut Ctx, a: &Args) -> Result<Value> {
    member(cx, a.v(1), a.v(0)).map(Value::Bool)
}
pub(crate) fn contains(cx: &mut Ctx, a: &Args) -> Result<Value> {
    member(cx, a.v(0), a.v(1)).map(Value::Bool)
}
pub(crate) fn len_any(cx: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Int(match a.v(0) {
        Value::Set(s) => s.len(),
        Value::Dict(d) => d.len(),
        Value::Tuple(v) | Value::List(v) => v.len(),
        v => {
            let mut c = cur(cx, v)?;
            let mut n = 0;
            while c.next(cx)?.is_some() {
                n += 1;
            }
            n
        }
    } as i64))
}
pub(crate) fn is_list(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(
        a.v(0),
        Value::Tuple(_) | Value::List(_)
    )))
}
pub(crate) fn is_dict(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::Dict(_))))
}
pub(crate) fn is_set(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::Set(_))))
}
pub(crate) fn set(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut s = Set::new_frozen();
    for v in a.many(0) {
        if let Value::Iter(_) = v {
            for x in to_vec(cx, &v, "set")? {
                s.insert(x)?;
            }
        } else {
            s.insert(v)?;
        }
    }
    Ok(Value::set(s))
}
pub(crate) fn to_set(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut s = Set::new_frozen();
    for x in to_vec(cx, a.v(0), "toSet")? {
        s.insert(x)?;
    }
    Ok(Value::set(s))
}
fn sets(a: &Args) -> (Rc<Set>, Rc<Set>) {
    let get = |v: &Value| match v {
        Value::Set(s) => s.clone(),
        _ => Rc::new(Set::new_frozen()),
    };
    (get(a.v(0)), get(a.v(1)))
}
fn set_of(items: impl Iterator<Item = crate::value::Key>) -> Value {
    let mut s = Set::new_frozen();
    s.items = items.collect();
    Value::set(s)
}
pub(crate) fn union(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = sets(a);
    Ok(set_of(x.items.iter().chain(y.items.iter()).cloned()))
}
pub(crate) fn intersect(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = sets(a);
    Ok(set_of(
        x.items.iter().filter(|k| y.items.contains(*k)).cloned(),
    ))
}
pub(crate) fn difference(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = sets(a);
    Ok(set_of(
        x.items.iter().filter(|k| !y.items.contains(*k)).cloned(),
    ))
}
pub(crate) fn symmetric_difference(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = sets(a);
    Ok(set_of(
        x.items
            .iter()
            .filter(|k| !y.items.contains(*k))
            .chain(y.items.iter().filter(|k| !x.items.contains(*k)))
            .cloned(),
    ))
}
pub(crate) fn set_add(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, _) = sets(a);
    let mut s = (*x).clone();
    for v in a.many(1) {
        s.insert(v)?;
    }
    Ok(Value::set(s))
}
pub(crate) fn set_remove(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, _) = sets(a);
    let mut s = (*x).clone();
    for v in a.many(1) {
        s.items.shift_remove(&crate::value::Key(v));
    }
    Ok(Value::set(s))
}
pub(crate) fn dict_plus(cx: &mut Ctx, a: &Args) -> Result<Value> {
    set_dict(cx, a)
}
pub(crate) fn iter_plus(cx: &mut Ctx, a: &Args) -> Result<Value> {
    match (a.v(0), a.v(1)) {
        (Value::Tuple(x), Value::Tuple(y)) => {
            cx.charge((x.len() + y.len()) * 16)?;
            Ok(Value::tuple(x.iter().chain(y.iter()).cloned().collect()))
        }
        (Value::Set(_), Value::Set(_)) => union(cx, a),
        (l, r) => chain(cx, vec![l.clone(), r.clone()]),
    }
}
fn chain(cx: &mut Ctx, colls: Vec<Value>) -> Result<Value> {
    let mut cursors = colls
        .iter()
        .map(|c| cur(cx, c))
        .collect::<Result<Vec<_>>>()?
        .into_iter();
    let mut current = cursors.next();
    Ok(IterObj::from_fn(move |cx| {
        loop {
            match current.as_mut() {
                None => return Ok(None),
                Some(c) => match c.next(cx)? {
                    Some(v) => return Ok(Some(v)),
                    None => current = cursors.next(),
                },
            }
        }
    }))
}
fn repeat_seq(cx: &mut Ctx, s: &Value, n: i64) -> Result<Value> {
    let items = s.as_seq().unwrap_or(&[]);
    let n = n.max(0) as usize;
    cx.charge(items.len().saturating_mul(n).saturating_mul(16))?;
    let out: Vec<Value> = (0..n).flat_map(|_| items.iter().cloned()).collect();
    Ok(if matches!(s, Value::List(_)) {
        Value::list(out)
    } else {
        Value::tuple(out)
    })
}
pub(crate) fn seq_mul(cx: &mut Ctx, a: &Args) -> Result<Value> {
    repeat_seq(cx, a.v(0), a.int(1)?)
}
pub(crate) fn mul_seq(cx: &mut Ctx, a: &Args) -> Result<Value> {
    repeat_seq(cx, a.v(1), a.int(0)?)
}
pub(crate) fn set_minus(cx: &mut Ctx, a: &Args) -> Result<Value> {
    difference(cx, a)
}

// ---- queries

fn lazy_map(cx: &mut Ctx, coll: &Value, f: Lambda) -> Result<Value> {
    let mut c = cur(cx, coll)?;
    Ok(IterObj::from_fn(move |cx| match c.next(cx)? {
        Some(v) => f.call(cx, &[v]).map(Some),
        None => Ok(None),
    }))
}
pub(crate) fn select(cx: &mut Ctx, a: &Args) -> Result<Value> {
    lazy_map(cx, a.v(0), lam(a, 1)?)
}
pub(crate) fn where_(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        while let Some(v) = c.next(cx)? {
            if f.call(cx, std::slice::from_ref(&v))?.truthy() {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }))
}
pub(crate) fn skip(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut n = a.int(1)?;
    let mut c = cur(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        while n > 0 {
            n -= 1;
            if c.next(cx)?.is_none() {
                return Ok(None);
            }
        }
        c.next(cx)
    }))
}
pub(crate) fn take(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut n = a.int(1)?;
    let mut c = cur(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        if n <= 0 {
            return Ok(None);
        }
        n -= 1;
        c.next(cx)
    }))
}
pub(crate) fn append(cx: &mut Ctx, a: &Args) -> Result<Value> {
    chain(cx, vec![a.v(0).clone(), Value::tuple(a.many(1))])
}
pub(crate) fn concat(cx: &mut Ctx, a: &Args) -> Result<Value> {
    chain(cx, a.many(0))
}
pub(crate) fn distinct(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = a.lam(1).cloned();
    let mut c = cur(cx, a.v(0))?;
    let mut seen = Set::new_frozen();
    Ok(IterObj::from_fn(move |cx| {
        while let Some(v) = c.next(cx)? {
            let k = match &f {
                Some(f) => f.call(cx, std::slice::from_ref(&v))?,
                None => v.clone(),
            };
            if !seen.contains(&k) {
                seen.insert(k)?;
                return Ok(Some(v));
            }
        }
        Ok(None)
    }))
}
pub(crate) fn enumerate(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut i = a.opt(1).and_then(|v| v.as_i64_lenient()).unwrap_or(0);
    let mut c = cur(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| match c.next(cx)? {
        Some(v) => {
            i += 1;
            Ok(Some(Value::tuple(vec![Value::Int(i - 1), v])))
        }
        None => Ok(None),
    }))
}
fn quant(cx: &mut Ctx, a: &Args, want_any: bool) -> Result<Value> {
    let f = a.lam(1).cloned();
    let mut c = cur(cx, a.v(0))?;
    while let Some(v) = c.next(cx)? {
        // yaql: `any()` without a predicate is true for any item at all (even a
        // falsy one: `[0].any()` = true); `all()` without one tests truthiness.
        let t = match &f {
            Some(f) => f.call(cx, &[v])?.truthy(),
            None if want_any => true,
            None => v.truthy(),
        };
        if t == want_any {
            return Ok(Value::Bool(want_any));
        }
    }
    Ok(Value::Bool(!want_any))
}
pub(crate) fn any(cx: &mut Ctx, a: &Args) -> Result<Value> {
    quant(cx, a, true)
}
pub(crate) fn all(cx: &mut Ctx, a: &Args) -> Result<Value> {
    quant(cx, a, false)
}
pub(crate) fn memorize(cx: &mut Ctx, a: &Args) -> Result<Value> {
    match a.v(0) {
        v @ Value::Iter(_) => Ok(IterObj::memo(Box::new(cur(cx, v)?))),
        v => Ok(v.clone()),
    }
}
fn fold(
    cx: &mut Ctx,
    a: &Args,
    f: impl Fn(&mut Ctx, Value, Value) -> Result<Value>,
) -> Result<Value> {
    let mut c = cur(cx, a.v(0))?;
    let mut acc = match a.opt(1) {
        Some(v) => v.clone(),
        None => c
            .next(cx)?
            .ok_or_else(|| Error::type_error("reduce() of empty iterable with no initial value"))?,
    };
    while let Some(v) = c.next(cx)? {
        acc = f(cx, acc, v)?;
    }
    Ok(acc)
}
pub(crate) fn sum(cx: &mut Ctx, a: &Args) -> Result<Value> {
    fold(cx, a, |cx, x, y| {
        crate::sig::call_values(cx, "#operator_+", false, &[x, y])
    })
}
pub(crate) fn max(cx: &mut Ctx, a: &Args) -> Result<Value> {
    fold(cx, a, |_, x, y| {
        Ok(if crate::compare::py_gt(&y, &x)? { y } else { x })
    })
}
pub(crate) fn min(cx: &mut Ctx, a: &Args) -> Result<Value> {
    fold(cx, a, |_, x, y| {
        Ok(if crate::compare::py_lt(&x, &y)? { x } else { y })
    })
}
pub(crate) fn first(cx: &mut Ctx, a: &Args) -> Result<Value> {
    match cur(cx, a.v(0))?.next(cx)? {
        Some(v) => Ok(v),
        None => a.opt(1).cloned().ok_or_else(Error::stop_iteration),
    }
}
pub(crate) fn last(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut c = cur(cx, a.v(0))?;
    let mut last = None;
    while let Some(v) = c.next(cx)? {
        last = Some(v);
    }
    last.or_else(|| a.opt(1).cloned())
        .ok_or_else(Error::stop_iteration)
}
pub(crate) fn single(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut c = cur(cx, a.v(0))?;
    let v = c.next(cx)?.ok_or_else(Error::stop_iteration)?;
    if c.next(cx)?.is_some() {
        return Err(Error::stop_iteration());
    }
    Ok(v)
}
/// `range(start, stop, step)` as a lazy iterator that knows how many items are left.
struct RangeIter {
    next: i64,
    stop: i64,
    step: i64,
}

impl PyIter for RangeIter {
    fn next(&mut self, _: &mut Ctx) -> Result<Option<Value>> {
        let (step, stop) = (self.step, self.stop);
        if (step > 0 && self.next < stop) || (step < 0 && self.next > stop) {
            let v = self.next;
            self.next = v.saturating_add(step);
            if self.next == v {
                self.next = stop;
            }
            Ok(Some(Value::Int(v)))
        } else {
            Ok(None)
        }
    }

    fn len_hint(&self) -> Option<usize> {
        let (i, stop, step) = (
            i128::from(self.next),
            i128::from(self.stop),
            i128::from(self.step),
        );
        let left = if step > 0 && i < stop {
            (stop - i + step - 1) / step
        } else if step < 0 && i > stop {
            (i - stop - step - 1) / -step
        } else {
            0
        };
        usize::try_from(left).ok()
    }
}

fn range_iter(start: i64, stop: i64, step: i64) -> Result<Value> {
    if step == 0 {
        return Err(Error::value_error("range() arg 3 must not be zero"));
    }
    Ok(IterObj::one_shot(Box::new(RangeIter {
        next: start,
        stop,
        step,
    })))
}
pub(crate) fn range(_: &mut Ctx, a: &Args) -> Result<Value> {
    range_iter(0, a.int(0)?, 1)
}
pub(crate) fn range3(_: &mut Ctx, a: &Args) -> Result<Value> {
    range_iter(a.int(0)?, a.int(1)?, a.int(2)?)
}
pub(crate) fn sequence(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (mut i, step) = (a.int(0)?, a.int(1)?);
    Ok(IterObj::from_fn(move |_| {
        let v = i;
        i = i.saturating_add(step);
        Ok(Some(Value::Int(v)))
    }))
}
pub(crate) fn order_by(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(IterObj::ordered(a.v(0).clone(), lam(a, 1)?, true))
}
pub(crate) fn order_by_descending(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(IterObj::ordered(a.v(0).clone(), lam(a, 1)?, false))
}
pub(crate) fn select_many(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut inner: Option<Cursor> = None;
    Ok(IterObj::from_fn(move |cx| {
        loop {
            if let Some(i) = inner.as_mut() {
                if let Some(v) = i.next(cx)? {
                    return Ok(Some(v));
                }
                inner = None;
            }
            match c.next(cx)? {
                None => return Ok(None),
                Some(v) => {
                    let r = f.call(cx, &[v])?;
                    match Cursor::of(cx, &r) {
                        Some(cc) => inner = Some(cc),
                        None => return Ok(Some(r)),
                    }
                }
            }
        }
    }))
}
fn fold_lam(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut acc = match a.opt(2) {
        Some(v) => v.clone(),
        None => c
            .next(cx)?
            .ok_or_else(|| Error::type_error("reduce() of empty iterable with no initial value"))?,
    };
    while let Some(v) = c.next(cx)? {
        acc = f.call(cx, &[acc, v])?;
    }
    Ok(acc)
}
pub(crate) fn aggregate(cx: &mut Ctx, a: &Args) -> Result<Value> {
    fold_lam(cx, a)
}
pub(crate) fn count(cx: &mut Ctx, a: &Args) -> Result<Value> {
    len_any(cx, a)
}
pub(crate) fn is_iterable(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.v(0).is_iterable()))
}
pub(crate) fn index_of(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut c = cur(cx, a.v(0))?;
    let mut i = 0;
    while let Some(v) = c.next(cx)? {
        if py_eq(&v, a.v(1)) {
            return Ok(Value::Int(i));
        }
        i += 1;
    }
    Ok(Value::Int(-1))
}
pub(crate) fn flatten(cx: &mut Ctx, a: &Args) -> Result<Value> {
    fn go(cx: &mut Ctx, v: &Value, out: &mut Vec<Value>) -> Result<()> {
        match Cursor::of(cx, v) {
            Some(mut c) => {
                while let Some(x) = c.next(cx)? {
                    go(cx, &x, out)?;
                }
            }
            None => {
                cx.charge(16)?;
                out.push(v.clone());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    let mut c = cur(cx, a.v(0))?;
    while let Some(x) = c.next(cx)? {
        go(cx, &x, &mut out)?;
    }
    Ok(IterObj::one_shot(Box::new(Cursor::from_vec(out))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::{Budget, Options};

    /// `range()` knows how many items are left, exactly, at every step.
    #[test]
    fn range_knows_its_length() {
        let mut cx = Ctx::new(Options::default(), Budget::default());
        for (start, stop, step) in [
            (0, 5, 1),
            (0, 0, 1),
            (5, 0, 1),
            (0, 10, 3),
            (10, 0, -3),
            (-4, 4, 2),
            (i64::MAX - 2, i64::MAX, 5),
            (i64::MIN + 2, i64::MIN, -5),
        ] {
            let mut r = RangeIter {
                next: start,
                stop,
                step,
            };
            let mut pulled = 0usize;
            let first = r.len_hint();
            while let Ok(Some(_)) = r.next(&mut cx) {
                pulled += 1;
                assert!(pulled < 100, "{start} {stop} {step}");
            }
            assert_eq!(first, Some(pulled), "{start} {stop} {step}");
            assert_eq!(r.len_hint(), Some(0));
        }
    }
}
