//! The rest of yaql's `queries` module and the positional `collections` functions
//! (`thenBy`, `groupBy`, `zip`, `join`, `slice`, `mergeWith`, `generate`,
//! `insert`/`delete`/`replace` at a position, ...).
//!
//! Laziness follows yaql exactly: functions that are Python generators there do *all*
//! their work (including materialising the input with `to_list`) on the first pull,
//! so errors surface when the result is consumed; eager functions (`groupBy`'s
//! grouping, `splitAt`, `mergeWith`, `indexWhere`...) run at call time. Every pulled
//! element costs one step (through [`Cursor`]); buffers charge the memory budget.

use std::collections::VecDeque;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::compare::py_eq;
use crate::ctx::{Ctx, Lambda};
use crate::error::{Error, ErrorKind, Result};
use crate::iter::{Cursor, IterObj, PyIter, to_vec};
use crate::sig::Args;
use crate::value::{FxBuild, Key, Set, Value};

use super::collections::to_list_value;

fn cur(cx: &Ctx, v: &Value) -> Result<Cursor> {
    Cursor::expect(cx, v, "collection")
}
fn lam(a: &Args, i: usize) -> Result<Lambda> {
    a.lam(i)
        .cloned()
        .ok_or_else(|| Error::no_matching(a.name, true))
}
/// A one-shot iterator over an owned vector.
fn iter_of(v: Vec<Value>) -> Value {
    IterObj::one_shot(Box::new(Cursor::from_vec(v)))
}

/// Python slice bounds `[start:stop]` (step 1) clamped to `len`.
fn slice_bounds(len: usize, start: Option<i64>, stop: Option<i64>) -> (usize, usize) {
    let n = len as i64;
    let fix = |i: i64| -> usize {
        let i = if i < 0 { (i + n).max(0) } else { i.min(n) };
        i as usize
    };
    let s = start.map(fix).unwrap_or(0);
    let e = stop.map(fix).unwrap_or(len);
    (s, e.max(s))
}

/// `thenBy` / `thenByDescending`: appends a key to the same ordering object.
fn then(a: &Args, ascending: bool) -> Result<Value> {
    let f = lam(a, 1)?;
    match a.v(0) {
        v @ Value::Iter(it) if it.then_by(f, ascending) => Ok(v.clone()),
        _ => Err(Error::no_matching(a.name, true)),
    }
}
pub(crate) fn then_by(_: &mut Ctx, a: &Args) -> Result<Value> {
    then(a, true)
}
pub(crate) fn then_by_descending(_: &mut Ctx, a: &Args) -> Result<Value> {
    then(a, false)
}

/// Python `len()` where it exists (for groupBy's 1.1.1 fallback).
fn py_len(v: &Value) -> Option<usize> {
    match v {
        Value::Str(s) => Some(s.chars().count()),
        Value::Tuple(x) | Value::List(x) => Some(x.len()),
        Value::Dict(d) => Some(d.len()),
        Value::Set(s) => Some(s.len()),
        _ => None,
    }
}

/// yaql's `GroupAggregator`: the aggregator gets the value list; if that fails with
/// NoMatching…/IndexError, yaql 1.1.1's style (aggregator on the `[key, values]`
/// pair, returning a pair) is tried as a fallback, unless an earlier group already
/// showed the new style.
struct GroupAggregator {
    aggregator: Option<Lambda>,
    allow_fallback: bool,
    failure: Option<Error>,
}

impl GroupAggregator {
    fn apply(&mut self, cx: &mut Ctx, key: Value, values: Value) -> Result<Value> {
        let Some(agg) = self.aggregator.clone() else {
            return Ok(Value::tuple(vec![key, values]));
        };
        if self.failure.is_none() {
            match agg.call(cx, std::slice::from_ref(&values)) {
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::NoMatchingMethod
                            | ErrorKind::NoMatchingFunction
                            | ErrorKind::IndexError
                    ) =>
                {
                    self.failure = Some(e)
                }
                Err(e) => return Err(e),
                Ok(result) => {
                    let items = values.as_seq().unwrap_or(&[]);
                    let old_style = items.len() == 2
                        && matches!(&result, Value::Tuple(r) | Value::List(r)
                            if r.len() == 2 && py_eq(&r[0], &items[0]));
                    if !old_style {
                        self.allow_fallback = false;
                    }
                    return Ok(Value::tuple(vec![key, result]));
                }
            }
        }
        if self.allow_fallback {
            let pair = Value::tuple(vec![key, values]);
            if let Ok(r) = agg.call(cx, &[pair])
                && py_len(&r) == Some(2)
            {
                return Ok(r);
            }
        }
        Err(self
            .failure
            .clone()
            .unwrap_or_else(|| Error::type_error("groupBy aggregation failed")))
    }
}

pub(crate) fn group_by(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let key_selector = lam(a, 1)?;
    let value_selector = a.lam(2).cloned();
    let mut groups: IndexMap<Key, Vec<Value>, FxBuild> = IndexMap::default();
    let mut c = cur(cx, a.v(0))?;
    while let Some(t) = c.next(cx)? {
        let value = match &value_selector {
            Some(f) => f.call(cx, std::slice::from_ref(&t))?,
            None => t.clone(),
        };
        let key = key_selector.call(cx, &[t])?;
        cx.charge(16)?;
        groups.entry(Key::new(key)?).or_default().push(value);
    }
    let mut agg = GroupAggregator {
        aggregator: a.lam(3).cloned(),
        allow_fallback: true,
        failure: None,
    };
    let mut it = groups.into_iter();
    Ok(IterObj::from_fn(move |cx| match it.next() {
        Some((k, vs)) => agg.apply(cx, k.0, Value::list(vs)).map(Some),
        None => Ok(None),
    }))
}

pub(crate) fn zip(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut cs = a
        .many(0)
        .iter()
        .map(|c| cur(cx, c))
        .collect::<Result<Vec<_>>>()?;
    let mut done = cs.is_empty();
    Ok(IterObj::from_fn(move |cx| {
        if done {
            return Ok(None);
        }
        let mut row = Vec::with_capacity(cs.len());
        for c in cs.iter_mut() {
            match c.next(cx)? {
                Some(v) => row.push(v),
                None => {
                    done = true;
                    return Ok(None);
                }
            }
        }
        cx.charge(16 * row.len())?;
        Ok(Some(Value::tuple(row)))
    }))
}

