//! Input and output conversion (yaql.md §5.2–5.3) and JSON.
//!
//! * [`from_json`]: JSON data → values as yaql's input conversion makes them (arrays →
//!   tuples, objects → dicts).
//! * [`output`]: `#finalize` — iterators materialised, tuples → lists (option), sets →
//!   lists (option), dicts copied with converted keys/values; a list key fails
//!   (`TypeError: unhashable type`), as in Python.
//! * [`to_json`]: plain JSON of a finalised value (non-JSON values → `TypeError`).

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
            let mut out = Vec::new();
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
