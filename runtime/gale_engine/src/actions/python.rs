//! Python semantics that Mistral's actions rely on, reproduced over JSON values.
//!
//! Mistral's standard actions are Python classes: their constructors convert
//! parameters with `int()` / `float()`, test them for truthiness, and format them
//! with `str()` / `%s`. Their failures reach the task result through fixed message
//! templates of the executor. This module holds those conversions and templates so
//! every action produces exactly the bytes Mistral would store.
//!
//! Source: `mistral/executors/default_executor.py` (`The action raised an
//! exception …`), `mistral/engine/actions.py` (`Failed to instantiate an action …`),
//! `mistral_lib/actions/providers/python.py` (`Python action [name=…, cls=…]`).

use serde_json::{Map, Value as Json};

use super::{ActionOutcome, ActionRequest};

/// Python's truthiness of a JSON value (`None`, `False`, `0`, `""`, `[]`, `{}` are false).
pub fn truthy(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// Why a Python conversion (`int()`, `float()`) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversionError {
    /// Python raised `ValueError` (a string that is not a number, `int(nan)`):
    /// Mistral's constructors catch this and use 0.
    Value(String),
    /// Python raised `TypeError` / `OverflowError` (`None`, a list, `int(inf)`):
    /// not caught, so instantiating the action fails.
    Type(String),
}

/// The Python type name of a JSON value (`NoneType`, `bool`, `int`, `float`, `str`,
/// `list`, `dict`).
pub fn type_name(value: &Json) -> &'static str {
    match value {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

/// Parses a Python numeric literal the way `float(str)` does (surrounding
/// whitespace, `_` between digits, `inf`/`infinity`/`nan` in any case, a sign).
fn parse_py_float(text: &str) -> Option<f64> {
    let t = text.trim();
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    // Underscores are allowed only between digits.
    let bytes = body.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'_' {
            let before = i.checked_sub(1).and_then(|j| bytes.get(j));
            let after = bytes.get(i + 1);
            if !before.is_some_and(u8::is_ascii_digit) || !after.is_some_and(u8::is_ascii_digit) {
                return None;
            }
        }
    }
    let cleaned: String = body.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty()
        || !cleaned
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        || !cleaned.chars().any(|c| c.is_ascii_digit())
    {
        return None;
    }
    cleaned.parse::<f64>().ok().map(|f| sign * f)
}

/// Python's `float(value)`.
pub fn py_float(value: &Json) -> Result<f64, ConversionError> {
    match value {
        Json::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Json::Number(n) => n
            .as_f64()
            .ok_or_else(|| ConversionError::Type("number out of range".into())),
        Json::String(s) => parse_py_float(s).ok_or_else(|| {
            ConversionError::Value(format!(
                "could not convert string to float: {}",
                py_repr(value)
            ))
        }),
        other => Err(ConversionError::Type(format!(
            "float() argument must be a string or a real number, not '{}'",
            type_name(other)
        ))),
    }
}

/// Python's `int(value)` (truncating floats; strings must be integer literals).
pub fn py_int(value: &Json) -> Result<i64, ConversionError> {
    match value {
        Json::Bool(b) => Ok(i64::from(*b)),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(u) = n.as_u64() {
                Ok(i64::try_from(u).unwrap_or(i64::MAX))
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if f.is_nan() {
                    Err(ConversionError::Value(
                        "cannot convert float NaN to integer".into(),
                    ))
                } else if f.is_infinite() {
                    Err(ConversionError::Type(
                        "cannot convert float infinity to integer".into(),
                    ))
                } else {
                    // `as` saturates, which is what an unbounded Python int
                    // means for every use here (a count or a number of seconds).
                    Ok(f.trunc() as i64)
                }
            }
        }
        Json::String(s) => {
            let t = s.trim();
            let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
            let valid = !digits.is_empty()
                && !digits.starts_with('_')
                && !digits.ends_with('_')
                && !digits.contains("__")
                && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
            let cleaned: String = t.chars().filter(|c| *c != '_').collect();
            match (valid, cleaned.parse::<i64>()) {
                (true, Ok(i)) => Ok(i),
                (true, Err(_)) => Ok(if t.starts_with('-') {
                    i64::MIN
                } else {
                    i64::MAX
                }),
                (false, _) => Err(ConversionError::Value(format!(
                    "invalid literal for int() with base 10: {}",
                    py_repr(value)
                ))),
            }
        }
        other => Err(ConversionError::Type(format!(
            "int() argument must be a string, a bytes-like object or a real number, not '{}'",
            type_name(other)
        ))),
    }
}