pub(crate) fn zip_longest(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let fill = a
        .kw(1)
        .iter()
        .find(|(k, _)| k == "default")
        .map(|(_, v)| v.clone())
        .unwrap_or(Value::Null);
    let mut cs: Vec<Option<Cursor>> = a
        .many(0)
        .iter()
        .map(|c| cur(cx, c).map(Some))
        .collect::<Result<Vec<_>>>()?;
    Ok(IterObj::from_fn(move |cx| {
        let mut row = Vec::with_capacity(cs.len());
        let mut live = false;
        for slot in cs.iter_mut() {
            let v = match slot {
                Some(c) => match c.next(cx)? {
                    Some(v) => {
                        live = true;
                        v
                    }
                    None => {
                        *slot = None;
                        fill.clone()
                    }
                },
                None => fill.clone(),
            };
            row.push(v);
        }
        if !live {
            return Ok(None);
        }
        cx.charge(16 * row.len())?;
        Ok(Some(Value::tuple(row)))
    }))
}

/// `utils.memorize`: a one-shot iterator becomes replayable; anything else is kept.
fn memorize(cx: &Ctx, v: &Value) -> Result<Value> {
    match v {
        Value::Iter(it) if !it.is_memo() && !it.is_ordered() => {
            Ok(IterObj::memo(Box::new(cur(cx, v)?)))
        }
        _ => Ok(v.clone()),
    }
}

pub(crate) fn join(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (pred, sel) = (lam(a, 2)?, lam(a, 3)?);
    let mut outer = cur(cx, a.v(0))?;
    let other = memorize(cx, a.v(1))?;
    let mut current: Option<(Value, Cursor)> = None;
    Ok(IterObj::from_fn(move |cx| {
        loop {
            if let Some((left, inner)) = current.as_mut() {
                while let Some(right) = inner.next(cx)? {
                    let args = [left.clone(), right];
                    if pred.call(cx, &args)?.truthy() {
                        return sel.call(cx, &args).map(Some);
                    }
                }
            }
            match outer.next(cx)? {
                Some(left) => current = Some((left, cur(cx, &other)?)),
                None => return Ok(None),
            }
        }
    }))
}

pub(crate) fn repeat(_: &mut Ctx, a: &Args) -> Result<Value> {
    let value = a.v(0).clone();
    let mut times = a.int(1)?;
    let forever = times < 0;
    Ok(IterObj::from_fn(move |_| {
        if forever {
            return Ok(Some(value.clone()));
        }
        if times <= 0 {
            return Ok(None);
        }
        times -= 1;
        Ok(Some(value.clone()))
    }))
}

pub(crate) fn cycle(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut src = Some(cur(cx, a.v(0))?);
    let mut saved: Vec<Value> = Vec::new();
    let mut pos = 0usize;
    Ok(IterObj::from_fn(move |cx| {
        if let Some(c) = src.as_mut() {
            if let Some(v) = c.next(cx)? {
                cx.charge(16)?;
                saved.push(v.clone());
                return Ok(Some(v));
            }
            src = None;
        }
        if saved.is_empty() {
            return Ok(None);
        }
        cx.tick()?;
        let v = saved[pos % saved.len()].clone();
        pos += 1;
        Ok(Some(v))
    }))
}

pub(crate) fn take_while(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut done = false;
    Ok(IterObj::from_fn(move |cx| {
        if done {
            return Ok(None);
        }
        match c.next(cx)? {
            Some(v) if f.call(cx, std::slice::from_ref(&v))?.truthy() => Ok(Some(v)),
            _ => {
                done = true;
                Ok(None)
            }
        }
    }))
}

pub(crate) fn skip_while(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut skipping = true;
    Ok(IterObj::from_fn(move |cx| {
        while skipping {
            match c.next(cx)? {
                Some(v) => {
                    if !f.call(cx, std::slice::from_ref(&v))?.truthy() {
                        skipping = false;
                        return Ok(Some(v));
                    }
                }
                None => return Ok(None),
            }
        }
        c.next(cx)
    }))
}

/// Last (or first) index whose item satisfies `hit`, or -1.
fn find_index(
    cx: &mut Ctx,
    coll: &Value,
    last: bool,
    mut hit: impl FnMut(&mut Ctx, &Value) -> Result<bool>,
) -> Result<Value> {
    let mut c = cur(cx, coll)?;
    let (mut i, mut found) = (0i64, -1i64);
    while let Some(v) = c.next(cx)? {
        if hit(cx, &v)? {
            found = i;
            if !last {
                break;
            }
        }
        i += 1;
    }
    Ok(Value::Int(found))
}
pub(crate) fn last_index_of(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let item = a.v(1).clone();
    find_index(cx, a.v(0), true, |_, v| Ok(py_eq(v, &item)))
}
pub(crate) fn index_where(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    find_index(cx, a.v(0), false, |cx, v| {
        Ok(f.call(cx, std::slice::from_ref(v))?.truthy())
    })
}
pub(crate) fn last_index_where(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    find_index(cx, a.v(0), true, |cx, v| {
        Ok(f.call(cx, std::slice::from_ref(v))?.truthy())
    })
}

