//! The reader: drives `gale_yaml`'s PyYAML-exact event parser (Mistral dialect)
//! over the text and builds the span tree.
//!
//! `gale_yaml` reproduces Mistral's loader decision for decision: `&`, `*` and a
//! leading `@` are plain text, tabs and unprintable characters are rejected where
//! PyYAML rejects them, flow content ignores indentation, a second document is an
//! error, and every error carries PyYAML's exact problem/context text and marks.
//! Scalar values come from `gale_yaml` too; [`crate::scalar`] is only asked for the
//! offset map when `gale_yaml` had to decode a scalar (its value does not borrow
//! the input unchanged).
//!
//! On the first error the reader stops, closes the open containers (marking them
//! `truncated`) and keeps what it read.

use std::borrow::Cow;

use gale_diagnostics::{Diagnostic, Span};
use gale_yaml::{ErrorKind, Event, Options, Parser, ScalarStyle as YStyle, YamlError};

use crate::scalar::{block_header, decode_block, decode_plain, decode_quoted};
use crate::tree::{
    Entry, Mapping, Node, NodeKind, OffsetMap, Scalar, ScalarStyle, ScalarValue, Sequence,
};

/// Nesting deeper than this is reported as `yaml-too-deep` and not read.
pub const MAX_DEPTH: usize = 128;

/// An open container while reading. Its children wait on the reader's shared node
/// stack (from `base` up; for a mapping, keys and values alternate) and move into
/// an exactly sized `Vec` when it closes: no per-container regrowth.
struct Frame {
    start: u32,
    flow: bool,
    tag: Option<String>,
    /// Column of the block collection (for block scalar indentation); -1 for flow.
    col: i64,
    is_map: bool,
    /// Index of the first child on the node stack.
    base: usize,
}

/// What the reader produced.
pub(crate) struct Read {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
    /// Source ranges whose bytes belong to quoted or block scalars (tabs and `#` are
    /// content there), sorted.
    pub opaque: Vec<(u32, u32)>,
}

/// Reads `text`.
///
/// PyYAML checks the whole text for unprintable characters before scanning
/// anything; Gale reports that error but still reads the text before the
/// character, so that the rest of the file gets checked.
pub(crate) fn read(text: &str) -> Read {
    let (src, char_error) = match gale_yaml::reader::check_printable(text) {
        Ok(()) => (text, None),
        Err(e) => {
            let at = e.problem_mark.map_or(0, |m| m.pos()).min(text.len());
            let prefix = text.get(..at).unwrap_or("");
            (prefix, Some((at as u32, e)))
        }
    };
    let mut r = Reader {
        text,
        frames: Vec::new(),
        nodes: Vec::with_capacity(64),
        root: None,
        diagnostics: Vec::new(),
        opaque: Vec::new(),
        prev_end: 0,
        stopped: false,
    };
    let mut parser = Parser::new(src, Options::mistral()).assume_printable();
    loop {
        match parser.next_event() {
            Ok(Some(event)) => {
                if !r.event(event) {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                let at = e.problem_mark.map_or(src.len(), |m| m.pos());
                // With a cut text, an error at the cut is an artefact of the cut.
                if char_error.is_none() || at < src.len() {
                    r.syntax_error(&e);
                }
                r.stopped = true;
                break;
            }
        }
    }
    if let Some((at, e)) = char_error {
        r.stopped = true;
        let len = text
            .get(at as usize..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8) as u32;
        r.diagnostics.push(
            Diagnostic::error("yaml-syntax", Span::new(at, at + len), e.problem)
                .with_label("Mistral's YAML loader rejects this character"),
        );
    }
    r.close_all();
    r.opaque.sort_unstable();
    Read {
        root: r.root,
        diagnostics: r.diagnostics,
        opaque: r.opaque,
    }
}

struct Reader<'t> {
    text: &'t str,
    frames: Vec<Frame>,
    /// Children of the open frames (see [`Frame`]).
    nodes: Vec<Node>,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
    opaque: Vec<(u32, u32)>,
    /// End of the last event read (bytes): an empty value is placed here.
    prev_end: u32,
    /// Reading stopped at an error.
    stopped: bool,
}

