//! Lazy iterators with yaql's observable behaviour.
//!
//! * A one-shot iterator ([`IterObj::one_shot`]) is consumed by whoever pulls it first:
//!   binding it to a variable and using it twice gives an empty second pass, exactly as
//!   a Python generator does. Iterators are equal only to themselves.
//! * A replayable iterator ([`IterObj::memo`], yaql's `memorize()`) pulls its source on
//!   demand and caches, so each pass replays the cache then continues the source.
//! * [`Cursor`] iterates any iterable value (tuple, list, set, dict keys when
//!   `iterableDicts`, iterators) without copying it; every pull costs one step of the
//!   budget, and the `yaql.limitIterators` option is checked here.
//!
//! * An ordering iterable ([`IterObj::ordered`], yaql's `OrderingIterable` returned by
//!   `orderBy`) is replayable and *mutable*: `thenBy`/`thenByDescending` append a sort
//!   key to the very same object (so every alias sees it), and the sort runs once, on
//!   the first pass; keys added after that pass are ignored, as in yaql.
//!
//! Pulling needs the [`Ctx`] (budget, and lambdas that run the interpreter), so the
//! iterator protocol is [`PyIter::next`]`(&mut self, cx)` rather than
//! `std::iter::Iterator`. A pipeline re-entering the iterator it is pulling (possible
//! only through a lambda) gets Python's `ValueError: generator already executing`
//! instead of a panic.

use std::cell::RefCell;
use std::rc::Rc;

use crate::ctx::{Ctx, Lambda};
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Dict, Set, Value};

/// A pull-based lazy sequence.
pub trait PyIter {
    /// The next item, `None` at the end.
    fn next(&mut self, cx: &mut Ctx) -> Result<Option<Value>>;

    /// The exact number of items left, when known without pulling (`range()`); only
    /// ever used to size a vector before draining.
    fn len_hint(&self) -> Option<usize> {
        None
    }
}

/// A lazy sequence from a closure.
pub struct FnIter<F>(pub F);

impl<F: FnMut(&mut Ctx) -> Result<Option<Value>>> PyIter for FnIter<F> {
    fn next(&mut self, cx: &mut Ctx) -> Result<Option<Value>> {
        (self.0)(cx)
    }
}

enum IterState {
    OneShot(Option<Box<dyn PyIter>>),
    Memo {
        source: Option<Box<dyn PyIter>>,
        cache: Vec<Value>,
    },
    Ordered {
        source: Value,
        fields: Vec<(Lambda, bool)>,
        sorted: Option<Rc<Vec<Value>>>,
    },
}

/// The object behind [`Value::Iter`].
pub struct IterObj {
    state: RefCell<IterState>,
}

impl IterObj {
    /// A single-pass iterator value.
    pub fn one_shot(it: Box<dyn PyIter>) -> Value {
        Value::Iter(Rc::new(IterObj {
            state: RefCell::new(IterState::OneShot(Some(it))),
        }))
    }

