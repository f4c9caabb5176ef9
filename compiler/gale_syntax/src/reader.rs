//! The reader: drives `saphyr-parser` over the text and builds the span tree.
//!
//! Mistral's loader scans `&`, `*` and a leading `@` as plain text. saphyr would
//! read anchors and aliases (and reject `@`), so the reader hands saphyr a copy of
//! the text where every `&`, `*` and `@` byte is replaced by a neutral ASCII letter
//! of the same length; every scalar is then decoded from the *original* text by
//! [`crate::scalar`]. saphyr's markers count characters; they are converted to byte
//! offsets here.
//!
//! On the first error (from saphyr, or one PyYAML raises where saphyr does not,
//! like a tab between tokens or an unprintable character) the reader stops, closes
//! the open containers (marking them `truncated`) and keeps what it read.

use std::borrow::Cow;

use gale_diagnostics::{Diagnostic, Span};
use saphyr_parser::{Event, Parser, ScalarStyle as SStyle, Tag};

use crate::scalar::{block_header, decode_block, decode_plain, decode_quoted};
use crate::tree::{Entry, Mapping, Node, NodeKind, Scalar, ScalarStyle, ScalarValue, Sequence};

/// Nesting deeper than this is reported as `yaml-too-deep` and not read.
pub const MAX_DEPTH: usize = 128;

/// The byte that stands in for `&`, `*` and `@` in the text given to saphyr.
const PLACEHOLDER: u8 = b'x';

/// Converts saphyr's character indexes (in the prepared text) to byte offsets in
/// the original text.
struct Offsets {
    /// `None` when the prepared text is ASCII and unpadded (indexes are offsets).
    table: Option<Vec<u32>>,
    len: u32,
}