pub(crate) fn slice(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let length = a.int(1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut done = false;
    Ok(IterObj::from_fn(move |cx| {
        if done {
            return Ok(None);
        }
        if length < 0 {
            return Err(Error::value_error(
                "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.",
            ));
        }
        let mut chunk = Vec::new();
        while (chunk.len() as i64) < length {
            match c.next(cx)? {
                Some(v) => {
                    cx.charge(16)?;
                    chunk.push(v)
                }
                None => break,
            }
        }
        if chunk.is_empty() {
            done = true;
            return Ok(None);
        }
        Ok(Some(to_list_value(cx, chunk)))
    }))
}

/// Shared state of `splitWhere` / `sliceWhere`: the materialised input (on the first
/// pull, like yaql's generator) and the scan position.
struct Splitter {
    source: Option<Value>,
    items: Rc<Vec<Value>>,
    start: usize,
    end: usize,
    previous: Option<Value>,
    finished: bool,
}

impl Splitter {
    fn new(source: Value) -> Splitter {
        Splitter {
            source: Some(source),
            items: Rc::new(Vec::new()),
            start: 0,
            end: 0,
            previous: None,
            finished: false,
        }
    }
    fn load(&mut self, cx: &mut Ctx) -> Result<()> {
        if let Some(src) = self.source.take() {
            self.items = Rc::new(to_vec(cx, &src, "collection")?);
        }
        Ok(())
    }
    fn chunk(&self, cx: &mut Ctx, s: usize, e: usize) -> Result<Value> {
        cx.charge(16 * (e - s))?;
        // Python slices of the to_list result: same kind as it.
        Ok(to_list_value(cx, self.items[s..e].to_vec()))
    }
    fn tail(&mut self, cx: &mut Ctx) -> Result<Option<Value>> {
        self.finished = true;
        if self.start != self.end {
            return self.chunk(cx, self.start, self.end).map(Some);
        }
        Ok(None)
    }
}

pub(crate) fn split_where(_: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut st = Splitter::new(a.v(0).clone());
    Ok(IterObj::from_fn(move |cx| {
        if st.finished {
            return Ok(None);
        }
        st.load(cx)?;
        while st.end < st.items.len() {
            let item = st.items[st.end].clone();
            let end = st.end;
            st.end += 1;
            if f.call(cx, &[item])?.truthy() {
                let chunk = st.chunk(cx, st.start, end)?;
                st.start = end + 1;
                return Ok(Some(chunk));
            }
        }
        st.tail(cx)
    }))
}

pub(crate) fn slice_where(_: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut st = Splitter::new(a.v(0).clone());
    Ok(IterObj::from_fn(move |cx| {
        if st.finished {
            return Ok(None);
        }
        st.load(cx)?;
        while st.end < st.items.len() {
            let item = st.items[st.end].clone();
            let p2 = f.call(cx, &[item])?;
            let cut = matches!(&st.previous, Some(p1) if !py_eq(&p2, p1));
            let end = st.end;
            st.end += 1;
            st.previous = Some(p2);
            if cut {
                let chunk = st.chunk(cx, st.start, end)?;
                st.start = end;
                return Ok(Some(chunk));
            }
        }
        st.tail(cx)
    }))
}

pub(crate) fn split_at(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let items = to_vec(cx, a.v(0), "splitAt")?;
    let index = a.int(1)?;
    let (_, h) = slice_bounds(items.len(), None, Some(index));
    let (t, _) = slice_bounds(items.len(), Some(index), None);
    cx.charge(16 * items.len())?;
    Ok(Value::list(vec![
        to_list_value(cx, items[..h].to_vec()),
        to_list_value(cx, items[t..].to_vec()),
    ]))
}

pub(crate) fn accumulate(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let f = lam(a, 1)?;
    let mut c = cur(cx, a.v(0))?;
    let mut total: Option<Value> = a.opt(2).cloned();
    let mut started = false;
    Ok(IterObj::from_fn(move |cx| {
        if !started {
            started = true;
            if total.is_none() {
                total = Some(c.next(cx)?.ok_or_else(|| {
                    Error::type_error("accumulate() of empty sequence with no initial value")
                })?);
            }
            return Ok(total.clone());
        }
        match c.next(cx)? {
            Some(x) => {
                let acc = total.take().unwrap_or(Value::Null);
                let t = f.call(cx, &[acc, x])?;
                total = Some(t.clone());
                Ok(Some(t))
            }
            None => Ok(None),
        }
    }))
}

/// Python `type(v)` text for mergeWith's TypeError.
fn py_type(v: &Value) -> String {
    let name = match v {
        Value::Dict(_) => "yaql.language.utils.FrozenDict",
        Value::Tuple(_) => "tuple",
        other => other.type_name(),
    };
    format!("<class '{name}'>")
}

struct Mergers {
    list: Option<Lambda>,
    item: Option<Lambda>,
}

impl Mergers {
    fn lists(&self, cx: &mut Ctx, l1: &Value, l2: &Value) -> Result<Value> {
        if let Some(f) = &self.list {
            return f.call(cx, &[l1.clone(), l2.clone()]);
        }
        // to_list(distinct(lst1 + lst2)): Python `+` needs two sequences of one kind.
        let (x, y) = match (l1, l2) {
            (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => (x, y),
            _ => {
                return Err(Error::type_error(format!(
                    "can only concatenate {} (not \"{}\") to {}",
                    l1.type_name(),
                    l2.type_name(),
                    l1.type_name()
                )));
            }
        };
        let mut seen = Set::new_frozen();
        let mut out = Vec::new();
        for v in x.iter().chain(y.iter()) {
            cx.tick()?;
            if !seen.contains(v) {
                seen.insert(v.clone())?;
                cx.charge(16)?;
                out.push(v.clone());
            }
        }
        Ok(to_list_value(cx, out))
    }
    fn items(&self, cx: &mut Ctx, x: &Value, y: &Value) -> Result<Value> {
        match &self.item {
            Some(f) => f.call(cx, &[x.clone(), y.clone()]),
            None => Ok(y.clone()),
        }
    }
}

fn merge_dicts(
    cx: &mut Ctx,
    d1: &crate::value::Dict,
    d2: &crate::value::Dict,
    m: &Mergers,
    max_levels: i64,
) -> Result<Value> {
    let mut result = crate::value::Dict::new();
    cx.charge(40 * (d1.len() + d2.len()))?;
    for (key, value1) in d1.map.iter() {
        cx.tick()?;
        let mut merged = value1.clone();
        if let Some(value2) = d2.map.get(key) {
            let is_seq = |v: &Value| matches!(v, Value::Tuple(_) | Value::List(_));
            merged = if max_levels != 1 && matches!(value2, Value::Dict(_)) {
                let (Value::Dict(x), Value::Dict(y)) = (value1, value2) else {
                    return Err(Error::type_error(format!(
                        "Cannot merge {} with {}",
                        py_type(value1),
                        py_type(value2)
                    )));
                };
                let next = if max_levels == 0 { 0 } else { max_levels - 1 };
                merge_dicts(cx, x, y, m, next)?
            } else if max_levels != 1 && is_seq(value2) {
                if !is_seq(value1) {
                    return Err(Error::type_error(format!(
                        "Cannot merge {} with {}",
                        py_type(value1),
                        py_type(value2)
                    )));
                }
                m.lists(cx, value1, value2)?
            } else {
                m.items(cx, value1, value2)?
            };
        }
        result.map.insert(key.clone(), merged);
    }
    for (key, value2) in d2.map.iter() {
        if !result.map.contains_key(key) {
            result.map.insert(key.clone(), value2.clone());
        }
    }
    Ok(Value::dict(result))
}

pub(crate) fn merge_with(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (Value::Dict(d1), Value::Dict(d2)) = (a.v(0), a.v(1)) else {
        return Err(Error::no_matching(a.name, true));
    };
    let m = Mergers {
        list: a.lam(2).cloned(),
        item: a.lam(3).cloned(),
    };
    merge_dicts(cx, d1, d2, &m, a.int(4)?)
}

pub(crate) fn generate(_: &mut Ctx, a: &Args) -> Result<Value> {
    let mut current = a.v(0).clone();
    let (pred, producer) = (lam(a, 1)?, lam(a, 2)?);
    let selector = a.lam(3).cloned();
    let mut past = if a.v(4).truthy() {
        Some(Set::new_frozen())
    } else {
        None
    };
    let (mut done, mut started) = (false, false);
    Ok(IterObj::from_fn(move |cx| {
        if done {
            return Ok(None);
        }
        if started {
            // Python runs the producer when the next item is requested.
            let item = current.clone();
            current = producer.call(cx, &[item])?;
        }
        started = true;
        if !pred.call(cx, std::slice::from_ref(&current))?.truthy() {
            done = true;
            return Ok(None);
        }
        if let Some(p) = past.as_mut() {
            if p.contains(&current) {
                done = true;
                return Ok(None);
            }
            cx.charge(24)?;
            p.insert(current.clone())?;
        }
        match &selector {
            Some(s) => s.call(cx, std::slice::from_ref(&current)).map(Some),
            None => Ok(Some(current.clone())),
        }
    }))
}

/// The items Python's `deque.extend(x)` takes from `x` (strings give characters,
/// dicts their keys; non-iterables raise TypeError).
fn py_iter_items(cx: &mut Ctx, v: &Value) -> Result<Vec<Value>> {
    match v {
        Value::Str(s) => Ok(s.chars().map(|c| Value::str(c.to_string())).collect()),
        Value::Dict(d) => Ok(d.map.keys().map(|k| k.0.clone()).collect()),
        _ => match Cursor::of(cx, v) {
            Some(c) => c.collect(cx),
            None => Err(Error::type_error(format!(
                "'{}' object is not iterable",
                v.type_name()
            ))),
        },
    }
}

pub(crate) fn generate_many(_: &mut Ctx, a: &Args) -> Result<Value> {
    let producer = lam(a, 1)?;
    let selector = a.lam(2).cloned();
    let mut past = if a.v(3).truthy() {
        Some(Set::new_frozen())
    } else {
        None
    };
    let depth_first = a.v(4).truthy();
    let mut queue: VecDeque<Value> = VecDeque::from([a.v(0).clone()]);
    let mut pending: Option<Value> = None;
    Ok(IterObj::from_fn(move |cx| {
        // Expand the item yielded last time (Python runs the producer after the yield).
        if let Some(item) = pending.take() {
            let produced = producer.call(cx, &[item])?;
            let items = py_iter_items(cx, &produced)?;
            cx.charge(16 * items.len())?;
            if depth_first {
                for v in items.into_iter().rev() {
                    queue.push_front(v);
                }
            } else {
                queue.extend(items);
            }
        }
        while let Some(item) = queue.pop_front() {
            cx.tick()?;
            if let Some(p) = past.as_mut() {
                if p.contains(&item) {
                    continue;
                }
                cx.charge(24)?;
                p.insert(item.clone())?;
            }
            let out = match &selector {
                Some(s) => s.call(cx, std::slice::from_ref(&item))?,
                None => item.clone(),
            };
            pending = Some(item);
            return Ok(Some(out));
        }
        Ok(None)
    }))
}

pub(crate) fn default_if_empty(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let coll = a.v(0);
    let empty = match coll {
        Value::Tuple(v) | Value::List(v) => v.is_empty(),
        Value::Set(s) => s.is_empty(),
        _ => {
            let m = memorize(cx, coll)?;
            let empty = cur(cx, &m)?.next(cx)?.is_none();
            if !empty {
                return Ok(m);
            }
            true
        }
    };
    Ok(if empty { a.v(1).clone() } else { coll.clone() })
}

/// `enumerate` over the input with `emit(i, item)` deciding what to yield; the tail
/// closure runs once at the end with the last index (-1 when empty).
struct Positional {
    c: Cursor,
    i: i64,
    out: VecDeque<Value>,
    ended: bool,
}

impl Positional {
    fn new(cx: &Ctx, coll: &Value) -> Result<Positional> {
        Ok(Positional {
            c: cur(cx, coll)?,
            i: -1,
            out: VecDeque::new(),
            ended: false,
        })
    }
    /// Runs the generator until something is queued or the input ends.
    fn pull(
        &mut self,
        cx: &mut Ctx,
        mut step: impl FnMut(&mut Ctx, i64, Value, &mut VecDeque<Value>) -> Result<()>,
        mut tail: impl FnMut(&mut Ctx, i64, &mut VecDeque<Value>) -> Result<()>,
    ) -> Result<Option<Value>> {
        loop {
            if let Some(v) = self.out.pop_front() {
                return Ok(Some(v));
            }
            if self.ended {
                return Ok(None);
            }
            match self.c.next(cx)? {
                Some(t) => {
                    self.i += 1;
                    step(cx, self.i, t, &mut self.out)?;
                }
                None => {
                    self.ended = true;
                    tail(cx, self.i, &mut self.out)?;
                }
            }
        }
    }
}

/// Items of an iterable value, pulled fully (for `yield from values`).
fn spill(cx: &mut Ctx, values: &Value, out: &mut VecDeque<Value>) -> Result<()> {
    let items = to_vec(cx, values, "values")?;
    out.extend(items);
    Ok(())
}

/// True when index `i` is in the `[position, position + count)` range (count < 0: to
/// the end), as yaql's delete/replace test it.
fn in_range(i: i64, position: i64, count: i64) -> bool {
    if count >= 0 {
        position <= i && i < position.saturating_add(count)
    } else {
        i >= position
    }
}

pub(crate) fn delete_at(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (position, count) = (a.int(1)?, a.int(2)?);
    let mut p = Positional::new(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        p.pull(
            cx,
            |_, i, t, out| {
                if !in_range(i, position, count) {
                    out.push_back(t);
                }
                Ok(())
            },
            |_, _, _| Ok(()),
        )
    }))
}

