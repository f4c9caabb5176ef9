//! yaql `math` module: arithmetic with Python semantics (unbounded ints, floor division,
//! sign-of-divisor modulo, banker's rounding), conversions and bit operations.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{FromPrimitive, Signed, ToPrimitive, Zero};

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::sig::Args;
use crate::value::Value;

/// Big integer view of an int value.
pub fn big(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::BigInt(b) => Some((**b).clone()),
        _ => None,
    }
}

/// Float view of a number (OverflowError for huge ints).
pub fn to_f64(v: &Value) -> Result<f64> {
    match v {
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(*b as i64 as f64),
        Value::Float(f) => Ok(*f),
        Value::BigInt(b) => b.to_f64().filter(|f| f.is_finite()).ok_or_else(|| {
            Error::new(
                ErrorKind::OverflowError,
                "int too large to convert to float",
            )
        }),
        _ => Err(Error::type_error("a number is required")),
    }
}

fn charge_big(cx: &mut Ctx, b: &BigInt) -> Result<()> {
    cx.charge((b.bits() / 8) as usize)
}

/// Python `a + b` on numbers.
pub fn add(cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => match x.checked_add(*y) {
            Some(r) => Value::Int(r),
            None => Value::from_bigint(BigInt::from(*x) + *y),
        },
        (Value::Float(_), _) | (_, Value::Float(_)) => Value::Float(to_f64(a)? + to_f64(b)?),
        _ => {
            let r = big(a).unwrap_or_default() + big(b).unwrap_or_default();
            charge_big(cx, &r)?;
            Value::from_bigint(r)
        }
    })
}

pub(crate) fn sub(cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => match x.checked_sub(*y) {
            Some(r) => Value::Int(r),
            None => Value::from_bigint(BigInt::from(*x) - *y),
        },
        (Value::Float(_), _) | (_, Value::Float(_)) => Value::Float(to_f64(a)? - to_f64(b)?),
        _ => {
            let r = big(a).unwrap_or_default() - big(b).unwrap_or_default();
            charge_big(cx, &r)?;
            Value::from_bigint(r)
        }
    })
}

/// Python `a * b` on numbers.
pub fn mul(cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => match x.checked_mul(*y) {
            Some(r) => Value::Int(r),
            None => Value::from_bigint(BigInt::from(*x) * *y),
        },
        (Value::Float(_), _) | (_, Value::Float(_)) => Value::Float(to_f64(a)? * to_f64(b)?),
        _ => {
            let (x, y) = (big(a).unwrap_or_default(), big(b).unwrap_or_default());
            cx.charge(((x.bits() + y.bits()) / 8) as usize)?;
            Value::from_bigint(x * y)
        }
    })
}

fn div(_cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    if crate::compare::is_zero(b) {
        return Err(Error::zero_division("division by zero"));
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => match x.checked_div_euclid(*y) {
            Some(_) => Value::Int(x.div_floor(y)),
            None => Value::from_bigint(BigInt::from(*x).div_floor(&BigInt::from(*y))),
        },
        (Value::Float(_), _) | (_, Value::Float(_)) => Value::Float(to_f64(a)? / to_f64(b)?),
        _ => Value::from_bigint(
            big(a)
                .unwrap_or_default()
                .div_floor(&big(b).unwrap_or_default()),
        ),
    })
}

/// Python float `%`.
pub fn fmod(x: f64, y: f64) -> f64 {
    let r = x % y;
    if r != 0.0 && ((r < 0.0) != (y < 0.0)) {
        r + y
    } else if r == 0.0 {
        0.0f64.copysign(y)
    } else {
        r
    }
}

pub(crate) fn modulo(_cx: &mut Ctx, a: &Value, b: &Value) -> Result<Value> {
    if crate::compare::is_zero(b) {
        return Err(Error::zero_division("integer division or modulo by zero"));
    }
    Ok(match (a, b) {
        (Value::Int(x), Value::Int(y)) => match x.checked_rem_euclid(*y) {
            Some(_) => Value::Int(x.mod_floor(y)),
            None => Value::Int(0),
        },
        (Value::Float(_), _) | (_, Value::Float(_)) => Value::Float(fmod(to_f64(a)?, to_f64(b)?)),
        _ => Value::from_bigint(
            big(a)
                .unwrap_or_default()
                .mod_floor(&big(b).unwrap_or_default()),
        ),
    })
}

