//! yaql `date_time` module: datetime/timespan construction, arithmetic, properties.

use crate::ctx::Ctx;
use crate::datetime::{DAY_US, DateTime, Fields};
use crate::error::{Error, Result};
use crate::sig::Args;
use crate::value::Value;
use std::rc::Rc;

fn dt(v: &Value) -> DateTime {
    match v {
        Value::DateTime(d) => **d,
        _ => DateTime {
            utc_micros: 0,
            offset_secs: 0,
        },
    }
}
fn ts(v: &Value) -> i64 {
    match v {
        Value::TimeDelta(t) => *t,
        _ => 0,
    }
}
fn mk(d: DateTime) -> Result<Value> {
    Ok(Value::DateTime(Rc::new(d.checked()?)))
}
fn overflow() -> Error {
    Error::new(
        crate::error::ErrorKind::OverflowError,
        "timedelta out of range",
    )
}

/// `#property#name` on datetimes and timespans.
pub fn property(obj: &Value, name: &str) -> Result<Value> {
    let missing = || Error::not_registered(&format!("#property#{name}"), false);
    match obj {
        Value::DateTime(d) => {
            let f = d.fields();
            Ok(match name {
                "year" => Value::Int(f.year),
                "month" => Value::Int(f.month as i64),
                "day" => Value::Int(f.day as i64),
                "hour" => Value::Int(f.hour as i64),
                "minute" => Value::Int(f.minute as i64),
                "second" => Value::Int(f.second as i64),
                "microsecond" => Value::Int(f.microsecond as i64),
                "weekday" => Value::Int(d.weekday() as i64),
                "offset" => Value::TimeDelta(d.offset_secs as i64 * 1_000_000),
                "timestamp" => Value::Float(d.utc_micros as f64 / 1e6),
                "date" => {
                    let lm = d.local_micros();
                    Value::DateTime(Rc::new(DateTime {
                        utc_micros: d.utc_micros - lm.rem_euclid(DAY_US),
                        offset_secs: d.offset_secs,
                    }))
                }
                "time" => Value::TimeDelta(d.local_micros().rem_euclid(DAY_US)),
                "utc" => Value::DateTime(Rc::new(DateTime {
                    utc_micros: d.utc_micros - d.offset_secs as i64 * 1_000_000,
                    offset_secs: d.offset_secs,
                })),
                _ => return Err(missing()),
            })
        }
        Value::TimeDelta(t) => {
            let t = *t as f64;
            Ok(match name {
                "days" => Value::Float(t / 86_400e6),
                "hours" => Value::Float(t / 3_600e6),
                "minutes" => Value::Float(t / 60e6),
                "seconds" => Value::Float(t / 1e6),
                "milliseconds" => Value::Float(t / 1e3),
                "microseconds" => Value::Int(t as i64),
                _ => return Err(missing()),
            })
        }
        _ => Err(missing()),
    }
}

