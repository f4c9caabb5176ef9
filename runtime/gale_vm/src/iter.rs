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
//! Pulling needs the [`Ctx`] (budget, and lambdas that run the interpreter), so the
//! iterator protocol is [`PyIter::next`]`(&mut self, cx)` rather than
//! `std::iter::Iterator`. A pipeline re-entering the iterator it is pulling (possible
//! only through a lambda) gets Python's `ValueError: generator already executing`
//! instead of a panic.

use std::cell::RefCell;
use std::rc::Rc;

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::value::{Dict, Set, Value};

/// A pull-based lazy sequence.
pub trait PyIter {
    /// The next item, `None` at the end.
    fn next(&mut self, cx: &mut Ctx) -> Result<Option<Value>>;
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

    /// True for replayable iterables.
    pub fn is_memo(&self) -> bool {
        matches!(&*self.state.borrow(), IterState::Memo { .. })
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
                IterState::Memo { .. } => return Err(IterObj::busy()),
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
                IterState::OneShot(_) => return Err(IterObj::busy()),
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
                if it.is_memo() {
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

    /// Drains the rest into a vector (charging the memory budget).
    pub fn collect(mut self, cx: &mut Ctx) -> Result<Vec<Value>> {
        let mut out = Vec::with_capacity(self.size_hint().unwrap_or(0));
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
        let item = match &mut self.src {
            CursorSrc::Seq(v) => v.get(self.pos).cloned(),
            CursorSrc::Set(s) => s.items.get_index(self.pos).map(|k| k.0.clone()),
            CursorSrc::Keys(d) => d.map.get_index(self.pos).map(|(k, _)| k.0.clone()),
            CursorSrc::Shared(it) => it.pull(cx)?,
            CursorSrc::Memo(it) => it.memo_get(cx, self.pos)?,
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
    fn limit_iterators() {
        let mut cx = Ctx::default();
        cx.options.limit_iterators = 2;
        let t = Value::tuple(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let err = Cursor::of(&cx, &t).unwrap().collect(&mut cx).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::CollectionTooLarge);
    }
}
