//! The span tree: mappings, sequences and scalars, each with its source span.

use gale_diagnostics::{Diagnostic, Span};

/// The result of [`crate::parse`]: the tree (if any node could be read), the
/// comments, and every YAML diagnostic.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The document's root node; `None` for an empty document (Mistral reads `{}`)
    /// or when nothing could be read before a syntax error.
    pub root: Option<Node>,
    /// Every `#` comment, in source order.
    pub comments: Vec<Comment>,
    /// YAML-level diagnostics: syntax errors, duplicate keys, dialect surprises.
    pub diagnostics: Vec<Diagnostic>,
}

/// A `#` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the end of the line (not including the line break).
    pub span: Span,
    /// The text after the `#`.
    pub text: String,
}

/// A YAML node with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The node's source span. For a block mapping or sequence this runs from its
    /// first key or `-` to the end of its last value (no trailing lines).
    pub span: Span,
    /// What the node is.
    pub kind: NodeKind,
    /// The explicit tag, if any (e.g. `!!str`), as written.
    pub tag: Option<String>,
}

/// The three kinds of node.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar.
    Scalar(Scalar),
    /// A mapping; entries in source order, **duplicates kept** (Mistral keeps the last).
    Mapping(Mapping),
    /// A sequence.
    Sequence(Sequence),
}

/// A mapping node.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    /// Entries in source order, duplicate keys included.
    pub entries: Vec<Entry>,
    /// `true` for `{…}`, `false` for block style.
    pub flow: bool,
    /// `true` when a syntax error cut this mapping short: required-key checks on it
    /// would be noise.
    pub truncated: bool,
}

/// A sequence node.
#[derive(Clone, Debug, PartialEq)]
pub struct Sequence {
    /// Items in order.
    pub items: Vec<Node>,
    /// `true` for `[…]`, `false` for block style.
    pub flow: bool,
    /// `true` when a syntax error cut this sequence short.
    pub truncated: bool,
}

/// One `key: value` pair.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key node (usually a scalar).
    pub key: Node,
    /// The value node (an empty value is a null scalar with an empty span).
    pub value: Node,
}

/// How a scalar was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// Unquoted.
    Plain,
    /// `'…'`.
    SingleQuoted,
    /// `"…"`.
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A scalar: decoded text, resolved value and the map back to the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// How it was written.
    pub style: ScalarStyle,
    /// The decoded text (escapes processed, lines folded, indentation removed).
    pub text: String,
    /// The value after PyYAML 1.1 SafeLoader resolution (only plain scalars are
    /// resolved; quoted and block scalars are strings unless tagged).
    pub value: ScalarValue,
    /// Decoded offset → source offset.
    pub offsets: OffsetMap,
}

/// A scalar's value as PyYAML 1.1's SafeLoader resolves it.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue {
    /// `~`, `null`, `Null`, `NULL`, or empty.
    Null,
    /// `yes/no/true/false/on/off` in their three casings.
    Bool(bool),
    /// Decimal, `0o`-less octal (`017`), hex, binary, `_` separators, sexagesimal
    /// (`1:30`). PyYAML ints are unbounded; values beyond i128 are kept as text.
    Int(IntValue),
    /// Floats as PyYAML 1.1 reads them (`1.5`, `.5`, `1.0e+3`, `.inf`, `.nan`,
    /// sexagesimal `1:30.5`); `1e3` (no dot) is a string.
    Float(f64),
    /// A date (`2026-01-02`) or timestamp, kept as written.
    Timestamp(String),
    /// Anything else, and every quoted or block scalar: the decoded text.
    Str,
}

/// An integer value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IntValue {
    /// Fits in an i128.
    Small(i128),
    /// Too big: the decimal digits (with sign), as Python would print the int.
    Big(String),
}

/// Maps offsets in a scalar's decoded text to byte offsets in the source.
///
/// Built from runs: each run says "decoded bytes `[d, d+len)` come from source bytes
/// `[s, s+len)`" (verbatim copies); decoded bytes produced by an escape or a folded
/// line break map to the start of the source text that produced them. The reader
/// records such produced text as a zero-length run `(d, s, 0)`: every decoded byte
/// from `d` up to the next run maps to source offset `s` (the `\\` of an escape, the
/// line break of a fold).
///
/// The first run is stored inline, so the common single-run map (a scalar copied
/// verbatim from the source) needs no heap allocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// The first `(decoded_start, source_start, len)` run, if any.
    first: Option<(u32, u32, u32)>,
    /// The runs after the first, sorted by `decoded_start`.
    rest: Vec<(u32, u32, u32)>,
    /// Source offset one past the scalar's content (used for offsets at the very end).
    pub source_end: u32,
}