/// The tag as written, from PyYAML's resolved form (`tag:yaml.org,2002:str` was
/// written `!!str`).
fn written_tag(long: &str) -> String {
    if let Some(suffix) = long.strip_prefix("tag:yaml.org,2002:") {
        format!("!!{suffix}")
    } else if long.starts_with('!') {
        long.to_string()
    } else {
        format!("!<{long}>")
    }
}

/// The byte offset of `s` in `text`, when `s` is a slice of `text`.
fn offset_in(text: &str, s: &str) -> Option<u32> {
    let off = (s.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (off + s.len() <= text.len()).then_some(off as u32)
}

impl Reader<'_> {
    fn syntax_error(&mut self, e: &YamlError) {
        self.stopped = true;
        let at = e
            .problem_mark
            .map_or(self.text.len(), |m| m.pos())
            .min(self.text.len()) as u32;
        if e.kind == ErrorKind::DepthLimit {
            self.diagnostics.push(too_deep(at));
            return;
        }
        if e.kind == ErrorKind::Composer {
            let end = if self.text.as_bytes().get(at as usize..at as usize + 3) == Some(b"---") {
                at + 3
            } else {
                at
            };
            let message = e
                .context
                .as_deref()
                .unwrap_or("expected a single document in the stream");
            self.diagnostics.push(
                Diagnostic::error("yaml-syntax", Span::new(at, end), message)
                    .with_label(e.problem.as_str())
                    .with_note("Mistral reads one YAML document per definition"),
            );
            return;
        }
        let tab =
            self.text.as_bytes().get(at as usize) == Some(&b'\t') && e.problem.contains("'\\t'");
        let mut d = if tab {
            Diagnostic::error("yaml-syntax", Span::new(at, at + 1), e.problem.as_str())
                .with_label("tab")
                .with_note("Mistral's YAML loader (PyYAML) accepts tabs only inside quoted or block scalars and comments")
                .with_help("use spaces")
        } else {
            Diagnostic::error("yaml-syntax", Span::empty(at), e.problem.as_str()).with_label("here")
        };
        if let (Some(context), Some(cm)) = (&e.context, e.context_mark) {
            let cm = cm.pos().min(self.text.len()) as u32;
            d = d.with_secondary(Span::empty(cm), context.as_str());
        }
        if e.problem.starts_with("mapping values are not allowed") {
            d = d
                .with_note(
                    "a plain value cannot contain `: `; Mistral's loader (PyYAML) rejects the file",
                )
                .with_help("quote the value, or fix the indentation of the key");
        }
        self.diagnostics.push(d);
    }

    /// Handles one event; `false` stops reading.
    fn event(&mut self, event: Event<'_>) -> bool {
        let is_map = matches!(event, Event::MappingStart { .. });
        match event {
            Event::StreamStart { .. }
            | Event::StreamEnd { .. }
            | Event::DocumentStart { .. }
            | Event::DocumentEnd { .. }
            | Event::Alias { .. } => {}
            Event::Scalar {
                tag,
                style,
                value,
                span,
                ..
            } => {
                let node = self.scalar(value, style, tag, span.start.pos(), span.end.pos());
                self.prev_end = self.prev_end.max(node.span.end);
                self.push_node(node);
            }
            Event::MappingStart {
                tag, flow, span, ..
            }
            | Event::SequenceStart {
                tag, flow, span, ..
            } => {
                let (start, end) = (span.start.offset, span.end.offset);
                if self.frames.len() >= MAX_DEPTH {
                    self.stopped = true;
                    self.diagnostics.push(too_deep(start));
                    return false;
                }
                // A single-pair mapping inside `[…]` is flow for PyYAML but has no
                // braces: Gale reports it as block style, spanning its entry.
                let flow = flow
                    && self
                        .text
                        .as_bytes()
                        .get(start as usize)
                        .is_some_and(|&b| b == b'{' || b == b'[');
                self.frames.push(Frame {
                    start,
                    flow,
                    tag: tag.as_deref().map(written_tag),
                    col: if flow { -1 } else { span.start.column as i64 },
                    is_map,
                    base: self.nodes.len(),
                });
                self.prev_end = self.prev_end.max(if flow { end } else { start });
            }
            Event::MappingEnd { span } | Event::SequenceEnd { span } => {
                let (start, end) = (span.start.offset, span.end.offset);
                if let Some(frame) = self.frames.pop() {
                    let base = frame.base.min(self.nodes.len());
                    let node = close(
                        frame,
                        self.nodes.drain(base..),
                        if end > start { Some(end) } else { None },
                        false,
                    );
                    if node.span.end > self.prev_end && end > start {
                        self.prev_end = node.span.end;
                    }
                    self.push_node(node);
                }
            }
        }
        true
    }

    fn push_node(&mut self, node: Node) {
        if self.frames.is_empty() {
            if self.root.is_none() {
                self.root = Some(node);
            }
        } else {
            self.nodes.push(node);
        }
    }

    /// Whether the next node read is a mapping key.
    fn next_is_key(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| f.is_map && self.nodes.len().saturating_sub(f.base).is_multiple_of(2))
    }

    fn close_all(&mut self) {
        let truncated = self.stopped || !self.frames.is_empty();
        while let Some(frame) = self.frames.pop() {
            let base = frame.base.min(self.nodes.len());
            let node = close(frame, self.nodes.drain(base..), None, truncated);
            self.push_node(node);
        }
    }

    /// The column of the innermost block collection (-1 at top level).
    fn block_indent(&self) -> i64 {
        self.frames
            .iter()
            .rev()
            .find(|f| !f.flow)
            .map_or(-1, |f| f.col)
    }

    /// Skips node properties (tags) and the blanks/comments after them.
    fn skip_properties(&self, mut i: usize, limit: usize) -> usize {
        let b = self.text.as_bytes();
        while i < limit && b[i] == b'!' {
            while i < limit && !matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                i += 1;
            }
            loop {
                while i < limit && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                if i < limit && b[i] == b'#' {
                    while i < limit && !matches!(b[i], b'\n' | b'\r') {
                        i += 1;
                    }
                } else {
                    break;
                }
            }
        }
        i
    }

    /// The offset map of a scalar whose value `gale_yaml` returned borrowed from
    /// the input: a single verbatim run.
    #[allow(clippy::ptr_arg, reason = "whether the value is borrowed is the point")]
    fn borrowed_map(&self, value: &Cow<'_, str>) -> Option<OffsetMap> {
        match value {
            Cow::Borrowed(s) if !s.is_empty() => {
                offset_in(self.text, s).map(|o| OffsetMap::verbatim(o, s.len() as u32))
            }
            _ => None,
        }
    }

    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: YStyle,
        tag: Option<Cow<'_, str>>,
        start: usize,
        end: usize,
    ) -> Node {
        let text = self.text;
        let b = text.as_bytes();
        let (s, e) = (start.min(b.len()), end.min(b.len()));
        let tagged = tag.is_some();
        let (style, offsets, span) = match style {
            YStyle::Plain => {
                let cs = if tagged {
                    self.skip_properties(s, e)
                } else {
                    s
                };
                if value.is_empty() {
                    let at = if tagged {
                        cs.min(e) as u32
                    } else {
                        self.prev_end
                    };
                    (
                        ScalarStyle::Plain,
                        OffsetMap::verbatim(at, 0),
                        Span::empty(at),
                    )
                } else {
                    let map = self
                        .borrowed_map(&value)
                        .unwrap_or_else(|| decode_plain(text, cs, e.max(cs), false).1);
                    (ScalarStyle::Plain, map, Span::new(start as u32, e as u32))
                }
            }
            YStyle::SingleQuoted | YStyle::DoubleQuoted => {
                let mut q = if tagged {
                    self.skip_properties(s, e)
                } else {
                    s
                };
                let (want, st) = if style == YStyle::SingleQuoted {
                    (b'\'', ScalarStyle::SingleQuoted)
                } else {
                    (b'"', ScalarStyle::DoubleQuoted)
                };
                while q < e && b[q] != want {
                    q += 1;
                }
                let map = match self.borrowed_map(&value) {
                    Some(m) => m,
                    None if value.is_empty() => OffsetMap::verbatim(q as u32 + 1, 0),
                    None => decode_quoted(text, q, false).1,
                };
                self.opaque.push((q as u32, e as u32));
                (st, map, Span::new(start as u32, e as u32))
            }
            YStyle::Literal | YStyle::Folded => {
                let mut h = if tagged {
                    self.skip_properties(s, e)
                } else {
                    s
                };
                while h < e && !matches!(b[h], b'|' | b'>') {
                    h += 1;
                }
                let header = block_header(text, h);
                let (_, map, bend) = decode_block(text, header, self.block_indent(), false);
                self.opaque.push((h as u32, bend as u32));
                let st = if style == YStyle::Literal {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                };
                let node_start = if tagged { start.min(h) } else { h };
                // The node ends with its last content character, not trailing lines.
                let mut ne = bend;
                while ne > h + 1 && matches!(b.get(ne - 1), Some(b'\n' | b'\r' | b' ')) {
                    ne -= 1;
                }
                (st, map, Span::new(node_start as u32, ne.max(h + 1) as u32))
            }
        };
        let is_key = self.next_is_key();
        let long = tag.as_deref();
        let resolved = crate::resolve::resolve(&value, style, long, is_key);
        let text = value.into_owned();
        let value = match resolved {
            Ok(v) => v,
            Err(msg) => {
                let help =
                    if msg.contains("for the tag '!") || (tagged && msg.contains("constructor")) {
                        "remove the tag"
                    } else {
                        "quote the value to make it a string"
                    };
                self.diagnostics.push(
                    Diagnostic::error("yaml-syntax", span, msg)
                        .with_label("Mistral's YAML loader cannot construct this value")
                        .with_help(help),
                );
                ScalarValue::Str
            }
        };
        Node {
            span,
            kind: NodeKind::Scalar(Scalar {
                style,
                text,
                value,
                offsets,
            }),
            tag: long.map(written_tag),
        }
    }
}

