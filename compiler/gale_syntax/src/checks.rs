//! Checks on the finished tree: what PyYAML's constructor rejects (unhashable keys,
//! bad merges), duplicate keys (Mistral silently keeps the last), and YAML 1.1
//! typing that probably surprised the author.

use gale_diagnostics::{Diagnostic, Span};

use crate::canonical::{PyKey, flatten, is_merge_key};
use crate::tree::{IntValue, Mapping, Node, NodeKind, ScalarStyle, ScalarValue};

/// Runs every tree check on `root`, appending to `out`.
pub(crate) fn run(root: &Node, text: &str, out: &mut Vec<Diagnostic>) {
    // Iterative walk: depth is bounded by the reader, but stay cheap anyway.
    let mut stack: Vec<&Node> = Vec::with_capacity(64);
    stack.push(root);
    // Scratch space for the duplicate-key check, reused by every mapping.
    let mut seen = Vec::new();
    while let Some(node) = stack.pop() {
        match &node.kind {
            NodeKind::Scalar(_) => {}
            NodeKind::Sequence(s) => {
                for item in &s.items {
                    value_check(item, text, out);
                    stack.push(item);
                }
            }
            NodeKind::Mapping(m) => {
                mapping_checks(node, m, text, &mut seen, out);
                for e in &m.entries {
                    value_check(&e.value, text, out);
                    stack.push(&e.key);
                    stack.push(&e.value);
                }
            }
        }
    }
}

fn describe(v: &ScalarValue, text: &str) -> String {
    match v {
        ScalarValue::Null => "null".into(),
        ScalarValue::Bool(b) => format!("boolean `{b}`"),
        ScalarValue::Int(IntValue::Small(i)) => format!("integer `{i}`"),
        ScalarValue::Int(IntValue::Big(i)) => format!("integer `{i}`"),
        ScalarValue::Float(f) => format!("float `{}`", crate::canonical::py_float_repr(*f)),
        ScalarValue::Timestamp(_) => format!("date `{text}`"),
        ScalarValue::Str => "string".into(),
    }
}

