//! YAML for Mistral's `yaml_dump` (PyYAML `safe_dump`, block style) and `yaml_parse`.
//!
//! `parse` runs the loader the host put in [`Ctx::yaml_loader`] (gale_codegen plugs in
//! `gale_syntax`, the port of Mistral's PyYAML loader); without one it accepts the JSON
//! subset of YAML only.

use crate::ctx::Ctx;
use crate::error::{Error, Result};
use crate::value::Value;

fn scalar(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => {
            if *b {
                "true".into()
            } else {
                "false".into()
            }
        }
        Value::Int(_) | Value::BigInt(_) => crate::pyfmt::py_str(v),
        // PyYAML's timestamp representer: `str(dt)` (ISO with a space) as a plain scalar.
        Value::DateTime(d) => d.to_py_str(),
        Value::Float(f) => match *f {
            f if f.is_nan() => ".nan".into(),
            f if f == f64::INFINITY => ".inf".into(),
            f if f == f64::NEG_INFINITY => "-.inf".into(),
            f => crate::pyfmt::float_repr(f),
        },
        Value::Str(s) => {
            let plain = !s.is_empty()
                && !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
                && !s.ends_with(' ')
                && !s.contains(": ")
                && !s.contains(" #")
                && !s.contains('\n')
                && !matches!(
                    s.to_ascii_lowercase().as_str(),
                    "null" | "~" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
                )
                && s.parse::<f64>().is_err();
            if plain {
                s.as_str().to_owned()
            } else {
                format!("'{}'", s.replace('\'', "''"))
            }
        }
        _ => return None,
    })
}

fn write(v: &Value, indent: usize, out: &mut String) -> Result<()> {
    let pad = " ".repeat(indent);
    match v {
        Value::Dict(d) if !d.is_empty() => {
            for (k, val) in d.map.iter() {
                let key = scalar(&k.0).ok_or_else(|| Error::type_error("unsupported key"))?;
                out.push_str(&pad);
                out.push_str(&key);
                out.push(':');
                match val {
                    Value::Dict(dd) if !dd.is_empty() => {
                        out.push('\n');
                        write(val, indent + 2, out)?;
                    }
                    Value::List(l) | Value::Tuple(l) if !l.is_empty() => {
                        out.push('\n');
                        write(val, indent, out)?;
                    }
                    _ => {
                        out.push(' ');
                        out.push_str(&inline(val)?);
                        out.push('\n');
                    }
                }
            }
        }
        Value::List(l) | Value::Tuple(l) if !l.is_empty() => {
            for it in l.iter() {
                out.push_str(&pad);
                out.push_str("- ");
                match it {
                    Value::Dict(dd) if !dd.is_empty() => {
                        let mut sub = String::new();
                        write(it, indent + 2, &mut sub)?;
                        out.push_str(sub.trim_start());
                    }
                    Value::List(ll) | Value::Tuple(ll) if !ll.is_empty() => {
                        let mut sub = String::new();
                        write(it, indent + 2, &mut sub)?;
                        out.push_str(sub.trim_start());
                    }
                    _ => {
                        out.push_str(&inline(it)?);
                        out.push('\n');
                    }
                }
            }
        }
        _ => {
            out.push_str(&inline(v)?);
            out.push_str("\n...\n");
        }
    }
    Ok(())
}

fn inline(v: &Value) -> Result<String> {
    match v {
        Value::Dict(d) if d.is_empty() => Ok("{}".into()),
        Value::List(l) | Value::Tuple(l) if l.is_empty() => Ok("[]".into()),
        _ => scalar(v).ok_or_else(|| {
            Error::new(
                crate::error::ErrorKind::RepresenterError,
                format!("cannot represent an object: {}", crate::pyfmt::repr(v)),
            )
        }),
    }
}

/// PyYAML `safe_dump(v, default_flow_style=False)`.
pub fn dump(v: &Value) -> Result<String> {
    let mut out = String::new();
    write(v, 0, &mut out)?;
    Ok(out)
}

/// `yaml_parse`: the host's loader ([`Ctx::yaml_loader`]), else the JSON subset.
pub fn parse(cx: &mut Ctx, text: &str) -> Result<Value> {
    cx.charge(text.len() * 4)?;
    if let Some(load) = cx.yaml_loader {
        return load(text);
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(j) => Ok(crate::convert::from_json(&j, true)),
        Err(_) => Ok(Value::str(text.trim())),
    }
}
