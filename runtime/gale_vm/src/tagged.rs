//! The conformance value encoding (`../shared/conformance/yaql/README.md`, "Value
//! encoding"): JSON with one-key `$tag` objects for what JSON cannot say (`$tuple`,
//! `$set`, `$dict` with non-string keys, `$datetime`, `$timespan`, `$bigint`, `$float`,
//! `$iterator`). Used by `gale eval --batch`, the conformance suites and the benches.

use std::rc::Rc;

use crate::datetime::DateTime;
use crate::value::{Dict, Set};
use crate::{Error, Value};
use serde_json::{Value as J, json};

/// Decodes a tagged JSON value; `convert` applies yaql's input conversion
/// (arrays → tuples), otherwise arrays stay Python lists. `None` for unknown tags.
pub fn decode(j: &J, convert: bool) -> Option<Value> {
    Some(match j {
        J::Array(a) => {
            let items = a
                .iter()
                .map(|x| decode(x, convert))
                .collect::<Option<Vec<_>>>()?;
            if convert {
                Value::tuple(items)
            } else {
                Value::list(items)
            }
        }
        J::Object(o) if o.len() == 1 && o.keys().all(|k| k.starts_with('$')) => {
            let (tag, inner) = o.iter().next()?;
            let arr = || {
                inner.as_array().map(|a| {
                    a.iter()
                        .map(|x| decode(x, convert))
                        .collect::<Option<Vec<_>>>()
                })
            };
            match tag.as_str() {
                "$tuple" => Value::tuple(arr()??),
                "$set" | "$list_from_set" => {
                    let mut s = Set::new_frozen();
                    for x in arr()?? {
                        s.insert(x).ok()?;
                    }
                    Value::set(s)
                }
                "$dict" => {
                    let mut d = Dict::new();
                    for kv in arr()?? {
                        let kv = kv.as_seq()?.to_vec();
                        d.insert(kv.first()?.clone(), kv.get(1)?.clone()).ok()?;
                    }
                    Value::dict(d)
                }
                "$datetime" => Value::DateTime(Rc::new(DateTime::parse(inner.as_str()?).ok()?)),
                "$timespan" => Value::TimeDelta(inner.as_i64()?),
                "$bigint" => Value::from_bigint(inner.as_str()?.parse().ok()?),
                "$float" => Value::Float(match inner.as_str()? {
                    "nan" => f64::NAN,
                    "inf" => f64::INFINITY,
                    _ => f64::NEG_INFINITY,
                }),
                "$iterator" => {
                    crate::iter::IterObj::one_shot(Box::new(crate::iter::Cursor::from_vec(arr()??)))
                }
                _ => return None,
            }
        }
        J::Object(o) => {
            let mut d = Dict::new();
            for (k, v) in o {
                d.insert(Value::str(k.as_str()), decode(v, convert)?).ok()?;
            }
            Value::dict(d)
        }
        other => crate::convert::from_json(other, !convert),
    })
}

fn canonical(j: &J) -> String {
    serde_json::to_string(j).unwrap_or_default()
}

/// Encodes a (finalised) value. Iterators that survived (no output conversion) are
/// not consumed: they encode as an opaque object.
pub fn encode(v: &Value) -> Result<J, Error> {
    Ok(match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => json!(i),
        Value::BigInt(b) => json!({"$bigint": b.to_string()}),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => J::Number(n),
            None => {
                json!({"$float": if f.is_nan() { "nan" } else if *f > 0.0 { "inf" } else { "-inf" }})
            }
        },
        Value::Str(s) => J::String(s.as_str().to_owned()),
        Value::List(items) => J::Array(items.iter().map(encode).collect::<Result<_, _>>()?),
        Value::Tuple(items) => {
            json!({"$tuple": items.iter().map(encode).collect::<Result<Vec<_>, _>>()?})
        }
        Value::Set(s) => {
            let mut items = s
                .items
                .iter()
                .map(|k| encode(&k.0))
                .collect::<Result<Vec<_>, _>>()?;
            items.sort_by_cached_key(canonical);
            json!({ "$set": items })
        }
        Value::Dict(d) => {
            let plain = d
                .map
                .keys()
                .all(|k| matches!(&k.0, Value::Str(s) if !s.starts_with('$')));
            if plain {
                let mut m = serde_json::Map::new();
                for (k, val) in d.map.iter() {
                    m.insert(k.0.as_str().unwrap_or("").to_string(), encode(val)?);
                }
                J::Object(m)
            } else {
                let mut pairs = Vec::new();
                for (k, val) in d.map.iter() {
                    pairs.push(json!([encode(&k.0)?, encode(val)?]));
                }
                json!({ "$dict": pairs })
            }
        }
        Value::DateTime(d) => json!({"$datetime": d.iso('T', true)}),
        Value::TimeDelta(t) => json!({ "$timespan": t }),
        Value::Regex(r) => json!({"$regex": {"pattern": r.pattern, "flags": r.flags}}),
        Value::Iter(_) => json!({"$opaque": "iterator"}),
        Value::Native(n) => json!({ "$opaque": n.0.qualname() }),
    })
}