    /// A single-pass iterator value from a closure.
    pub fn from_fn<F: FnMut(&mut Ctx) -> Result<Option<Value>> + 'static>(f: F) -> Value {
        IterObj::one_shot(Box::new(FnIter(f)))
    }

    /// A replayable (memorizing) iterable over `it`.
    pub fn memo(it: Box<dyn PyIter>) -> Value {
        Value::Iter(Rc::new(IterObj {
            state: RefCell::new(IterState::Memo {
                source: Some(it),
                cache: Vec::new(),
            }),
        }))
    }

    /// A lazy `orderBy` result over `source`, sorted by `selector` (ascending or not).
    pub fn ordered(source: Value, selector: Lambda, ascending: bool) -> Value {
        Value::Iter(Rc::new(IterObj {
            state: RefCell::new(IterState::Ordered {
                source,
                fields: vec![(selector, ascending)],
                sorted: None,
            }),
        }))
    }

    /// Appends a secondary sort key to an ordering iterable (`thenBy`); false when this
    /// is not one.
    pub fn then_by(&self, selector: Lambda, ascending: bool) -> bool {
        match self.state.try_borrow_mut().as_deref_mut() {
            Ok(IterState::Ordered { fields, .. }) => {
                fields.push((selector, ascending));
                true
            }
            _ => false,
        }
    }

    /// True for replayable iterables.
    pub fn is_memo(&self) -> bool {
        matches!(&*self.state.borrow(), IterState::Memo { .. })
    }

    /// True for `orderBy` results (iterable, but not a Python *iterator*).
    pub fn is_ordered(&self) -> bool {
        matches!(&*self.state.borrow(), IterState::Ordered { .. })
    }

    /// The sorted items of an ordering iterable, sorting on first use.
    fn sorted(&self, cx: &mut Ctx) -> Result<Rc<Vec<Value>>> {
        let (source, fields) = {
            let st = self.state.try_borrow().map_err(|_| IterObj::busy())?;
            match &*st {
                IterState::Ordered {
                    sorted: Some(v), ..
                } => return Ok(v.clone()),
                IterState::Ordered { source, fields, .. } => (source.clone(), fields.clone()),
                _ => return Err(IterObj::busy()),
            }
        };
        let items = to_vec(cx, &source, "orderBy")?;
        let v = Rc::new(sort_by_fields(cx, items, &fields)?);
        if let Ok(IterState::Ordered { sorted, .. }) = self.state.try_borrow_mut().as_deref_mut() {
            *sorted = Some(v.clone());
        }
        Ok(v)
    }

    /// Items left in a one-shot iterator whose source knows its length.
    fn len_hint(&self) -> Option<usize> {
        match &*self.state.try_borrow().ok()? {
            IterState::OneShot(Some(src)) => src.len_hint(),
            _ => None,
        }
    }

    fn busy() -> Error {
        Error::value_error("generator already executing")
    }

    /// Pulls from a one-shot iterator.
    fn pull(&self, cx: &mut Ctx) -> Result<Option<Value>> {
        // Take the source out while pulling so a re-entrant pull sees "busy".
        let mut taken = {
            let mut st = self.state.try_borrow_mut().map_err(|_| IterObj::busy())?;
            match &mut *st {
                IterState::OneShot(src) => match src.take() {
                    Some(s) => s,
                    None => return Ok(None),
                },
                _ => return Err(IterObj::busy()),
            }
        };
        let r = taken.next(cx);
        let mut st = self.state.try_borrow_mut().map_err(|_| IterObj::busy())?;
        if let (IterState::OneShot(src), Ok(Some(_))) = (&mut *st, &r) {
            *src = Some(taken);
        }
        r
    }

    /// Item `i` of a memorizing iterable, pulling the source as needed.
    fn memo_get(&self, cx: &mut Ctx, i: usize) -> Result<Option<Value>> {
        let mut src = {
            let mut st = self.state.try_borrow_mut().map_err(|_| IterObj::busy())?;
            match &mut *st {
                IterState::Memo { source, cache } => {
                    if let Some(v) = cache.get(i) {
                        return Ok(Some(v.clone()));
                    }
                    match source.take() {
                        Some(s) => s,
                        None => return Ok(None),
                    }
                }
                _ => return Err(IterObj::busy()),
            }
        };
        let r = src.next(cx);
        let mut st = self.state.try_borrow_mut().map_err(|_| IterObj::busy())?;
        if let IterState::Memo { source, cache } = &mut *st {
            match r {
                Ok(Some(v)) => {
                    cache.push(v.clone());
                    *source = Some(src);
                    return Ok(Some(v));
                }
                Ok(None) => return Ok(None),
                Err(e) => {
                    *source = Some(src);
                    return Err(e);
                }
            }
        }
        Ok(None)
    }
}

/// Iteration over any iterable value, by reference (no copy of the collection).
pub struct Cursor {
    src: CursorSrc,
    pos: usize,
    limit: i64,
}

enum CursorSrc {
    Seq(Rc<Vec<Value>>),
    Set(Rc<Set>),
    Keys(Rc<Dict>),
    Shared(Rc<IterObj>),
    Memo(Rc<IterObj>),
    Ordered(Rc<IterObj>),
    Boxed(Box<dyn PyIter>),
}

impl Cursor {
    /// A cursor over `v`, or `None` when `v` is not iterable (strings and dicts are not,
    /// unless `iterableDicts`).
    pub fn of(cx: &Ctx, v: &Value) -> Option<Cursor> {
        let src = match v {
            Value::Tuple(items) | Value::List(items) => CursorSrc::Seq(items.clone()),
            Value::Set(s) => CursorSrc::Set(s.clone()),
            Value::Dict(d) if cx.options.iterable_dicts => CursorSrc::Keys(d.clone()),
            Value::Iter(it) => {
                if it.is_ordered() {
                    CursorSrc::Ordered(it.clone())
                } else if it.is_memo() {
                    CursorSrc::Memo(it.clone())
                } else {
                    CursorSrc::Shared(it.clone())
                }
            }
            _ => return None,
        };
        Some(Cursor {
            src,
            pos: 0,
            limit: cx.options.limit_iterators,
        })
    }

    /// A cursor over a boxed lazy sequence.
    pub fn boxed(it: Box<dyn PyIter>) -> Cursor {
        Cursor {
            src: CursorSrc::Boxed(it),
            pos: 0,
            limit: -1,
        }
    }

