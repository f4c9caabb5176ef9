//! Lowering: span tree → [`crate::model`], validating as Mistral 23 does on the way.
//!
//! [`Lower`] holds the diagnostics and the source map being built, plus the small
//! typed accessors every part uses ("a non-empty string", "a non-empty mapping",
//! "a unique list of strings") so that each Mistral type is checked in one place.
//! Unlike Mistral, nothing stops at the first problem.

pub(crate) mod document;
pub(crate) mod expressions;
pub mod inline_params;
pub(crate) mod policy;
pub(crate) mod task;
pub(crate) mod transition;
pub(crate) mod workflow;

use crate::fx::FxHashMap;

use gale_diagnostics::{Diagnostic, Span};
use gale_syntax::{Entry, IntValue, Mapping, Node, NodeKind, Scalar, ScalarValue};

use crate::model::{DataMap, Value};
use crate::source_map::SourceMap;

/// [`gale_diagnostics::did_you_mean`], without computing the edit distance to
/// candidates whose length alone puts them out of reach (ASCII words only, where the
/// length in bytes is the length in characters, lower-cased or not). Same answer.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let ascii = word.is_ascii();
    gale_diagnostics::did_you_mean(
        word,
        candidates
            .into_iter()
            .filter(|c| !(ascii && c.is_ascii()) || word.len().abs_diff(c.len()) <= limit),
    )
}

/// The lowering context.
pub(crate) struct Lower {
    /// Diagnostics so far.
    pub diags: Vec<Diagnostic>,
    /// Positions so far.
    pub map: SourceMap,
    next_workflow: u32,
    next_task: u32,
    next_action: u32,
    next_transition: u32,
}

impl Lower {
    pub fn new() -> Lower {
        Lower {
            diags: Vec::new(),
            map: SourceMap::default(),
            next_workflow: 0,
            next_task: 0,
            next_action: 0,
            next_transition: 0,
        }
    }

    pub fn workflow_id(&mut self) -> crate::model::WorkflowId {
        self.next_workflow += 1;
        crate::model::WorkflowId(self.next_workflow - 1)
    }

    pub fn task_id(&mut self) -> crate::model::TaskId {
        self.next_task += 1;
        crate::model::TaskId(self.next_task - 1)
    }

    pub fn action_id(&mut self) -> crate::model::ActionId {
        self.next_action += 1;
        crate::model::ActionId(self.next_action - 1)
    }

    pub fn transition_id(&mut self) -> crate::model::TransitionId {
        self.next_transition += 1;
        crate::model::TransitionId(self.next_transition - 1)
    }

    /// Records a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reports an unknown key with "did you mean" and the valid keys.
    pub fn unknown_key(&mut self, entry: &Entry, place: &str, valid: &[&str], note: Option<&str>) {
        let key = key_text(&entry.key);
        let mut d = Diagnostic::error(
            "unknown-key",
            entry.key.span,
            format!("unknown key `{key}` in {place}"),
        );
        let alias = || {
            crate::schema::KEY_ALIASES
                .iter()
                .find(|(a, k)| a.eq_ignore_ascii_case(&key) && valid.contains(k))
                .map(|(_, k)| *k)
        };
        if key == "policies" {
            d = d.with_help(
                "the `policies:` block is obsolete: write `retry`, `wait-before`, `timeout`… directly on the task",
            );
        } else if key == "output" && valid.contains(&"publish") {
            d = d.with_help(
                "a task returns its result through `publish: {name: <% task().result %>}`",
            );
        } else if let Some(best) = did_you_mean(&key, valid.iter().copied()).or_else(alias) {
            d = d.with_help(format!("did you mean `{best}`?")).with_fix(
                format!("replace with `{best}`"),
                entry.key.span,
                best,
            );
        }
        if let Some(n) = note {
            d = d.with_note(n);
        }
        d = d.with_note(format!("valid keys here: {}", backticked(valid)));
        self.push(d);
    }

    /// Reports a value of the wrong type.
    pub fn wrong_type(&mut self, node: &Node, what: &str, expected: &str) {
        self.push(
            Diagnostic::error(
                "wrong-type",
                node.span,
                format!("{what} must be {expected}, not {}", describe(node)),
            )
            .with_label(format!("expected {expected}")),
        );
    }

    /// Reports an empty value where Mistral wants a non-empty one.
    pub fn empty_value(&mut self, node: &Node, what: &str, help: &str) {
        self.push(
            Diagnostic::error(
                "empty-value",
                node.span,
                format!("{what} must not be empty"),
            )
            .with_help(help.to_string()),
        );
    }

    /// `NONEMPTY_STRING`: the string, or `None` after reporting.
    pub fn nonempty_string<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n str> {
        match node.as_str() {
            Some("") => {
                self.empty_value(node, what, "write a value or remove the key");
                None
            }
            Some(s) => Some(s),
            None => {
                self.wrong_type(node, what, "a string");
                None
            }
        }
    }

