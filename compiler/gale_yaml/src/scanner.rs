//! The scanner: a line-by-line port of PyYAML's `scanner.py` (`class Scanner`).
//!
//! Every method keeps its PyYAML name (`fetch_more_tokens`, `fetch_value`,
//! `save_possible_simple_key`, `scan_plain`, `scan_block_scalar`, …) and its
//! statement order, so the two can be read side by side. Differences are only in
//! representation:
//!
//! * the input is scanned as UTF-8 bytes ([`Reader`]); `peek(k)` after ASCII
//!   characters is the byte at `k`, and the character classes
//!   (`'\0 \t\r\n\x85\u2028\u2029'` …) are tested on bytes, multi-byte line breaks
//!   included;
//! * `possible_simple_keys` (a dict keyed by flow level) is a deque ordered by level:
//!   keys are only ever saved at the current (highest) level, so the dict's keys are
//!   always `<= flow_level` and their positions increase with the level. Staleness is
//!   then monotonic, and `stale_possible_simple_keys` only looks at the front;
//! * scalar values are built in a [`ScalarBuf`] that stays a borrowed slice of the
//!   input as long as every chunk PyYAML appends is the next piece of the source;
//! * errors are returned, not raised, and stop the scanner for good.
//!
//! The Mistral dialect (`mistral/utils/safe_yaml.py`) replaces `fetch_alias` and
//! `fetch_anchor` with `fetch_plain` and lets `check_plain` accept a leading `@`.

use crate::error::{ErrorKind, YamlError, py_repr_char};
use crate::event::ScalarStyle;
use crate::reader::{Mark, Reader, class_table};
use std::borrow::Cow;
use std::collections::VecDeque;

/// A `%YAML`/`%TAG`/other directive's value (`DirectiveToken.value`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DirectiveValue<'a> {
    /// `%YAML major.minor` (numbers saturate at `u64::MAX`).
    Yaml(u64, u64),
    /// `%TAG handle prefix`.
    Tag(Cow<'a, str>, Cow<'a, str>),
    /// Any other directive (ignored).
    Other,
}

/// `tokens.py`: the token kinds with their payloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind<'a> {
    StreamStart,
    StreamEnd,
    Directive(&'a str, DirectiveValue<'a>),
    DocumentStart,
    DocumentEnd,
    BlockSequenceStart,
    BlockMappingStart,
    BlockEnd,
    FlowSequenceStart,
    FlowMappingStart,
    FlowSequenceEnd,
    FlowMappingEnd,
    Key,
    Value,
    BlockEntry,
    FlowEntry,
    Alias(&'a str),
    Anchor(&'a str),
    /// `(handle, suffix)`; `handle` is `None` for `!<uri>` and a lone `!`.
    Tag(Option<Cow<'a, str>>, Cow<'a, str>),
    Scalar {
        value: Cow<'a, str>,
        plain: bool,
        style: ScalarStyle,
    },
}

impl TokenKind<'_> {
    /// `Token.id`, used in parser messages.
    pub(crate) fn id(&self) -> &'static str {
        match self {
            TokenKind::StreamStart => "<stream start>",
            TokenKind::StreamEnd => "<stream end>",
            TokenKind::Directive(..) => "<directive>",
            TokenKind::DocumentStart => "<document start>",
            TokenKind::DocumentEnd => "<document end>",
            TokenKind::BlockSequenceStart => "<block sequence start>",
            TokenKind::BlockMappingStart => "<block mapping start>",
            TokenKind::BlockEnd => "<block end>",
            TokenKind::FlowSequenceStart => "[",
            TokenKind::FlowMappingStart => "{",
            TokenKind::FlowSequenceEnd => "]",
            TokenKind::FlowMappingEnd => "}",
            TokenKind::Key => "?",
            TokenKind::Value => ":",
            TokenKind::BlockEntry => "-",
            TokenKind::FlowEntry => ",",
            TokenKind::Alias(_) => "<alias>",
            TokenKind::Anchor(_) => "<anchor>",
            TokenKind::Tag(..) => "<tag>",
            TokenKind::Scalar { .. } => "<scalar>",
        }
    }
}

/// A token with its marks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub(crate) kind: TokenKind<'a>,
    pub(crate) start: Mark,
    pub(crate) end: Mark,
}

/// PyYAML's `SimpleKey` record, plus the flow level it is stored under.
#[derive(Clone, Copy, Debug)]
struct SimpleKey {
    level: usize,
    token_number: usize,
    required: bool,
    mark: Mark,
}

/// A scalar value under construction: a borrowed slice of the input while every
/// appended chunk continues the previous one, an owned `String` otherwise.
#[derive(Debug)]
struct ScalarBuf {
    start: usize,
    end: usize,
    owned: Option<String>,
}

impl ScalarBuf {
    fn new() -> Self {
        ScalarBuf {
            start: 0,
            end: 0,
            owned: None,
        }
    }

    /// Append `text[from..to]` (a chunk that is literally in the source).
    #[inline]
    fn push_slice(&mut self, text: &str, from: usize, to: usize) {
        if from >= to {
            return;
        }
        match &mut self.owned {
            Some(s) => s.push_str(text.get(from..to).unwrap_or("")),
            None if self.start == self.end => {
                self.start = from;
                self.end = to;
            }
            None if self.end == from => self.end = to,
            None => {
                let mut s = String::with_capacity(self.end - self.start + (to - from) + 16);
                s.push_str(text.get(self.start..self.end).unwrap_or(""));
                s.push_str(text.get(from..to).unwrap_or(""));
                self.owned = Some(s);
            }
        }
    }

    /// Append a decoded chunk (a folded space, a line break, an escape…).
    #[inline]
    fn push_str(&mut self, text: &str, chunk: &str) {
        if chunk.is_empty() {
            return;
        }
        let s = self.owned.get_or_insert_with(|| {
            let mut s = String::with_capacity(self.end - self.start + 16);
            s.push_str(text.get(self.start..self.end).unwrap_or(""));
            s
        });
        s.push_str(chunk);
    }

    fn finish<'a>(self, text: &'a str) -> Cow<'a, str> {
        match self.owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(text.get(self.start..self.end).unwrap_or("")),
        }
    }
}

/// What `scan_plain_spaces` returned.
enum PlainSpaces {
    /// `None` (a document separator follows) or `[]` (nothing): both end the scalar.
    Stop,
    /// `[whitespaces]` on the same line: a source slice.
    Slice(usize, usize),
    /// A folded line break; the chunks are in `Scanner::fold`.
    Folded,
}

const ALNUM_DASH: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
        c += 1;
    }
    t
};