    /// A cursor over an owned vector.
    pub fn from_vec(v: Vec<Value>) -> Cursor {
        Cursor {
            src: CursorSrc::Seq(Rc::new(v)),
            pos: 0,
            limit: -1,
        }
    }

    /// A cursor over `v`, or `NoMatchingFunctionException` for `name`.
    pub fn expect(cx: &Ctx, v: &Value, name: &str) -> Result<Cursor> {
        Cursor::of(cx, v).ok_or_else(|| Error::no_matching(name, true))
    }

    /// Known length without consuming (sequences and sets only).
    pub fn size_hint(&self) -> Option<usize> {
        match &self.src {
            CursorSrc::Seq(v) => Some(v.len() - self.pos.min(v.len())),
            CursorSrc::Set(s) => Some(s.len() - self.pos.min(s.len())),
            _ => None,
        }
    }

    /// Items left, when known without pulling (sequences, sets, `range()`), for
    /// sizing a vector the items are drained into. Capped by what the memory budget
    /// could still hold (16 bytes an item), so a huge `range()` never reserves more
    /// than the drain could fill, and at 2^21 items (a JSON array of them is 160 MiB):
    /// past that the vector grows as it fills.
    pub fn len_hint(&self, cx: &Ctx) -> usize {
        let n = match &self.src {
            CursorSrc::Shared(it) => it.len_hint(),
            _ => self.size_hint(),
        };
        n.unwrap_or(0)
            .min(usize::try_from(cx.memory_left() / 16).unwrap_or(usize::MAX))
            .min(1 << 21)
    }

    /// Drains the rest into a vector (charging the memory budget).
    pub fn collect(mut self, cx: &mut Ctx) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.len_hint(cx));
        while let Some(v) = self.next(cx)? {
            cx.charge(16)?;
            out.push(v);
        }
        Ok(out)
    }
}

impl PyIter for Cursor {
    fn next(&mut self, cx: &mut Ctx) -> Result<Option<Value>> {
        cx.tick()?;
        if let CursorSrc::Ordered(it) = &self.src {
            let sorted = it.clone().sorted(cx)?;
            self.src = CursorSrc::Seq(sorted);
        }
        let item = match &mut self.src {
            CursorSrc::Seq(v) => v.get(self.pos).cloned(),
            CursorSrc::Set(s) => s.items.get_index(self.pos).map(|k| k.0.clone()),
            CursorSrc::Keys(d) => d.map.get_index(self.pos).map(|(k, _)| k.0.clone()),
            CursorSrc::Shared(it) => it.pull(cx)?,
            CursorSrc::Memo(it) => it.memo_get(cx, self.pos)?,
            CursorSrc::Ordered(_) => None,
            CursorSrc::Boxed(b) => b.next(cx)?,
        };
        if item.is_some() {
            self.pos += 1;
            if self.limit >= 0 && self.pos as i64 > self.limit {
                return Err(Error::new(
                    ErrorKind::CollectionTooLarge,
                    "Collection is too large",
                ));
            }
        }
        Ok(item)
    }
}

