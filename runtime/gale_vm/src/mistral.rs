//! Mistral's expression functions (`mistral/expressions/std_functions.py`).
//!
//! The engine implements [`MistralContext`] (database-backed lookups); `json_parse`,
//! `json_dump` (Python `json.dumps(indent=4)` formatting, as oslo `jsonutils.dumps`),
//! `yaml_dump` (PyYAML `safe_dump`, block style) and `uuid` are implemented here.
//! `json_pp` is deliberately absent: it was removed before Mistral 23.

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::sig::Args;
use crate::value::Value;

/// What the engine provides to expressions.
pub trait MistralContext {
    /// `__env` of the data context (null if absent).
    fn env(&self) -> Value;
    /// The current workflow execution as a dict.
    fn execution(&self) -> Result<Value>;
    /// Workflow executions matching the filters.
    fn executions(&self, filters: &[(&str, Value)]) -> Result<Value>;
    /// A task execution (the current one when `name` is null).
    fn task(&self, name: Option<&str>) -> Result<Value>;
    /// Task executions.
    fn tasks(
        &self,
        workflow_execution_id: Option<&str>,
        recursive: bool,
        state: Option<&str>,
        flat: bool,
    ) -> Result<Value>;
    /// A variable of the workflow execution's context.
    fn global(&self, name: &str) -> Result<Value>;
}

fn host(cx: &Ctx) -> Result<std::rc::Rc<dyn MistralContext>> {
    cx.mistral.clone().ok_or_else(|| {
        Error::new(
            ErrorKind::MistralError,
            "no Mistral execution context is available",
        )
    })
}

pub(crate) fn env(cx: &mut Ctx, _: &Args) -> Result<Value> {
    Ok(match &cx.mistral {
        Some(h) => h.env(),
        None => Value::Null,
    })
}
pub(crate) fn execution(cx: &mut Ctx, _: &Args) -> Result<Value> {
    host(cx)?.execution()
}
pub(crate) fn executions(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let names = ["id", "root_execution_id", "state", "from_time", "to_time"];
    let f: Vec<(&str, Value)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (*n, a.v(i).clone()))
        .collect();
    host(cx)?.executions(&f)
}
pub(crate) fn task(cx: &mut Ctx, a: &Args) -> Result<Value> {
    host(cx)?.task(a.v(0).as_str())
}
pub(crate) fn tasks(cx: &mut Ctx, a: &Args) -> Result<Value> {
    host(cx)?.tasks(
        a.v(0).as_str(),
        a.v(1).truthy(),
        a.v(2).as_str(),
        a.v(3).truthy(),
    )
}
pub(crate) fn global(cx: &mut Ctx, a: &Args) -> Result<Value> {
    host(cx)?.global(a.str(0))
}
pub(crate) fn json_parse(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let t = a.str(0);
    cx.charge(t.len() * 4)?;
    let j: serde_json::Value = serde_json::from_str(t)
        .map_err(|e| Error::new(ErrorKind::JsonDecodeError, e.to_string()))?;
    Ok(crate::convert::from_json(&j, true))
}

/// Python `json.dumps(v, indent=4)` text (ASCII-escaped, `", "`/`": "` separators).
pub fn json_dumps(v: &Value) -> Result<String> {
    let mut out = String::new();
    write_json(v, 0, &mut out)?;
    Ok(out)
}

/// Appends `s` as a JSON string the way Python's `json.dumps` writes it
/// (`ensure_ascii`: every non-ASCII character as `\\uXXXX`).
pub fn json_string(s: &str, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(v: &Value, depth: usize, out: &mut String) -> Result<()> {
    let pad = |d: usize, out: &mut String| {
        out.push('\n');
        for _ in 0..d * 4 {
            out.push(' ');
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(_) | Value::BigInt(_) => out.push_str(&crate::pyfmt::py_str(v)),
        Value::Float(f) => out.push_str(&match *f {
            f if f.is_nan() => "NaN".into(),
            f if f == f64::INFINITY => "Infinity".into(),
            f if f == f64::NEG_INFINITY => "-Infinity".into(),
            f => crate::pyfmt::float_repr(f),
        }),
        Value::Str(s) => json_string(s, out),
        Value::DateTime(d) => json_string(&d.strftime("%Y-%m-%dT%H:%M:%S.%f"), out),
        Value::Tuple(_) | Value::List(_) | Value::Set(_) => {
            let items: Vec<Value> = match v {
                Value::Set(s) => s.items.iter().map(|k| k.0.clone()).collect(),
                _ => v.as_seq().unwrap_or(&[]).to_vec(),
            };
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(depth + 1, out);
                write_json(it, depth + 1, out)?;
            }
            pad(depth, out);
            out.push(']');
        }
        Value::Dict(d) => {
            if d.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, val)) in d.map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(depth + 1, out);
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
                json_string(&key, out);
                out.push_str(": ");
                write_json(val, depth + 1, out)?;
            }
            pad(depth, out);
            out.push('}');
        }
        Value::Iter(_) => {
            return Err(Error::type_error(
                "Object of type generator is not JSON serializable",
            ));
        }
        other => {
            // oslo.serialization's to_primitive gives up with ValueError.
            return Err(Error::value_error(format!(
                "Cannot convert {} to primitive",
                crate::pyfmt::repr(other)
            )));
        }
    }
    Ok(())
}

pub(crate) fn json_dump(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let v = crate::convert::output(cx, a.v(0))?;
    let t = json_dumps(&v)?;
    cx.charge(t.len())?;
    Ok(Value::from(t))
}
pub(crate) fn yaml_dump(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let v = crate::convert::output(cx, a.v(0))?;
    let t = crate::yaml::dump(&v)?;
    cx.charge(t.len())?;
    Ok(Value::from(t))
}
pub(crate) fn yaml_parse(cx: &mut Ctx, a: &Args) -> Result<Value> {
    crate::yaml::parse(cx, a.str(0))
}
pub(crate) fn uuid(cx: &mut Ctx, _: &Args) -> Result<Value> {
    let (a, b) = (cx.next_random(), cx.next_random());
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(Value::from(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_dump_matches_python_indent4() {
        let v = crate::convert::from_json(&serde_json::json!({"a": [1, 2.0, "é"], "b": {}}), true);
        assert_eq!(
            json_dumps(&v).unwrap(),
            "{\n    \"a\": [\n        1,\n        2.0,\n        \"\\u00e9\"\n    ],\n    \"b\": {}\n}"
        );
    }
}