pub(crate) fn f_property(_: &mut Ctx, a: &Args) -> Result<Value> {
    property(a.v(0), a.str(1))
}
pub(crate) fn dt_plus_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = dt(a.v(0));
    mk(DateTime {
        utc_micros: d.utc_micros.checked_add(ts(a.v(1))).ok_or_else(overflow)?,
        ..d
    })
}
pub(crate) fn ts_plus_dt(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = dt(a.v(1));
    mk(DateTime {
        utc_micros: d.utc_micros.checked_add(ts(a.v(0))).ok_or_else(overflow)?,
        ..d
    })
}
pub(crate) fn ts_plus_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    ts(a.v(0))
        .checked_add(ts(a.v(1)))
        .map(Value::TimeDelta)
        .ok_or_else(overflow)
}
pub(crate) fn dt_minus_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = dt(a.v(0));
    mk(DateTime {
        utc_micros: d.utc_micros.checked_sub(ts(a.v(1))).ok_or_else(overflow)?,
        ..d
    })
}
pub(crate) fn dt_minus_dt(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::TimeDelta(
        dt(a.v(0)).utc_micros - dt(a.v(1)).utc_micros,
    ))
}
pub(crate) fn ts_minus_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    ts(a.v(0))
        .checked_sub(ts(a.v(1)))
        .map(Value::TimeDelta)
        .ok_or_else(overflow)
}
fn scale(t: i64, n: &Value) -> Result<Value> {
    match n {
        Value::Int(i) => t.checked_mul(*i).map(Value::TimeDelta).ok_or_else(overflow),
        _ => {
            let f = super::math::to_f64(n)? * t as f64;
            if !f.is_finite() || f.abs() > 9.2e18 {
                return Err(overflow());
            }
            Ok(Value::TimeDelta(round_half_even(f)))
        }
    }
}
fn round_half_even(f: f64) -> i64 {
    let r = f.round();
    if (f - f.trunc()).abs() == 0.5 && (r as i64) % 2 != 0 {
        (r - f.signum()) as i64
    } else {
        r as i64
    }
}
pub(crate) fn ts_mul(_: &mut Ctx, a: &Args) -> Result<Value> {
    scale(ts(a.v(0)), a.v(1))
}
pub(crate) fn mul_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    scale(ts(a.v(1)), a.v(0))
}
pub(crate) fn ts_div_ts(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = ts(a.v(1));
    if d == 0 {
        return Err(Error::zero_division("division by zero"));
    }
    Ok(Value::Float(ts(a.v(0)) as f64 / d as f64))
}
pub(crate) fn ts_div(_: &mut Ctx, a: &Args) -> Result<Value> {
    let t = ts(a.v(0));
    match a.v(1) {
        Value::Int(0) => Err(Error::zero_division("integer division or modulo by zero")),
        Value::Int(i) => Ok(Value::TimeDelta(num_integer::Integer::div_floor(&t, i))),
        n => {
            let f = super::math::to_f64(n)?;
            if f == 0.0 {
                return Err(Error::zero_division("float division by zero"));
            }
            Ok(Value::TimeDelta(round_half_even(t as f64 / f)))
        }
    }
}
pub(crate) fn ts_pos(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(a.v(0).clone())
}
pub(crate) fn ts_neg(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::TimeDelta(-ts(a.v(0))))
}
fn offset_of(a: &Args, i: usize) -> Result<i32> {
    let us = a.opt(i).map(ts).unwrap_or(0);
    Ok((us / 1_000_000) as i32)
}
fn field(a: &Args, i: usize) -> Result<u32> {
    let v = a.int(i)?;
    u32::try_from(v).map_err(|_| Error::value_error(format!("value {v} is out of range")))
}
pub(crate) fn datetime_fields(_: &mut Ctx, a: &Args) -> Result<Value> {
    let f = Fields {
        year: a.int(0)?,
        month: field(a, 1)?,
        day: field(a, 2)?,
        hour: field(a, 3)?,
        minute: field(a, 4)?,
        second: field(a, 5)?,
        microsecond: field(a, 6)?,
    };
    mk(DateTime::from_fields(f, offset_of(a, 7)?)?)
}
pub(crate) fn datetime_parse(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = match a.v(1).as_str() {
        Some(f) => DateTime::strptime(a.str(0), f)?,
        None => DateTime::parse(a.str(0))?,
    };
    mk(d)
}
pub(crate) fn datetime_timestamp(_: &mut Ctx, a: &Args) -> Result<Value> {
    let t = super::math::to_f64(a.v(0))?;
    let us = (t * 1e6).round();
    if !us.is_finite() || us.abs() > 2.5e17 {
        return Err(Error::value_error("year is out of range"));
    }
    mk(DateTime {
        utc_micros: us as i64,
        offset_secs: offset_of(a, 1)?,
    })
}
pub(crate) fn timespan(_: &mut Ctx, a: &Args) -> Result<Value> {
    let mul = [
        86_400_000_000i128,
        3_600_000_000,
        60_000_000,
        1_000_000,
        1_000,
        1,
    ];
    let mut total: i128 = 0;
    for (i, m) in mul.iter().enumerate() {
        total += a.int(i)? as i128 * m;
    }
    i64::try_from(total)
        .map(Value::TimeDelta)
        .map_err(|_| overflow())
}
fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}
pub(crate) fn now(_: &mut Ctx, a: &Args) -> Result<Value> {
    mk(DateTime {
        utc_micros: now_micros(),
        offset_secs: offset_of(a, 0)?,
    })
}
pub(crate) fn localtz(_: &mut Ctx, _: &Args) -> Result<Value> {
    Ok(Value::TimeDelta(0))
}
pub(crate) fn utctz(_: &mut Ctx, _: &Args) -> Result<Value> {
    Ok(Value::TimeDelta(0))
}
pub(crate) fn format(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let t = dt(a.v(0)).strftime(a.str(1));
    cx.charge(t.len())?;
    Ok(Value::from(t))
}
pub(crate) fn replace(_: &mut Ctx, a: &Args) -> Result<Value> {
    let d = dt(a.v(0));
    let mut f = d.fields();
    let get = |i: usize| -> Result<Option<i64>> {
        match a.opt(i) {
            Some(Value::Null) | None => Ok(None),
            Some(_) => a.int(i).map(Some),
        }
    };
    if let Some(y) = get(1)? {
        f.year = y;
    }
    if let Some(v) = get(2)? {
        f.month = v as u32;
    }
    if let Some(v) = get(3)? {
        f.day = v as u32;
    }
    if let Some(v) = get(4)? {
        f.hour = v as u32;
    }
    if let Some(v) = get(5)? {
        f.minute = v as u32;
    }
    if let Some(v) = get(6)? {
        f.second = v as u32;
    }
    if let Some(v) = get(7)? {
        f.microsecond = v as u32;
    }
    let off = match a.opt(8) {
        Some(Value::TimeDelta(t)) => (*t / 1_000_000) as i32,
        _ => d.offset_secs,
    };
    mk(DateTime::from_fields(f, off)?)
}
pub(crate) fn is_datetime(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::DateTime(_))))
}
pub(crate) fn is_timespan(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::TimeDelta(_))))
}