/// yaql's `OrderingIterable` sort: stable, comparing items field by field with the
/// `<` and `>` operators (so incomparable keys raise `NoMatchingFunctionException`).
/// Like yaql, a single item is never compared (its keys are never computed), and a
/// secondary key is computed only for items whose earlier keys tie; each computed key
/// is cached. Every comparison costs one step.
///
/// The sort is a merge sort that only asks "is b before a" (as Python's `sorted` only
/// uses `<`), stops at the first error, and never panics on a comparator that is not
/// a total order (subset-ordered sets, NaN) — unlike `slice::sort_by`.
pub fn sort_by_fields(
    cx: &mut Ctx,
    items: Vec<Value>,
    fields: &[(Lambda, bool)],
) -> Result<Vec<Value>> {
    use crate::compare::{py_gt, py_lt};
    use std::cmp::Ordering;
    if items.len() < 2 || fields.is_empty() {
        return Ok(items);
    }
    let n = items.len();
    let mut keys: Vec<Vec<Option<Value>>> = vec![vec![None; n]; fields.len()];
    let mut key = |cx: &mut Ctx, f: usize, i: usize| -> Result<Value> {
        if let Some(k) = &keys[f][i] {
            return Ok(k.clone());
        }
        let k = fields[f].0.call(cx, std::slice::from_ref(&items[i]))?;
        keys[f][i] = Some(k.clone());
        Ok(k)
    };
    // `a` sorts strictly before `b`.
    let mut before = |cx: &mut Ctx, a: usize, b: usize| -> Result<bool> {
        cx.tick()?;
        for (f, (_, ascending)) in fields.iter().enumerate() {
            let (ka, kb) = (key(cx, f, a)?, key(cx, f, b)?);
            let o = if py_lt(&ka, &kb)? {
                Ordering::Less
            } else if py_gt(&ka, &kb)? {
                Ordering::Greater
            } else {
                continue;
            };
            let o = if *ascending { o } else { o.reverse() };
            return Ok(o == Ordering::Less);
        }
        Ok(false)
    };
    let mut idx: Vec<usize> = (0..n).collect();
    let mut buf: Vec<usize> = vec![0; n];
    let mut width = 1;
    while width < n {
        let mut lo = 0;
        while lo < n {
            let mid = (lo + width).min(n);
            let hi = (lo + 2 * width).min(n);
            let (mut i, mut j, mut k) = (lo, mid, lo);
            while i < mid && j < hi {
                // Stable: the right item goes first only when strictly before.
                if before(cx, idx[j], idx[i])? {
                    buf[k] = idx[j];
                    j += 1;
                } else {
                    buf[k] = idx[i];
                    i += 1;
                }
                k += 1;
            }
            buf[k..k + (mid - i)].copy_from_slice(&idx[i..mid]);
            k += mid - i;
            buf[k..k + (hi - j)].copy_from_slice(&idx[j..hi]);
            lo = hi;
        }
        std::mem::swap(&mut idx, &mut buf);
        width *= 2;
    }
    let mut slots: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    Ok(idx.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// Materialises any iterable value into a vector (consuming iterators).
pub fn to_vec(cx: &mut Ctx, v: &Value, name: &str) -> Result<Vec<Value>> {
    if let Value::Tuple(items) | Value::List(items) = v {
        cx.tick_n(items.len() as u64)?;
        return Ok(items.as_ref().clone());
    }
    Cursor::expect(cx, v, name)?.collect(cx)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(n: i64) -> Value {
        let mut i = 0;
        IterObj::from_fn(move |_| {
            i += 1;
            Ok(if i <= n { Some(Value::Int(i)) } else { None })
        })
    }

    #[test]
    fn one_shot_is_single_pass() {
        let mut cx = Ctx::default();
        let it = counter(3);
        assert_eq!(to_vec(&mut cx, &it, "t").unwrap().len(), 3);
        assert_eq!(to_vec(&mut cx, &it, "t").unwrap().len(), 0);
    }

    #[test]
    fn memo_replays() {
        let mut cx = Ctx::default();
        let mut i = 0;
        let m = IterObj::memo(Box::new(FnIter(move |_: &mut Ctx| {
            i += 1;
            Ok(if i <= 2 { Some(Value::Int(i)) } else { None })
        })));
        assert_eq!(to_vec(&mut cx, &m, "t").unwrap().len(), 2);
        assert_eq!(to_vec(&mut cx, &m, "t").unwrap().len(), 2);
    }

    #[test]
    fn sort_is_stable_and_total_order_free() {
        use crate::ctx::lambda;
        let mut cx = Ctx::default();
        // Keys: the first tuple item; ties keep input order.
        let items: Vec<Value> = [(2, 0), (1, 1), (2, 2), (1, 3), (0, 4)]
            .iter()
            .map(|(k, i)| Value::tuple(vec![Value::Int(*k), Value::Int(*i)]))
            .collect();
        let first = lambda(|_, a| Ok(a[0].as_seq().map(|s| s[0].clone()).unwrap_or_default()));
        let sorted = sort_by_fields(&mut cx, items, &[(first, true)]).unwrap();
        let order: Vec<i64> = sorted
            .iter()
            .map(|v| v.as_seq().and_then(|s| s[1].as_i64_lenient()).unwrap_or(-1))
            .collect();
        assert_eq!(order, vec![4, 1, 3, 0, 2]);
        // Sets are only partially ordered (subsets): no panic, a permutation comes out.
        let set = |xs: &[i64]| {
            let mut s = Set::new_frozen();
            for x in xs {
                s.insert(Value::Int(*x)).unwrap();
            }
            Value::set(s)
        };
        let items = vec![set(&[1]), set(&[2]), set(&[1, 2]), set(&[3]), set(&[])];
        let id = lambda(|_, a| Ok(a[0].clone()));
        let out = sort_by_fields(&mut cx, items, &[(id, false)]).unwrap();
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn limit_iterators() {
        let mut cx = Ctx::default();
        cx.options.limit_iterators = 2;
        let t = Value::tuple(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let err = Cursor::of(&cx, &t).unwrap().collect(&mut cx).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CollectionTooLarge);
    }
}
