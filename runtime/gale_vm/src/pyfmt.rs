//! Python `str()` and `repr()` rendering, exactly as CPython prints.
//!
//! Mistral interpolates values into strings with `str()`, and yaql's `str()` function
//! uses it too (with `null`/`true`/`false` special-cased, see [`yaql_str`]), so these
//! texts are part of the user-visible contract: `{'a': 1}`, `(1, 'x')`, `None`, `True`,
//! float repr `1.0`, `1e+16`, `inf`, `0.30000000000000004`, timedelta
//! `1 day, 6:00:00`, datetime `2020-01-02 00:00:00+00:00`.
//!
//! Known deviation: sets print in insertion order, CPython in hash order.

use std::fmt::Write;

use crate::value::Value;

/// Python `repr(float)`: shortest round-trip digits, fixed notation when the decimal
/// exponent is in `-4 <= e < 16`, else scientific with a two-digit signed exponent.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde<exp>".
    let sci = format!("{:e}", f);
    let (mant, exp) = match sci.split_once('e') {
        Some(p) => p,
        None => return sci,
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        let decpt = exp + 1; // position of the decimal point in `digits`
        if decpt <= 0 {
            out.push_str("0.");
            for _ in 0..(-decpt) {
                out.push('0');
            }
            out.push_str(&digits);
        } else {
            let d = decpt as usize;
            if digits.len() <= d {
                out.push_str(&digits);
                for _ in digits.len()..d {
                    out.push('0');
                }
                out.push_str(".0");
            } else {
                out.push_str(&digits[..d]);
                out.push('.');
                out.push_str(&digits[d..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(out, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    out
}

fn non_printable(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0xa0).contains(&u)
        || u == 0xad
        || u == 0x1680
        || (0x2000..=0x200f).contains(&u)
        || (0x2028..=0x202f).contains(&u)
        || (0x205f..=0x2064).contains(&u)
        || u == 0x3000
        || u == 0xfeff
        || (0xe000..=0xf8ff).contains(&u)
        || (0xfff9..=0xfffb).contains(&u)
}

/// Python `repr(str)`.
pub fn str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if non_printable(c) => {
                let u = c as u32;
                if u < 0x100 {
                    let _ = write!(out, "\\x{u:02x}");
                } else if u < 0x10000 {
                    let _ = write!(out, "\\u{u:04x}");
                } else {
                    let _ = write!(out, "\\U{u:08x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python `str(timedelta)`: `[-]D day[s], H:MM:SS[.ffffff]`.
pub fn timedelta_str(micros: i64) -> String {
    let total = micros as i128;
    let days = total.div_euclid(86_400_000_000);
    let rem = total.rem_euclid(86_400_000_000);
    let secs = rem / 1_000_000;
    let us = rem % 1_000_000;
    let mut out = String::new();
    if days != 0 {
        let _ = write!(
            out,
            "{} day{}, ",
            days,
            if days.abs() == 1 { "" } else { "s" }
        );
    }
    let _ = write!(
        out,
        "{}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if us != 0 {
        let _ = write!(out, ".{us:06}");
    }
    out
}

fn timedelta_repr(micros: i64, out: &mut String) {
    let total = micros as i128;
    let days = total.div_euclid(86_400_000_000);
    let rem = total.rem_euclid(86_400_000_000);
    let secs = rem / 1_000_000;
    let us = rem % 1_000_000;
    let mut parts = Vec::new();
    if days != 0 {
        parts.push(format!("days={days}"));
    }
    if secs != 0 {
        parts.push(format!("seconds={secs}"));
    }
    if us != 0 {
        parts.push(format!("microseconds={us}"));
    }
    if parts.is_empty() {
        parts.push("0".into());
    }
    let _ = write!(out, "datetime.timedelta({})", parts.join(", "));
}

/// Python `repr(value)` appended to `out`.
pub fn write_repr(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Str(s) => str_repr(s, out),
        Value::Tuple(items) => {
            out.push('(');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(it, out);
            }
            if items.len() == 1 {
                out.push(',');
            }
            out.push(')');
        }
        Value::List(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(it, out);
            }
            out.push(']');
        }
        Value::Dict(d) => {
            out.push('{');
            for (i, (k, val)) in d.map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(&k.0, out);
                out.push_str(": ");
                write_repr(val, out);
            }
            out.push('}');
        }
        Value::Set(s) => {
            if s.is_empty() {
                out.push_str(if s.frozen { "frozenset()" } else { "set()" });
                return;
            }
            if s.frozen {
                out.push_str("frozenset(");
            }
            out.push('{');
            for (i, k) in s.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(&k.0, out);
            }
            out.push('}');
            if s.frozen {
                out.push(')');
            }
        }
        Value::Iter(_) => out.push_str("<generator object>"),
        Value::DateTime(d) => out.push_str(&d.repr()),
        Value::TimeDelta(t) => timedelta_repr(*t, out),
        Value::Regex(r) => {
            out.push_str("re.compile(");
            str_repr(&r.pattern, out);
            let mut flags = Vec::new();
            if r.flags & 2 != 0 {
                flags.push("re.IGNORECASE");
            }
            if r.flags & 8 != 0 {
                flags.push("re.MULTILINE");
            }
            if r.flags & 16 != 0 {
                flags.push("re.DOTALL");
            }
            if !flags.is_empty() {
                out.push_str(", ");
                out.push_str(&flags.join("|"));
            }
            out.push(')');
        }
        Value::Native(n) => {
            let _ = write!(out, "<{} object>", n.0.type_name());
        }
    }
}

/// Python `repr(value)`.
pub fn repr(v: &Value) -> String {
    let mut s = String::new();
    write_repr(v, &mut s);
    s
}

/// Python `str(value)` (what Mistral interpolation prints).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.as_str().to_owned(),
        Value::DateTime(d) => d.to_py_str(),
        Value::TimeDelta(t) => timedelta_str(*t),
        _ => repr(v),
    }
}

/// yaql's `str()` function: `null`, `true`, `false`, else Python `str()`.
pub fn yaql_str(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(true) => "true".into(),
        Value::Bool(false) => "false".into(),
        _ => py_str(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_reprs() {
        let cases = [
            (1.0, "1.0"),
            (2.5, "2.5"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e20, "1e+20"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1500000.0, "1500000.0"),
            (-1.5e-10, "-1.5e-10"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (f64::INFINITY, "inf"),
            (-0.0, "-0.0"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f), want, "{f}");
        }
    }

    #[test]
    fn container_reprs() {
        let t = Value::tuple(vec![Value::Int(1), Value::str("x")]);
        assert_eq!(repr(&t), "(1, 'x')");
        assert_eq!(repr(&Value::tuple(vec![Value::Int(1)])), "(1,)");
        assert_eq!(
            repr(&Value::list(vec![Value::Null, Value::Bool(true)])),
            "[None, True]"
        );
        assert_eq!(repr(&Value::str("it's")), "\"it's\"");
        assert_eq!(repr(&Value::str("a\nb")), "'a\\nb'");
        assert_eq!(yaql_str(&Value::Null), "null");
    }

    #[test]
    fn timedelta_text() {
        assert_eq!(timedelta_str(108_000_000_000), "1 day, 6:00:00");
        assert_eq!(timedelta_str(-1_000_000), "-1 day, 23:59:59");
        assert_eq!(timedelta_str(500_000), "0:00:00.500000");
        assert_eq!(timedelta_str(2 * 86_400_000_000), "2 days, 0:00:00");
    }
}
