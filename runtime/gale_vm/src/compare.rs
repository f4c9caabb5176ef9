//! Python equality, hashing and yaql's ordering operators.
//!
//! * [`py_eq`] is Python `==` on the internal values: numbers compare across
//!   `bool`/`int`/`float` (exactly, also for big ints), tuples only with tuples, lists
//!   only with lists, dicts and sets structurally, iterators and host objects by
//!   identity.
//! * [`py_hash`] agrees with [`py_eq`] (`hash(1) == hash(1.0) == hash(True)`).
//! * [`py_lt`] and friends implement yaql's `<`, `<=`, `>`, `>=` overloads (yaql.md
//!   §4.7): num×num, str×str, set×set (subset), datetime×datetime, timespan×timespan,
//!   and anything×null (null sorts first). Every other pair is
//!   `NoMatchingFunctionException`.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, ToPrimitive, Zero};

use crate::error::{Error, Result};
use crate::value::Value;

/// A numeric view of a value (bools are ints for equality).
#[derive(Clone, Copy)]
pub enum Num<'a> {
    /// An i64 integer (or a bool).
    I(i64),
    /// A big integer.
    B(&'a BigInt),
    /// A float.
    F(f64),
}

/// The numeric view, with bools counting as 0/1 (Python equality semantics).
pub fn num_of(v: &Value) -> Option<Num<'_>> {
    match v {
        Value::Bool(b) => Some(Num::I(*b as i64)),
        Value::Int(i) => Some(Num::I(*i)),
        Value::BigInt(b) => Some(Num::B(b)),
        Value::Float(f) => Some(Num::F(*f)),
        _ => None,
    }
}

fn float_vs_big(f: f64, b: &BigInt) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Greater
        } else {
            Ordering::Less
        });
    }
    let t = f.trunc();
    let tb = BigInt::from_f64(t)?;
    match tb.cmp(b) {
        Ordering::Equal => {
            let frac = f - t;
            Some(if frac > 0.0 {
                Ordering::Greater
            } else if frac < 0.0 {
                Ordering::Less
            } else {
                Ordering::Equal
            })
        }
        o => Some(o),
    }
}

fn float_vs_int(f: f64, i: i64) -> Option<Ordering> {
    // Exact when |i| < 2^53; otherwise go through BigInt.
    if i.unsigned_abs() < (1u64 << 53) {
        f.partial_cmp(&(i as f64))
    } else {
        float_vs_big(f, &BigInt::from(i))
    }
}

/// Exact numeric comparison (None for NaN).
pub fn num_cmp(a: Num<'_>, b: Num<'_>) -> Option<Ordering> {
    match (a, b) {
        (Num::I(x), Num::I(y)) => Some(x.cmp(&y)),
        (Num::I(x), Num::B(y)) => Some(BigInt::from(x).cmp(y)),
        (Num::B(x), Num::I(y)) => Some((*x).cmp(&BigInt::from(y))),
        (Num::B(x), Num::B(y)) => Some(x.cmp(y)),
        (Num::F(x), Num::F(y)) => x.partial_cmp(&y),
        (Num::F(x), Num::I(y)) => float_vs_int(x, y),
        (Num::I(x), Num::F(y)) => float_vs_int(y, x).map(Ordering::reverse),
        (Num::F(x), Num::B(y)) => float_vs_big(x, y),
        (Num::B(x), Num::F(y)) => float_vs_big(y, x).map(Ordering::reverse),
    }
}

/// Python `a == b`.
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Str(x), Value::Str(y)) => Rc::ptr_eq(x, y) || x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Tuple(x), Value::Tuple(y)) | (Value::List(x), Value::List(y)) => {
            Rc::ptr_eq(x, y)
                || (x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| py_eq(p, q)))
        }
        (Value::Dict(x), Value::Dict(y)) => {
            Rc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.map.iter().all(|(k, v)| match y.map.get(k) {
                        Some(w) => py_eq(v, w),
                        None => false,
                    }))
        }
        (Value::Set(x), Value::Set(y)) => {
            Rc::ptr_eq(x, y) || (x.len() == y.len() && x.items.iter().all(|k| y.items.contains(k)))
        }
        (Value::DateTime(x), Value::DateTime(y)) => x.utc_micros == y.utc_micros,
        (Value::TimeDelta(x), Value::TimeDelta(y)) => x == y,
        (Value::Iter(x), Value::Iter(y)) => Rc::ptr_eq(x, y),
        (Value::Regex(x), Value::Regex(y)) => x.pattern == y.pattern && x.flags == y.flags,
        (Value::Native(x), Value::Native(y)) => Rc::ptr_eq(x, y),
        _ => match (num_of(a), num_of(b)) {
            (Some(x), Some(y)) => num_cmp(x, y) == Some(Ordering::Equal),
            _ => false,
        },
    }
}

fn hash_i64<H: Hasher>(i: i64, state: &mut H) {
    1u8.hash(state);
    i.hash(state);
}

fn sub_hash(v: &Value) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    py_hash(v, &mut h);
    h.finish()
}