pub(crate) fn replace_at(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (position, count) = (a.int(1)?, a.int(3)?);
    let value = a.v(2).clone();
    let mut yielded = false;
    let mut p = Positional::new(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        p.pull(
            cx,
            |_, i, t, out| {
                if in_range(i, position, count) {
                    if !yielded {
                        yielded = true;
                        out.push_back(value.clone());
                    }
                } else {
                    out.push_back(t);
                }
                Ok(())
            },
            |_, _, _| Ok(()),
        )
    }))
}

pub(crate) fn replace_many(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (position, count) = (a.int(1)?, a.int(3)?);
    let values = a.v(2).clone();
    let mut yielded = false;
    let mut p = Positional::new(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        p.pull(
            cx,
            |cx, i, t, out| {
                if in_range(i, position, count) {
                    if !yielded {
                        spill(cx, &values, out)?;
                        yielded = true;
                    }
                } else {
                    out.push_back(t);
                }
                Ok(())
            },
            |_, _, _| Ok(()),
        )
    }))
}

pub(crate) fn insert_seq(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut items = a.v(0).as_seq().unwrap_or(&[]).to_vec();
    let n = items.len() as i64;
    let position = a.int(1)?;
    let at = if position < 0 {
        (position + n).max(0)
    } else {
        position.min(n)
    };
    cx.charge(16 * (items.len() + 1))?;
    items.insert(at as usize, a.v(2).clone());
    Ok(Value::list(items))
}