/// Bytes that may end a plain-scalar segment (checked precisely afterwards).
const PLAIN_STOP: [bool; 256] = class_table(b" \t\r\n:,?[]{}\xc2\xe2");

/// Bytes that end a quoted-scalar non-space run.
const QUOTED_STOP: [bool; 256] = class_table(b"'\"\\ \t\r\n\xc2\xe2");

/// `'0123456789ABCDEFabcdef'`
fn is_hex(b: u8) -> bool {
    b.is_ascii_hexdigit()
}

/// `Scanner.ESCAPE_REPLACEMENTS`.
fn escape_replacement(b: u8) -> Option<&'static str> {
    Some(match b {
        b'0' => "\0",
        b'a' => "\x07",
        b'b' => "\x08",
        b't' | b'\t' => "\x09",
        b'n' => "\x0A",
        b'v' => "\x0B",
        b'f' => "\x0C",
        b'r' => "\x0D",
        b'e' => "\x1B",
        b' ' => " ",
        b'"' => "\"",
        b'\\' => "\\",
        b'/' => "/",
        b'N' => "\u{85}",
        b'_' => "\u{A0}",
        b'L' => "\u{2028}",
        b'P' => "\u{2029}",
        _ => return None,
    })
}

/// The PyYAML scanner state.
pub(crate) struct Scanner<'a> {
    r: Reader<'a>,
    mistral: bool,
    done: bool,
    flow_level: usize,
    tokens: VecDeque<Token<'a>>,
    tokens_taken: usize,
    indent: isize,
    indents: Vec<isize>,
    allow_simple_key: bool,
    possible_simple_keys: VecDeque<SimpleKey>,
    /// Scratch for folded chunks of plain/quoted scalars.
    fold: String,
    /// Set once an error was returned: the scanner then only repeats it.
    failed: Option<Box<YamlError>>,
}

/// Errors are boxed internally so that `Result`s stay small on the hot path.
type R<T> = Result<T, Box<YamlError>>;

impl<'a> Scanner<'a> {
    /// `Scanner.__init__` (which also fetches STREAM-START).
    pub(crate) fn new(text: &'a str, mistral: bool) -> Self {
        let mut s = Scanner {
            r: Reader::new(text),
            mistral,
            done: false,
            flow_level: 0,
            tokens: VecDeque::new(),
            tokens_taken: 0,
            indent: -1,
            indents: Vec::new(),
            allow_simple_key: true,
            possible_simple_keys: VecDeque::new(),
            fold: String::new(),
            failed: None,
        };
        s.fetch_stream_start();
        s
    }