    /// `NONEMPTY_DICT`: the mapping, or `None` after reporting.
    pub fn nonempty_dict<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Mapping> {
        match node.as_mapping() {
            Some(m) if m.entries.is_empty() => {
                self.empty_value(node, what, "add entries or remove the key");
                None
            }
            Some(m) => Some(m),
            None => {
                self.wrong_type(node, what, "a mapping of names to values");
                None
            }
        }
    }

    /// `UNIQUE_STRING_LIST`: the strings (only the valid ones).
    pub fn unique_string_list(&mut self, node: &Node, what: &str) -> Vec<String> {
        let Some(seq) = node.as_sequence() else {
            self.wrong_type(node, what, "a list of strings");
            return Vec::new();
        };
        if seq.items.is_empty() {
            self.empty_value(node, what, "add items or remove the key");
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
        for item in &seq.items {
            if let Some(s) = self.nonempty_string(item, &format!("each item of {what}")) {
                if let Some(first) = seen.get(s) {
                    self.push(
                        Diagnostic::error(
                            "duplicate-item",
                            item.span,
                            format!("`{s}` is listed twice in {what}"),
                        )
                        .with_secondary(*first, "first listed here")
                        .with_help("remove one of them"),
                    );
                } else {
                    seen.insert(s, item.span);
                    out.push(s.to_string());
                }
            }
        }
        out
    }

    /// A `name: value` mapping whose string leaves are expression-checked.
    pub fn data_map(
        &mut self,
        node: &Node,
        what: &str,
        item: crate::Item,
        field: &'static str,
    ) -> Option<DataMap> {
        let m = self.nonempty_dict(node, what)?;
        self.check_strings(node, item, field);
        let mut keys = Vec::new();
        let map = last_entries(m)
            .map(|e| {
                keys.push(e.key.span);
                (key_text(&e.key), value(&e.value))
            })
            .collect();
        // A clause's `publish` scopes share the clause's key: no per-entry spans.
        if !matches!(field, "on-success" | "on-error" | "on-complete" | "on-skip") {
            self.map.set_entry_keys(item, field, keys);
        }
        Some(map)
    }
}

/// Entries of a mapping, keeping only the last of duplicate keys (Mistral's view).
pub(crate) fn last_entries(m: &Mapping) -> impl Iterator<Item = &Entry> {
    let n = m.entries.len();
    // Small mappings (almost all): compare keys directly, no allocation.
    let last: Option<FxHashMap<&str, usize>> = (n > 12).then(|| {
        let mut last = FxHashMap::with_capacity_and_hasher(n, Default::default());
        for (i, e) in m.entries.iter().enumerate() {
            last.insert(key_str(&e.key), i);
        }
        last
    });
    m.entries.iter().enumerate().filter_map(move |(i, e)| {
        let k = key_str(&e.key);
        let keep = match &last {
            Some(map) => map.get(k) == Some(&i),
            None => !m.entries[i + 1..].iter().any(|l| key_str(&l.key) == k),
        };
        keep.then_some(e)
    })
}

/// Indices of entries that a later entry with the same key overrides, with the
/// overriding (last) entry's index.
pub(crate) fn overridden_entries(m: &Mapping) -> Vec<(usize, usize)> {
    let n = m.entries.len();
    if n <= 12 {
        // Small mappings (almost all): compare keys directly, no hash map.
        let mut out = Vec::new();
        for (i, e) in m.entries.iter().enumerate() {
            let k = key_str(&e.key);
            if let Some(later) = (i + 1..n).rev().find(|&j| key_str(&m.entries[j].key) == k) {
                out.push((i, later));
            }
        }
        return out;
    }
    let mut last: FxHashMap<&str, usize> =
        FxHashMap::with_capacity_and_hasher(m.entries.len(), Default::default());
    let mut out = Vec::new();
    for (i, e) in m.entries.iter().enumerate().rev() {
        let k = key_str(&e.key);
        if let Some(&later) = last.get(k) {
            out.push((i, later));
        } else {
            last.insert(k, i);
        }
    }
    out.reverse();
    out
}

/// A key as borrowed text (non-scalar keys as a placeholder).
pub(crate) fn key_str(node: &Node) -> &str {
    match &node.kind {
        NodeKind::Scalar(s) => &s.text,
        NodeKind::Mapping(_) => "{…}",
        NodeKind::Sequence(_) => "[…]",
    }
}

/// For each item of a list that repeats an earlier one (Python `==`), the index of
/// that earlier item (`None` for first occurrences). Linear: items are bucketed by
/// a structural hash first.
pub(crate) fn duplicates(items: &[Node]) -> Vec<Option<usize>> {
    use std::hash::{Hash, Hasher};
    fn feed(node: &Node, h: &mut crate::fx::FxHasher) {
        match &node.kind {
            NodeKind::Scalar(s) => {
                0u8.hash(h);
                s.text.hash(h);
            }
            NodeKind::Sequence(q) => {
                1u8.hash(h);
                q.items.len().hash(h);
                for i in &q.items {
                    feed(i, h);
                }
            }
            NodeKind::Mapping(m) => {
                // Order-independent: sum of entry hashes.
                2u8.hash(h);
                let mut sum = 0u64;
                for e in &m.entries {
                    let mut eh = crate::fx::FxHasher::default();
                    key_str(&e.key).hash(&mut eh);
                    feed(&e.value, &mut eh);
                    sum = sum.wrapping_add(eh.finish());
                }
                sum.hash(h);
            }
        }
    }
    let mut buckets: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    let mut out = Vec::with_capacity(items.len());
    for (i, n) in items.iter().enumerate() {
        let mut h = crate::fx::FxHasher::default();
        feed(n, &mut h);
        let bucket = buckets.entry(h.finish()).or_default();
        let prev = bucket.iter().copied().find(|&j| node_eq(&items[j], n));
        if prev.is_none() {
            bucket.push(i);
        }
        out.push(prev);
    }
    out
}

/// Structural equality of two YAML values (Python `==` on what Mistral loads),
/// without building them.
pub(crate) fn node_eq(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Scalar(x), NodeKind::Scalar(y)) => match (&x.value, &y.value) {
            (ScalarValue::Str, ScalarValue::Str) => x.text == y.text,
            (vx, vy) => vx == vy,
        },
        (NodeKind::Sequence(x), NodeKind::Sequence(y)) => {
            x.items.len() == y.items.len()
                && x.items.iter().zip(&y.items).all(|(p, q)| node_eq(p, q))
        }
        (NodeKind::Mapping(x), NodeKind::Mapping(y)) => {
            let xs: Vec<&Entry> = last_entries(x).collect();
            let ys: Vec<&Entry> = last_entries(y).collect();
            xs.len() == ys.len()
                && xs.iter().all(|e| {
                    ys.iter()
                        .any(|f| key_str(&e.key) == key_str(&f.key) && node_eq(&e.value, &f.value))
                })
        }
        _ => false,
    }
}