pub(crate) fn insert_iter(cx: &mut Ctx, a: &Args) -> Result<Value> {
    if matches!(a.v(0), Value::Set(_)) {
        return Err(Error::no_matching(a.name, true));
    }
    let position = a.int(1)?;
    let value = a.v(2).clone();
    let mut p = Positional::new(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        p.pull(
            cx,
            |_, i, t, out| {
                if i == position {
                    out.push_back(value.clone());
                }
                out.push_back(t);
                Ok(())
            },
            |_, last, out| {
                if position > last {
                    out.push_back(value.clone());
                }
                Ok(())
            },
        )
    }))
}

pub(crate) fn insert_many(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let position = a.int(1)?;
    let values = a.v(2).clone();
    let mut started = false;
    let mut p = Positional::new(cx, a.v(0))?;
    Ok(IterObj::from_fn(move |cx| {
        if !started {
            started = true;
            if position < 0 {
                spill(cx, &values, &mut p.out)?;
            }
        }
        let vs = values.clone();
        p.pull(
            cx,
            |cx, i, t, out| {
                if i == position {
                    spill(cx, &vs, out)?;
                }
                out.push_back(t);
                Ok(())
            },
            |cx, last, out| {
                if position > last {
                    spill(cx, &vs, out)?;
                }
                Ok(())
            },
        )
    }))
}

/// `reverse()`: `reversed(to_list(collection))` — an iterator.
pub(crate) fn reverse(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut v = to_vec(cx, a.v(0), "reverse")?;
    v.reverse();
    Ok(iter_of(v))
}

#[cfg(test)]
mod tests {
    //! Expected strings are yaql 3.2.0's output (Python `repr` after output conversion),
    //! obtained with `/work/venv/bin/python`; the expression is in each comment.
    use super::*;
    use crate::ctx::lambda;
    use crate::sig::{Arg, call};

    fn ints(xs: &[i64]) -> Value {
        Value::tuple(xs.iter().map(|&i| Value::Int(i)).collect())
    }
    fn v(x: impl Into<Value>) -> Arg {
        Arg::Value(x.into())
    }
    fn f(body: impl Fn(&[Value]) -> Result<Value> + 'static) -> Arg {
        Arg::Lazy(lambda(move |_, a| body(a)))
    }
    fn kw(name: &str, a: Arg) -> (String, Arg) {
        (name.to_string(), a)
    }
    fn item(a: &[Value], i: usize) -> Value {
        a.first()
            .and_then(|x| x.as_seq())
            .and_then(|s| s.get(i))
            .cloned()
            .unwrap_or(Value::Null)
    }
    fn arg0(a: &[Value]) -> Value {
        a.first().cloned().unwrap_or(Value::Null)
    }
    fn int0(a: &[Value]) -> i64 {
        arg0(a).as_i64_lenient().unwrap_or(0)
    }
    fn run_kw(name: &str, args: Vec<Arg>, kws: Vec<(String, Arg)>) -> String {
        let mut cx = Ctx::default();
        cx.options.limit_iterators = 100;
        let method = !matches!(name, "generate" | "generateMany");
        match call(&mut cx, name, method, args, kws)
            .and_then(|r| crate::convert::output(&mut cx, &r))
        {
            Ok(r) => crate::pyfmt::repr(&r),
            Err(e) => format!("ERR {}", e.kind().python_name()),
        }
    }
    fn run(name: &str, args: Vec<Arg>) -> String {
        run_kw(name, args, vec![])
    }
    fn pairs(xs: &[(i64, &str)]) -> Value {
        Value::tuple(
            xs.iter()
                .map(|(i, s)| Value::tuple(vec![Value::Int(*i), Value::str(*s)]))
                .collect(),
        )
    }

    #[test]
    fn order_by_then_by() {
        let data = pairs(&[(1, "b"), (2, "a"), (1, "a"), (2, "b")]);
        let mut cx = Ctx::default();
        let o = call(
            &mut cx,
            "orderBy",
            true,
            vec![v(data.clone()), f(|a| Ok(item(a, 0)))],
            vec![],
        )
        .unwrap();
        let t = call(
            &mut cx,
            "thenByDescending",
            true,
            vec![v(o.clone()), f(|a| Ok(item(a, 1)))],
            vec![],
        )
        .unwrap();
        // thenBy mutates the same object: both aliases see the secondary key.
        let out = crate::convert::output(&mut cx, &o).unwrap();
        assert_eq!(
            crate::pyfmt::repr(&out),
            "[[1, 'b'], [1, 'a'], [2, 'b'], [2, 'a']]"
        );
        // Replayable: a second pass gives the same items.
        let again = crate::convert::output(&mut cx, &t).unwrap();
        assert_eq!(crate::pyfmt::repr(&again), crate::pyfmt::repr(&out));
        // [...].orderByDescending($[0]).thenBy($[1])
        let o = call(
            &mut cx,
            "orderByDescending",
            true,
            vec![v(data), f(|a| Ok(item(a, 0)))],
            vec![],
        )
        .unwrap();
        let t = call(
            &mut cx,
            "thenBy",
            true,
            vec![v(o), f(|a| Ok(item(a, 1)))],
            vec![],
        )
        .unwrap();
        let out = crate::convert::output(&mut cx, &t).unwrap();
        assert_eq!(
            crate::pyfmt::repr(&out),
            "[[2, 'a'], [2, 'b'], [1, 'a'], [1, 'b']]"
        );
        // [1,2].select($).thenBy($) → NoMatchingMethodException
        let it = call(
            &mut cx,
            "select",
            true,
            vec![v(ints(&[1, 2])), f(|a| Ok(arg0(a)))],
            vec![],
        )
        .unwrap();
        assert_eq!(
            run("thenBy", vec![v(it), f(|a| Ok(arg0(a)))]),
            "ERR NoMatchingMethodException"
        );
        // [0].orderBy(1/$) → [0]: a single item is never compared.
        assert_eq!(
            run(
                "orderBy",
                vec![
                    v(ints(&[0])),
                    f(|_| Err(Error::zero_division("division by zero")))
                ]
            ),
            "[0]"
        );
        // [1, 'a'].orderBy($) → NoMatchingFunctionException
        let mixed = Value::tuple(vec![Value::Int(1), Value::str("a")]);
        assert_eq!(
            run("orderBy", vec![v(mixed), f(|a| Ok(arg0(a)))]),
            "ERR NoMatchingFunctionException"
        );
        // [3,1,2].orderBy($) = [1,2,3] → false (an iterable, not a tuple)
        let o = call(
            &mut cx,
            "orderBy",
            true,
            vec![v(ints(&[3, 1, 2])), f(|a| Ok(arg0(a)))],
            vec![],
        )
        .unwrap();
        assert!(!py_eq(&o, &ints(&[1, 2, 3])));
        // orderBy results are not Python iterators: len() does not apply.
        assert_eq!(run("len", vec![v(o)]), "ERR NoMatchingMethodException");
    }

