//! The canonical JSON encoding of a loaded document — a **testing aid** used to
//! compare Gale's reading of a file with what Mistral's Python loader builds.
//!
//! The same encoding is implemented in `scripts/yaml_oracle.py`:
//!
//! * `None` → `null`; `bool` → `true`/`false`;
//! * `int` → `{"int":"<decimal digits>"}`; `float` → `{"float":"<Python repr>"}`
//!   (`inf`, `-inf`, `nan`, `1e+16`, `0.5`);
//! * `datetime.date` → `{"date":"<isoformat>"}`, `datetime.datetime` →
//!   `{"datetime":"<isoformat>"}`;
//! * `str` → a JSON string, every character outside `' '..='~'` escaped as
//!   `\uXXXX` (lower-case hex, surrogate pairs above U+FFFF) except `\n \r \t \b \f`,
//!   and `"`/`\` escaped (Python's `json.dumps(ensure_ascii=True)`);
//! * `list` → `[v,…]`; `dict` → `{"map":[[k,v],…]}` in dict order;
//! * no spaces anywhere.
//!
//! Mappings are constructed as PyYAML's `SafeConstructor` does: merge keys (`<<`)
//! are flattened first, then pairs are inserted into a Python dict (a repeated key
//! keeps its first position and first key object, and takes the last value; `1`,
//! `1.0` and `true` are the same key).

use crate::resolve::timestamp_iso;
use crate::tree::{IntValue, Mapping, Node, NodeKind, ScalarStyle, ScalarValue};

/// Encodes `node` as the value Mistral's loader constructs, in the canonical JSON
/// form described in the module docs (a testing aid for the YAML oracle).
pub fn canonical_json(node: &Node) -> String {
    let mut out = String::new();
    encode(node, &mut out);
    out
}

fn encode(node: &Node, out: &mut String) {
    match &node.kind {
        NodeKind::Scalar(s) => match &s.value {
            ScalarValue::Null => out.push_str("null"),
            ScalarValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            ScalarValue::Int(i) => {
                out.push_str("{\"int\":\"");
                match i {
                    IntValue::Small(v) => out.push_str(&v.to_string()),
                    IntValue::Big(v) => out.push_str(v),
                }
                out.push_str("\"}");
            }
            ScalarValue::Float(f) => {
                out.push_str("{\"float\":\"");
                out.push_str(&py_float_repr(*f));
                out.push_str("\"}");
            }
            ScalarValue::Timestamp(t) => match timestamp_iso(t) {
                Ok((kind, iso)) => {
                    out.push_str("{\"");
                    out.push_str(kind);
                    out.push_str("\":\"");
                    out.push_str(&iso);
                    out.push_str("\"}");
                }
                Err(_) => json_str(t, out),
            },
            ScalarValue::Str => json_str(&s.text, out),
        },
        NodeKind::Sequence(seq) => {
            out.push('[');
            for (i, item) in seq.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                encode(item, out);
            }
            out.push(']');
        }
        NodeKind::Mapping(m) => {
            let pairs = python_dict(m);
            out.push_str("{\"map\":[");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('[');
                encode(k, out);
                out.push(',');
                encode(v, out);
                out.push(']');
            }
            out.push_str("]}");
        }
    }
}

/// Whether `key` is a merge key (`<<` plain, or tagged `!!merge`).
pub(crate) fn is_merge_key(key: &Node) -> bool {
    match &key.kind {
        NodeKind::Scalar(s) => match key.tag.as_deref() {
            None => s.style == ScalarStyle::Plain && s.text == "<<",
            Some(t) => t == "!!merge",
        },
        _ => false,
    }
}

/// PyYAML's `flatten_mapping` (6.0.3): merged pairs first, then the mapping's own.
/// `Err` carries the node that is not a mapping where one was needed.
///
/// PyYAML 6.0.3 drops a merged pair whose key *object* was already merged
/// (`id(key_node.value)`); for distinct scalar nodes CPython shares the object only
/// for the empty string and one-character Latin-1 strings, which is emulated here.
pub(crate) fn flatten(m: &Mapping) -> Result<Vec<(&Node, &Node)>, &Node> {
    let mut merge: Vec<(&Node, &Node)> = Vec::new();
    let mut shared_ids: Vec<char> = Vec::new();
    let mut seen_empty = false;
    let mut rest = Vec::with_capacity(m.entries.len());
    for e in &m.entries {
        if is_merge_key(&e.key) {
            match &e.value.kind {
                NodeKind::Mapping(vm) => {
                    add_merged(&mut merge, flatten(vm)?, &mut shared_ids, &mut seen_empty)
                }
                NodeKind::Sequence(seq) => {
                    for item in &seq.items {
                        match &item.kind {
                            NodeKind::Mapping(im) => add_merged(
                                &mut merge,
                                flatten(im)?,
                                &mut shared_ids,
                                &mut seen_empty,
                            ),
                            _ => return Err(item),
                        }
                    }
                }
                NodeKind::Scalar(_) => return Err(&e.value),
            }
        } else {
            rest.push((&e.key, &e.value));
        }
    }
    merge.extend(rest);
    Ok(merge)
}