pub(crate) fn neg(v: &Value) -> Value {
    match v {
        Value::Int(i) => match i.checked_neg() {
            Some(r) => Value::Int(r),
            None => Value::from_bigint(-BigInt::from(*i)),
        },
        Value::Float(f) => Value::Float(-f),
        Value::BigInt(b) => Value::from_bigint(-(**b).clone()),
        other => other.clone(),
    }
}

pub(crate) fn f_add(cx: &mut Ctx, a: &Args) -> Result<Value> {
    add(cx, a.v(0), a.v(1))
}
pub(crate) fn f_sub(cx: &mut Ctx, a: &Args) -> Result<Value> {
    sub(cx, a.v(0), a.v(1))
}
pub(crate) fn f_mul(cx: &mut Ctx, a: &Args) -> Result<Value> {
    mul(cx, a.v(0), a.v(1))
}
pub(crate) fn f_div(cx: &mut Ctx, a: &Args) -> Result<Value> {
    div(cx, a.v(0), a.v(1))
}
pub(crate) fn f_mod(cx: &mut Ctx, a: &Args) -> Result<Value> {
    modulo(cx, a.v(0), a.v(1))
}
pub(crate) fn f_pos(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(a.v(0).clone())
}
pub(crate) fn f_neg(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(neg(a.v(0)))
}
pub(crate) fn f_abs(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(match a.v(0) {
        Value::Float(f) => Value::Float(f.abs()),
        Value::BigInt(b) => Value::from_bigint(b.abs()),
        v @ Value::Int(i) if *i < 0 => neg(v),
        v => v.clone(),
    })
}

/// Python `int(value)`.
pub fn py_int(v: &Value) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Int(0)),
        Value::Bool(b) => Ok(Value::Int(*b as i64)),
        Value::Int(_) | Value::BigInt(_) => Ok(v.clone()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(if f.is_nan() {
                    Error::value_error("cannot convert float NaN to integer")
                } else {
                    Error::new(
                        ErrorKind::OverflowError,
                        "cannot convert float infinity to integer",
                    )
                });
            }
            Ok(BigInt::from_f64(f.trunc())
                .map(Value::from_bigint)
                .unwrap_or(Value::Int(0)))
        }
        Value::Str(s) => {
            let t = s.trim().replace('_', "");
            let bad = || {
                Error::value_error(format!(
                    "invalid literal for int() with base 10: {}",
                    crate::pyfmt::repr(v)
                ))
            };
            if t.is_empty() || s.contains("__") {
                return Err(bad());
            }
            t.parse::<BigInt>()
                .map(Value::from_bigint)
                .map_err(|_| bad())
        }
        _ => Err(Error::type_error(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            v.type_name()
        ))),
    }
}

/// Python `float(value)`.
pub fn py_float(v: &Value) -> Result<Value> {
    match v {
        Value::Null => Ok(Value::Float(0.0)),
        Value::Str(s) => {
            let t = s.trim().to_ascii_lowercase();
            let f = match t.as_str() {
                "nan" | "+nan" | "-nan" => Some(f64::NAN),
                "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
                "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
                _ => t
                    .parse::<f64>()
                    .ok()
                    .filter(|_| !t.contains("inf") && !t.contains("nan")),
            };
            f.map(Value::Float).ok_or_else(|| {
                Error::value_error(format!(
                    "could not convert string to float: {}",
                    crate::pyfmt::repr(v)
                ))
            })
        }
        Value::Bool(_) | Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {
            Ok(Value::Float(to_f64(v)?))
        }
        _ => Err(Error::type_error(format!(
            "float() argument must be a string or a real number, not '{}'",
            v.type_name()
        ))),
    }
}