fn too_deep(at: u32) -> Diagnostic {
    Diagnostic::error(
        "yaml-too-deep",
        Span::empty(at),
        format!("the document nests more than {MAX_DEPTH} levels deep"),
    )
    .with_label("too deep here")
    .with_note("Gale stops reading here; no Mistral definition needs this much nesting")
}

/// Turns a finished (or cut-short) frame and its children into a node.
fn close(
    frame: Frame,
    mut children: std::vec::Drain<'_, Node>,
    flow_end: Option<u32>,
    truncated: bool,
) -> Node {
    let Frame {
        start,
        flow,
        tag,
        is_map,
        ..
    } = frame;
    if !is_map {
        let items: Vec<Node> = children.collect();
        let last = items
            .last()
            .map_or(start + u32::from(!flow), |n| n.span.end);
        let end = if flow && !truncated {
            flow_end.unwrap_or(last)
        } else {
            last
        };
        return Node {
            span: Span::new(start, end),
            kind: NodeKind::Sequence(Sequence {
                items,
                flow,
                truncated,
            }),
            tag,
        };
    }
    let mut entries = Vec::with_capacity(children.len().div_ceil(2));
    while let Some(key) = children.next() {
        let value = children.next().unwrap_or_else(|| {
            // A key whose value was never read.
            let at = key.span.end;
            Node {
                span: Span::empty(at),
                kind: NodeKind::Scalar(Scalar {
                    style: ScalarStyle::Plain,
                    text: String::new(),
                    value: ScalarValue::Null,
                    offsets: OffsetMap::verbatim(at, 0),
                }),
                tag: None,
            }
        });
        entries.push(Entry { key, value });
    }
    let last = entries
        .last()
        .map_or(start, |e| e.value.span.end.max(e.key.span.end));
    let end = if flow && !truncated {
        flow_end.unwrap_or(last)
    } else {
        last
    };
    let start = entries.first().map_or(start, |e| {
        if flow {
            start
        } else {
            start.min(e.key.span.start)
        }
    });
    Node {
        span: Span::new(start, end),
        kind: NodeKind::Mapping(Mapping {
            entries,
            flow,
            truncated,
        }),
        tag,
    }
}
