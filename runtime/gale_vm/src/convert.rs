//! Input and output conversion (yaql.md §5.2–5.3) and JSON.
//!
//! * [`from_json`]: JSON data → values as yaql's input conversion makes them (arrays →
//!   tuples, objects → dicts).
//! * [`output`]: `#finalize` — iterators materialised, tuples → lists (option), sets →
//!   lists (option), dicts copied with converted keys/values; a list key fails
//!   (`TypeError: unhashable type`), as in Python.
//! * [`to_json`]: plain JSON of a finalised value (non-JSON values → `TypeError`).
//! * [`output_json`]: the two at once, without building the finalised value: a list
//!   of a million items becomes one JSON array, drained straight from its iterator
//!   into a vector of the right size.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::iter::Cursor;
use crate::value::{Dict, Set, Value};

/// JSON → value with yaql input conversion. `as_python` keeps arrays as Python lists
/// (what `json.loads` returns) instead of tuples.
pub fn from_json(j: &serde_json::Value, as_python: bool) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Int(i)
            } else if let Some(u) = n.as_u64() {
                Value::from_bigint(u.into())
            } else {
                Value::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Value::str(s.as_str()),
        serde_json::Value::Array(a) => {
            let items = a.iter().map(|x| from_json(x, as_python)).collect();
            if as_python {
                Value::list(items)
            } else {
                Value::tuple(items)
            }
        }
        serde_json::Value::Object(o) => {
            let mut d = Dict::new();
            for (k, v) in o {
                d.map.insert(
                    crate::value::Key(Value::str(k.as_str())),
                    from_json(v, as_python),
                );
            }
            Value::dict(d)
        }
    }
}

/// Output conversion (`#finalize`).
pub fn output(cx: &mut Ctx, v: &Value) -> Result<Value> {
    cx.tick()?;
    Ok(match v {
        Value::Dict(d) => {
            let mut out = Dict::new();
            for (k, val) in d.map.iter() {
                let k2 = output(cx, &k.0)?;
                out.insert(k2, output(cx, val)?)?;
            }
            Value::dict(out)
        }
        Value::Set(s) => {
            let mut items = Vec::with_capacity(s.len());
            for k in s.items.iter() {
                items.push(output(cx, &k.0)?);
            }
            if cx.options.convert_sets_to_lists {
                Value::list(items)
            } else {
                let mut set = Set {
                    frozen: false,
                    ..Set::default()
                };
                for it in items {
                    set.insert(it)?;
                }
                Value::set(set)
            }
        }
        Value::Tuple(items) | Value::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for it in items.iter() {
                out.push(output(cx, it)?);
            }
            if matches!(v, Value::Tuple(_)) && !cx.options.convert_tuples_to_lists {
                Value::tuple(out)
            } else {
                Value::list(out)
            }
        }
        Value::Iter(_) => {
            let mut cur = Cursor::expect(cx, v, "#finalize")?;
            let mut out = Vec::with_capacity(cur.len_hint(cx));
            use crate::iter::PyIter;
            while let Some(it) = cur.next(cx)? {
                cx.charge(16)?;
                out.push(output(cx, &it)?);
            }
            Value::list(out)
        }
        other => other.clone(),
    })
}

/// [`output`] then [`to_json`], without materialising the finalised sequences: the
/// same value and the same error as the two in sequence. Sequences and iterators are
/// converted item by item into the JSON array; every other value goes through
/// [`output`] and [`to_json`]. An error of the output conversion anywhere wins over a
/// JSON error, as when the whole value was finalised first: the first JSON error is
/// kept while the walk goes on.
pub fn output_json(cx: &mut Ctx, v: &Value) -> Result<serde_json::Value> {
    let mut json_error = None;
    let j = output_json_in(cx, v, &mut json_error)?;
    match json_error {
        Some(e) => Err(e),
        None => Ok(j),
    }
}

fn output_json_in(
    cx: &mut Ctx,
    v: &Value,
    json_error: &mut Option<Error>,
) -> Result<serde_json::Value> {
    match v {
        Value::Tuple(items) | Value::List(items) => {
            cx.tick()?;
            let mut out = Vec::with_capacity(if json_error.is_some() { 0 } else { items.len() });
            for it in items.iter() {
                let j = output_json_in(cx, it, json_error)?;
                if json_error.is_none() {
                    out.push(j);
                }
            }
            Ok(serde_json::Value::Array(out))
        }
        Value::Iter(_) => {
            cx.tick()?;
            let mut cur = Cursor::expect(cx, v, "#finalize")?;
            let mut out = Vec::with_capacity(cur.len_hint(cx));
            use crate::iter::PyIter;
            while let Some(it) = cur.next(cx)? {
                cx.charge(16)?;
                let j = output_json_in(cx, &it, json_error)?;
                if json_error.is_none() {
                    out.push(j);
                }
            }
            Ok(serde_json::Value::Array(out))
        }
        _ => {
            let finalised = output(cx, v)?;
            if json_error.is_some() {
                return Ok(serde_json::Value::Null);
            }
            Ok(to_json(&finalised).unwrap_or_else(|e| {
                *json_error = Some(e);
                serde_json::Value::Null
            }))
        }
    }
}