    fn text(&self) -> &'a str {
        self.r.text
    }

    fn column(&self) -> isize {
        self.r.column as isize
    }

    fn err(&self, context: Option<&str>, cm: Option<Mark>, problem: String) -> Box<YamlError> {
        YamlError::scanner(context, cm, problem, self.r.mark())
    }

    // ---- Public methods -------------------------------------------------------

    /// Make sure the token queue is ready (`while self.need_more_tokens(): self.fetch_more_tokens()`).
    #[inline(always)]
    fn fill(&mut self) -> R<()> {
        // Fast path: a token is queued and no simple key could still claim it.
        if !self.tokens.is_empty() && self.possible_simple_keys.is_empty() {
            return Ok(());
        }
        self.fill_slow()
    }

    // Kept out of line: inlined, its large frame would make every `fill` pay for
    // saving registers even on the fast path.
    #[inline(never)]
    fn fill_slow(&mut self) -> R<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let res = self.fill_inner();
        if let Err(e) = &res {
            self.failed = Some(e.clone());
        }
        res
    }

    fn fill_inner(&mut self) -> R<()> {
        while self.need_more_tokens()? {
            self.fetch_more_tokens()?;
        }
        Ok(())
    }

    /// `peek_token()`: the next token, or `None` after STREAM-END was taken.
    pub(crate) fn peek_token(&mut self) -> R<Option<&Token<'a>>> {
        self.fill()?;
        Ok(self.tokens.front())
    }

    /// `get_token()`.
    pub(crate) fn get_token(&mut self) -> R<Option<Token<'a>>> {
        self.fill()?;
        let t = self.tokens.pop_front();
        if t.is_some() {
            self.tokens_taken += 1;
        }
        Ok(t)
    }

    // ---- Private methods ------------------------------------------------------

    fn need_more_tokens(&mut self) -> R<bool> {
        if self.done {
            return Ok(false);
        }
        if self.tokens.is_empty() {
            return Ok(true);
        }
        // The current token may be a potential simple key, so we need to look further.
        self.stale_possible_simple_keys()?;
        Ok(self.next_possible_simple_key() == Some(self.tokens_taken))
    }

    fn fetch_more_tokens(&mut self) -> R<()> {
        // Eat whitespaces and comments until we reach the next token.
        self.scan_to_next_token();
        // Remove obsolete possible simple keys.
        self.stale_possible_simple_keys()?;
        // Compare the current indentation and column.
        self.unwind_indent(self.column());
        let ch = self.r.peek();
        if self.r.pos >= self.r.b.len() {
            return self.fetch_stream_end();
        }
        if ch == b'%' && self.check_directive() {
            return self.fetch_directive();
        }
        if ch == b'-' && self.check_document_start() {
            return self.fetch_document_indicator(TokenKind::DocumentStart);
        }
        if ch == b'.' && self.check_document_end() {
            return self.fetch_document_indicator(TokenKind::DocumentEnd);
        }
        match ch {
            b'[' => return self.fetch_flow_collection_start(TokenKind::FlowSequenceStart),
            b'{' => return self.fetch_flow_collection_start(TokenKind::FlowMappingStart),
            b']' => return self.fetch_flow_collection_end(TokenKind::FlowSequenceEnd),
            b'}' => return self.fetch_flow_collection_end(TokenKind::FlowMappingEnd),
            b',' => return self.fetch_flow_entry(),
            _ => {}
        }
        if ch == b'-' && self.check_block_entry() {
            return self.fetch_block_entry();
        }
        if ch == b'?' && self.check_key() {
            return self.fetch_key();
        }
        if ch == b':' && self.check_value() {
            return self.fetch_value();
        }
        if ch == b'*' {
            return self.fetch_alias();
        }
        if ch == b'&' {
            return self.fetch_anchor();
        }
        if ch == b'!' {
            return self.fetch_tag();
        }
        if ch == b'|' && self.flow_level == 0 {
            return self.fetch_block_scalar(ScalarStyle::Literal);
        }
        if ch == b'>' && self.flow_level == 0 {
            return self.fetch_block_scalar(ScalarStyle::Folded);
        }
        if ch == b'\'' {
            return self.fetch_flow_scalar(ScalarStyle::SingleQuoted);
        }
        if ch == b'"' {
            return self.fetch_flow_scalar(ScalarStyle::DoubleQuoted);
        }
        if self.check_plain() {
            return self.fetch_plain();
        }
        Err(self.err(
            Some("while scanning for the next token"),
            None,
            format!(
                "found character {} that cannot start any token",
                py_repr_char(self.r.char_at(self.r.pos))
            ),
        ))
    }

    // ---- Simple keys treatment ------------------------------------------------

    fn next_possible_simple_key(&self) -> Option<usize> {
        // Keys are ordered by position, so the first has the lowest token number.
        self.possible_simple_keys.front().map(|k| k.token_number)
    }

    fn stale_possible_simple_keys(&mut self) -> R<()> {
        // A key is stale when it is not on the current line or more than 1024
        // characters back. Staleness is monotonic along the deque (see module docs).
        while let Some(key) = self.possible_simple_keys.front() {
            if key.mark.line as usize != self.r.line
                || self.r.index - key.mark.index as usize > 1024
            {
                if key.required {
                    return Err(self.err(
                        Some("while scanning a simple key"),
                        Some(key.mark),
                        "could not find expected ':'".into(),
                    ));
                }
                self.possible_simple_keys.pop_front();
            } else {
                break;
            }
        }
        Ok(())
    }

    fn save_possible_simple_key(&mut self) -> R<()> {
        // Check if a simple key is required at the current position.
        let required = self.flow_level == 0 && self.indent == self.column();
        if self.allow_simple_key {
            self.remove_possible_simple_key()?;
            let token_number = self.tokens_taken + self.tokens.len();
            self.possible_simple_keys.push_back(SimpleKey {
                level: self.flow_level,
                token_number,
                required,
                mark: self.r.mark(),
            });
        }
        Ok(())
    }

    fn remove_possible_simple_key(&mut self) -> R<()> {
        if let Some(key) = self.possible_simple_keys.back()
            && key.level == self.flow_level
        {
            {
                if key.required {
                    return Err(self.err(
                        Some("while scanning a simple key"),
                        Some(key.mark),
                        "could not find expected ':'".into(),
                    ));
                }
                self.possible_simple_keys.pop_back();
            }
        }
        Ok(())
    }

    // ---- Indentation functions ------------------------------------------------

    fn unwind_indent(&mut self, column: isize) {
        // In the flow context, indentation is ignored.
        if self.flow_level > 0 {
            return;
        }
        while self.indent > column {
            let mark = self.r.mark();
            self.indent = self.indents.pop().unwrap_or(-1);
            self.tokens.push_back(Token {
                kind: TokenKind::BlockEnd,
                start: mark,
                end: mark,
            });
        }
    }

    fn add_indent(&mut self, column: isize) -> bool {
        if self.indent < column {
            self.indents.push(self.indent);
            self.indent = column;
            return true;
        }
        false
    }

    // ---- Fetchers -------------------------------------------------------------

    fn push(&mut self, kind: TokenKind<'a>, start: Mark, end: Mark) {
        self.tokens.push_back(Token { kind, start, end });
    }

    fn fetch_stream_start(&mut self) {
        let mark = self.r.mark();
        self.push(TokenKind::StreamStart, mark, mark);
    }

    fn fetch_stream_end(&mut self) -> R<()> {
        self.unwind_indent(-1);
        self.remove_possible_simple_key()?;
        self.allow_simple_key = false;
        self.possible_simple_keys.clear();
        let mark = self.r.mark();
        self.push(TokenKind::StreamEnd, mark, mark);
        self.done = true;
        Ok(())
    }

    fn fetch_directive(&mut self) -> R<()> {
        self.unwind_indent(-1);
        self.remove_possible_simple_key()?;
        self.allow_simple_key = false;
        let token = self.scan_directive()?;
        self.tokens.push_back(token);
        Ok(())
    }

    /// `fetch_document_start` / `fetch_document_end` → `fetch_document_indicator`.
    fn fetch_document_indicator(&mut self, kind: TokenKind<'a>) -> R<()> {
        self.unwind_indent(-1);
        self.remove_possible_simple_key()?;
        self.allow_simple_key = false;
        let start = self.r.mark();
        self.r.advance_ascii(3);
        let end = self.r.mark();
        self.push(kind, start, end);
        Ok(())
    }

    /// `fetch_flow_sequence_start` / `fetch_flow_mapping_start`.
    fn fetch_flow_collection_start(&mut self, kind: TokenKind<'a>) -> R<()> {
        self.save_possible_simple_key()?;
        self.flow_level += 1;
        self.allow_simple_key = true;
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(kind, start, end);
        Ok(())
    }

    /// `fetch_flow_sequence_end` / `fetch_flow_mapping_end`.
    fn fetch_flow_collection_end(&mut self, kind: TokenKind<'a>) -> R<()> {
        self.remove_possible_simple_key()?;
        // A stray `]`/`}` makes PyYAML's flow_level -1; that is never observable:
        // the parser rejects the token before asking for anything after it (no
        // simple key can be pending, the one at level 0 was just removed).
        self.flow_level = self.flow_level.saturating_sub(1);
        self.allow_simple_key = false;
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(kind, start, end);
        Ok(())
    }

    fn fetch_flow_entry(&mut self) -> R<()> {
        self.allow_simple_key = true;
        self.remove_possible_simple_key()?;
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(TokenKind::FlowEntry, start, end);
        Ok(())
    }

    fn fetch_block_entry(&mut self) -> R<()> {
        if self.flow_level == 0 {
            if !self.allow_simple_key {
                return Err(self.err(None, None, "sequence entries are not allowed here".into()));
            }
            if self.add_indent(self.column()) {
                let mark = self.r.mark();
                self.push(TokenKind::BlockSequenceStart, mark, mark);
            }
        }
        self.allow_simple_key = true;
        self.remove_possible_simple_key()?;
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(TokenKind::BlockEntry, start, end);
        Ok(())
    }

    fn fetch_key(&mut self) -> R<()> {
        if self.flow_level == 0 {
            if !self.allow_simple_key {
                return Err(self.err(None, None, "mapping keys are not allowed here".into()));
            }
            if self.add_indent(self.column()) {
                let mark = self.r.mark();
                self.push(TokenKind::BlockMappingStart, mark, mark);
            }
        }
        self.allow_simple_key = self.flow_level == 0;
        self.remove_possible_simple_key()?;
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(TokenKind::Key, start, end);
        Ok(())
    }

    fn fetch_value(&mut self) -> R<()> {
        let simple = match self.possible_simple_keys.back() {
            Some(k) if k.level == self.flow_level => Some(*k),
            _ => None,
        };
        if let Some(key) = simple {
            // Add KEY before the key's first token.
            self.possible_simple_keys.pop_back();
            let at = (key.token_number - self.tokens_taken).min(self.tokens.len());
            self.tokens.insert(
                at,
                Token {
                    kind: TokenKind::Key,
                    start: key.mark,
                    end: key.mark,
                },
            );
            // If this key starts a new block mapping, add BLOCK-MAPPING-START.
            if self.flow_level == 0 && self.add_indent(key.mark.column as isize) {
                self.tokens.insert(
                    at,
                    Token {
                        kind: TokenKind::BlockMappingStart,
                        start: key.mark,
                        end: key.mark,
                    },
                );
            }
            // There cannot be two simple keys one after another.
            self.allow_simple_key = false;
        } else {
            // It must be a part of a complex key.
            if self.flow_level == 0 && !self.allow_simple_key {
                return Err(self.err(None, None, "mapping values are not allowed here".into()));
            }
            if self.flow_level == 0 && self.add_indent(self.column()) {
                let mark = self.r.mark();
                self.push(TokenKind::BlockMappingStart, mark, mark);
            }
            self.allow_simple_key = self.flow_level == 0;
            self.remove_possible_simple_key()?;
        }
        let start = self.r.mark();
        self.r.advance_ascii(1);
        let end = self.r.mark();
        self.push(TokenKind::Value, start, end);
        Ok(())
    }

    fn fetch_alias(&mut self) -> R<()> {
        if self.mistral {
            // safe_yaml.SafeLoader.fetch_alias = fetch_plain
            return self.fetch_plain();
        }
        self.save_possible_simple_key()?;
        self.allow_simple_key = false;
        let t = self.scan_anchor(true)?;
        self.tokens.push_back(t);
        Ok(())
    }

    fn fetch_anchor(&mut self) -> R<()> {
        if self.mistral {
            // safe_yaml.SafeLoader.fetch_anchor = fetch_plain
            return self.fetch_plain();
        }
        self.save_possible_simple_key()?;
        self.allow_simple_key = false;
        let t = self.scan_anchor(false)?;
        self.tokens.push_back(t);
        Ok(())
    }

    fn fetch_tag(&mut self) -> R<()> {
        self.save_possible_simple_key()?;
        self.allow_simple_key = false;
        let t = self.scan_tag()?;
        self.tokens.push_back(t);
        Ok(())
    }

    /// `fetch_literal` / `fetch_folded` → `fetch_block_scalar`.
    fn fetch_block_scalar(&mut self, style: ScalarStyle) -> R<()> {
        self.allow_simple_key = true;
        self.remove_possible_simple_key()?;
        let t = self.scan_block_scalar(style)?;
        self.tokens.push_back(t);
        Ok(())
    }

    /// `fetch_single` / `fetch_double` → `fetch_flow_scalar`.
    fn fetch_flow_scalar(&mut self, style: ScalarStyle) -> R<()> {
        self.save_possible_simple_key()?;
        self.allow_simple_key = false;
        let t = self.scan_flow_scalar(style == ScalarStyle::DoubleQuoted)?;
        self.tokens.push_back(t);
        Ok(())
    }

    fn fetch_plain(&mut self) -> R<()> {
        self.save_possible_simple_key()?;
        // `scan_plain` sets it back on when the scan ends at a line start.
        self.allow_simple_key = false;
        let t = self.scan_plain()?;
        self.tokens.push_back(t);
        Ok(())
    }

    // ---- Checkers -------------------------------------------------------------

    fn check_directive(&self) -> bool {
        self.r.column == 0
    }

    fn is_document_indicator(&self, c: u8) -> bool {
        self.r.peek() == c
            && self.r.peek_at(1) == c
            && self.r.peek_at(2) == c
            && self.r.is_blankz_at(self.r.pos + 3)
    }

    fn check_document_start(&self) -> bool {
        self.r.column == 0 && self.is_document_indicator(b'-')
    }

    fn check_document_end(&self) -> bool {
        self.r.column == 0 && self.is_document_indicator(b'.')
    }

    /// `prefix(3) in ('---', '...') and peek(3) in blankz`, at any column.
    fn at_document_separator(&self) -> bool {
        self.is_document_indicator(b'-') || self.is_document_indicator(b'.')
    }

    fn check_block_entry(&self) -> bool {
        self.r.is_blankz_at(self.r.pos + 1)
    }

    fn check_key(&self) -> bool {
        self.flow_level > 0 || self.r.is_blankz_at(self.r.pos + 1)
    }

    fn check_value(&self) -> bool {
        self.flow_level > 0 || self.r.is_blankz_at(self.r.pos + 1)
    }

    fn check_plain(&self) -> bool {
        let ch = self.r.peek();
        if self.mistral && ch == b'@' {
            // safe_yaml.SafeLoader.check_plain: allow '@'.
            return true;
        }
        let indicator = self.r.is_blankz_at(self.r.pos)
            || matches!(
                ch,
                b'-' | b'?'
                    | b':'
                    | b','
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
                    | b'#'
                    | b'&'
                    | b'*'
                    | b'!'
                    | b'|'
                    | b'>'
                    | b'\''
                    | b'"'
                    | b'%'
                    | b'@'
                    | b'`'
            );
        !indicator
            || (!self.r.is_blankz_at(self.r.pos + 1)
                && (ch == b'-' || (self.flow_level == 0 && matches!(ch, b'?' | b':'))))
    }

    // ---- Scanners -------------------------------------------------------------

    fn scan_to_next_token(&mut self) {
        // The byte order mark is stripped if it's the first character.
        if self.r.index == 0 && self.r.b.starts_with("\u{feff}".as_bytes()) {
            self.r.advance(3);
        }
        loop {
            self.r.skip_spaces();
            if self.r.peek() == b'#' {
                let n = self.r.len_to_breakz();
                self.r.advance(n);
            }
            if !self.r.scan_line_break().is_empty() {
                if self.flow_level == 0 {
                    self.allow_simple_key = true;
                }
            } else {
                break;
            }
        }
    }

    fn scan_directive(&mut self) -> R<Token<'a>> {
        let start_mark = self.r.mark();
        self.r.advance_ascii(1);
        let name = self.scan_directive_name(start_mark)?;
        let value;
        let end_mark;
        if name == "YAML" {
            value = self.scan_yaml_directive_value(start_mark)?;
            end_mark = self.r.mark();
        } else if name == "TAG" {
            value = self.scan_tag_directive_value(start_mark)?;
            end_mark = self.r.mark();
        } else {
            value = DirectiveValue::Other;
            end_mark = self.r.mark();
            let n = self.r.len_to_breakz();
            self.r.advance(n);
        }
        self.scan_directive_ignored_line(start_mark)?;
        Ok(Token {
            kind: TokenKind::Directive(name, value),
            start: start_mark,
            end: end_mark,
        })
    }

    fn directive_err(&self, start_mark: Mark, problem: String) -> Box<YamlError> {
        self.err(
            Some("while scanning a directive"),
            Some(start_mark),
            problem,
        )
    }

    fn scan_directive_name(&mut self, start_mark: Mark) -> R<&'a str> {
        let mut length = 0;
        while ALNUM_DASH[self.r.peek_at(length) as usize] {
            length += 1;
        }
        if length == 0 {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!(
                    "expected alphabetic or numeric character, but found {}",
                    py_repr_char(ch)
                ),
            ));
        }
        let value = self
            .text()
            .get(self.r.pos..self.r.pos + length)
            .unwrap_or("");
        self.r.advance(length);
        if !self.r.is_spacez_at(self.r.pos) {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!(
                    "expected alphabetic or numeric character, but found {}",
                    py_repr_char(ch)
                ),
            ));
        }
        Ok(value)
    }

    fn scan_yaml_directive_value(&mut self, start_mark: Mark) -> R<DirectiveValue<'a>> {
        self.r.skip_spaces();
        let major = self.scan_yaml_directive_number(start_mark)?;
        if self.r.peek() != b'.' {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!("expected a digit or '.', but found {}", py_repr_char(ch)),
            ));
        }
        self.r.advance_ascii(1);
        let minor = self.scan_yaml_directive_number(start_mark)?;
        if !self.r.is_spacez_at(self.r.pos) {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!("expected a digit or ' ', but found {}", py_repr_char(ch)),
            ));
        }
        Ok(DirectiveValue::Yaml(major, minor))
    }

    fn scan_yaml_directive_number(&mut self, start_mark: Mark) -> R<u64> {
        if !self.r.peek().is_ascii_digit() {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!("expected a digit, but found {}", py_repr_char(ch)),
            ));
        }
        let mut length = 0;
        let mut value: u64 = 0;
        while self.r.peek_at(length).is_ascii_digit() {
            value = value
                .saturating_mul(10)
                .saturating_add((self.r.peek_at(length) - b'0') as u64);
            length += 1;
        }
        self.r.advance(length);
        Ok(value)
    }

    fn scan_tag_directive_value(&mut self, start_mark: Mark) -> R<DirectiveValue<'a>> {
        self.r.skip_spaces();
        let handle = self.scan_tag_directive_handle(start_mark)?;
        self.r.skip_spaces();
        let prefix = self.scan_tag_directive_prefix(start_mark)?;
        Ok(DirectiveValue::Tag(handle, prefix))
    }

    fn scan_tag_directive_handle(&mut self, start_mark: Mark) -> R<Cow<'a, str>> {
        let value = self.scan_tag_handle("directive", start_mark)?;
        if self.r.peek() != b' ' {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!("expected ' ', but found {}", py_repr_char(ch)),
            ));
        }
        Ok(value)
    }

    fn scan_tag_directive_prefix(&mut self, start_mark: Mark) -> R<Cow<'a, str>> {
        let value = self.scan_tag_uri("directive", start_mark)?;
        if !self.r.is_spacez_at(self.r.pos) {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!("expected ' ', but found {}", py_repr_char(ch)),
            ));
        }
        Ok(value)
    }

    fn scan_directive_ignored_line(&mut self, start_mark: Mark) -> R<()> {
        self.r.skip_spaces();
        if self.r.peek() == b'#' {
            let n = self.r.len_to_breakz();
            self.r.advance(n);
        }
        if !self.r.is_breakz_at(self.r.pos) {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.directive_err(
                start_mark,
                format!(
                    "expected a comment or a line break, but found {}",
                    py_repr_char(ch)
                ),
            ));
        }
        self.r.scan_line_break();
        Ok(())
    }

    /// `scan_anchor(AliasToken | AnchorToken)` (standard dialect only).
    fn scan_anchor(&mut self, alias: bool) -> R<Token<'a>> {
        let start_mark = self.r.mark();
        let name = if alias { "alias" } else { "anchor" };
        self.r.advance_ascii(1);
        let mut length = 0;
        while ALNUM_DASH[self.r.peek_at(length) as usize] {
            length += 1;
        }
        let context = format!("while scanning an {name}");
        if length == 0 {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.err(
                Some(&context),
                Some(start_mark),
                format!(
                    "expected alphabetic or numeric character, but found {}",
                    py_repr_char(ch)
                ),
            ));
        }
        let value = self
            .text()
            .get(self.r.pos..self.r.pos + length)
            .unwrap_or("");
        self.r.advance(length);
        let ok = self.r.is_blankz_at(self.r.pos)
            || matches!(
                self.r.peek(),
                b'?' | b':' | b',' | b']' | b'}' | b'%' | b'@' | b'`'
            );
        if !ok {
            let ch = self.r.char_at(self.r.pos);
            return Err(self.err(
                Some(&context),
                Some(start_mark),
                format!(
                    "expected alphabetic or numeric character, but found {}",
                    py_repr_char(ch)
                ),
            ));
        }
        let end_mark = self.r.mark();
        let kind = if alias {
            TokenKind::Alias(value)
        } else {
            TokenKind::Anchor(value)
        };
        Ok(Token {
            kind,
            start: start_mark,
            end: end_mark,
        })
    }

    fn scan_tag(&mut self) -> R<Token<'a>> {
        let start_mark = self.r.mark();
        let ch = self.r.peek_at(1);
        let handle;
        let suffix;
        if ch == b'<' {
            handle = None;
            self.r.advance_ascii(2);
            suffix = self.scan_tag_uri("tag", start_mark)?;
            if self.r.peek() != b'>' {
                let c = self.r.char_at(self.r.pos);
                return Err(self.err(
                    Some("while parsing a tag"),
                    Some(start_mark),
                    format!("expected '>', but found {}", py_repr_char(c)),
                ));
            }
            self.r.advance_ascii(1);
        } else if self.r.is_blankz_at(self.r.pos + 1) {
            handle = None;
            suffix = Cow::Borrowed("!");
            self.r.advance_ascii(1);
        } else {
            // Look for a second '!' before a space or line break.
            let mut p = self.r.pos + 1;
            let mut use_handle = false;
            while !self.r.is_spacez_at(p) {
                if self.r.at(p) == b'!' {
                    use_handle = true;
                    break;
                }
                p += 1;
            }
            if use_handle {
                handle = Some(self.scan_tag_handle("tag", start_mark)?);
            } else {
                handle = Some(Cow::Borrowed("!"));
                self.r.advance_ascii(1);
            }
            suffix = self.scan_tag_uri("tag", start_mark)?;
        }
        if !self.r.is_spacez_at(self.r.pos) {
            let c = self.r.char_at(self.r.pos);
            return Err(self.err(
                Some("while scanning a tag"),
                Some(start_mark),
                format!("expected ' ', but found {}", py_repr_char(c)),
            ));
        }
        let end_mark = self.r.mark();
        Ok(Token {
            kind: TokenKind::Tag(handle, suffix),
            start: start_mark,
            end: end_mark,
        })
    }

    fn scan_block_scalar(&mut self, style: ScalarStyle) -> R<Token<'a>> {
        let folded = style == ScalarStyle::Folded;
        let mut chunks = String::new();
        let start_mark = self.r.mark();
        // Scan the header.
        self.r.advance_ascii(1);
        let (chomping, increment) = self.scan_block_scalar_indicators(start_mark)?;
        self.scan_block_scalar_ignored_line(start_mark)?;
        // Determine the indentation level and go to the first non-empty line.
        let min_indent = (self.indent + 1).max(1);
        let mut breaks: Vec<&'static str> = Vec::new();
        let indent;
        let mut end_mark;
        match increment {
            None => {
                let (max_indent, em) = self.scan_block_scalar_indentation(&mut breaks);
                end_mark = em;
                indent = min_indent.max(max_indent);
            }
            Some(inc) => {
                indent = min_indent + inc as isize - 1;
                end_mark = self.scan_block_scalar_breaks(indent, &mut breaks);
            }
        }
        let mut line_break = "";
        let at_end = |s: &Self| s.r.pos >= s.r.b.len();
        // Scan the inner part of the block scalar.
        while self.column() == indent && !at_end(self) {
            chunks.extend(breaks.drain(..));
            let leading_non_space = !matches!(self.r.peek(), b' ' | b'\t');
            let length = self.r.len_to_breakz();
            chunks.push_str(
                self.text()
                    .get(self.r.pos..self.r.pos + length)
                    .unwrap_or(""),
            );
            self.r.advance(length);
            line_break = self.r.scan_line_break();
            end_mark = self.scan_block_scalar_breaks(indent, &mut breaks);
            if self.column() == indent && !at_end(self) {
                if folded
                    && line_break == "\n"
                    && leading_non_space
                    && !matches!(self.r.peek(), b' ' | b'\t')
                {
                    if breaks.is_empty() {
                        chunks.push(' ');
                    }
                } else {
                    chunks.push_str(line_break);
                }
            } else {
                break;
            }
        }
        // Chomp the tail.
        if chomping != Some(false) {
            chunks.push_str(line_break);
        }
        if chomping == Some(true) {
            chunks.extend(breaks.drain(..));
        }
        Ok(Token {
            kind: TokenKind::Scalar {
                value: Cow::Owned(chunks),
                plain: false,
                style,
            },
            start: start_mark,
            end: end_mark,
        })
    }

    fn block_scalar_err(&self, start_mark: Mark, problem: String) -> Box<YamlError> {
        self.err(
            Some("while scanning a block scalar"),
            Some(start_mark),
            problem,
        )
    }

    fn scan_block_scalar_indicators(&mut self, start_mark: Mark) -> R<(Option<bool>, Option<u32>)> {
        let mut chomping = None;
        let mut increment = None;
        let zero = "expected indentation indicator in the range 1-9, but found 0";
        let ch = self.r.peek();
        if ch == b'+' || ch == b'-' {
            chomping = Some(ch == b'+');
            self.r.advance_ascii(1);
            let ch = self.r.peek();
            if ch.is_ascii_digit() {
                if ch == b'0' {
                    return Err(self.block_scalar_err(start_mark, zero.into()));
                }
                increment = Some((ch - b'0') as u32);
                self.r.advance_ascii(1);
            }
        } else if ch.is_ascii_digit() {
            if ch == b'0' {
                return Err(self.block_scalar_err(start_mark, zero.into()));
            }
            increment = Some((ch - b'0') as u32);
            self.r.advance_ascii(1);
            let ch = self.r.peek();
            if ch == b'+' || ch == b'-' {
                chomping = Some(ch == b'+');
                self.r.advance_ascii(1);
            }
        }
        if !self.r.is_spacez_at(self.r.pos) {
            let c = self.r.char_at(self.r.pos);
            return Err(self.block_scalar_err(
                start_mark,
                format!(
                    "expected chomping or indentation indicators, but found {}",
                    py_repr_char(c)
                ),
            ));
        }
        Ok((chomping, increment))
    }

    fn scan_block_scalar_ignored_line(&mut self, start_mark: Mark) -> R<()> {
        self.r.skip_spaces();
        if self.r.peek() == b'#' {
            let n = self.r.len_to_breakz();
            self.r.advance(n);
        }
        if !self.r.is_breakz_at(self.r.pos) {
            let c = self.r.char_at(self.r.pos);
            return Err(self.block_scalar_err(
                start_mark,
                format!(
                    "expected a comment or a line break, but found {}",
                    py_repr_char(c)
                ),
            ));
        }
        self.r.scan_line_break();
        Ok(())
    }

    /// Returns `(max_indent, end_mark)`; the breaks go to `breaks`.
    fn scan_block_scalar_indentation(&mut self, breaks: &mut Vec<&'static str>) -> (isize, Mark) {
        let mut max_indent = 0;
        let mut end_mark = self.r.mark();
        while self.r.peek() == b' ' || self.r.is_break_at(self.r.pos) {
            if self.r.peek() != b' ' {
                breaks.push(self.r.scan_line_break());
                end_mark = self.r.mark();
            } else {
                self.r.advance_ascii(1);
                if self.column() > max_indent {
                    max_indent = self.column();
                }
            }
        }
        (max_indent, end_mark)
    }

    /// Returns `end_mark`; the breaks go to `breaks`.
    fn scan_block_scalar_breaks(&mut self, indent: isize, breaks: &mut Vec<&'static str>) -> Mark {
        breaks.clear();
        let mut end_mark = self.r.mark();
        while self.column() < indent && self.r.peek() == b' ' {
            self.r.advance_ascii(1);
        }
        while self.r.is_break_at(self.r.pos) {
            breaks.push(self.r.scan_line_break());
            end_mark = self.r.mark();
            while self.column() < indent && self.r.peek() == b' ' {
                self.r.advance_ascii(1);
            }
        }
        end_mark
    }

    fn scan_flow_scalar(&mut self, double: bool) -> R<Token<'a>> {
        let start_mark = self.r.mark();
        let quote = self.r.peek();
        self.r.advance_ascii(1);
        let mut buf = ScalarBuf::new();
        self.scan_flow_scalar_non_spaces(double, start_mark, &mut buf)?;
        while self.r.peek() != quote {
            self.scan_flow_scalar_spaces(double, start_mark, &mut buf)?;
            self.scan_flow_scalar_non_spaces(double, start_mark, &mut buf)?;
        }
        self.r.advance_ascii(1);
        let end_mark = self.r.mark();
        let style = if double {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        Ok(Token {
            kind: TokenKind::Scalar {
                value: buf.finish(self.text()),
                plain: false,
                style,
            },
            start: start_mark,
            end: end_mark,
        })
    }

    fn scan_flow_scalar_non_spaces(
        &mut self,
        double: bool,
        start_mark: Mark,
        buf: &mut ScalarBuf,
    ) -> R<()> {
        let text = self.text();
        loop {
            let mut p = self.r.pos;
            let b = self.r.b;
            while p < b.len()
                && (!QUOTED_STOP[b[p] as usize]
                    || ((b[p] == 0xc2 || b[p] == 0xe2) && !self.r.is_break_at(p)))
            {
                p += 1;
            }
            let length = p - self.r.pos;
            if length > 0 {
                buf.push_slice(text, self.r.pos, p);
                self.r.advance(length);
            }
            let ch = self.r.peek();
            if !double && ch == b'\'' && self.r.peek_at(1) == b'\'' {
                buf.push_str(text, "'");
                self.r.advance_ascii(2);
            } else if (double && ch == b'\'') || (!double && (ch == b'"' || ch == b'\\')) {
                buf.push_slice(text, self.r.pos, self.r.pos + 1);
                self.r.advance_ascii(1);
            } else if double && ch == b'\\' {
                self.r.advance_ascii(1);
                let ch = self.r.peek();
                if let Some(rep) = escape_replacement(ch).filter(|_| self.r.pos < b.len()) {
                    buf.push_str(text, rep);
                    self.r.advance_ascii(1);
                } else if matches!(ch, b'x' | b'u' | b'U') {
                    let length = match ch {
                        b'x' => 2,
                        b'u' => 4,
                        _ => 8,
                    };
                    self.r.advance_ascii(1);
                    for k in 0..length {
                        if !is_hex(self.r.peek_at(k)) {
                            let c = self.r.char_at(self.r.pos + k);
                            return Err(self.err(
                                Some("while scanning a double-quoted scalar"),
                                Some(start_mark),
                                format!(
                                    "expected escape sequence of {} hexadecimal numbers, but found {}",
                                    length,
                                    py_repr_char(c)
                                ),
                            ));
                        }
                    }
                    let digits = text.get(self.r.pos..self.r.pos + length).unwrap_or("0");
                    let code = u32::from_str_radix(digits, 16).unwrap_or(0);
                    if code > 0x10ffff {
                        return Err(Box::new(YamlError {
                            kind: ErrorKind::Value,
                            context: None,
                            context_mark: None,
                            problem: "chr() arg not in range(0x110000)".into(),
                            problem_mark: Some(self.r.mark()),
                        }));
                    }
                    // A lone surrogate (valid in Python) cannot be held by a Rust
                    // string: it becomes U+FFFD (documented divergence).
                    let c = char::from_u32(code).unwrap_or('\u{fffd}');
                    let mut tmp = [0u8; 4];
                    buf.push_str(text, c.encode_utf8(&mut tmp));
                    self.r.advance(length);
                } else if self.r.is_break_at(self.r.pos) {
                    self.r.scan_line_break();
                    let mut breaks = Vec::new();
                    self.scan_flow_scalar_breaks(start_mark, &mut breaks)?;
                    for br in breaks {
                        buf.push_str(text, br);
                    }
                } else {
                    let c = self.r.char_at(self.r.pos);
                    return Err(self.err(
                        Some("while scanning a double-quoted scalar"),
                        Some(start_mark),
                        format!("found unknown escape character {}", py_repr_char(c)),
                    ));
                }
            } else {
                return Ok(());
            }
        }
    }

    fn scan_flow_scalar_spaces(
        &mut self,
        _double: bool,
        start_mark: Mark,
        buf: &mut ScalarBuf,
    ) -> R<()> {
        let text = self.text();
        let mut length = 0;
        while matches!(self.r.peek_at(length), b' ' | b'\t') {
            length += 1;
        }
        let ws = self.r.pos;
        self.r.advance(length);
        if self.r.pos >= self.r.b.len() {
            return Err(self.err(
                Some("while scanning a quoted scalar"),
                Some(start_mark),
                "found unexpected end of stream".into(),
            ));
        } else if self.r.is_break_at(self.r.pos) {
            let line_break = self.r.scan_line_break();
            let mut breaks = Vec::new();
            self.scan_flow_scalar_breaks(start_mark, &mut breaks)?;
            if line_break != "\n" {
                buf.push_str(text, line_break);
            } else if breaks.is_empty() {
                buf.push_str(text, " ");
            }
            for br in breaks {
                buf.push_str(text, br);
            }
        } else {
            buf.push_slice(text, ws, ws + length);
        }
        Ok(())
    }

    fn scan_flow_scalar_breaks(
        &mut self,
        start_mark: Mark,
        breaks: &mut Vec<&'static str>,
    ) -> R<()> {
        loop {
            // Instead of checking indentation, we check for document separators.
            if self.at_document_separator() {
                return Err(self.err(
                    Some("while scanning a quoted scalar"),
                    Some(start_mark),
                    "found unexpected document separator".into(),
                ));
            }
            while matches!(self.r.peek(), b' ' | b'\t') {
                self.r.advance_ascii(1);
            }
            if self.r.is_break_at(self.r.pos) {
                breaks.push(self.r.scan_line_break());
            } else {
                return Ok(());
            }
        }
    }

    fn scan_plain(&mut self) -> R<Token<'a>> {
        let text = self.text();
        let start_mark = self.r.mark();
        let mut end_mark = start_mark;
        let indent = self.indent + 1;
        let mut buf = ScalarBuf::new();
        let mut spaces = PlainSpaces::Stop;
        let flow = self.flow_level > 0;
        loop {
            if self.r.peek() == b'#' {
                break;
            }
            // Find the end of this segment.
            let b = self.r.b;
            let mut p = self.r.pos;
            while p < b.len() {
                let c = b[p];
                if !PLAIN_STOP[c as usize] {
                    p += 1;
                    continue;
                }
                let stop = match c {
                    b' ' | b'\t' | b'\r' | b'\n' => true,
                    0xc2 | 0xe2 => self.r.is_break_at(p),
                    b':' => {
                        self.r.is_blankz_at(p + 1)
                            || (flow
                                && matches!(self.r.at(p + 1), b',' | b'[' | b']' | b'{' | b'}'))
                    }
                    _ => flow, // , ? [ ] { }
                };
                if stop {
                    break;
                }
                p += 1;
            }
            let length = p - self.r.pos;
            if length == 0 {
                break;
            }
            self.allow_simple_key = false;
            match spaces {
                PlainSpaces::Stop => {}
                PlainSpaces::Slice(a, z) => buf.push_slice(text, a, z),
                PlainSpaces::Folded => {
                    let fold = std::mem::take(&mut self.fold);
                    buf.push_str(text, &fold);
                    self.fold = fold;
                }
            }
            buf.push_slice(text, self.r.pos, p);
            self.r.advance(length);
            end_mark = self.r.mark();
            spaces = self.scan_plain_spaces(indent, start_mark);
            if matches!(spaces, PlainSpaces::Stop)
                || self.r.peek() == b'#'
                || (!flow && self.column() < indent)
            {
                break;
            }
        }
        Ok(Token {
            kind: TokenKind::Scalar {
                value: buf.finish(text),
                plain: true,
                style: ScalarStyle::Plain,
            },
            start: start_mark,
            end: end_mark,
        })
    }

    fn scan_plain_spaces(&mut self, _indent: isize, _start_mark: Mark) -> PlainSpaces {
        let mut length = 0;
        while self.r.peek_at(length) == b' ' {
            length += 1;
        }
        let ws = self.r.pos;
        self.r.advance(length);
        if self.r.is_break_at(self.r.pos) {
            let line_break = self.r.scan_line_break();
            self.allow_simple_key = true;
            if self.at_document_separator() {
                return PlainSpaces::Stop;
            }
            let mut breaks: Vec<&'static str> = Vec::new();
            while self.r.peek() == b' ' || self.r.is_break_at(self.r.pos) {
                if self.r.peek() == b' ' {
                    self.r.skip_spaces();
                } else {
                    breaks.push(self.r.scan_line_break());
                    if self.at_document_separator() {
                        return PlainSpaces::Stop;
                    }
                }
            }
            self.fold.clear();
            if line_break != "\n" {
                self.fold.push_str(line_break);
            } else if breaks.is_empty() {
                self.fold.push(' ');
            }
            for br in breaks {
                self.fold.push_str(br);
            }
            PlainSpaces::Folded
        } else if length > 0 {
            PlainSpaces::Slice(ws, ws + length)
        } else {
            PlainSpaces::Stop
        }
    }

    fn scan_tag_handle(&mut self, name: &str, start_mark: Mark) -> R<Cow<'a, str>> {
        let ch = self.r.peek();
        if ch != b'!' {
            let c = self.r.char_at(self.r.pos);
            return Err(self.err(
                Some(&format!("while scanning a {name}")),
                Some(start_mark),
                format!("expected '!', but found {}", py_repr_char(c)),
            ));
        }
        let mut length = 1;
        let ch = self.r.peek_at(length);
        if ch != b' ' {
            while ALNUM_DASH[self.r.peek_at(length) as usize] {
                length += 1;
            }
            if self.r.peek_at(length) != b'!' {
                let c = self.r.char_at(self.r.pos + length);
                self.r.advance(length);
                return Err(self.err(
                    Some(&format!("while scanning a {name}")),
                    Some(start_mark),
                    format!("expected '!', but found {}", py_repr_char(c)),
                ));
            }
            length += 1;
        }
        let value = self
            .text()
            .get(self.r.pos..self.r.pos + length)
            .unwrap_or("");
        self.r.advance(length);
        Ok(Cow::Borrowed(value))
    }

    fn scan_tag_uri(&mut self, name: &str, start_mark: Mark) -> R<Cow<'a, str>> {
        let text = self.text();
        let mut buf = ScalarBuf::new();
        let mut any = false;
        let mut length = 0;
        loop {
            let ch = self.r.peek_at(length);
            let ok = ch.is_ascii_alphanumeric() || b"-;/?:@&=+$,_.!~*'()[]%".contains(&ch);
            if !ok {
                break;
            }
            if ch == b'%' {
                buf.push_slice(text, self.r.pos, self.r.pos + length);
                self.r.advance(length);
                length = 0;
                any = true;
                let decoded = self.scan_uri_escapes(name, start_mark)?;
                buf.push_str(text, &decoded);
            } else {
                length += 1;
            }
        }
        if length > 0 {
            buf.push_slice(text, self.r.pos, self.r.pos + length);
            self.r.advance(length);
            any = true;
        }
        if !any {
            let c = self.r.char_at(self.r.pos);
            return Err(self.err(
                Some(&format!("while parsing a {name}")),
                Some(start_mark),
                format!("expected URI, but found {}", py_repr_char(c)),
            ));
        }
        Ok(buf.finish(text))
    }

    fn scan_uri_escapes(&mut self, name: &str, start_mark: Mark) -> R<String> {
        let mut codes = Vec::new();
        let mark = self.r.mark();
        while self.r.peek() == b'%' {
            self.r.advance_ascii(1);
            for k in 0..2 {
                if !is_hex(self.r.peek_at(k)) {
                    let c = self.r.char_at(self.r.pos + k);
                    return Err(self.err(
                        Some(&format!("while scanning a {name}")),
                        Some(start_mark),
                        format!(
                            "expected URI escape sequence of 2 hexadecimal numbers, but found {}",
                            py_repr_char(c)
                        ),
                    ));
                }
            }
            let digits = self.text().get(self.r.pos..self.r.pos + 2).unwrap_or("0");
            codes.push(u8::from_str_radix(digits, 16).unwrap_or(0));
            self.r.advance_ascii(2);
        }
        match String::from_utf8(codes) {
            Ok(s) => Ok(s),
            Err(e) => {
                let bytes = e.as_bytes();
                let u = e.utf8_error();
                let start = u.valid_up_to();
                let (end, reason) = match u.error_len() {
                    None => (bytes.len(), "unexpected end of data"),
                    Some(n) => {
                        let b0 = bytes.get(start).copied().unwrap_or(0);
                        let bad_start = matches!(b0, 0x80..=0xc1 | 0xf5..=0xff);
                        (
                            start + n,
                            if bad_start {
                                "invalid start byte"
                            } else {
                                "invalid continuation byte"
                            },
                        )
                    }
                };
                let what = if end - start <= 1 {
                    format!(
                        "byte 0x{:02x} in position {}",
                        bytes.get(start).copied().unwrap_or(0),
                        start
                    )
                } else {
                    format!("bytes in position {}-{}", start, end - 1)
                };
                Err(YamlError::scanner(
                    Some(&format!("while scanning a {name}")),
                    Some(start_mark),
                    format!("'utf-8' codec can't decode {what}: {reason}"),
                    mark,
                ))
            }
        }
    }
}