impl OffsetMap {
    /// A map for text copied verbatim from `source_start`.
    pub fn verbatim(source_start: u32, len: u32) -> OffsetMap {
        OffsetMap {
            first: Some((0, source_start, len)),
            rest: Vec::new(),
            source_end: source_start + len,
        }
    }

    /// A map from `(decoded_start, source_start, len)` runs sorted by
    /// `decoded_start` (see the type's docs for zero-length runs).
    pub fn from_runs(runs: Vec<(u32, u32, u32)>, source_end: u32) -> OffsetMap {
        let mut rest = runs;
        let first = if rest.is_empty() {
            None
        } else {
            Some(rest.remove(0))
        };
        if rest.is_empty() {
            // Give back the allocation of a single-run map.
            rest = Vec::new();
        }
        OffsetMap {
            first,
            rest,
            source_end,
        }
    }

    /// The runs, in order.
    pub fn runs(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        self.first.into_iter().chain(self.rest.iter().copied())
    }

    /// Run `i`.
    #[inline]
    fn run(&self, i: usize) -> Option<(u32, u32, u32)> {
        if i == 0 {
            self.first
        } else {
            self.rest.get(i - 1).copied()
        }
    }

    /// The source byte offset of decoded offset `decoded`.
    pub fn to_source(&self, decoded: u32) -> u32 {
        // Number of runs starting at or before `decoded`.
        let i = match self.first {
            Some((d, _, _)) if d <= decoded => {
                1 + self.rest.partition_point(|&(d, _, _)| d <= decoded)
            }
            _ => 0,
        };
        if i == 0 {
            return self.first.map_or(self.source_end, |r| r.1);
        }
        let Some((d, s, len)) = self.run(i - 1) else {
            return self.source_end;
        };
        if decoded < d + len {
            s + (decoded - d)
        } else if let Some(next) = self.run(i) {
            // Inside bytes produced by an escape or fold: point at what follows the run.
            if decoded == d + len {
                s + len
            } else {
                next.1.min(s + len)
            }
        } else if decoded == d + len {
            s + len
        } else {
            self.source_end
        }
    }

    /// The source span of decoded range `[start, end)`.
    pub fn span(&self, start: u32, end: u32) -> Span {
        Span::new(self.to_source(start), self.to_source(end))
    }
}

impl Node {
    /// The node as a scalar, if it is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The node as a mapping, if it is one.
    pub fn as_mapping(&self) -> Option<&Mapping> {
        match &self.kind {
            NodeKind::Mapping(m) => Some(m),
            _ => None,
        }
    }

    /// The node as a sequence, if it is one.
    pub fn as_sequence(&self) -> Option<&Sequence> {
        match &self.kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    /// The decoded text of a scalar that resolves to a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s) if s.value == ScalarValue::Str => Some(&s.text),
            _ => None,
        }
    }

    /// Whether this node is a null scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(s) if s.value == ScalarValue::Null)
    }
}

impl Mapping {
    /// The value of the **last** entry whose key is the string `key` (Mistral keeps
    /// the last of duplicate keys).
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The last entry whose key is the string `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.key.as_key_str() == Some(key))
    }
}

impl Node {
    /// The key text of a scalar used as a mapping key, as Python would see it after
    /// `str()`-free lookup: only string-valued scalars count.
    pub fn as_key_str(&self) -> Option<&str> {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_map_runs() {
        // decoded "a\nb" from source `"a\nb"` at offset 10: a@11, escape @12..14, b@14
        let map = OffsetMap::from_runs(vec![(0, 11, 1), (2, 14, 1)], 15);
        assert_eq!(map.runs().count(), 2);
        assert_eq!(map.to_source(0), 11);
        assert_eq!(map.to_source(1), 12);
        assert_eq!(map.to_source(2), 14);
        assert_eq!(map.to_source(3), 15);
    }
}
