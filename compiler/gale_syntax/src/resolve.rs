//! PyYAML 1.1 `SafeLoader` scalar resolution and construction.
//!
//! The implicit resolvers are hand-written equivalents of the regular expressions in
//! PyYAML's `resolver.py` (bool, float, int, merge, null, timestamp, value — tried
//! in that order among those registered for the scalar's first character), and the
//! constructors follow `constructor.py` (`construct_yaml_int`, `construct_yaml_float`,
//! `construct_yaml_bool`, `construct_yaml_timestamp`). Only plain scalars are resolved
//! implicitly; explicit tags are honoured as `SafeLoader` honours them.

use crate::tree::{IntValue, ScalarStyle, ScalarValue};

/// What PyYAML's resolver decides for a plain scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Implicit {
    Null,
    Bool,
    Int,
    Float,
    Timestamp,
    /// `<<` (`tag:yaml.org,2002:merge`).
    Merge,
    /// `=` (`tag:yaml.org,2002:value`, which `SafeLoader` cannot construct).
    Value,
    Str,
}

/// The implicit tag PyYAML 1.1 gives a plain scalar with text `t`.
pub(crate) fn implicit(t: &str) -> Implicit {
    let Some(&first) = t.as_bytes().first() else {
        return Implicit::Null;
    };
    if b"yYnNtTfFoO".contains(&first) && is_bool(t) {
        return Implicit::Bool;
    }
    if b"-+0123456789.".contains(&first) && is_float(t) {
        return Implicit::Float;
    }
    if b"-+0123456789".contains(&first) && is_int(t) {
        return Implicit::Int;
    }
    if t == "<<" {
        return Implicit::Merge;
    }
    if matches!(t, "~" | "null" | "Null" | "NULL") {
        return Implicit::Null;
    }
    if first.is_ascii_digit() && is_timestamp(t) {
        return Implicit::Timestamp;
    }
    if t == "=" {
        return Implicit::Value;
    }
    Implicit::Str
}