    #[test]
    fn group_by_overloads() {
        let data = pairs(&[(1, "b"), (2, "a"), (1, "a")]);
        // .groupBy($[0], $[1])
        assert_eq!(
            run(
                "groupBy",
                vec![
                    v(data.clone()),
                    f(|a| Ok(item(a, 0))),
                    f(|a| Ok(item(a, 1)))
                ]
            ),
            "[[1, ['b', 'a']], [2, ['a']]]"
        );
        // .groupBy($[0], $[1], $.len())
        let len = |a: &[Value]| {
            Ok(Value::Int(
                arg0(a).as_seq().map(|s| s.len()).unwrap_or(0) as i64
            ))
        };
        assert_eq!(
            run(
                "groupBy",
                vec![
                    v(data.clone()),
                    f(|a| Ok(item(a, 0))),
                    f(|a| Ok(item(a, 1))),
                    f(len)
                ]
            ),
            "[[1, 2], [2, 1]]"
        );
        // .groupBy($[0], $[1], [$[0], $[1].len()]) — yaql 1.1.1 fallback quirk.
        let old_style = |a: &[Value]| {
            let s = arg0(a);
            let items = s.as_seq().unwrap_or(&[]);
            let second = items
                .get(1)
                .ok_or_else(|| Error::index_error("tuple index out of range"))?;
            let n = match second {
                Value::Str(x) => x.chars().count(),
                other => other.as_seq().map(|s| s.len()).unwrap_or(0),
            };
            Ok(Value::tuple(vec![items[0].clone(), Value::Int(n as i64)]))
        };
        assert_eq!(
            run(
                "groupBy",
                vec![
                    v(data),
                    f(|a| Ok(item(a, 0))),
                    f(|a| Ok(item(a, 1))),
                    f(old_style)
                ]
            ),
            "[[1, ['b', 1]], [2, 1]]"
        );
        // [1,2,3,4].groupBy($ mod 2, aggregator => $.len())
        assert_eq!(
            run_kw(
                "groupBy",
                vec![v(ints(&[1, 2, 3, 4])), f(|a| Ok(Value::Int(int0(a) % 2)))],
                vec![kw("aggregator", f(len))]
            ),
            "[[1, 2], [0, 2]]"
        );
        // [[1,2]].groupBy($, aggregator => $[5]) → IndexError
        assert_eq!(
            run_kw(
                "groupBy",
                vec![v(Value::tuple(vec![ints(&[1, 2])])), f(|a| Ok(arg0(a)))],
                vec![kw(
                    "aggregator",
                    f(|_| Err(Error::index_error("list index out of range")))
                )]
            ),
            "ERR IndexError"
        );
    }

    #[test]
    fn zip_join_repeat_cycle() {
        // [1,2,3].zip([4,5])
        assert_eq!(
            run("zip", vec![v(ints(&[1, 2, 3])), v(ints(&[4, 5]))]),
            "[[1, 4], [2, 5]]"
        );
        // [1,2].zip()
        assert_eq!(run("zip", vec![v(ints(&[1, 2]))]), "[[1], [2]]");
        // [1,2,3].zipLongest([4,5], default => 0)
        assert_eq!(
            run_kw(
                "zipLongest",
                vec![v(ints(&[1, 2, 3])), v(ints(&[4, 5]))],
                vec![kw("default", v(0i64))]
            ),
            "[[1, 4], [2, 5], [3, 0]]"
        );
        // [1,2,3].zipLongest([4], [5,6])
        assert_eq!(
            run(
                "zipLongest",
                vec![v(ints(&[1, 2, 3])), v(ints(&[4])), v(ints(&[5, 6]))]
            ),
            "[[1, 4, 5], [2, None, 6], [3, None, None]]"
        );
        // [1,2,3].join([2,3], $1 = $2, $1 * 10 + $2)
        assert_eq!(
            run(
                "join",
                vec![
                    v(ints(&[1, 2, 3])),
                    v(ints(&[2, 3])),
                    f(|a| Ok(Value::Bool(py_eq(&a[0], &a[1])))),
                    f(|a| Ok(Value::Int(
                        a[0].as_i64_lenient().unwrap_or(0) * 10
                            + a[1].as_i64_lenient().unwrap_or(0)
                    )))
                ]
            ),
            "[22, 33]"
        );
        // 2.repeat(3), null.repeat(2)
        assert_eq!(run("repeat", vec![v(2i64), v(3i64)]), "[2, 2, 2]");
        assert_eq!(run("repeat", vec![v(Value::Null), v(2i64)]), "[None, None]");
        // [1,2,3].cycle().take(7), [].cycle().take(5)
        let mut cx = Ctx::default();
        let c = call(&mut cx, "cycle", true, vec![v(ints(&[1, 2, 3]))], vec![]).unwrap();
        assert_eq!(run("take", vec![v(c), v(7i64)]), "[1, 2, 3, 1, 2, 3, 1]");
        let c = call(&mut cx, "cycle", true, vec![v(ints(&[]))], vec![]).unwrap();
        assert_eq!(run("take", vec![v(c), v(5i64)]), "[]");
        // An infinite repeat is stopped by the step budget, not a hang.
        let mut small = Ctx::new(
            crate::ctx::Options::default(),
            crate::ctx::Budget {
                steps: 1000,
                memory: 1 << 20,
            },
        );
        let r = call(&mut small, "repeat", true, vec![v(1i64)], vec![]).unwrap();
        let e = call(&mut small, "count", true, vec![v(r)], vec![]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::StepBudgetExceeded);
    }

    #[test]
    fn prefixes_and_positions() {
        let lt3 = |a: &[Value]| Ok(Value::Bool(int0(a) < 3));
        let data = ints(&[1, 2, 3, 4, 1]);
        // [1,2,3,4,1].takeWhile($ < 3) / skipWhile($ < 3)
        assert_eq!(run("takeWhile", vec![v(data.clone()), f(lt3)]), "[1, 2]");
        assert_eq!(run("skipWhile", vec![v(data), f(lt3)]), "[3, 4, 1]");
        // [1,2,1].lastIndexOf(1), .indexWhere($ > 1), .lastIndexWhere($ > 3)
        let d = ints(&[1, 2, 1]);
        assert_eq!(run("lastIndexOf", vec![v(d.clone()), v(1i64)]), "2");
        assert_eq!(
            run(
                "indexWhere",
                vec![v(d.clone()), f(|a| Ok(Value::Bool(int0(a) > 1)))]
            ),
            "1"
        );
        assert_eq!(
            run(
                "lastIndexWhere",
                vec![v(d), f(|a| Ok(Value::Bool(int0(a) > 3)))]
            ),
            "-1"
        );
    }

