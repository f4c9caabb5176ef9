//! Shared test helpers: the canonical event encoding of `scripts/pyyaml_events.py`
//! (see its docstring), error encoding, and locating `../shared`.

#![allow(dead_code)]

use gale_yaml::{Event, Mark, ScalarStyle, YamlError};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// `json.dumps(s, ensure_ascii=True)`.
pub fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
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
            c if (c as u32) < 0x20 || (c as u32) > 0x7e && (c as u32) != 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn opt(s: Option<&str>) -> String {
    s.map_or_else(|| "-".to_owned(), js)
}

fn tf(b: bool) -> char {
    if b { 'T' } else { 'F' }
}

/// Byte offset → character index table for `text`.
pub struct CharIndex(Vec<usize>);

impl CharIndex {
    /// Build the table.
    pub fn new(text: &str) -> Self {
        // v[i] = number of characters that start before byte i
        let mut v = Vec::with_capacity(text.len() + 1);
        let mut count = 0;
        for i in 0..=text.len() {
            v.push(count);
            if i < text.len() && text.is_char_boundary(i) {
                count += 1;
            }
        }
        CharIndex(v)
    }

    /// The character index of a mark, from its byte offset (checked against `mark.index`).
    pub fn of(&self, m: Mark) -> usize {
        let i = self.0.get(m.pos()).copied().unwrap_or(usize::MAX);
        assert!(
            i == m.index as usize,
            "mark byte offset {} gives char index {i} but mark.index is {}",
            m.offset,
            m.index
        );
        i
    }
}

/// One canonical line per event.
pub fn canon(ev: &Event<'_>, ci: &CharIndex) -> String {
    let sp = ev.span();
    let marks = format!("{} {}", ci.of(sp.start), ci.of(sp.end));
    let name = ev.class_name().trim_end_matches("Event");
    match ev {
        Event::DocumentStart {
            explicit,
            version,
            tags,
            ..
        } => {
            let v = version.map_or("-".to_owned(), |(a, b)| format!("{a}.{b}"));
            let t = match tags {
                Some(t) if !t.is_empty() => t
                    .iter()
                    .map(|(h, p)| format!("{}={}", js(h), js(p)))
                    .collect::<Vec<_>>()
                    .join(","),
                _ => "-".to_owned(),
            };
            format!("{name} {} {v} {t} {marks}", tf(*explicit))
        }
        Event::DocumentEnd { explicit, .. } => format!("{name} {} {marks}", tf(*explicit)),
        Event::Alias { anchor, .. } => format!("{name} {} {marks}", js(anchor)),
        Event::Scalar {
            anchor,
            tag,
            implicit,
            style,
            value,
            ..
        } => {
            let style = match style {
                ScalarStyle::Plain => '-',
                s => s.as_pyyaml().unwrap_or('-'),
            };
            format!(
                "{name} {} {} {}{} {style} {marks} {}",
                opt(*anchor),
                opt(tag.as_deref()),
                tf(implicit.0),
                tf(implicit.1),
                js(value)
            )
        }
        Event::SequenceStart {
            anchor,
            tag,
            implicit,
            flow,
            ..
        }
        | Event::MappingStart {
            anchor,
            tag,
            implicit,
            flow,
            ..
        } => format!(
            "{name} {} {} {} {} {marks}",
            opt(*anchor),
            opt(tag.as_deref()),
            tf(*implicit),
            tf(*flow)
        ),
        _ => format!("{name} {marks}"),
    }
}

/// Hex SHA-256 of the canonical lines (each followed by `\n`).
pub fn digest(lines: &[String]) -> String {
    let mut h = Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The error as the Python script encodes it.
pub fn error_json(e: &YamlError, ci: &CharIndex) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("kind".into(), json!(e.kind.class_name()));
    m.insert("problem".into(), json!(e.problem));
    match e.kind {
        gale_yaml::ErrorKind::Reader => {
            m.insert("index".into(), json!(e.problem_mark.map(|p| p.index)));
        }
        gale_yaml::ErrorKind::Value => {}
        _ => {
            m.insert("context".into(), json!(e.context));
            if let Some(p) = e.problem_mark {
                m.insert("line".into(), json!(p.line));
                m.insert("column".into(), json!(p.column));
                m.insert("index".into(), json!(ci.of(p)));
            }
            if let Some(c) = e.context_mark {
                m.insert("context_line".into(), json!(c.line));
                m.insert("context_column".into(), json!(c.column));
            }
        }
    }
    Value::Object(m)
}

/// Canonical lines and error for `text`.
pub fn run(text: &str, options: gale_yaml::Options) -> (Vec<String>, Option<Value>) {
    let ci = CharIndex::new(text);
    let (events, err) = gale_yaml::parse_partial(text, options);
    let lines = events.iter().map(|e| canon(e, &ci)).collect();
    (lines, err.map(|e| error_json(&e, &ci)))
}

/// `<workspace root>/../shared`, or `None` (after printing SKIPPED) when missing
/// outside CI.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!("../shared not found at {} (required in CI)", dir.display());
    }
    eprintln!("SKIPPED: ../shared not found at {}", dir.display());
    None
}

/// Path of a file under `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}