pub(crate) fn f_int(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_int(a.v(0))
}
pub(crate) fn f_float(_: &mut Ctx, a: &Args) -> Result<Value> {
    py_float(a.v(0))
}
pub(crate) fn f_random(cx: &mut Ctx, _: &Args) -> Result<Value> {
    Ok(Value::Float(
        (cx.next_random() >> 11) as f64 / (1u64 << 53) as f64,
    ))
}
pub(crate) fn f_random_range(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (lo, hi) = (a.int(0)?, a.int(1)?);
    if hi < lo {
        return Err(Error::value_error("empty range for randrange()"));
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    Ok(Value::Int(
        (lo as i128 + (cx.next_random() as u128 % span) as i128) as i64,
    ))
}

fn bitop(a: &Args, f: impl Fn(BigInt, BigInt) -> BigInt) -> Result<Value> {
    Ok(Value::from_bigint(f(
        big(a.v(0)).unwrap_or_default(),
        big(a.v(1)).unwrap_or_default(),
    )))
}
pub(crate) fn f_band(_: &mut Ctx, a: &Args) -> Result<Value> {
    bitop(a, |x, y| x & y)
}
pub(crate) fn f_bor(_: &mut Ctx, a: &Args) -> Result<Value> {
    bitop(a, |x, y| x | y)
}
pub(crate) fn f_bxor(_: &mut Ctx, a: &Args) -> Result<Value> {
    bitop(a, |x, y| x ^ y)
}
pub(crate) fn f_bnot(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::from_bigint(-(big(a.v(0)).unwrap_or_default()) - 1))
}
pub(crate) fn f_shl(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let n = a.int(1)?;
    if n < 0 {
        return Err(Error::value_error("negative shift count"));
    }
    cx.charge((n / 8) as usize)?;
    Ok(Value::from_bigint(
        big(a.v(0)).unwrap_or_default() << (n as usize),
    ))
}
pub(crate) fn f_shr(_: &mut Ctx, a: &Args) -> Result<Value> {
    let n = a.int(1)?;
    if n < 0 {
        return Err(Error::value_error("negative shift count"));
    }
    Ok(Value::from_bigint(
        big(a.v(0)).unwrap_or_default() >> (n.min(1 << 20) as usize),
    ))
}
pub(crate) fn f_max(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = (a.v(0), a.v(1));
    Ok(if crate::compare::py_gt(y, x)? {
        y.clone()
    } else {
        x.clone()
    })
}
pub(crate) fn f_min(_: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y) = (a.v(0), a.v(1));
    Ok(if crate::compare::py_lt(x, y)? {
        x.clone()
    } else {
        y.clone()
    })
}

fn int_pow(cx: &mut Ctx, base: BigInt, exp: u64) -> Result<Value> {
    let bits = base.bits().saturating_mul(exp);
    cx.charge((bits / 8) as usize)?;
    if bits > 8 * 64 * 1024 * 1024 {
        return Err(Error::new(
            ErrorKind::MemoryQuotaExceeded,
            "pow result too large",
        ));
    }
    Ok(Value::from_bigint(num_traits::pow::pow(base, exp as usize)))
}

pub(crate) fn f_pow(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (x, y, m) = (a.v(0), a.v(1), a.v(2));
    if !matches!(m, Value::Null) {
        let (Some(b), Some(e), Some(md)) = (big(x), big(y), big(m)) else {
            return Err(Error::type_error(
                "pow() 3rd argument not allowed unless all arguments are integers",
            ));
        };
        if md.is_zero() {
            return Err(Error::value_error("pow() 3rd argument cannot be 0"));
        }
        if e.is_negative() {
            return Err(Error::value_error(
                "base is not invertible for the given modulus",
            ));
        }
        let r = b.modpow(&e, &md);
        let r = if !r.is_zero() && (r.is_negative() != md.is_negative()) {
            r + md
        } else {
            r
        };
        return Ok(Value::from_bigint(r));
    }
    if let (Some(b), Some(e)) = (big(x), big(y)) {
        if !e.is_negative() {
            let e = e
                .to_u64()
                .ok_or_else(|| Error::new(ErrorKind::MemoryQuotaExceeded, "exponent too large"))?;
            return int_pow(cx, b, e);
        }
        if b.is_zero() {
            return Err(Error::zero_division(
                "0.0 cannot be raised to a negative power",
            ));
        }
    }
    let (fx, fy) = (to_f64(x)?, to_f64(y)?);
    if fx == 0.0 && fy < 0.0 {
        return Err(Error::zero_division(
            "0.0 cannot be raised to a negative power",
        ));
    }
    if fx < 0.0 && fy.fract() != 0.0 {
        return Err(Error::value_error("math domain error (complex result)"));
    }
    Ok(Value::Float(fx.powf(fy)))
}
pub(crate) fn f_sign(_: &mut Ctx, a: &Args) -> Result<Value> {
    let v = a.v(0);
    let s = match crate::compare::num_of(v) {
        Some(n) => match crate::compare::num_cmp(n, crate::compare::Num::I(0)) {
            Some(std::cmp::Ordering::Greater) => 1,
            Some(std::cmp::Ordering::Less) => -1,
            _ => 0,
        },
        None => 0,
    };
    Ok(Value::Int(s))
}

