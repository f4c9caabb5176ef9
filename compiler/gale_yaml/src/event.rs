//! Events, mirroring PyYAML's `events.py`.
//!
//! | PyYAML | here |
//! |---|---|
//! | `StreamStartEvent` / `StreamEndEvent` | [`Event::StreamStart`] / [`Event::StreamEnd`] |
//! | `DocumentStartEvent(explicit, version, tags)` | [`Event::DocumentStart`] |
//! | `DocumentEndEvent(explicit)` | [`Event::DocumentEnd`] |
//! | `AliasEvent(anchor)` | [`Event::Alias`] (standard dialect only) |
//! | `ScalarEvent(anchor, tag, implicit, value, style)` | [`Event::Scalar`] |
//! | `SequenceStartEvent(anchor, tag, implicit, flow_style)` | [`Event::SequenceStart`] |
//! | `MappingStartEvent(anchor, tag, implicit, flow_style)` | [`Event::MappingStart`] |
//! | `SequenceEndEvent` / `MappingEndEvent` | [`Event::SequenceEnd`] / [`Event::MappingEnd`] |
//!
//! Every event has a [`Span`]: PyYAML's `start_mark`/`end_mark`, with byte offsets.
//! For a scalar the span covers the whole token including quotes, block indicators
//! and a preceding tag/anchor, exactly like PyYAML's marks.

use crate::reader::Mark;
use std::borrow::Cow;

/// PyYAML's `(start_mark, end_mark)` pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// `start_mark`.
    pub start: Mark,
    /// `end_mark`.
    pub end: Mark,
}

impl Span {
    /// The byte range `start.offset..end.offset`.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start.pos()..self.end.pos()
    }
}

/// A scalar's style (`ScalarEvent.style`; PyYAML's `None` is [`ScalarStyle::Plain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    /// Plain (`style=None`), also used for empty scalars PyYAML synthesises.
    Plain,
    /// `'single quoted'`.
    SingleQuoted,
    /// `"double quoted"`.
    DoubleQuoted,
    /// `|` literal block scalar.
    Literal,
    /// `>` folded block scalar.
    Folded,
}

impl ScalarStyle {
    /// PyYAML's style character (`None` for plain).
    pub fn as_pyyaml(self) -> Option<char> {
        match self {
            ScalarStyle::Plain => None,
            ScalarStyle::SingleQuoted => Some('\''),
            ScalarStyle::DoubleQuoted => Some('"'),
            ScalarStyle::Literal => Some('|'),
            ScalarStyle::Folded => Some('>'),
        }
    }
}

/// One parser event. Strings borrow the input whenever no decoding changed them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// `StreamStartEvent`.
    StreamStart {
        /// Marks.
        span: Span,
    },
    /// `StreamEndEvent`.
    StreamEnd {
        /// Marks.
        span: Span,
    },
    /// `DocumentStartEvent`.
    DocumentStart {
        /// `---` was written.
        explicit: bool,
        /// `%YAML major.minor`, if given.
        version: Option<(u64, u64)>,
        /// `%TAG` handles declared for this document (in order), if any.
        tags: Option<Vec<(Cow<'a, str>, Cow<'a, str>)>>,
        /// Marks.
        span: Span,
    },
    /// `DocumentEndEvent`.
    DocumentEnd {
        /// `...` was written.
        explicit: bool,
        /// Marks.
        span: Span,
    },
    /// `AliasEvent` (`*name`; never produced in the Mistral dialect).
    Alias {
        /// The anchor name.
        anchor: &'a str,
        /// Marks.
        span: Span,
    },
    /// `ScalarEvent`.
    Scalar {
        /// `&name` (standard dialect only).
        anchor: Option<&'a str>,
        /// The resolved tag (`tag:yaml.org,2002:str` for `!!str`), `!` for a
        /// non-specific tag, `None` when untagged.
        tag: Option<Cow<'a, str>>,
        /// PyYAML's `implicit` pair: `(plain-and-untagged-or-'!', quoted-and-untagged)`.
        /// The resolver uses `.0` for plain scalars and `.1` for quoted ones.
        implicit: (bool, bool),
        /// The scalar style.
        style: ScalarStyle,
        /// The decoded value.
        value: Cow<'a, str>,
        /// Marks.
        span: Span,
    },
    /// `SequenceStartEvent`.
    SequenceStart {
        /// `&name` (standard dialect only).
        anchor: Option<&'a str>,
        /// The resolved tag, if any.
        tag: Option<Cow<'a, str>>,
        /// `implicit` (`tag is None or tag == '!'`).
        implicit: bool,
        /// `flow_style`: `[ ]` rather than `- ` entries.
        flow: bool,
        /// Marks.
        span: Span,
    },
    /// `SequenceEndEvent`.
    SequenceEnd {
        /// Marks.
        span: Span,
    },
    /// `MappingStartEvent`.
    MappingStart {
        /// `&name` (standard dialect only).
        anchor: Option<&'a str>,
        /// The resolved tag, if any.
        tag: Option<Cow<'a, str>>,
        /// `implicit` (`tag is None or tag == '!'`).
        implicit: bool,
        /// `flow_style`: `{ }` (or a `[a: b]` single-pair mapping) rather than block.
        flow: bool,
        /// Marks.
        span: Span,
    },
    /// `MappingEndEvent`.
    MappingEnd {
        /// Marks.
        span: Span,
    },
}

impl Event<'_> {
    /// The event's marks.
    pub fn span(&self) -> Span {
        match self {
            Event::StreamStart { span }
            | Event::StreamEnd { span }
            | Event::DocumentStart { span, .. }
            | Event::DocumentEnd { span, .. }
            | Event::Alias { span, .. }
            | Event::Scalar { span, .. }
            | Event::SequenceStart { span, .. }
            | Event::SequenceEnd { span }
            | Event::MappingStart { span, .. }
            | Event::MappingEnd { span } => *span,
        }
    }

    /// PyYAML's event class name (`ScalarEvent`, `MappingStartEvent`, …).
    pub fn class_name(&self) -> &'static str {
        match self {
            Event::StreamStart { .. } => "StreamStartEvent",
            Event::StreamEnd { .. } => "StreamEndEvent",
            Event::DocumentStart { .. } => "DocumentStartEvent",
            Event::DocumentEnd { .. } => "DocumentEndEvent",
            Event::Alias { .. } => "AliasEvent",
            Event::Scalar { .. } => "ScalarEvent",
            Event::SequenceStart { .. } => "SequenceStartEvent",
            Event::SequenceEnd { .. } => "SequenceEndEvent",
            Event::MappingStart { .. } => "MappingStartEvent",
            Event::MappingEnd { .. } => "MappingEndEvent",
        }
    }
}