/// Python's `repr()` of a float (`1.0`, `0.1`, `1e+20`, `1e-05`, `inf`, `nan`): the
/// one implementation in `gale_vm`.
pub fn py_float_repr(f: f64) -> String {
    gale_vm::pyfmt::float_repr(f)
}

/// How Python writes a JSON value: `repr()` or `json.dumps()`. The two differ only
/// in the scalars and the quoting of strings; containers are laid out alike.
#[derive(Clone, Copy)]
enum Style {
    Repr,
    Json,
}

fn write_into(value: &Json, style: Style, out: &mut String) {
    let string = |s: &str, out: &mut String| match style {
        Style::Repr => gale_vm::pyfmt::str_repr(s, out),
        Style::Json => gale_vm::mistral::json_string(s, out),
    };
    match value {
        Json::Null => out.push_str(match style {
            Style::Repr => "None",
            Style::Json => "null",
        }),
        Json::Bool(b) => out.push_str(match (style, b) {
            (Style::Repr, true) => "True",
            (Style::Repr, false) => "False",
            (Style::Json, true) => "true",
            (Style::Json, false) => "false",
        }),
        Json::Number(n) if n.is_f64() => out.push_str(&py_float_repr(n.as_f64().unwrap_or(0.0))),
        Json::Number(n) => out.push_str(&n.to_string()),
        Json::String(s) => string(s, out),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_into(item, style, out);
            }
            out.push(']');
        }
        Json::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                string(k, out);
                out.push_str(": ");
                write_into(v, style, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr()` of a JSON value (`{'code': 500}`, `'text'`, `None`).
pub fn py_repr(value: &Json) -> String {
    let mut out = String::new();
    write_into(value, Style::Repr, &mut out);
    out
}

/// Python's `json.dumps(value)` with default settings (`", "` and `": "`
/// separators, non-ASCII escaped as `\uXXXX`): the bytes `requests` sends for a
/// `json` body and Mistral's `to_json_str` produces for a mapping `body`.
pub fn py_json_dumps(value: &Json) -> String {
    let mut out = String::new();
    write_into(value, Style::Json, &mut out);
    out
}

/// Python's `str()` / `%s` of a JSON value: strings unquoted, everything else as
/// [`py_repr`]. This is how Mistral renders a task's `state_info` from an error
/// payload.
pub fn py_str(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// How Python prints an action object that has no `__repr__` of its own
/// (`<mistral.actions.std_actions.EchoAction object at 0x7f…>`).
///
/// The address is not reproducible; Gale derives a stable 12-digit one from the
/// action execution id so identical runs print identical messages.
pub fn object_repr(class: &str, action_execution_id: &str) -> String {
    // FNV-1a, folded to the 47-bit user-space range Python addresses live in.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in action_execution_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let addr = 0x7f00_0000_0000 | (h & 0x00ff_ffff_fff0);
    format!("<{class} object at 0x{addr:x}>")
}

/// The outcome Mistral's executor records when an action raises an exception:
/// `The action raised an exception [action=<repr>, action_ex_id=<id>, msg='<text>']`.
pub fn raised(request: &ActionRequest, action_repr: &str, msg: &str) -> ActionOutcome {
    ActionOutcome::Error(Json::String(format!(
        "The action raised an exception [action={action_repr}, action_ex_id={}, msg='{msg}']",
        request.action_execution_id
    )))
}

/// The message Mistral's engine uses when an action's constructor raises
/// (`Failed to instantiate an action [action_desc=Python action [name=std.echo,
/// cls=<class 'mistral.actions.std_actions.EchoAction'>]]`). In Mistral no action
/// execution exists in that case and the task fails with this message.
pub fn instantiate_failure_message(action: &str, class: &str) -> String {
    format!(
        "Failed to instantiate an action [action_desc=Python action [name={action}, cls=<class '{class}'>]]"
    )
}

/// [`instantiate_failure_message`] as an error outcome.
pub fn instantiate_failure(action: &str, class: &str) -> ActionOutcome {
    ActionOutcome::Error(Json::String(instantiate_failure_message(action, class)))
}

/// The value of input parameter `name`, or `default` when the engine did not fill it.
pub fn param<'a>(input: &'a Map<String, Json>, name: &str, default: &'a Json) -> &'a Json {
    input.get(name).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn float_and_int_follow_python() {
        assert_eq!(py_float(&json!("1.5")), Ok(1.5));
        assert_eq!(py_float(&json!(" 2 ")), Ok(2.0));
        assert_eq!(py_float(&json!("1_0")), Ok(10.0));
        assert_eq!(py_float(&json!(true)), Ok(1.0));
        assert_eq!(py_float(&json!("Infinity")), Ok(f64::INFINITY));
        assert!(matches!(
            py_float(&json!("0x10")),
            Err(ConversionError::Value(_))
        ));
        assert!(matches!(
            py_float(&json!("")),
            Err(ConversionError::Value(_))
        ));
        assert!(matches!(
            py_float(&json!(null)),
            Err(ConversionError::Type(_))
        ));
        assert_eq!(py_int(&json!(1.9)), Ok(1));
        assert_eq!(py_int(&json!(" 3 ")), Ok(3));
        assert_eq!(py_int(&json!("1_0")), Ok(10));
        assert_eq!(py_int(&json!(-5)), Ok(-5));
        assert_eq!(
            py_int(&json!("1.9")),
            Err(ConversionError::Value(
                "invalid literal for int() with base 10: '1.9'".into()
            ))
        );
        assert!(matches!(py_int(&json!([])), Err(ConversionError::Type(_))));
    }

    #[test]
    fn repr_matches_python() {
        let cases = [
            (json!(1e20), "1e+20"),
            (json!(1.0), "1.0"),
            (json!(1e16), "1e+16"),
            (json!(0.1), "0.1"),
            (json!(1e-5), "1e-05"),
            (json!(123456789012345678.0), "1.2345678901234568e+17"),
            (json!(-2.5), "-2.5"),
            (json!(0.0001), "0.0001"),
            (json!(100.0), "100.0"),
            (
                json!({"code": 500, "a": [true, null, "it's"]}),
                "{'code': 500, 'a': [True, None, \"it's\"]}",
            ),
            (json!("a\nb'\""), "'a\\nb\\'\"'"),
        ];
        for (value, expected) in cases {
            assert_eq!(py_repr(&value), expected, "{value}");
        }
        assert_eq!(py_str(&json!("x")), "x");
        assert_eq!(
            py_json_dumps(&json!({"a": [1, 2.0, null, true], "é\"\n": "\u{1F600}"})),
            "{\"a\": [1, 2.0, null, true], \"\\u00e9\\\"\\n\": \"\\ud83d\\ude00\"}"
        );
    }

    #[test]
    fn truthiness() {
        for v in [
            json!(null),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
            json!(false),
        ] {
            assert!(!truthy(&v), "{v}");
        }
        for v in [
            json!(1),
            json!("x"),
            json!([0]),
            json!({"a": 1}),
            json!(true),
        ] {
            assert!(truthy(&v), "{v}");
        }
    }

    #[test]
    fn object_repr_is_stable() {
        let a = object_repr("mistral.actions.std_actions.EchoAction", "id-1");
        assert_eq!(
            a,
            object_repr("mistral.actions.std_actions.EchoAction", "id-1")
        );
        assert!(a.starts_with("<mistral.actions.std_actions.EchoAction object at 0x7f"));
    }
}
