//! yaql `strings` module. Indices are in code points, as Python's are.

use crate::ctx::Ctx;
use crate::error::{Error, ErrorKind, Result};
use crate::iter::{Cursor, PyIter};
use crate::pyfmt::yaql_str;
use crate::sig::Args;
use crate::value::Value;

fn s(cx: &mut Ctx, text: String) -> Result<Value> {
    cx.charge(text.len())?;
    Ok(Value::from(text))
}

pub(crate) fn concat_op(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, format!("{}{}", a.str(0), a.str(1)))
}
pub(crate) fn concat(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut out = String::new();
    for v in a.many(0) {
        out.push_str(v.as_str().unwrap_or(""));
    }
    s(cx, out)
}
fn repeat(cx: &mut Ctx, text: &str, n: i64) -> Result<Value> {
    if n <= 0 || text.is_empty() {
        return Ok(Value::str(""));
    }
    let size = (text.len() as u128) * (n as u128);
    cx.charge(size.min(u64::MAX as u128) as usize)?;
    Ok(Value::from(text.repeat(n as usize)))
}
pub(crate) fn repeat_left(cx: &mut Ctx, a: &Args) -> Result<Value> {
    repeat(cx, a.str(0), a.int(1)?)
}
pub(crate) fn repeat_right(cx: &mut Ctx, a: &Args) -> Result<Value> {
    repeat(cx, a.str(1), a.int(0)?)
}
pub(crate) fn in_(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(a.str(1).contains(a.str(0))))
}
pub(crate) fn str_(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, yaql_str(a.v(0)))
}
pub(crate) fn len(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Int(a.str(0).chars().count() as i64))
}
pub(crate) fn to_upper(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, a.str(0).to_uppercase())
}
pub(crate) fn to_lower(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, a.str(0).to_lowercase())
}

/// Python `str.split(sep, maxsplit)`.
pub fn py_split(text: &str, sep: Option<&str>, max: i64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match sep {
        Some("") => return Err(Error::value_error("empty separator")),
        Some(sep) => {
            let mut rest = text;
            while max < 0 || (out.len() as i64) < max {
                match rest.find(sep) {
                    Some(i) => {
                        out.push(rest[..i].to_string());
                        rest = &rest[i + sep.len()..];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
        }
        None => {
            let mut rest = text.trim_start();
            while !rest.is_empty() {
                if max >= 0 && out.len() as i64 >= max {
                    out.push(rest.to_string());
                    break;
                }
                let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start();
            }
        }
    }
    Ok(out)
}

/// Python `str.rsplit(sep, maxsplit)`.
pub fn py_rsplit(text: &str, sep: Option<&str>, max: i64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    match sep {
        Some("") => return Err(Error::value_error("empty separator")),
        Some(sep) => {
            let mut rest = text;
            while max < 0 || (out.len() as i64) < max {
                match rest.rfind(sep) {
                    Some(i) => {
                        out.push(rest[i + sep.len()..].to_string());
                        rest = &rest[..i];
                    }
                    None => break,
                }
            }
            out.push(rest.to_string());
        }
        None => {
            let mut rest = text.trim_end();
            while !rest.is_empty() {
                if max >= 0 && out.len() as i64 >= max {
                    out.push(rest.to_string());
                    break;
                }
                let start = rest
                    .rfind(char::is_whitespace)
                    .map(|i| i + rest[i..].chars().next().map_or(1, char::len_utf8))
                    .unwrap_or(0);
                out.push(rest[start..].to_string());
                rest = rest[..start].trim_end();
            }
        }
    }
    out.reverse();
    Ok(out)
}

fn strs(cx: &mut Ctx, v: Vec<String>) -> Result<Value> {
    cx.charge(v.iter().map(|x| x.len() + 16).sum())?;
    Ok(Value::list(v.into_iter().map(Value::from).collect()))
}
pub(crate) fn split(cx: &mut Ctx, a: &Args) -> Result<Value> {
    strs(cx, py_split(a.str(0), a.v(1).as_str(), a.int(2)?)?)
}
pub(crate) fn right_split(cx: &mut Ctx, a: &Args) -> Result<Value> {
    strs(cx, py_rsplit(a.str(0), a.v(1).as_str(), a.int(2)?)?)
}
fn join_impl(cx: &mut Ctx, seq: &Value, sep: &str) -> Result<Value> {
    let mut cur = Cursor::expect(cx, seq, "join")?;
    let mut out = String::new();
    let mut first = true;
    while let Some(v) = cur.next(cx)? {
        if !first {
            out.push_str(sep);
        }
        first = false;
        out.push_str(&yaql_str(&v));
        cx.charge(out.len() / 64)?;
    }
    s(cx, out)
}
pub(crate) fn join(cx: &mut Ctx, a: &Args) -> Result<Value> {
    join_impl(cx, a.v(0), a.str(1))
}
pub(crate) fn join_sep(cx: &mut Ctx, a: &Args) -> Result<Value> {
    join_impl(cx, a.v(1), a.str(0))
}
fn strip(text: &str, chars: Option<&str>, left: bool, right: bool) -> String {
    let pred = |c: char| match chars {
        Some(cs) => cs.contains(c),
        None => c.is_whitespace(),
    };
    let mut t = text;
    if left {
        t = t.trim_start_matches(pred);
    }
    if right {
        t = t.trim_end_matches(pred);
    }
    t.to_string()
}
pub(crate) fn trim(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, strip(a.str(0), a.v(1).as_str(), true, true))
}
pub(crate) fn trim_left(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, strip(a.str(0), a.v(1).as_str(), true, false))
}
pub(crate) fn trim_right(cx: &mut Ctx, a: &Args) -> Result<Value> {
    s(cx, strip(a.str(0), a.v(1).as_str(), false, true))
}
pub(crate) fn norm(cx: &mut Ctx, a: &Args) -> Result<Value> {
    match a.v(0).as_str() {
        None => Ok(Value::Null),
        Some(t) => {
            let r = strip(t, a.v(1).as_str(), true, true);
            if r.is_empty() {
                Ok(Value::Null)
            } else {
                s(cx, r)
            }
        }
    }
}
pub(crate) fn is_empty(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(match a.v(0).as_str() {
        None => true,
        Some(t) => {
            if a.v(1).truthy() {
                strip(t, a.v(2).as_str(), true, true).is_empty()
            } else {
                t.is_empty()
            }
        }
    }))
}