    #[test]
    fn slicing() {
        // [1,2,3,4,5].slice(2), [1,2,3].slice(0), .slice(-1), [].slice(2)
        assert_eq!(
            run("slice", vec![v(ints(&[1, 2, 3, 4, 5])), v(2i64)]),
            "[[1, 2], [3, 4], [5]]"
        );
        assert_eq!(run("slice", vec![v(ints(&[1, 2, 3])), v(0i64)]), "[]");
        assert_eq!(
            run("slice", vec![v(ints(&[1, 2, 3])), v(-1i64)]),
            "ERR ValueError"
        );
        assert_eq!(run("slice", vec![v(ints(&[])), v(2i64)]), "[]");
        // [1,2,0,3,0,4].splitWhere($ = 0)
        assert_eq!(
            run(
                "splitWhere",
                vec![
                    v(ints(&[1, 2, 0, 3, 0, 4])),
                    f(|a| Ok(Value::Bool(int0(a) == 0)))
                ]
            ),
            "[[1, 2], [3], [4]]"
        );
        // [1,2,3,4,6].sliceWhere($ mod 2)
        assert_eq!(
            run(
                "sliceWhere",
                vec![
                    v(ints(&[1, 2, 3, 4, 6])),
                    f(|a| Ok(Value::Int(int0(a) % 2)))
                ]
            ),
            "[[1], [2], [3], [4, 6]]"
        );
        // [1,2,3,4].splitAt(-1), [1,2,3].splitAt(1), [1,2,3].splitAt(10)
        assert_eq!(
            run("splitAt", vec![v(ints(&[1, 2, 3, 4])), v(-1i64)]),
            "[[1, 2, 3], [4]]"
        );
        assert_eq!(
            run("splitAt", vec![v(ints(&[1, 2, 3])), v(1i64)]),
            "[[1], [2, 3]]"
        );
        assert_eq!(
            run("splitAt", vec![v(ints(&[1, 2, 3])), v(10i64)]),
            "[[1, 2, 3], []]"
        );
    }

    fn plus(a: &[Value]) -> Result<Value> {
        Ok(Value::Int(
            a[0].as_i64_lenient().unwrap_or(0) + a[1].as_i64_lenient().unwrap_or(0),
        ))
    }

    #[test]
    fn accumulate_cases() {
        // [1,2,3].accumulate($1+$2), (…, 10), [].accumulate(…), range(0).accumulate(…, 5)
        assert_eq!(
            run("accumulate", vec![v(ints(&[1, 2, 3])), f(plus)]),
            "[1, 3, 6]"
        );
        assert_eq!(
            run("accumulate", vec![v(ints(&[1, 2, 3])), f(plus), v(10i64)]),
            "[10, 11, 13, 16]"
        );
        assert_eq!(
            run("accumulate", vec![v(ints(&[])), f(plus)]),
            "ERR TypeError"
        );
        assert_eq!(
            run("accumulate", vec![v(ints(&[])), f(plus), v(5i64)]),
            "[5]"
        );
    }

    fn dict(items: Vec<(&str, Value)>) -> Value {
        let mut d = crate::value::Dict::new();
        for (k, x) in items {
            d.insert(Value::str(k), x).unwrap();
        }
        Value::dict(d)
    }

    #[test]
    fn merge_with_cases() {
        // {a=>{b=>[1,2]}, c=>1}.mergeWith({a=>{b=>[2,3]}, c=>2, d=>4})
        let left = dict(vec![
            ("a", dict(vec![("b", ints(&[1, 2]))])),
            ("c", Value::Int(1)),
        ]);
        let right = dict(vec![
            ("a", dict(vec![("b", ints(&[2, 3]))])),
            ("c", Value::Int(2)),
            ("d", Value::Int(4)),
        ]);
        assert_eq!(
            run("mergeWith", vec![v(left.clone()), v(right.clone())]),
            "{'a': {'b': [1, 2, 3]}, 'c': 2, 'd': 4}"
        );
        // maxLevels => 1
        assert_eq!(
            run_kw(
                "mergeWith",
                vec![v(left), v(right)],
                vec![kw("maxLevels", v(1i64))]
            ),
            "{'a': {'b': [2, 3]}, 'c': 2, 'd': 4}"
        );
        // {a=>1}.mergeWith({a=>{b=>1}}) → TypeError; reverse → {'a': 1}
        let one = dict(vec![("a", Value::Int(1))]);
        let nested = dict(vec![("a", dict(vec![("b", Value::Int(1))]))]);
        assert_eq!(
            run("mergeWith", vec![v(one.clone()), v(nested.clone())]),
            "ERR TypeError"
        );
        assert_eq!(
            run("mergeWith", vec![v(nested), v(one.clone())]),
            "{'a': 1}"
        );
        // {a=>1}.mergeWith({a=>[1]}) → TypeError
        assert_eq!(
            run(
                "mergeWith",
                vec![v(one.clone()), v(dict(vec![("a", ints(&[1]))]))]
            ),
            "ERR TypeError"
        );
        // {a=>1}.mergeWith({a=>2}, itemMerger => $1 + $2)
        assert_eq!(
            run_kw(
                "mergeWith",
                vec![v(one), v(dict(vec![("a", Value::Int(2))]))],
                vec![kw("itemMerger", f(plus))]
            ),
            "{'a': 3}"
        );
        // {a=>{b=>{c=>[1]}}}.mergeWith({a=>{b=>{c=>[2]}}}, maxLevels => 2)
        let deep = |x: i64| {
            dict(vec![(
                "a",
                dict(vec![("b", dict(vec![("c", ints(&[x]))]))]),
            )])
        };
        assert_eq!(
            run_kw(
                "mergeWith",
                vec![v(deep(1)), v(deep(2))],
                vec![kw("maxLevels", v(2i64))]
            ),
            "{'a': {'b': {'c': [2]}}}"
        );
    }