fn is_bool(t: &str) -> bool {
    matches!(
        t,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

/// A tiny cursor for the hand-written regular expressions.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    fn peek(&self) -> u8 {
        self.b.get(self.i).copied().unwrap_or(0)
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == c {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn eat_if(&mut self, f: impl Fn(u8) -> bool) -> bool {
        if self.i < self.b.len() && f(self.b[self.i]) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Eats `f*`; returns how many.
    fn many(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let s = self.i;
        while self.eat_if(&f) {}
        self.i - s
    }
    fn sign(&mut self) {
        let _ = self.eat(b'-') || self.eat(b'+');
    }
    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

fn digit(c: u8) -> bool {
    c.is_ascii_digit()
}
fn digit_(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

/// `(?::[0-5]?[0-9])+` — at least one group.
fn sexagesimal_tail(c: &mut Cur) -> bool {
    let mut groups = 0;
    loop {
        let save = c.i;
        if !c.eat(b':') {
            break;
        }
        // [0-5]?[0-9]
        let a = c.peek();
        let b2 = c.b.get(c.i + 1).copied().unwrap_or(0);
        if (b'0'..=b'5').contains(&a) && digit(b2) {
            c.i += 2;
        } else if digit(a) {
            c.i += 1;
        } else {
            c.i = save;
            break;
        }
        groups += 1;
    }
    groups > 0
}

/// `(?:[eE][-+][0-9]+)?`
fn exponent(c: &mut Cur) {
    let save = c.i;
    if c.eat_if(|x| x == b'e' || x == b'E')
        && c.eat_if(|x| x == b'-' || x == b'+')
        && c.many(digit) > 0
    {
        return;
    }
    c.i = save;
}

pub(crate) fn is_float(t: &str) -> bool {
    let b = t.as_bytes();
    // [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
    {
        let mut c = Cur { b, i: 0 };
        c.sign();
        if c.eat_if(digit) {
            c.many(digit_);
            if c.eat(b'.') {
                c.many(digit_);
                exponent(&mut c);
                if c.done() {
                    return true;
                }
            }
        }
    }
    // \.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
    {
        let mut c = Cur { b, i: 0 };
        if c.eat(b'.') && c.eat_if(digit) {
            c.many(digit_);
            exponent(&mut c);
            if c.done() {
                return true;
            }
        }
    }
    // [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    {
        let mut c = Cur { b, i: 0 };
        c.sign();
        if c.eat_if(digit) {
            c.many(digit_);
            if sexagesimal_tail(&mut c) && c.eat(b'.') {
                c.many(digit_);
                if c.done() {
                    return true;
                }
            }
        }
    }
    let unsigned = t.strip_prefix(['-', '+']).unwrap_or(t);
    matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN")
}

pub(crate) fn is_int(t: &str) -> bool {
    let b = t.as_bytes();
    let mut c = Cur { b, i: 0 };
    c.sign();
    let body = c.i;
    let rest = &t[body..];
    if let Some(r) = rest.strip_prefix("0b")
        && !r.is_empty()
        && r.bytes().all(|x| matches!(x, b'0' | b'1' | b'_'))
    {
        return true;
    }
    if let Some(r) = rest.strip_prefix('0')
        && !r.is_empty()
        && r.bytes().all(|x| matches!(x, b'0'..=b'7' | b'_'))
    {
        return true;
    }
    if rest == "0" {
        return true;
    }
    if rest
        .as_bytes()
        .first()
        .is_some_and(|x| (b'1'..=b'9').contains(x))
        && rest.bytes().all(digit_)
    {
        return true;
    }
    if let Some(r) = rest.strip_prefix("0x")
        && !r.is_empty()
        && r.bytes().all(|x| x.is_ascii_hexdigit() || x == b'_')
    {
        return true;
    }
    // [1-9][0-9_]*(?::[0-5]?[0-9])+
    if c.eat_if(|x| (b'1'..=b'9').contains(&x)) {
        c.many(digit_);
        if sexagesimal_tail(&mut c) && c.done() {
            return true;
        }
    }
    false
}

/// The resolver's timestamp pattern.
pub(crate) fn is_timestamp(t: &str) -> bool {
    let b = t.as_bytes();
    if b.len() == 10 && date_exact(b) {
        return true;
    }
    timestamp_parts(t).is_some_and(|p| p.hour.is_some())
}

fn date_exact(b: &[u8]) -> bool {
    b.len() == 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// The groups of PyYAML's constructor `timestamp_regexp`.
#[derive(Debug, Default)]
struct TsParts<'a> {
    year: &'a str,
    month: &'a str,
    day: &'a str,
    hour: Option<&'a str>,
    minute: &'a str,
    second: &'a str,
    fraction: Option<&'a str>,
    tz_z: bool,
    tz: Option<(u8, &'a str, Option<&'a str>)>,
}

fn timestamp_parts(t: &str) -> Option<TsParts<'_>> {
    let b = t.as_bytes();
    let mut c = Cur { b, i: 0 };
    let mut p = TsParts::default();
    let s = c.i;
    for _ in 0..4 {
        if !c.eat_if(digit) {
            return None;
        }
    }
    p.year = &t[s..c.i];
    let one_or_two = |c: &mut Cur| -> Option<usize> {
        let s = c.i;
        if !c.eat_if(digit) {
            return None;
        }
        c.eat_if(digit);
        Some(s)
    };
    if !c.eat(b'-') {
        return None;
    }
    let s = one_or_two(&mut c)?;
    p.month = &t[s..c.i];
    if !c.eat(b'-') {
        return None;
    }
    let s = one_or_two(&mut c)?;
    p.day = &t[s..c.i];
    if c.done() {
        return Some(p);
    }
    // (?:[Tt]|[ \t]+)
    if !(c.eat(b'T') || c.eat(b't') || c.many(|x| x == b' ' || x == b'\t') > 0) {
        return None;
    }
    let s = one_or_two(&mut c)?;
    p.hour = Some(&t[s..c.i]);
    let two = |c: &mut Cur| -> Option<usize> {
        let s = c.i;
        if c.eat_if(digit) && c.eat_if(digit) {
            Some(s)
        } else {
            None
        }
    };
    if !c.eat(b':') {
        return None;
    }
    let s = two(&mut c)?;
    p.minute = &t[s..c.i];
    if !c.eat(b':') {
        return None;
    }
    let s = two(&mut c)?;
    p.second = &t[s..c.i];
    if c.eat(b'.') {
        let s = c.i;
        c.many(digit);
        p.fraction = Some(&t[s..c.i]);
    }
    if c.done() {
        return Some(p);
    }
    c.many(|x| x == b' ' || x == b'\t');
    if c.eat(b'Z') {
        p.tz_z = true;
    } else {
        let sign = c.peek();
        if !(c.eat(b'-') || c.eat(b'+')) {
            return None;
        }
        let s = one_or_two(&mut c)?;
        let h = &t[s..c.i];
        let mut m = None;
        if c.eat(b':') {
            let s = two(&mut c)?;
            m = Some(&t[s..c.i]);
        }
        p.tz = Some((sign, h, m));
    }
    if c.done() { Some(p) } else { None }
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// A constructed timestamp: `("date"|"datetime", isoformat)` as Python prints it, or
/// the Python error message.
pub(crate) fn timestamp_iso(t: &str) -> Result<(&'static str, String), String> {
    let p = timestamp_parts(t)
        .ok_or_else(|| "'NoneType' object has no attribute 'groupdict'".to_string())?;
    let num = |s: &str| s.parse::<i64>().unwrap_or(0);
    let (y, mo, d) = (num(p.year), num(p.month), num(p.day));
    if !(1..=9999).contains(&y) {
        return Err(format!("year {y} is out of range"));
    }
    if !(1..=12).contains(&mo) {
        return Err("month must be in 1..12".into());
    }
    if d < 1 || d > days_in_month(y, mo) {
        return Err("day is out of range for month".into());
    }
    let date = format!("{y:04}-{mo:02}-{d:02}");
    let Some(hour) = p.hour else {
        return Ok(("date", date));
    };
    let (h, mi, s) = (num(hour), num(p.minute), num(p.second));
    if h > 23 {
        return Err("hour must be in 0..23".into());
    }
    if mi > 59 {
        return Err("minute must be in 0..59".into());
    }
    if s > 59 {
        return Err("second must be in 0..59".into());
    }
    let mut iso = format!("{date}T{h:02}:{mi:02}:{s:02}");
    if let Some(f) = p.fraction.filter(|f| !f.is_empty()) {
        let mut f6: String = f.chars().take(6).collect();
        while f6.len() < 6 {
            f6.push('0');
        }
        if f6 != "000000" {
            iso.push('.');
            iso.push_str(&f6);
        }
    }
    if let Some((sign, th, tm)) = p.tz {
        let total = num(th) * 60 + tm.map_or(0, num);
        if total >= 24 * 60 {
            return Err("offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24).".into());
        }
        let sign = if sign == b'-' && total != 0 { '-' } else { '+' };
        iso.push_str(&format!("{sign}{:02}:{:02}", total / 60, total % 60));
    } else if p.tz_z {
        iso.push_str("+00:00");
    }
    Ok(("datetime", iso))
}

/// PyYAML's `construct_yaml_int`.
pub(crate) fn construct_int(t: &str) -> Result<IntValue, String> {
    let v: String = t.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, &v[..]),
    };
    let invalid = |base: u32, s: &str| format!("invalid literal for int() with base {base}: '{s}'");
    let mag = if body == "0" {
        Big::from_small(0)
    } else if let Some(r) = body.strip_prefix("0b") {
        Big::parse(r, 2).ok_or_else(|| invalid(2, r))?
    } else if let Some(r) = body.strip_prefix("0x") {
        Big::parse(r, 16).ok_or_else(|| invalid(16, r))?
    } else if body.starts_with('0') {
        Big::parse(body, 8).ok_or_else(|| invalid(8, body))?
    } else if body.contains(':') {
        let mut acc = Big::from_small(0);
        for part in body.split(':') {
            let d = Big::parse(part, 10).ok_or_else(|| invalid(10, part))?;
            acc.mul_small(60);
            acc.add(&d);
        }
        acc
    } else {
        Big::parse(body, 10).ok_or_else(|| invalid(10, body))?
    };
    Ok(mag.into_int(neg))
}

/// PyYAML's `construct_yaml_float`.
pub(crate) fn construct_float(t: &str) -> Result<f64, String> {
    let v: String = t
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_lowercase();
    let (sign, body) = match v.as_bytes().first() {
        Some(b'-') => (-1.0, &v[1..]),
        Some(b'+') => (1.0, &v[1..]),
        _ => (1.0, &v[..]),
    };
    let bad = || format!("could not convert string to float: '{body}'");
    if body == ".inf" {
        return Ok(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Ok(f64::NAN);
    }
    if body.contains(':') {
        let mut parts = Vec::new();
        for p in body.split(':') {
            parts.push(py_float(p).ok_or_else(bad)?);
        }
        let mut base = 1.0f64;
        let mut value = 0.0f64;
        for d in parts.iter().rev() {
            value += d * base;
            base *= 60.0;
        }
        return Ok(sign * value);
    }
    Ok(sign * py_float(body).ok_or_else(bad)?)
}

/// Python's `float(str)` for the digit strings the resolver lets through.
fn py_float(s: &str) -> Option<f64> {
    if s.is_empty()
        || s.contains(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-')))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// PyYAML's `construct_yaml_bool` for an explicit `!!bool`.
pub(crate) fn construct_bool(t: &str) -> Result<bool, String> {
    match t.to_lowercase().as_str() {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        other => Err(format!("'{other}'")),
    }
}

/// A tiny unsigned big integer (base 10^9 limbs, little-endian) for PyYAML's
/// unbounded ints.
struct Big(Vec<u32>);

const LIMB: u64 = 1_000_000_000;

impl Big {
    fn from_small(v: u32) -> Big {
        Big(vec![v])
    }
    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for l in &mut self.0 {
            let x = u64::from(*l) * u64::from(m) + carry;
            *l = (x % LIMB) as u32;
            carry = x / LIMB;
        }
        while carry > 0 {
            self.0.push((carry % LIMB) as u32);
            carry /= LIMB;
        }
    }
    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for l in &mut self.0 {
            if carry == 0 {
                return;
            }
            let x = u64::from(*l) + carry;
            *l = (x % LIMB) as u32;
            carry = x / LIMB;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
    fn add(&mut self, o: &Big) {
        let mut carry = 0u64;
        for i in 0..self.0.len().max(o.0.len()) {
            if i == self.0.len() {
                self.0.push(0);
            }
            let x = u64::from(self.0[i]) + u64::from(o.0.get(i).copied().unwrap_or(0)) + carry;
            self.0[i] = (x % LIMB) as u32;
            carry = x / LIMB;
        }
        if carry > 0 {
            self.0.push(carry as u32);
        }
    }
    fn parse(s: &str, radix: u32) -> Option<Big> {
        if s.is_empty() {
            return None;
        }
        let mut b = Big::from_small(0);
        for c in s.chars() {
            let d = c.to_digit(radix)?;
            b.mul_small(radix);
            b.add_small(d);
        }
        Some(b)
    }
    fn to_decimal(&self) -> String {
        let mut limbs = self.0.clone();
        while limbs.len() > 1 && limbs.last() == Some(&0) {
            limbs.pop();
        }
        let mut s = String::new();
        for (i, l) in limbs.iter().rev().enumerate() {
            if i == 0 {
                s.push_str(&l.to_string());
            } else {
                s.push_str(&format!("{l:09}"));
            }
        }
        s
    }
    fn into_int(self, neg: bool) -> IntValue {
        let digits = self.to_decimal();
        let signed = if neg && digits != "0" {
            format!("-{digits}")
        } else {
            digits
        };
        match signed.parse::<i128>() {
            Ok(v) => IntValue::Small(v),
            Err(_) => IntValue::Big(signed),
        }
    }
}

/// Resolves and constructs a scalar as `SafeLoader` does.
///
/// `tag` is the explicit tag in PyYAML's long form (`tag:yaml.org,2002:str`, `!`,
/// `!local`), if any. Returns the value, or the Python error message when PyYAML
/// would raise while constructing it. `is_key`: the scalar is a mapping key, where
/// `<<` (merge) and `=` (value) are handled by the mapping (`flatten_mapping`).
pub(crate) fn resolve(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    is_key: bool,
) -> Result<ScalarValue, String> {
    let kind = match tag {
        None if style == ScalarStyle::Plain => implicit(text),
        // PyYAML's parser marks any scalar tagged `!` as implicit (even quoted).
        Some("!") => implicit(text),
        None => Implicit::Str,
        Some(t) => match t.strip_prefix("tag:yaml.org,2002:") {
            Some("str") => Implicit::Str,
            Some("int") => Implicit::Int,
            Some("float") => Implicit::Float,
            Some("bool") => return construct_bool(text).map(ScalarValue::Bool),
            Some("null") => Implicit::Null,
            Some("timestamp") => Implicit::Timestamp,
            Some("merge") => Implicit::Merge,
            Some("value") => Implicit::Value,
            _ => {
                return Err(format!(
                    "could not determine a constructor for the tag '{t}'"
                ));
            }
        },
    };
    match kind {
        Implicit::Null => Ok(ScalarValue::Null),
        Implicit::Bool => Ok(ScalarValue::Bool(
            matches!(text.as_bytes().first(), Some(b'y' | b'Y' | b't' | b'T'))
                || text.eq_ignore_ascii_case("on"),
        )),
        Implicit::Int => construct_int(text).map(ScalarValue::Int),
        Implicit::Float => construct_float(text).map(ScalarValue::Float),
        Implicit::Timestamp => {
            timestamp_iso(text).map(|_| ScalarValue::Timestamp(text.to_string()))
        }
        // A merge key is a string-valued scalar in the tree; the merge itself happens
        // when the mapping is constructed (see `canonical_json`).
        Implicit::Str => Ok(ScalarValue::Str),
        Implicit::Merge | Implicit::Value if is_key => Ok(ScalarValue::Str),
        Implicit::Merge => {
            Err("could not determine a constructor for the tag 'tag:yaml.org,2002:merge'".into())
        }
        Implicit::Value => {
            Err("could not determine a constructor for the tag 'tag:yaml.org,2002:value'".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(t: &str) -> Result<ScalarValue, String> {
        resolve(t, ScalarStyle::Plain, None, false)
    }

    #[test]
    fn bools_and_nulls() {
        for t in [
            "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(val(t), Ok(ScalarValue::Bool(true)), "{t}");
        }
        for t in [
            "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(val(t), Ok(ScalarValue::Bool(false)), "{t}");
        }
        for t in ["y", "n", "yEs", "oN"] {
            assert_eq!(val(t), Ok(ScalarValue::Str), "{t}");
        }
        for t in ["", "~", "null", "Null", "NULL"] {
            assert_eq!(val(t), Ok(ScalarValue::Null), "{t}");
        }
        assert_eq!(val("nULL"), Ok(ScalarValue::Str));
    }

    fn int(t: &str) -> ScalarValue {
        ScalarValue::Int(IntValue::Small(t.parse().unwrap_or(0)))
    }

    #[test]
    fn ints() {
        assert_eq!(val("0"), Ok(int("0")));
        assert_eq!(val("017"), Ok(int("15")));
        assert_eq!(val("0x1F"), Ok(int("31")));
        assert_eq!(val("0x_1F"), Ok(int("31")));
        assert_eq!(val("0b101"), Ok(int("5")));
        assert_eq!(val("-1_000"), Ok(int("-1000")));
        assert_eq!(val("+12"), Ok(int("12")));
        assert_eq!(val("1:30"), Ok(int("90")));
        assert_eq!(val("190:20:30"), Ok(int("685230")));
        assert_eq!(val("0o17"), Ok(ScalarValue::Str));
        assert_eq!(val("08"), Ok(ScalarValue::Str));
        assert!(val("0b_").is_err());
        assert_eq!(
            val("123456789012345678901234567890123456789012345"),
            Ok(ScalarValue::Int(IntValue::Big(
                "123456789012345678901234567890123456789012345".into()
            )))
        );
    }

    #[test]
    fn floats() {
        assert_eq!(val("1.5"), Ok(ScalarValue::Float(1.5)));
        assert_eq!(val(".5"), Ok(ScalarValue::Float(0.5)));
        assert_eq!(val("1."), Ok(ScalarValue::Float(1.0)));
        assert_eq!(val("1_0.5"), Ok(ScalarValue::Float(10.5)));
        assert_eq!(val("1.0e+3"), Ok(ScalarValue::Float(1000.0)));
        assert_eq!(val("1:30.5"), Ok(ScalarValue::Float(90.5)));
        assert_eq!(val("-.inf"), Ok(ScalarValue::Float(f64::NEG_INFINITY)));
        assert!(matches!(val(".NaN"), Ok(ScalarValue::Float(f)) if f.is_nan()));
        for s in ["1e3", "1.0e3", "-.5", "+.5", "-.nan", "1.2.3"] {
            assert_eq!(val(s), Ok(ScalarValue::Str), "{s}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            timestamp_iso("2026-01-02"),
            Ok(("date", "2026-01-02".into()))
        );
        assert_eq!(
            timestamp_iso("2001-12-14 21:59:43.10 -5"),
            Ok(("datetime", "2001-12-14T21:59:43.100000-05:00".into()))
        );
        assert_eq!(
            timestamp_iso("2001-12-14t21:59:43Z"),
            Ok(("datetime", "2001-12-14T21:59:43+00:00".into()))
        );
        assert_eq!(implicit("2026-1-2"), Implicit::Str);
        assert_eq!(implicit("2026-1-2 1:00:00"), Implicit::Timestamp);
        assert!(val("2026-13-01").is_err());
    }

    #[test]
    fn specials() {
        assert_eq!(implicit("<<"), Implicit::Merge);
        assert!(val("=").is_err());
        assert!(val("<<").is_err());
        assert_eq!(
            resolve("=", ScalarStyle::Plain, None, true),
            Ok(ScalarValue::Str)
        );
        assert_eq!(
            resolve(
                "12",
                ScalarStyle::Plain,
                Some("tag:yaml.org,2002:str"),
                false
            ),
            Ok(ScalarValue::Str)
        );
        assert_eq!(
            resolve(
                "12",
                ScalarStyle::DoubleQuoted,
                Some("tag:yaml.org,2002:int"),
                false
            ),
            Ok(int("12"))
        );
        assert_eq!(
            resolve("yes", ScalarStyle::SingleQuoted, Some("!"), false),
            Ok(ScalarValue::Bool(true))
        );
        assert!(resolve("x", ScalarStyle::Plain, Some("!foo"), false).is_err());
    }
}