/// A key as text (non-string scalar keys by their source text).
pub(crate) fn key_text(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar(s) => s.text.clone(),
        NodeKind::Mapping(_) => "{…}".to_string(),
        NodeKind::Sequence(_) => "[…]".to_string(),
    }
}

/// `a`, `b`, `c` for messages.
pub(crate) fn backticked(items: &[&str]) -> String {
    items
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a node reads in a message: "the integer `42`", "a mapping", "null".
pub(crate) fn describe(node: &Node) -> String {
    match &node.kind {
        NodeKind::Scalar(s) => describe_scalar(s),
        NodeKind::Mapping(_) => "a mapping".to_string(),
        NodeKind::Sequence(_) => "a list".to_string(),
    }
}

fn describe_scalar(s: &Scalar) -> String {
    let shown = if s.text.chars().count() > 40 {
        let cut: String = s.text.chars().take(37).collect();
        format!("{cut}…")
    } else {
        s.text.clone()
    };
    match &s.value {
        ScalarValue::Null => "null (an empty value)".to_string(),
        ScalarValue::Bool(_) => format!("the boolean `{shown}`"),
        ScalarValue::Int(_) => format!("the integer `{shown}`"),
        ScalarValue::Float(_) => format!("the number `{shown}`"),
        ScalarValue::Timestamp(_) => format!("the date `{shown}`"),
        ScalarValue::Str => format!("the string `{shown}`"),
    }
}

/// The model value of a node.
pub(crate) fn value(node: &Node) -> Value {
    match &node.kind {
        NodeKind::Scalar(s) => match &s.value {
            ScalarValue::Null => Value::Null,
            ScalarValue::Bool(b) => Value::Bool(*b),
            ScalarValue::Int(IntValue::Small(i)) => Value::Int(*i),
            ScalarValue::Int(IntValue::Big(t)) => Value::BigInt(t.clone()),
            ScalarValue::Float(f) => Value::Float(*f),
            ScalarValue::Timestamp(t) => Value::Timestamp(t.clone()),
            ScalarValue::Str => Value::Str(s.text.clone()),
        },
        NodeKind::Mapping(m) => Value::Map(
            last_entries(m)
                .map(|e| (value(&e.key), value(&e.value)))
                .collect(),
        ),
        NodeKind::Sequence(q) => Value::List(q.items.iter().map(value).collect()),
    }
}

/// A non-negative integer as Mistral's `POSITIVE_INTEGER` reads it (integral
/// floats included, as jsonschema does; booleans excluded).
pub(crate) fn positive_integer(node: &Node) -> Option<Result<u64, ()>> {
    let s = node.as_scalar()?;
    match &s.value {
        ScalarValue::Int(IntValue::Small(i)) => Some(u64::try_from(*i).map_err(|_| ())),
        ScalarValue::Int(IntValue::Big(t)) => Some(if t.starts_with('-') {
            Err(())
        } else {
            Ok(u64::MAX)
        }),
        ScalarValue::Float(f) if f.fract() == 0.0 && f.is_finite() => {
            Some(if *f >= 0.0 { Ok(*f as u64) } else { Err(()) })
        }
        _ => None,
    }
}