/// A hash consistent with [`py_eq`].
pub fn py_hash<H: Hasher>(v: &Value, state: &mut H) {
    match v {
        Value::Null => 0u8.hash(state),
        Value::Bool(b) => hash_i64(*b as i64, state),
        Value::Int(i) => hash_i64(*i, state),
        Value::BigInt(b) => {
            2u8.hash(state);
            b.hash(state)
        }
        Value::Float(f) => {
            if f.fract() == 0.0 && f.is_finite() {
                if let Some(i) = f.to_i64() {
                    return hash_i64(i, state);
                }
                if let Some(b) = BigInt::from_f64(*f) {
                    2u8.hash(state);
                    return b.hash(state);
                }
            }
            3u8.hash(state);
            f.to_bits().hash(state)
        }
        Value::Str(s) => {
            4u8.hash(state);
            s.as_str().hash(state)
        }
        Value::Tuple(items) | Value::List(items) => {
            5u8.hash(state);
            items.len().hash(state);
            for it in items.iter() {
                py_hash(it, state);
            }
        }
        Value::Dict(d) => {
            6u8.hash(state);
            let mut acc = 0u64;
            for (k, val) in d.map.iter() {
                acc ^= sub_hash(&k.0).rotate_left(7) ^ sub_hash(val);
            }
            acc.hash(state)
        }
        Value::Set(s) => {
            7u8.hash(state);
            let mut acc = 0u64;
            for k in s.items.iter() {
                acc ^= sub_hash(&k.0);
            }
            acc.hash(state)
        }
        Value::DateTime(d) => {
            8u8.hash(state);
            d.utc_micros.hash(state)
        }
        Value::TimeDelta(t) => {
            9u8.hash(state);
            t.hash(state)
        }
        Value::Iter(p) => (Rc::as_ptr(p) as usize).hash(state),
        Value::Regex(r) => r.pattern.hash(state),
        Value::Native(p) => (Rc::as_ptr(p) as usize).hash(state),
    }
}

/// The operator names used in error messages.
fn op_error(op: &str) -> Error {
    Error::no_matching(&format!("#operator_{op}"), false)
}

/// yaql ordering of two values for operator `op` (`<`, `<=`, `>`, `>=`): the
/// [`Ordering`] of `a` relative to `b`, or `None` when they are unordered (NaN, or
/// incomparable sets). Raises `NoMatchingFunctionException` for pairs without overload.
pub fn yaql_order(a: &Value, b: &Value, op: &str) -> Result<Option<Ordering>> {
    match (a, b) {
        (Value::Null, Value::Null) => Ok(Some(Ordering::Equal)),
        (Value::Null, _) => Ok(Some(Ordering::Less)),
        (_, Value::Null) => Ok(Some(Ordering::Greater)),
        (Value::Str(x), Value::Str(y)) => Ok(Some(x.as_str().cmp(y.as_str()))),
        (Value::DateTime(x), Value::DateTime(y)) => Ok(Some(x.utc_micros.cmp(&y.utc_micros))),
        (Value::TimeDelta(x), Value::TimeDelta(y)) => Ok(Some(x.cmp(y))),
        (Value::Set(x), Value::Set(y)) => {
            let sub = x.items.iter().all(|k| y.items.contains(k));
            let sup = y.items.iter().all(|k| x.items.contains(k));
            Ok(match (sub, sup) {
                (true, true) => Some(Ordering::Equal),
                (true, false) => Some(Ordering::Less),
                (false, true) => Some(Ordering::Greater),
                (false, false) => None,
            })
        }
        _ if a.is_number() && b.is_number() => match (num_of(a), num_of(b)) {
            (Some(x), Some(y)) => Ok(num_cmp(x, y)),
            _ => Err(op_error(op)),
        },
        _ => Err(op_error(op)),
    }
}

/// yaql `a < b`.
pub fn py_lt(a: &Value, b: &Value) -> Result<bool> {
    Ok(matches!(yaql_order(a, b, "<")?, Some(Ordering::Less)))
}
/// yaql `a <= b`.
pub fn py_le(a: &Value, b: &Value) -> Result<bool> {
    Ok(matches!(
        yaql_order(a, b, "<=")?,
        Some(Ordering::Less | Ordering::Equal)
    ))
}
/// yaql `a > b`.
pub fn py_gt(a: &Value, b: &Value) -> Result<bool> {
    Ok(matches!(yaql_order(a, b, ">")?, Some(Ordering::Greater)))
}
/// yaql `a >= b`.
pub fn py_ge(a: &Value, b: &Value) -> Result<bool> {
    Ok(matches!(
        yaql_order(a, b, ">=")?,
        Some(Ordering::Greater | Ordering::Equal)
    ))
}

/// True when the int value is zero (for division checks).
pub fn is_zero(v: &Value) -> bool {
    match v {
        Value::Int(i) => *i == 0,
        Value::BigInt(b) => b.is_zero(),
        Value::Float(f) => *f == 0.0,
        Value::Bool(b) => !*b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value as V;

    #[test]
    fn cross_type_equality() {
        assert!(py_eq(&V::Int(1), &V::Float(1.0)));
        assert!(py_eq(&V::Bool(true), &V::Int(1)));
        assert!(!py_eq(&V::str("1"), &V::Int(1)));
        assert!(!py_eq(
            &V::tuple(vec![V::Int(1)]),
            &V::list(vec![V::Int(1)])
        ));
        assert!(!py_eq(&V::Float(f64::NAN), &V::Float(f64::NAN)));
        let big = V::from_bigint(BigInt::from(1u64 << 63));
        assert!(py_eq(&big, &V::Float(9223372036854775808.0)));
    }

    #[test]
    fn ordering_rules() {
        assert!(py_lt(&V::Null, &V::Int(1)).unwrap());
        assert!(py_lt(&V::str("B"), &V::str("a")).unwrap());
        assert!(py_lt(&V::Bool(true), &V::Int(2)).is_err());
        assert!(py_lt(&V::tuple(vec![]), &V::tuple(vec![])).is_err());
        assert!(!py_lt(&V::Null, &V::Null).unwrap());
    }
}