/// Python `str.replace(old, new, count)`.
pub fn py_replace(text: &str, old: &str, new: &str, count: i64) -> String {
    if count < 0 {
        if old.is_empty() {
            let mut out = String::from(new);
            for c in text.chars() {
                out.push(c);
                out.push_str(new);
            }
            return out;
        }
        return text.replace(old, new);
    }
    if old.is_empty() {
        let mut out = String::new();
        let mut n = 0;
        for c in text.chars() {
            if n < count {
                out.push_str(new);
                n += 1;
            }
            out.push(c);
        }
        if n < count {
            out.push_str(new);
        }
        return out;
    }
    text.replacen(old, new, count as usize)
}
pub(crate) fn replace(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let (t, old, new) = (a.str(0), a.str(1), a.str(2));
    let est = if old.is_empty() {
        t.len() * (new.len() + 1)
    } else {
        t.len() / old.len().max(1) * new.len() + t.len()
    };
    cx.charge(est)?;
    Ok(Value::from(py_replace(t, old, new, a.int(3)?)))
}
pub(crate) fn replace_dict(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let mut t = a.str(0).to_string();
    let count = a.int(2)?;
    if let Value::Dict(d) = a.v(1) {
        for (k, v) in d.map.iter() {
            t = py_replace(&t, &yaql_str(&k.0), &yaql_str(v), count);
            cx.charge(t.len())?;
        }
    }
    Ok(Value::from(t))
}
fn chars(t: &str) -> Vec<char> {
    t.chars().collect()
}
fn slice(cs: &[char], start: i64, end: i64) -> String {
    let n = cs.len() as i64;
    let norm = |i: i64| if i < 0 { (i + n).max(0) } else { i.min(n) };
    let (a, b) = (norm(start), norm(end));
    if a >= b {
        String::new()
    } else {
        cs[a as usize..b as usize].iter().collect()
    }
}
pub(crate) fn substring(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let cs = chars(a.str(0));
    let n = cs.len() as i64;
    let mut start = a.int(1)?;
    let mut length = a.int(2)?;
    if length < 0 {
        length = n;
    }
    if start < 0 {
        start += n;
    }
    s(cx, slice(&cs, start, start.saturating_add(length)))
}
fn find(cs: &[char], sub: &[char], start: i64, end: i64, last: bool) -> i64 {
    let n = cs.len() as i64;
    let norm = |i: i64| if i < 0 { (i + n).max(0) } else { i.min(n) };
    let (a, b) = (norm(start), norm(end));
    if b - a < sub.len() as i64 {
        return -1;
    }
    let range: Vec<i64> = (a..=b - sub.len() as i64).collect();
    let it: Box<dyn Iterator<Item = &i64>> = if last {
        Box::new(range.iter().rev())
    } else {
        Box::new(range.iter())
    };
    for &i in it {
        if cs[i as usize..i as usize + sub.len()] == *sub {
            return i;
        }
    }
    -1
}
pub(crate) fn index_of(_: &mut Ctx, a: &Args) -> Result<Value> {
    let cs = chars(a.str(0));
    Ok(Value::Int(find(
        &cs,
        &chars(a.str(1)),
        a.int(2)?,
        cs.len() as i64,
        false,
    )))
}
pub(crate) fn index_of_range(_: &mut Ctx, a: &Args) -> Result<Value> {
    let cs = chars(a.str(0));
    let (st, len) = (a.int(2)?, a.int(3)?);
    let st = if st < 0 { st + cs.len() as i64 } else { st };
    let end = if len < 0 { cs.len() as i64 } else { st + len };
    Ok(Value::Int(find(&cs, &chars(a.str(1)), st, end, false)))
}
pub(crate) fn last_index_of(_: &mut Ctx, a: &Args) -> Result<Value> {
    let cs = chars(a.str(0));
    Ok(Value::Int(find(
        &cs,
        &chars(a.str(1)),
        a.int(2)?,
        cs.len() as i64,
        true,
    )))
}
pub(crate) fn last_index_of_range(_: &mut Ctx, a: &Args) -> Result<Value> {
    let cs = chars(a.str(0));
    let (st, len) = (a.int(2)?, a.int(3)?);
    let st = if st < 0 { st + cs.len() as i64 } else { st };
    let end = if len < 0 { cs.len() as i64 } else { st + len };
    Ok(Value::Int(find(&cs, &chars(a.str(1)), st, end, true)))
}
pub(crate) fn to_char_array(cx: &mut Ctx, a: &Args) -> Result<Value> {
    let t = a.str(0);
    cx.charge(t.len() * 24)?;
    Ok(Value::list(
        t.chars().map(|c| Value::from(c.to_string())).collect(),
    ))
}
pub(crate) fn starts_with(_: &mut Ctx, a: &Args) -> Result<Value> {
    let t = a.str(0);
    Ok(Value::Bool(a.many(1).iter().any(|p| {
        t.starts_with(p.as_str().unwrap_or("\u{0}\u{0}"))
    })))
}
pub(crate) fn ends_with(_: &mut Ctx, a: &Args) -> Result<Value> {
    let t = a.str(0);
    Ok(Value::Bool(
        a.many(1)
            .iter()
            .any(|p| t.ends_with(p.as_str().unwrap_or("\u{0}\u{0}"))),
    ))
}
pub(crate) fn characters(_: &mut Ctx, a: &Args) -> Result<Value> {
    const DIG: &str = "0123456789";
    const LOW: &str = "abcdefghijklmnopqrstuvwxyz";
    const UP: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const PUNCT: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    const WS: &str = " \t\n\r\x0b\x0c";
    for (i, name) in [(5, "letters"), (9, "lowercase"), (10, "uppercase")] {
        if a.v(i).truthy() {
            return Err(Error::new(
                ErrorKind::AttributeError,
                format!("module 'string' has no attribute '{name}'"),
            ));
        }
    }
    let classes: [(usize, String); 9] = [
        (0, DIG.into()),
        (1, format!("{DIG}abcdefABCDEF")),
        (2, LOW.into()),
        (3, UP.into()),
        (4, format!("{LOW}{UP}")),
        (6, "01234567".into()),
        (7, PUNCT.into()),
        (8, format!("{DIG}{LOW}{UP}{PUNCT}{WS}")),
        (11, WS.into()),
    ];
    let mut set = crate::value::Set::new_frozen();
    for (i, chars) in classes {
        if a.v(i).truthy() {
            for c in chars.chars() {
                set.insert(Value::from(c.to_string()))?;
            }
        }
    }
    Ok(Value::list(set.items.into_iter().map(|k| k.0).collect()))
}
pub(crate) fn is_string(_: &mut Ctx, a: &Args) -> Result<Value> {
    Ok(Value::Bool(matches!(a.v(0), Value::Str(_))))
}
pub(crate) fn hex(_: &mut Ctx, a: &Args) -> Result<Value> {
    match a.v(0) {
        v @ (Value::Int(_) | Value::BigInt(_)) => {
            let b = super::math::big(v).unwrap_or_default();
            let t = if b.sign() == num_bigint::Sign::Minus {
                format!("-0x{}", (-b).to_str_radix(16))
            } else {
                format!("0x{}", b.to_str_radix(16))
            };
            Ok(Value::from(t))
        }
        v => Err(Error::type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            v.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_split() {
        assert_eq!(
            py_split("  a b  c ", None, -1).unwrap(),
            vec!["a", "b", "c"]
        );
        assert_eq!(py_split("a,b,c", Some(","), 1).unwrap(), vec!["a", "b,c"]);
        assert_eq!(py_rsplit("a,b,c", Some(","), 1).unwrap(), vec!["a,b", "c"]);
        assert_eq!(py_rsplit(" a b c", None, 1).unwrap(), vec![" a b", "c"]);
        assert_eq!(py_replace("abc", "", "-", -1), "-a-b-c-");
    }
}