/// Appends merged pairs, skipping keys whose Python object was already merged.
fn add_merged<'a>(
    merge: &mut Vec<(&'a Node, &'a Node)>,
    pairs: Vec<(&'a Node, &'a Node)>,
    shared_ids: &mut Vec<char>,
    seen_empty: &mut bool,
) {
    for (k, v) in pairs {
        if let NodeKind::Scalar(s) = &k.kind {
            let mut chars = s.text.chars();
            match (chars.next(), chars.next()) {
                (None, _) => {
                    if *seen_empty {
                        continue;
                    }
                    *seen_empty = true;
                }
                (Some(c), None) if u32::from(c) < 256 => {
                    if shared_ids.contains(&c) {
                        continue;
                    }
                    shared_ids.push(c);
                }
                _ => {}
            }
        }
        merge.push((k, v));
    }
}

/// A constructed key, compared as Python compares dict keys.
#[derive(Debug, PartialEq)]
pub(crate) enum PyKey<'a> {
    None,
    Int(i128),
    Big(&'a str),
    Float(u64),
    Str(&'a str),
    Date(&'static str, String),
    /// NaN. PyYAML returns one shared `nan` object for every `.nan`, so NaN keys
    /// are the same dict key (by identity).
    Nan,
    /// A list or dict: not a valid key.
    Unhashable,
}

impl<'a> PyKey<'a> {
    pub(crate) fn of(node: &'a Node) -> PyKey<'a> {
        let NodeKind::Scalar(s) = &node.kind else {
            return PyKey::Unhashable;
        };
        match &s.value {
            ScalarValue::Null => PyKey::None,
            ScalarValue::Bool(b) => PyKey::Int(i128::from(*b)),
            ScalarValue::Int(IntValue::Small(v)) => PyKey::Int(*v),
            ScalarValue::Int(IntValue::Big(v)) => PyKey::Big(v),
            ScalarValue::Float(f) if f.is_nan() => PyKey::Nan,
            ScalarValue::Float(f) if f.fract() == 0.0 && f.abs() < 1e38 => PyKey::Int(*f as i128),
            ScalarValue::Float(f) => PyKey::Float(f.to_bits()),
            ScalarValue::Timestamp(t) => match timestamp_iso(t) {
                Ok((k, iso)) => PyKey::Date(k, iso),
                Err(_) => PyKey::Str(t),
            },
            ScalarValue::Str => PyKey::Str(&s.text),
        }
    }

    /// Whether Python's dict treats the two keys as one (`is` or `==`).
    pub(crate) fn same(&self, other: &PyKey) -> bool {
        !matches!(self, PyKey::Unhashable) && self == other
    }
}

/// The mapping as the Python dict PyYAML builds: `(first key node, last value)`
/// in first-insertion order.
fn python_dict(m: &Mapping) -> Vec<(&Node, &Node)> {
    let pairs = match flatten(m) {
        Ok(p) => p,
        Err(_) => m.entries.iter().map(|e| (&e.key, &e.value)).collect(),
    };
    let mut keys: Vec<PyKey> = Vec::with_capacity(pairs.len());
    let mut out: Vec<(&Node, &Node)> = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let pk = PyKey::of(k);
        if let Some(i) = keys.iter().position(|x| x.same(&pk)) {
            out[i].1 = v;
        } else {
            keys.push(pk);
            out.push((k, v));
        }
    }
    out
}

/// Python's `repr(float)`.
pub(crate) fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let mut s = String::new();
    if x < 0.0 {
        s.push('-');
    }
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                s.push_str(&digits);
                s.extend(std::iter::repeat_n('0', int_len - digits.len()));
                s.push_str(".0");
            } else {
                s.push_str(&digits[..int_len]);
                s.push('.');
                s.push_str(&digits[int_len..]);
            }
        } else {
            s.push_str("0.");
            s.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            s.push_str(&digits);
        }
    } else {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push_str(&format!(
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.abs()
        ));
    }
    s
}

/// A JSON string as Python's `json.dumps(ensure_ascii=True)` writes it.
fn json_str(s: &str, out: &mut String) {
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
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_matches_python() {
        for (x, r) in [
            (1.5, "1.5"),
            (1000.0, "1000.0"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (123456789012345.6, "123456789012345.6"),
            (-2.5, "-2.5"),
            (1e22, "1e+22"),
            (0.1, "0.1"),
        ] {
            assert_eq!(py_float_repr(x), r);
        }
    }

    #[test]
    fn strings_escape_like_python() {
        let mut s = String::new();
        json_str("a\"\\\n\u{7f}é😀", &mut s);
        assert_eq!(s, r#""a\"\\\n\u007f\u00e9\ud83d\ude00""#);
    }

    #[test]
    fn dicts_merge_and_dedupe() {
        let p = crate::parse("<<: [{a: 1}, {b: 2, a: 3}]\nc: 4\n1: x\ntrue: y\n");
        let root = p.root.as_ref().map(canonical_json);
        assert_eq!(
            root.as_deref(),
            Some(
                r#"{"map":[["a",{"int":"1"}],["b",{"int":"2"}],["c",{"int":"4"}],[{"int":"1"},"y"]]}"#
            )
        );
    }
}