fn mapping_checks<'a>(
    node: &'a Node,
    m: &'a Mapping,
    text: &str,
    seen: &mut Vec<(PyKey<'a>, Span)>,
    out: &mut Vec<Diagnostic>,
) {
    seen.clear();
    let large = m.entries.len() > 16;
    let mut by_name: std::collections::HashMap<&'a str, Span> = std::collections::HashMap::new();
    let mut merges = false;
    for e in &m.entries {
        let key = &e.key;
        if is_merge_key(key) {
            merges = true;
            continue;
        }
        match &key.kind {
            NodeKind::Mapping(_) | NodeKind::Sequence(_) => {
                let mut d = Diagnostic::error("yaml-syntax", key.span, "found unhashable key")
                    .with_label("a mapping or list cannot be a key")
                    .with_note("while constructing a mapping, Mistral's YAML loader fails here");
                let src = text.get(node.span.range()).unwrap_or("");
                if m.flow && src.starts_with("{{") {
                    d = d
                        .with_note(
                            "unquoted `{{ … }}` is a YAML flow mapping, not a Jinja expression",
                        )
                        .with_help(format!("quote the Jinja expression: `'{src}'`"))
                        .with_fix(
                            "quote the Jinja expression",
                            node.span,
                            format!("'{}'", src.replace('\'', "''")),
                        );
                }
                out.push(d);
                continue;
            }
            NodeKind::Scalar(s) => {
                if s.style == ScalarStyle::Plain && key.tag.is_none() && s.value != ScalarValue::Str
                {
                    let what = describe(&s.value, &s.text);
                    out.push(
                        Diagnostic::warning("yaml-11-key", key.span, format!("key `{}` is read as {what}, quote it", s.text))
                            .with_label(format!("Mistral reads this key as {what}"))
                            .with_note("Mistral loads YAML 1.1 (PyYAML): `yes`/`no`/`on`/`off` are booleans, digits are numbers")
                            .with_help(format!("write `'{}'` to keep it a string", s.text))
                            .with_fix("quote the key", key.span, format!("'{}'", s.text)),
                    );
                }
            }
        }
        let pk = PyKey::of(key);
        // Large mappings look string keys up in a hash map (a string key is only ever
        // equal to a string key); small ones and other keys scan `seen`.
        let earlier = match pk {
            PyKey::Str(name) if large => match by_name.entry(name) {
                std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(key.span);
                    None
                }
            },
            _ => {
                let found = seen.iter().find(|(k, _)| k.same(&pk)).map(|(_, s)| *s);
                if found.is_none() {
                    seen.push((pk, key.span));
                }
                found
            }
        };
        if let Some(first) = earlier {
            let first = &first;
            let name = key.as_scalar().map_or("", |s| s.text.as_str());
            let mut d =
                Diagnostic::warning("duplicate-key", key.span, format!("duplicate key `{name}`"))
                    .with_label("this value wins")
                    .with_secondary(*first, "first defined here")
                    .with_note("Mistral silently keeps the last of duplicate keys");
            let first_text = text.get(first.range()).unwrap_or("");
            if first_text != name {
                d = d.with_note(format!(
                    "`{first_text}` and `{name}` are the same key once read as YAML 1.1"
                ));
            }
            out.push(d);
        }
    }
    if let Err(bad) = if merges { flatten(m).map(drop) } else { Ok(()) } {
        let what = match bad.kind {
            NodeKind::Scalar(_) => "scalar",
            NodeKind::Sequence(_) => "sequence",
            NodeKind::Mapping(_) => "mapping",
        };
        out.push(
            Diagnostic::error(
                "yaml-syntax",
                bad.span,
                format!("expected a mapping or list of mappings for merging, but found {what}"),
            )
            .with_label("not a mapping")
            .with_note("`<<` is YAML 1.1's merge key"),
        );
    }
}

/// `yaml-11-value`: values whose type differs between YAML 1.1 and 1.2 in a way
/// that probably surprised the author (sexagesimal, leading-zero octal).
fn value_check(node: &Node, _text: &str, out: &mut Vec<Diagnostic>) {
    let NodeKind::Scalar(s) = &node.kind else {
        return;
    };
    if s.style != ScalarStyle::Plain || node.tag.is_some() {
        return;
    }
    let t = s.text.as_str();
    let digits = t.trim_start_matches(['-', '+']);
    let (why, shown) = match &s.value {
        ScalarValue::Int(v) if digits.contains(':') => {
            ("YAML 1.1 sexagesimal, base 60", int_text(v))
        }
        ScalarValue::Float(f) if digits.contains(':') => (
            "YAML 1.1 sexagesimal, base 60",
            crate::canonical::py_float_repr(*f),
        ),
        ScalarValue::Int(v)
            if digits.len() > 1
                && digits.starts_with('0')
                && !digits.starts_with("0x")
                && !digits.starts_with("0b") =>
        {
            let decimal: String = digits.chars().filter(|c| *c != '_').collect();
            let decimal = decimal.trim_start_matches('0');
            let shown = int_text(v);
            if shown.trim_start_matches('-') == decimal || (decimal.is_empty() && shown == "0") {
                return;
            }
            ("YAML 1.1 octal: leading zero", shown)
        }
        _ => return,
    };
    out.push(
        Diagnostic::warning(
            "yaml-11-value",
            node.span,
            format!("`{t}` is read as the number {shown} ({why})"),
        )
        .with_label(format!("Mistral reads this as {shown}"))
        .with_note("Mistral loads YAML 1.1 (PyYAML); YAML 1.2 tools read this differently")
        .with_help(format!("quote it (`'{t}'`) if you meant text")),
    );
}

fn int_text(v: &IntValue) -> String {
    match v {
        IntValue::Small(i) => i.to_string(),
        IntValue::Big(s) => s.clone(),
    }
}