/// A finalised value → plain JSON (`TypeError` for values JSON cannot hold).
pub fn to_json(v: &Value) -> Result<serde_json::Value> {
    Ok(match v {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::BigInt(b) => serde_json::Value::String(b.to_string()),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .ok_or_else(|| {
                Error::value_error("Out of range float values are not JSON compliant")
            })?,
        Value::Str(s) => serde_json::Value::String(s.as_str().to_owned()),
        Value::Tuple(items) | Value::List(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_>>()?)
        }
        Value::Set(s) => serde_json::Value::Array(
            s.items
                .iter()
                .map(|k| to_json(&k.0))
                .collect::<Result<_>>()?,
        ),
        Value::Dict(d) => {
            let mut m = serde_json::Map::new();
            for (k, val) in d.map.iter() {
                let key = match &k.0 {
                    Value::Str(s) => s.as_str().to_owned(),
                    Value::Null => "null".into(),
                    Value::Bool(b) => b.to_string(),
                    Value::Int(_) | Value::BigInt(_) | Value::Float(_) => {
                        crate::pyfmt::py_str(&k.0)
                    }
                    other => {
                        return Err(Error::type_error(format!(
                            "keys must be str, int, float, bool or None, not {}",
                            other.type_name()
                        )));
                    }
                };
                m.insert(key, to_json(val)?);
            }
            serde_json::Value::Object(m)
        }
        Value::DateTime(d) => serde_json::Value::String(d.strftime("%Y-%m-%dT%H:%M:%S.%f")),
        other => {
            return Err(Error::type_error(format!(
                "Object of type {} is not JSON serializable",
                other.type_name()
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ctx::{Budget, Options};

    fn cx() -> Ctx {
        Ctx::new(Options::default(), Budget::default())
    }

    /// `output_json` against `output` + `to_json`, value and error alike.
    fn same(v: &Value) {
        same_of(&|| v.clone());
    }

    /// The same, on a fresh value for each side (iterators are single-pass).
    fn same_of(make: &dyn Fn() -> Value) {
        let (mut a, mut b) = (cx(), cx());
        let fused = output_json(&mut a, &make()).map_err(|e| e.to_string());
        let apart = output(&mut b, &make())
            .and_then(|o| to_json(&o))
            .map_err(|e| e.to_string());
        assert_eq!(fused, apart);
        assert_eq!(a.steps_used(), b.steps_used());
    }

    #[test]
    fn fused_output_matches_output_then_json() {
        let mut d = Dict::new();
        d.insert(
            Value::str("k"),
            Value::tuple(vec![Value::Int(1), Value::Null]),
        )
        .unwrap();
        same(&Value::tuple(vec![
            Value::Int(1),
            Value::str("x"),
            Value::dict(d),
            Value::list(vec![Value::Float(0.5), Value::Bool(true)]),
        ]));
        same_of(&|| {
            let three = crate::iter::IterObj::from_fn({
                let mut i = 0;
                move |_: &mut Ctx| {
                    i += 1;
                    Ok((i <= 3).then_some(Value::Int(i)))
                }
            });
            Value::tuple(vec![three, Value::Int(7)])
        });
    }

    #[test]
    fn an_output_error_wins_over_an_earlier_json_error() {
        // `timedelta` is no JSON (a `to_json` error); a tuple key becomes a list when
        // finalised, which no dict can hold (an `output` error, later in the list).
        let mut d = Dict::new();
        d.insert(Value::tuple(vec![Value::Int(1)]), Value::Int(2))
            .unwrap();
        let v = Value::tuple(vec![Value::TimeDelta(5), Value::dict(d)]);
        same(&v);
        let e = output_json(&mut cx(), &v).unwrap_err().to_string();
        assert!(e.contains("unhashable"), "{e}");
        same(&Value::tuple(vec![Value::Int(1), Value::TimeDelta(5)]));
    }
}