/// Python `round(x, n)` for floats: correctly rounded via the decimal repr, ties to even.
pub fn round_float(x: f64, nd: i64) -> f64 {
    if !x.is_finite() || nd > 300 {
        return x;
    }
    if nd < -308 {
        return 0.0f64.copysign(x);
    }
    // Exact decimal expansion of x, then round half-even at nd digits.
    let s = format!("{:.*}", (nd.max(0) as usize) + 30, x.abs());
    let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
    let mut digits: Vec<u8> = ip.bytes().chain(fp.bytes()).map(|c| c - b'0').collect();
    let point = ip.len() as i64;
    let keep = point + nd; // digits kept
    if keep < 0 {
        return 0.0f64.copysign(x);
    }
    let keep = keep as usize;
    let rest: Vec<u8> = digits.split_off(keep.min(digits.len()));
    let first = rest.first().copied().unwrap_or(0);
    let beyond = rest.iter().skip(1).any(|d| *d != 0);
    // Is the decimal expansion exact? `{:.N}` with N+30 digits is exact for halves
    // only when all remaining digits are zero; compare against the true value.
    let round_up =
        first > 5 || (first == 5 && (beyond || digits.last().is_some_and(|d| d % 2 == 1)));
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let total = digits.len();
    let int_len = total as i64 - nd.max(0);
    let mut text: String = digits.iter().map(|d| (d + b'0') as char).collect();
    if nd > 0 {
        let il = int_len.max(0) as usize;
        text.insert(il.min(text.len()), '.');
    } else {
        for _ in 0..(-nd) {
            text.push('0');
        }
    }
    let r: f64 = text.parse().unwrap_or(x.abs());
    r.copysign(x)
}

pub(crate) fn f_round(_: &mut Ctx, a: &Args) -> Result<Value> {
    let nd = a.int(1)?;
    match a.v(0) {
        Value::Float(f) => Ok(Value::Float(round_float(*f, nd))),
        v => {
            if nd >= 0 {
                return Ok(v.clone());
            }
            let b = big(v).unwrap_or_default();
            let p = num_traits::pow::pow(BigInt::from(10), (-nd).min(400) as usize);
            let (q, r) = b.div_mod_floor(&p);
            let twice = &r * 2;
            let q = if twice > p || (twice == p && q.is_odd()) {
                q + 1
            } else {
                q
            };
            Ok(Value::from_bigint(q * p))
        }
    }
}
pub(crate) fn f_is_integer(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.v(0).is_integer()))
}
pub(crate) fn f_is_number(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.v(0).is_number()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding() {
        assert_eq!(round_float(2.5, 0), 2.0);
        assert_eq!(round_float(3.5, 0), 4.0);
        assert_eq!(round_float(-2.5, 0), -2.0);
        assert_eq!(round_float(2.675, 2), 2.67);
        assert_eq!(round_float(1234.5678, -2), 1200.0);
    }

    #[test]
    fn python_modulo() {
        assert_eq!(fmod(-7.0, 3.0), 2.0);
        assert_eq!(fmod(7.0, -3.0), -2.0);
        assert_eq!(fmod(2.5, 1.0), 0.5);
    }
}