impl Offsets {
    fn byte(&self, char_index: usize) -> u32 {
        match &self.table {
            None => (char_index as u32).min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

/// Changes made to the text handed to saphyr so that it reads what PyYAML reads.
#[derive(Default)]
struct Fixes {
    /// `(original line start, spaces)` inserted before flow content that saphyr
    /// finds under-indented (PyYAML ignores indentation inside flow collections).
    pads: Vec<(usize, usize)>,
    /// Original offsets of tabs read as spaces (indentation of quoted-scalar
    /// continuation lines, which PyYAML accepts).
    spaces: Vec<usize>,
}

impl Fixes {
    fn len(&self) -> usize {
        self.pads.len() + self.spaces.len()
    }
}

/// Builds the text given to saphyr: `&`, `*`, `@` replaced by [`PLACEHOLDER`], a
/// byte order mark inside the text replaced by it too (PyYAML reads it as an
/// ordinary character), and the [`Fixes`] applied.
fn prepare<'t>(text: &'t str, fixes: &Fixes) -> (Cow<'t, str>, Offsets) {
    let len = text.len() as u32;
    let hidden = |b: u8| matches!(b, b'&' | b'*' | b'@');
    if fixes.pads.is_empty() && text.is_ascii() {
        if fixes.spaces.is_empty() && !text.bytes().any(hidden) {
            return (Cow::Borrowed(text), Offsets { table: None, len });
        }
        let mut bytes: Vec<u8> = text
            .bytes()
            .map(|b| if hidden(b) { PLACEHOLDER } else { b })
            .collect();
        for &t in &fixes.spaces {
            if let Some(b) = bytes.get_mut(t).filter(|b| **b == b'\t') {
                *b = b' ';
            }
        }
        // ASCII bytes were replaced by ASCII bytes: still UTF-8.
        let prepared = String::from_utf8(bytes).unwrap_or_else(|_| text.to_string());
        return (Cow::Owned(prepared), Offsets { table: None, len });
    }
    // General path: one prepared character per original character, plus padding;
    // the table maps every prepared character to its original byte offset.
    let mut prepared = String::with_capacity(text.len() + 16);
    let mut table = Vec::with_capacity(text.len() + 1);
    let mut next_pad = 0;
    for (i, c) in text.char_indices() {
        while let Some(&(at, n)) = fixes.pads.get(next_pad) {
            if at > i {
                break;
            }
            for _ in 0..n {
                prepared.push(' ');
                table.push(i as u32);
            }
            next_pad += 1;
        }
        let c = match c {
            '&' | '*' | '@' => char::from(PLACEHOLDER),
            '\u{feff}' if i > 0 => char::from(PLACEHOLDER),
            '\t' if fixes.spaces.contains(&i) => ' ',
            c => c,
        };
        prepared.push(c);
        table.push(i as u32);
    }
    table.push(len);
    (
        Cow::Owned(prepared),
        Offsets {
            table: Some(table),
            len,
        },
    )
}

/// How many times [`read`] re-reads with more padding before giving up.
const MAX_PADS: usize = 64;

/// An open container while reading.
struct Frame {
    start: u32,
    flow: bool,
    tag: Option<String>,
    /// Column of the block collection (for block scalar indentation); -1 for flow.
    col: i64,
    kind: FrameKind,
}

enum FrameKind {
    Mapping {
        entries: Vec<Entry>,
        key: Option<Node>,
    },
    Sequence {
        items: Vec<Node>,
    },
}

/// What the reader produced.
pub(crate) struct Read {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
    /// Source ranges whose bytes belong to quoted or block scalars (tabs and `#` are
    /// content there), sorted.
    pub opaque: Vec<(u32, u32)>,
    /// Offset of the first error that stopped reading.
    pub stopped_at: Option<u32>,
}

/// Reads `text`, stopping before offset `cutoff` when given.
///
/// PyYAML does not check indentation inside flow collections; saphyr does. When
/// saphyr reports "invalid indentation" inside a flow collection, the offending
/// line is padded with spaces (harmless there: flow content ignores leading
/// blanks, and scalars are decoded from the original text) and the text is read
/// again.
pub(crate) fn read(text: &str, cutoff: Option<u32>) -> Read {
    let mut fixes = Fixes::default();
    loop {
        let (prepared, offsets) = prepare(text, &fixes);
        let (read, retry) = read_prepared(text, prepared.as_ref(), offsets, cutoff);
        match retry {
            Some(Retry::Pad(line_start, need)) if fixes.len() < MAX_PADS => {
                match fixes.pads.iter_mut().find(|p| p.0 == line_start) {
                    Some(p) => p.1 += need,
                    None => fixes.pads.push((line_start, need)),
                }
                fixes.pads.sort_unstable();
            }
            Some(Retry::Space(at)) if fixes.len() < MAX_PADS && !fixes.spaces.contains(&at) => {
                fixes.spaces.push(at);
            }
            _ => return read,
        }
    }
}

/// Why [`read_prepared`] wants another pass.
enum Retry {
    /// Pad the original line starting at `.0` with `.1` more spaces.
    Pad(usize, usize),
    /// Read the tab at this original offset as a space.
    Space(usize),
}

/// One pass of saphyr over `prepared`. The second result asks for a re-read with
/// `need` spaces more at the original line start.
fn read_prepared(
    text: &str,
    prepared: &str,
    offsets: Offsets,
    cutoff: Option<u32>,
) -> (Read, Option<Retry>) {
    let mut r = Reader {
        text,
        offsets,
        frames: Vec::new(),
        root: None,
        diagnostics: Vec::new(),
        opaque: Vec::new(),
        prev_end: 0,
        documents: 0,
        cutoff,
        stopped_at: None,
    };
    let mut retry = None;
    let mut parser = Parser::new_from_str(prepared);
    while let Some(result) = parser.next_event() {
        match result {
            Ok((event, span)) => {
                let start = r.offsets.byte(span.start.index());
                let end = r.offsets.byte(span.end.index()).max(start);
                if let Some(c) = r.cutoff
                    && start >= c
                    && !matches!(event, Event::StreamEnd)
                {
                    r.stop(c);
                    break;
                }
                if !r.event(event, start, end, span.start.col()) {
                    break;
                }
            }
            Err(e) => {
                let at = r.offsets.byte(e.marker().index());
                let in_flow = r.frames.iter().any(|f| f.flow);
                if in_flow
                    && matches!(
                        e.info(),
                        "invalid indentation" | "invalid indentation in flow construct"
                    )
                {
                    let line_start = text.as_bytes()[..(at as usize).min(text.len())]
                        .iter()
                        .rposition(|&b| b == b'\n' || b == b'\r')
                        .map_or(0, |p| p + 1);
                    let block_col = r.block_indent();
                    let need = (block_col + 2 - e.marker().col() as i64).max(1) as usize;
                    retry = Some(Retry::Pad(line_start, need));
                }
                if e.info() == "tab cannot be used as indentation"
                    && text.as_bytes().get(at as usize) == Some(&b'\t')
                {
                    retry = Some(Retry::Space(at as usize));
                }
                if r.cutoff.is_none_or(|c| at < c) {
                    r.syntax_error(at, e.info());
                }
                break;
            }
        }
    }
    r.close_all();
    r.opaque.sort_unstable();
    (
        Read {
            root: r.root,
            diagnostics: r.diagnostics,
            opaque: r.opaque,
            stopped_at: r.stopped_at,
        },
        retry,
    )
}

struct Reader<'t> {
    text: &'t str,
    offsets: Offsets,
    frames: Vec<Frame>,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
    opaque: Vec<(u32, u32)>,
    /// End of the last event read (bytes): block scalar headers are searched from here.
    prev_end: u32,
    documents: u32,
    cutoff: Option<u32>,
    stopped_at: Option<u32>,
}

/// PyYAML's wording for saphyr's messages, where they differ.
fn pyyaml_message(info: &str) -> String {
    let m = match info {
        "mapping values are not allowed in this context" => "mapping values are not allowed here",
        "did not find expected <document start>" => {
            "expected '<document start>', but found another token"
        }
        "simple key expect ':'" | "simple key expected" => "could not find expected ':'",
        "unexpected eof" => "unexpected end of stream",
        other => {
            // saphyr: "unexpected character: `%'"; PyYAML: "found character '%' that
            // cannot start any token".
            if let Some(c) = other
                .strip_prefix("unexpected character: `")
                .and_then(|r| r.strip_suffix('\''))
            {
                return format!("found character '{c}' that cannot start any token");
            }
            other
        }
    };
    m.to_string()
}

fn tag_forms(tag: &Tag) -> (String, String) {
    // (long form as PyYAML resolves it, as written)
    if tag.handle == "tag:yaml.org,2002:" {
        (
            format!("{}{}", tag.handle, tag.suffix),
            format!("!!{}", tag.suffix),
        )
    } else if tag.handle == "!" {
        (format!("!{}", tag.suffix), format!("!{}", tag.suffix))
    } else {
        (
            format!("{}{}", tag.handle, tag.suffix),
            format!("!<{}{}>", tag.handle, tag.suffix),
        )
    }
}

impl Reader<'_> {
    fn stop(&mut self, at: u32) {
        if self.stopped_at.is_none() {
            self.stopped_at = Some(at);
        }
    }