    #[test]
    fn generators() {
        // generate(0, $ < 5, $ + 1), generate(0, $ < 5, $ + 1, $ * 2)
        let lt5 = |a: &[Value]| Ok(Value::Bool(int0(a) < 5));
        let inc = |a: &[Value]| Ok(Value::Int(int0(a) + 1));
        assert_eq!(
            run("generate", vec![v(0i64), f(lt5), f(inc)]),
            "[0, 1, 2, 3, 4]"
        );
        assert_eq!(
            run(
                "generate",
                vec![v(0i64), f(lt5), f(inc), f(|a| Ok(Value::Int(int0(a) * 2)))]
            ),
            "[0, 2, 4, 6, 8]"
        );
        // generate(1, true, $ mod 3 + 1, decycle => true)
        assert_eq!(
            run_kw(
                "generate",
                vec![
                    v(1i64),
                    f(|_| Ok(Value::Bool(true))),
                    f(|a| Ok(Value::Int(int0(a) % 3 + 1)))
                ],
                vec![kw("decycle", v(true))]
            ),
            "[1, 2, 3]"
        );
        // generateMany(1, switch($ < 4 => [$*2, $*2+1], true => [])) (+ depthFirst)
        let kids = |a: &[Value]| {
            let x = int0(a);
            Ok(if x < 4 {
                ints(&[x * 2, x * 2 + 1])
            } else {
                ints(&[])
            })
        };
        assert_eq!(
            run("generateMany", vec![v(1i64), f(kids)]),
            "[1, 2, 3, 4, 5, 6, 7]"
        );
        assert_eq!(
            run_kw(
                "generateMany",
                vec![v(1i64), f(kids)],
                vec![kw("depthFirst", v(true))]
            ),
            "[1, 2, 4, 5, 3, 6, 7]"
        );
        // generateMany(1, [$], decycle => true), generateMany(1, $)
        assert_eq!(
            run_kw(
                "generateMany",
                vec![v(1i64), f(|a| Ok(Value::tuple(vec![arg0(a)])))],
                vec![kw("decycle", v(true))]
            ),
            "[1]"
        );
        assert_eq!(
            run("generateMany", vec![v(1i64), f(|a| Ok(arg0(a)))]),
            "ERR TypeError"
        );
    }

    #[test]
    fn default_if_empty_cases() {
        // [].defaultIfEmpty([1]), [2].select($).defaultIfEmpty([1]), [].select($)…
        assert_eq!(
            run("defaultIfEmpty", vec![v(ints(&[])), v(ints(&[1]))]),
            "[1]"
        );
        let mut cx = Ctx::default();
        let sel = |cx: &mut Ctx, d: Value| {
            call(cx, "select", true, vec![v(d), f(|a| Ok(arg0(a)))], vec![]).unwrap()
        };
        let it = sel(&mut cx, ints(&[2]));
        assert_eq!(run("defaultIfEmpty", vec![v(it), v(ints(&[1]))]), "[2]");
        let it = sel(&mut cx, ints(&[]));
        assert_eq!(run("defaultIfEmpty", vec![v(it), v(ints(&[1]))]), "[1]");
        // [1, 2].defaultIfEmpty(3) → NoMatchingMethodException
        assert_eq!(
            run("defaultIfEmpty", vec![v(ints(&[1, 2])), v(3i64)]),
            "ERR NoMatchingMethodException"
        );
    }

    #[test]
    fn positional_edits() {
        let d = ints(&[1, 2, 3]);
        let mut cx = Ctx::default();
        let it = |cx: &mut Ctx| {
            call(
                cx,
                "select",
                true,
                vec![v(ints(&[1, 2, 3])), f(|a| Ok(arg0(a)))],
                vec![],
            )
            .unwrap()
        };
        // [1,2,3].insert(1, 9), .insert(-1, 9); (= [1,9,2,3] is false: a list)
        assert_eq!(
            run("insert", vec![v(d.clone()), v(1i64), v(9i64)]),
            "[1, 9, 2, 3]"
        );
        assert_eq!(
            run("insert", vec![v(d.clone()), v(-1i64), v(9i64)]),
            "[1, 2, 9, 3]"
        );
        let ins = call(
            &mut cx,
            "insert",
            true,
            vec![v(d.clone()), v(1i64), v(9i64)],
            vec![],
        )
        .unwrap();
        assert!(!py_eq(&ins, &ints(&[1, 9, 2, 3])));
        // [1,2,3].select($).insert(-1, 9) → [1, 2, 3]; .insert(5, 9) → [1, 2, 3, 9]
        let i1 = it(&mut cx);
        assert_eq!(run("insert", vec![v(i1), v(-1i64), v(9i64)]), "[1, 2, 3]");
        let i2 = it(&mut cx);
        assert_eq!(run("insert", vec![v(i2), v(5i64), v(9i64)]), "[1, 2, 3, 9]");
        // set(1,2).insert(0, 5) → NoMatchingMethodException
        let mut s = Set::new_frozen();
        s.insert(Value::Int(1)).unwrap();
        assert_eq!(
            run("insert", vec![v(Value::set(s)), v(0i64), v(5i64)]),
            "ERR NoMatchingMethodException"
        );
        // insertMany: (-1, [8,9]), (1, [8,9]), (7, [8,9]); [].insertMany(0, [7])
        assert_eq!(
            run("insertMany", vec![v(d.clone()), v(-1i64), v(ints(&[8, 9]))]),
            "[8, 9, 1, 2, 3]"
        );
        assert_eq!(
            run("insertMany", vec![v(d.clone()), v(1i64), v(ints(&[8, 9]))]),
            "[1, 8, 9, 2, 3]"
        );
        assert_eq!(
            run("insertMany", vec![v(d.clone()), v(7i64), v(ints(&[8, 9]))]),
            "[1, 2, 3, 8, 9]"
        );
        assert_eq!(
            run("insertMany", vec![v(ints(&[])), v(0i64), v(ints(&[7]))]),
            "[7]"
        );
        // [1,2,3,4].delete(1, 2), .delete(1, -1); range(5).delete(-1, 2)
        let d4 = ints(&[1, 2, 3, 4]);
        assert_eq!(
            run("delete", vec![v(d4.clone()), v(1i64), v(2i64)]),
            "[1, 4]"
        );
        assert_eq!(run("delete", vec![v(d4.clone()), v(1i64), v(-1i64)]), "[1]");
        assert_eq!(
            run("delete", vec![v(ints(&[0, 1, 2, 3, 4])), v(-1i64), v(2i64)]),
            "[1, 2, 3, 4]"
        );
        // [1,2,3,4].replace(1, 9, 2); [1,2].replace(5, 9); .replaceMany(1, [8,9], -1)
        assert_eq!(
            run("replace", vec![v(d4.clone()), v(1i64), v(9i64), v(2i64)]),
            "[1, 9, 4]"
        );
        assert_eq!(
            run("replace", vec![v(ints(&[1, 2])), v(5i64), v(9i64)]),
            "[1, 2]"
        );
        assert_eq!(
            run(
                "replaceMany",
                vec![v(d4), v(1i64), v(ints(&[8, 9])), v(-1i64)]
            ),
            "[1, 8, 9]"
        );
        // [1,2].reverse() = [2,1] → false (an iterator), output [2, 1]
        let r = call(&mut cx, "reverse", true, vec![v(ints(&[1, 2]))], vec![]).unwrap();
        assert!(!py_eq(&r, &ints(&[2, 1])));
        assert_eq!(run("reverse", vec![v(ints(&[1, 2]))]), "[2, 1]");
        // [1,2].select($).toList() = [1,2] → true (toList gives a tuple)
        let i3 = it(&mut cx);
        let l = call(&mut cx, "toList", true, vec![v(i3)], vec![]).unwrap();
        assert!(py_eq(&l, &ints(&[1, 2, 3])));
    }
}