    fn syntax_error(&mut self, at: u32, info: &str) {
        self.stop(at);
        if info.contains("recursion limit") {
            self.diagnostics.push(too_deep(at));
            return;
        }
        let message = pyyaml_message(info);
        let mut d =
            Diagnostic::error("yaml-syntax", Span::empty(at), message.clone()).with_label("here");
        if message.starts_with("mapping values are not allowed") {
            d = d.with_note(
                "a plain value cannot contain `: `; Mistral's loader (PyYAML) rejects the file",
            );
            d = d.with_help("quote the value, or fix the indentation of the key");
        }
        self.diagnostics.push(d);
    }

    /// Handles one event; `false` stops reading.
    fn event(&mut self, event: Event<'_>, start: u32, end: u32, col: usize) -> bool {
        let is_map = matches!(event, Event::MappingStart(..));
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => {}
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.stop(start);
                    self.diagnostics.push(
                        Diagnostic::error(
                            "yaml-syntax",
                            Span::new(start, end),
                            "expected a single document in the stream",
                        )
                        .with_label("but found another document")
                        .with_note("Mistral reads one YAML document per definition"),
                    );
                    return false;
                }
            }
            Event::Alias(_) => {
                // Cannot happen: `*` is hidden from saphyr.
            }
            Event::Scalar(value, style, _, tag) => {
                if value.is_empty()
                    && style == SStyle::Plain
                    && tag.is_none()
                    && self.implicit_empty_key(start)
                {
                    // PyYAML needs `?` before an empty key; saphyr does not.
                    self.stop(start);
                    let in_flow = self.frames.last().is_some_and(|f| f.flow);
                    let message = if in_flow {
                        "expected the node content, but found ':'"
                    } else {
                        "expected <block end>, but found ':'"
                    };
                    self.diagnostics.push(
                        Diagnostic::error("yaml-syntax", Span::new(start, start + 1), message)
                            .with_label("a key is missing before this `:`"),
                    );
                    return false;
                }
                let tag = tag.map(|t| tag_forms(&t));
                let node = self.scalar(&value, style, tag, start, end);
                self.prev_end = self.prev_end.max(node.span.end);
                self.push_node(node);
            }
            Event::MappingStart(_, tag) | Event::SequenceStart(_, tag) => {
                if self.frames.len() >= MAX_DEPTH {
                    self.stop(start);
                    self.diagnostics.push(too_deep(start));
                    return false;
                }
                let flow = self
                    .text
                    .as_bytes()
                    .get(start as usize)
                    .is_some_and(|&b| b == b'{' || b == b'[');
                let kind = if is_map {
                    FrameKind::Mapping {
                        entries: Vec::new(),
                        key: None,
                    }
                } else {
                    FrameKind::Sequence { items: Vec::new() }
                };
                self.frames.push(Frame {
                    start,
                    flow,
                    tag: tag.map(|t| tag_forms(&t).1),
                    col: if flow { -1 } else { col as i64 },
                    kind,
                });
                self.prev_end = self.prev_end.max(if flow { end } else { start });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(frame) = self.frames.pop() {
                    let node = close(frame, if end > start { Some(end) } else { None }, false);
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
        match self.frames.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame {
                kind: FrameKind::Sequence { items },
                ..
            }) => items.push(node),
            Some(Frame {
                kind: FrameKind::Mapping { entries, key },
                ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push(Entry {
                    key: k,
                    value: node,
                }),
            },
        }
    }

    fn close_all(&mut self) {
        let truncated = self.stopped_at.is_some() || !self.frames.is_empty();
        while let Some(frame) = self.frames.pop() {
            let node = close(frame, None, truncated);
            self.push_node(node);
        }
    }

    /// Whether an empty scalar at `at` is a mapping key written as a bare `:` (no
    /// `?` before it), which PyYAML rejects.
    fn implicit_empty_key(&self, at: u32) -> bool {
        let is_key = matches!(
            self.frames.last(),
            Some(Frame {
                kind: FrameKind::Mapping { key: None, .. },
                ..
            })
        );
        let b = self.text.as_bytes();
        if !is_key || b.get(at as usize) != Some(&b':') {
            return false;
        }
        let before = b[..at as usize]
            .iter()
            .rposition(|c| !matches!(c, b' ' | b'\t' | b'\n' | b'\r'));
        before.is_none_or(|i| b[i] != b'?')
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

    fn scalar(
        &mut self,
        value: &str,
        style: SStyle,
        tag: Option<(String, String)>,
        start: u32,
        end: u32,
    ) -> Node {
        let text = self.text;
        let b = text.as_bytes();
        let (s, e) = (start as usize, (end as usize).min(b.len()));
        let (style, decoded, offsets, span) = match style {
            SStyle::Plain => {
                let cs = if tag.is_some() {
                    self.skip_properties(s, e)
                } else {
                    s
                };
                if value.is_empty() && (tag.is_none() || cs >= e) {
                    let at = if tag.is_some() {
                        cs.min(e) as u32
                    } else {
                        self.prev_end
                    };
                    (
                        ScalarStyle::Plain,
                        String::new(),
                        crate::OffsetMap::verbatim(at, 0),
                        Span::empty(at),
                    )
                } else {
                    let ce = match self.cutoff {
                        Some(c) if (c as usize) < e => c as usize,
                        _ => e,
                    };
                    let (t, m) = decode_plain(text, cs, ce.max(cs));
                    (
                        ScalarStyle::Plain,
                        t,
                        m,
                        Span::new(start, ce.max(cs) as u32),
                    )
                }
            }
            SStyle::SingleQuoted | SStyle::DoubleQuoted => {
                let mut q = if tag.is_some() {
                    self.skip_properties(s, e)
                } else {
                    s
                };
                let want = if style == SStyle::SingleQuoted {
                    b'\''
                } else {
                    b'"'
                };
                while q < e && b[q] != want {
                    q += 1;
                }
                let (t, m, qend) = decode_quoted(text, q);
                self.opaque.push((q as u32, qend as u32));
                let st = if style == SStyle::SingleQuoted {
                    ScalarStyle::SingleQuoted
                } else {
                    ScalarStyle::DoubleQuoted
                };
                (st, t, m, Span::new(start, qend as u32))
            }
            SStyle::Literal | SStyle::Folded => {
                let h = self.find_block_header(s);
                let header = block_header(text, h);
                let (t, m, bend) = decode_block(text, header, self.block_indent());
                self.opaque.push((h as u32, bend as u32));
                let st = if style == SStyle::Literal {
                    ScalarStyle::Literal
                } else {
                    ScalarStyle::Folded
                };
                let node_start = if tag.is_some() {
                    start.min(h as u32)
                } else {
                    h as u32
                };
                // The node ends with its last content character, not trailing lines.
                let mut ne = bend;
                while ne > h + 1 && matches!(b.get(ne - 1), Some(b'\n' | b'\r' | b' ')) {
                    ne -= 1;
                }
                (st, t, m, Span::new(node_start, ne.max(h + 1) as u32))
            }
        };
        let (long, written) = match tag {
            Some((l, w)) => (Some(l), Some(w)),
            None => (None, None),
        };
        let is_key = matches!(
            self.frames.last(),
            Some(Frame {
                kind: FrameKind::Mapping { key: None, .. },
                ..
            })
        );
        let value = match crate::resolve::resolve(&decoded, style, long.as_deref(), is_key) {
            Ok(v) => v,
            Err(msg) => {
                let help = if msg.contains("for the tag '!")
                    || (written.is_some() && msg.contains("constructor"))
                {
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
                text: decoded,
                value,
                offsets,
            }),
            tag: written,
        }
    }

    /// Finds the `|` or `>` of a block scalar, searching forward from the end of the
    /// previous event (saphyr's span for a block scalar starts at its content).
    fn find_block_header(&self, content_start: usize) -> usize {
        let b = self.text.as_bytes();
        let mut i = (self.prev_end as usize).min(b.len());
        let limit = content_start.max(i).min(b.len());
        while i < limit {
            match b[i] {
                b'|' | b'>' => return i,
                b'#' if i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                    while i < limit && !matches!(b[i], b'\n' | b'\r') {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        // Empty block scalars: saphyr's span starts at the header itself.
        if matches!(b.get(content_start), Some(b'|' | b'>')) {
            return content_start;
        }
        content_start.min(b.len())
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

/// Turns a finished (or cut-short) frame into a node.
fn close(frame: Frame, flow_end: Option<u32>, truncated: bool) -> Node {
    let Frame {
        start,
        flow,
        tag,
        kind,
        ..
    } = frame;
    match kind {
        FrameKind::Mapping { mut entries, key } => {
            if let Some(k) = key {
                // A key whose value was never read.
                let at = k.span.end;
                entries.push(Entry {
                    key: k,
                    value: Node {
                        span: Span::empty(at),
                        kind: NodeKind::Scalar(Scalar {
                            style: ScalarStyle::Plain,
                            text: String::new(),
                            value: ScalarValue::Null,
                            offsets: crate::OffsetMap::verbatim(at, 0),
                        }),
                        tag: None,
                    },
                });
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
        FrameKind::Sequence { items } => {
            let last = items
                .last()
                .map_or(start + u32::from(!flow), |n| n.span.end);
            let end = if flow && !truncated {
                flow_end.unwrap_or(last)
            } else {
                last
            };
            Node {
                span: Span::new(start, end),
                kind: NodeKind::Sequence(Sequence {
                    items,
                    flow,
                    truncated,
                }),
                tag,
            }
        }
    }
}
