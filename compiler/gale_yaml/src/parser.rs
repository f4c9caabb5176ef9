//! The parser: a port of PyYAML's `parser.py` (`class Parser`).
//!
//! PyYAML's parser is already a state machine: `self.state` is the bound method to
//! call next and `self.states` the stack of states to return to, with `self.marks`
//! holding collection start marks for messages. Here `state`/`states` hold a
//! [`State`] enum whose variants are named after the PyYAML methods
//! (`State::BlockMappingKey` is `parse_block_mapping_key`, …), and each method keeps
//! its PyYAML name and statement order. Nothing recurses, so arbitrarily deep input
//! cannot overflow the stack; [`Options::max_depth`] additionally bounds the
//! nesting of collections for the benefit of (recursive) consumers.
//!
//! `Composer.get_single_node`'s "expected a single document in the stream" check is
//! available as [`Options::single_document`].

use crate::Options;
use crate::error::{ErrorKind, YamlError};
use crate::event::{Event, ScalarStyle, Span};
use crate::reader::{Mark, check_printable};
use crate::scanner::{DirectiveValue, Scanner, Token, TokenKind};
use std::borrow::Cow;

/// The parser states: one per PyYAML `parse_*` method that can be `self.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    StreamStart,
    ImplicitDocumentStart,
    DocumentStart,
    DocumentEnd,
    DocumentContent,
    BlockNode,
    BlockSequenceFirstEntry,
    BlockSequenceEntry,
    IndentlessSequenceEntry,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingValue,
    FlowSequenceFirstEntry,
    FlowSequenceEntry,
    FlowSequenceEntryMappingKey,
    FlowSequenceEntryMappingValue,
    FlowSequenceEntryMappingEnd,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingValue,
    FlowMappingEmptyValue,
    /// `self.state = None`: after STREAM-END.
    End,
}

/// Errors are boxed internally so that `Result`s stay small on the hot path.
type R<T> = Result<T, Box<YamlError>>;

/// `Parser.DEFAULT_TAGS`.
const DEFAULT_TAGS: [(&str, &str); 2] = [("!", "!"), ("!!", "tag:yaml.org,2002:")];

/// A pull parser producing PyYAML's event stream for one text.
///
/// ```
/// use gale_yaml::{Event, Options, Parser};
/// let mut p = Parser::new("a: &x 1\n", Options::mistral());
/// let mut values = Vec::new();
/// while let Some(ev) = p.next_event().unwrap() {
///     if let Event::Scalar { value, .. } = ev {
///         values.push(value.into_owned());
///     }
/// }
/// assert_eq!(values, ["a", "&x 1"]);
/// ```
pub struct Parser<'a> {
    text: &'a str,
    options: Options,
    scanner: Scanner<'a>,
    state: State,
    states: Vec<State>,
    marks: Vec<Mark>,
    yaml_version: Option<(u64, u64)>,
    tag_handles: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    printable_checked: bool,
    failed: Option<YamlError>,
    depth: usize,
    documents: usize,
    awaiting_root: bool,
    first_root: Option<Mark>,
}

impl<'a> Parser<'a> {
    /// A parser over `text` (nothing is scanned until the first [`Parser::next_event`]).
    pub fn new(text: &'a str, options: Options) -> Self {
        let mistral = options.dialect == crate::Dialect::Mistral;
        // Marks hold u32 offsets: refuse a text they cannot address.
        let failed = (text.len() >= u32::MAX as usize).then(|| YamlError {
            kind: ErrorKind::Reader,
            context: None,
            context_mark: None,
            problem: "the input is too large (4 GiB or more)".to_string(),
            problem_mark: Some(Mark::default()),
        });
        Parser {
            text,
            options,
            scanner: Scanner::new(text, mistral),
            state: State::StreamStart,
            states: Vec::new(),
            marks: Vec::new(),
            yaml_version: None,
            tag_handles: Vec::new(),
            printable_checked: false,
            failed,
            depth: 0,
            documents: 0,
            awaiting_root: false,
            first_root: None,
        }
    }

    /// Skips `Reader.check_printable` for a caller that has already run
    /// [`check_printable`] on the same text (it would otherwise run on the first
    /// [`Parser::next_event`]).
    pub fn assume_printable(mut self) -> Self {
        self.printable_checked = true;
        self
    }

    /// The input text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// `get_event()`: the next event, `Ok(None)` after `StreamEnd`. After an error
    /// every further call returns the same error.
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>, YamlError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if !self.printable_checked {
            // Reader.__init__ checks the whole str before anything is scanned.
            self.printable_checked = true;
            if let Err(e) = check_printable(self.text) {
                self.failed = Some(e.clone());
                return Err(e);
            }
        }
        if self.state == State::End {
            return Ok(None);
        }
        match self.step() {
            Ok(ev) => {
                if self.awaiting_root
                    && !matches!(ev, Event::DocumentStart { .. } | Event::DocumentEnd { .. })
                {
                    self.awaiting_root = false;
                    if self.first_root.is_none() {
                        self.first_root = Some(ev.span().start);
                    }
                }
                Ok(Some(ev))
            }
            Err(e) => {
                self.failed = Some((*e).clone());
                Err(*e)
            }
        }
    }

    fn step(&mut self) -> R<Event<'a>> {
        match self.state {
            State::StreamStart => self.parse_stream_start(),
            State::ImplicitDocumentStart => self.parse_implicit_document_start(),
            State::DocumentStart => self.parse_document_start(),
            State::DocumentEnd => self.parse_document_end(),
            State::DocumentContent => self.parse_document_content(),
            State::BlockNode => self.parse_node(true, false),
            State::BlockSequenceFirstEntry => self.parse_block_sequence_first_entry(),
            State::BlockSequenceEntry => self.parse_block_sequence_entry(),
            State::IndentlessSequenceEntry => self.parse_indentless_sequence_entry(),
            State::BlockMappingFirstKey => self.parse_block_mapping_first_key(),
            State::BlockMappingKey => self.parse_block_mapping_key(),
            State::BlockMappingValue => self.parse_block_mapping_value(),
            State::FlowSequenceFirstEntry => self.parse_flow_sequence_first_entry(),
            State::FlowSequenceEntry => self.parse_flow_sequence_entry(false),
            State::FlowSequenceEntryMappingKey => self.parse_flow_sequence_entry_mapping_key(),
            State::FlowSequenceEntryMappingValue => self.parse_flow_sequence_entry_mapping_value(),
            State::FlowSequenceEntryMappingEnd => self.parse_flow_sequence_entry_mapping_end(),
            State::FlowMappingFirstKey => self.parse_flow_mapping_first_key(),
            State::FlowMappingKey => self.parse_flow_mapping_key(false),
            State::FlowMappingValue => self.parse_flow_mapping_value(),
            State::FlowMappingEmptyValue => self.parse_flow_mapping_empty_value(),
            State::End => Err(internal()),
        }
    }

    // ---- token access (Scanner.check_token / peek_token / get_token) ----------

    fn peek_token(&mut self) -> R<&Token<'a>> {
        self.scanner.peek_token()?.ok_or_else(internal)
    }

    fn check(&mut self, f: impl Fn(&TokenKind<'a>) -> bool) -> R<bool> {
        Ok(f(&self.peek_token()?.kind))
    }

    fn get_token(&mut self) -> R<Token<'a>> {
        self.scanner.get_token()?.ok_or_else(internal)
    }

    fn pop_state(&mut self) {
        self.state = self.states.pop().unwrap_or(State::End);
    }

    fn last_mark(&self) -> Option<Mark> {
        self.marks.last().copied()
    }

    /// Enter a collection, enforcing [`Options::max_depth`].
    fn enter(&mut self, mark: Mark, flow: bool) -> R<()> {
        self.depth += 1;
        if let Some(max) = self.options.max_depth
            && self.depth > max
        {
            {
                return Err(Box::new(YamlError {
                    kind: ErrorKind::DepthLimit,
                    context: Some(format!(
                        "while parsing a {} node",
                        if flow { "flow" } else { "block" }
                    )),
                    context_mark: None,
                    problem: format!("exceeded the maximum nesting depth of {max}"),
                    problem_mark: Some(mark),
                }));
            }
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ---- stream / documents -----------------------------------------------------

    fn parse_stream_start(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        self.state = State::ImplicitDocumentStart;
        Ok(Event::StreamStart {
            span: Span {
                start: token.start,
                end: token.end,
            },
        })
    }

    fn parse_implicit_document_start(&mut self) -> R<Event<'a>> {
        if !self.check(|k| {
            matches!(
                k,
                TokenKind::Directive(..) | TokenKind::DocumentStart | TokenKind::StreamEnd
            )
        })? {
            self.tag_handles = DEFAULT_TAGS
                .iter()
                .map(|&(h, p)| (h.into(), p.into()))
                .collect();
            let mark = self.peek_token()?.start;
            self.states.push(State::DocumentEnd);
            self.state = State::BlockNode;
            self.document_started();
            Ok(Event::DocumentStart {
                explicit: false,
                version: None,
                tags: None,
                span: Span {
                    start: mark,
                    end: mark,
                },
            })
        } else {
            self.parse_document_start()
        }
    }

    fn document_started(&mut self) {
        self.documents += 1;
        self.awaiting_root = true;
    }

    fn parse_document_start(&mut self) -> R<Event<'a>> {
        // Parse any extra document end indicators.
        while self.check(|k| matches!(k, TokenKind::DocumentEnd))? {
            self.get_token()?;
        }
        if !self.check(|k| matches!(k, TokenKind::StreamEnd))? {
            // Parse an explicit document.
            let start_mark = self.peek_token()?.start;
            let (version, tags) = self.process_directives()?;
            if !self.check(|k| matches!(k, TokenKind::DocumentStart))? {
                let t = self.peek_token()?;
                return Err(YamlError::parser(
                    None,
                    None,
                    format!("expected '<document start>', but found '{}'", t.kind.id()),
                    t.start,
                ));
            }
            let token = self.get_token()?;
            if self.options.single_document && self.documents >= 1 {
                // Composer.get_single_node
                return Err(Box::new(YamlError {
                    kind: ErrorKind::Composer,
                    context: Some("expected a single document in the stream".into()),
                    context_mark: self.first_root,
                    problem: "but found another document".into(),
                    problem_mark: Some(start_mark),
                }));
            }
            self.states.push(State::DocumentEnd);
            self.state = State::DocumentContent;
            self.document_started();
            Ok(Event::DocumentStart {
                explicit: true,
                version,
                tags,
                span: Span {
                    start: start_mark,
                    end: token.end,
                },
            })
        } else {
            // Parse the end of the stream.
            let token = self.get_token()?;
            self.state = State::End;
            Ok(Event::StreamEnd {
                span: Span {
                    start: token.start,
                    end: token.end,
                },
            })
        }
    }

    fn parse_document_end(&mut self) -> R<Event<'a>> {
        let token = self.peek_token()?;
        let start_mark = token.start;
        let mut end_mark = start_mark;
        let mut explicit = false;
        if matches!(token.kind, TokenKind::DocumentEnd) {
            let token = self.get_token()?;
            end_mark = token.end;
            explicit = true;
        }
        self.state = State::DocumentStart;
        Ok(Event::DocumentEnd {
            explicit,
            span: Span {
                start: start_mark,
                end: end_mark,
            },
        })
    }

    fn parse_document_content(&mut self) -> R<Event<'a>> {
        if self.check(|k| {
            matches!(
                k,
                TokenKind::Directive(..)
                    | TokenKind::DocumentStart
                    | TokenKind::DocumentEnd
                    | TokenKind::StreamEnd
            )
        })? {
            let mark = self.peek_token()?.start;
            self.pop_state();
            Ok(process_empty_scalar(mark))
        } else {
            self.parse_node(true, false)
        }
    }

    #[allow(clippy::type_complexity)]
    fn process_directives(
        &mut self,
    ) -> R<(
        Option<(u64, u64)>,
        Option<Vec<(Cow<'a, str>, Cow<'a, str>)>>,
    )> {
        self.yaml_version = None;
        self.tag_handles = Vec::new();
        while self.check(|k| matches!(k, TokenKind::Directive(..)))? {
            let token = self.get_token()?;
            match token.kind {
                TokenKind::Directive("YAML", DirectiveValue::Yaml(major, minor)) => {
                    if self.yaml_version.is_some() {
                        return Err(YamlError::parser(
                            None,
                            None,
                            "found duplicate YAML directive".into(),
                            token.start,
                        ));
                    }
                    if major != 1 {
                        return Err(YamlError::parser(
                            None,
                            None,
                            "found incompatible YAML document (version 1.* is required)".into(),
                            token.start,
                        ));
                    }
                    self.yaml_version = Some((major, minor));
                }
                TokenKind::Directive("TAG", DirectiveValue::Tag(handle, prefix)) => {
                    if self.tag_handles.iter().any(|(h, _)| *h == handle) {
                        return Err(YamlError::parser(
                            None,
                            None,
                            format!("duplicate tag handle {}", py_repr_str(&handle)),
                            token.start,
                        ));
                    }
                    self.tag_handles.push((handle, prefix));
                }
                _ => {}
            }
        }
        let tags = if self.tag_handles.is_empty() {
            None
        } else {
            Some(self.tag_handles.clone())
        };
        for (h, p) in DEFAULT_TAGS {
            if !self.tag_handles.iter().any(|(k, _)| k == h) {
                self.tag_handles.push((h.into(), p.into()));
            }
        }
        Ok((self.yaml_version, tags))
    }

    // ---- nodes ------------------------------------------------------------------

    /// `parse_node(block, indentless_sequence)`; also `parse_block_node`,
    /// `parse_flow_node` and `parse_block_node_or_indentless_sequence`.
    fn parse_node(&mut self, block: bool, indentless_sequence: bool) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::Alias(_)))? {
            let token = self.get_token()?;
            let anchor = if let TokenKind::Alias(a) = token.kind {
                a
            } else {
                ""
            };
            self.pop_state();
            return Ok(Event::Alias {
                anchor,
                span: Span {
                    start: token.start,
                    end: token.end,
                },
            });
        }
        let mut anchor = None;
        let mut tag = None;
        let mut start_mark = None;
        let mut end_mark = None;
        let mut tag_mark = None;
        if self.check(|k| matches!(k, TokenKind::Anchor(_)))? {
            let token = self.get_token()?;
            start_mark = Some(token.start);
            end_mark = Some(token.end);
            if let TokenKind::Anchor(a) = token.kind {
                anchor = Some(a);
            }
            if self.check(|k| matches!(k, TokenKind::Tag(..)))? {
                let token = self.get_token()?;
                tag_mark = Some(token.start);
                end_mark = Some(token.end);
                if let TokenKind::Tag(h, s) = token.kind {
                    tag = Some((h, s));
                }
            }
        } else if self.check(|k| matches!(k, TokenKind::Tag(..)))? {
            let token = self.get_token()?;
            start_mark = Some(token.start);
            tag_mark = Some(token.start);
            end_mark = Some(token.end);
            if let TokenKind::Tag(h, s) = token.kind {
                tag = Some((h, s));
            }
            if self.check(|k| matches!(k, TokenKind::Anchor(_)))? {
                let token = self.get_token()?;
                end_mark = Some(token.end);
                if let TokenKind::Anchor(a) = token.kind {
                    anchor = Some(a);
                }
            }
        }
        let tag: Option<Cow<'a, str>> = match tag {
            Some((Some(handle), suffix)) => {
                match self.tag_handles.iter().find(|(h, _)| *h == handle) {
                    None => {
                        return Err(YamlError::parser(
                            Some("while parsing a node"),
                            start_mark,
                            format!("found undefined tag handle {}", py_repr_str(&handle)),
                            tag_mark.unwrap_or_default(),
                        ));
                    }
                    Some((_, prefix)) => {
                        if prefix.is_empty() {
                            Some(suffix)
                        } else {
                            Some(Cow::Owned(format!("{prefix}{suffix}")))
                        }
                    }
                }
            }
            Some((None, suffix)) => Some(suffix),
            None => None,
        };
        let (start_mark, mut end_mark) = match start_mark {
            Some(s) => (s, end_mark.unwrap_or(s)),
            None => {
                let m = self.peek_token()?.start;
                (m, m)
            }
        };
        let implicit = tag.is_none() || tag.as_deref() == Some("!");
        if indentless_sequence && self.check(|k| matches!(k, TokenKind::BlockEntry))? {
            end_mark = self.peek_token()?.end;
            self.enter(start_mark, false)?;
            self.state = State::IndentlessSequenceEntry;
            return Ok(Event::SequenceStart {
                anchor,
                tag,
                implicit,
                flow: false,
                span: Span {
                    start: start_mark,
                    end: end_mark,
                },
            });
        }
        let next = self.peek_token()?;
        let next_end = next.end;
        let next_start = next.start;
        match &next.kind {
            TokenKind::Scalar { .. } => {
                let token = self.get_token()?;
                end_mark = token.end;
                let TokenKind::Scalar {
                    value,
                    plain,
                    style,
                } = token.kind
                else {
                    return Err(internal());
                };
                let implicit = if (plain && tag.is_none()) || tag.as_deref() == Some("!") {
                    (true, false)
                } else if tag.is_none() {
                    (false, true)
                } else {
                    (false, false)
                };
                self.pop_state();
                Ok(Event::Scalar {
                    anchor,
                    tag,
                    implicit,
                    style,
                    value,
                    span: Span {
                        start: start_mark,
                        end: end_mark,
                    },
                })
            }
            TokenKind::FlowSequenceStart => {
                self.enter(start_mark, true)?;
                self.state = State::FlowSequenceFirstEntry;
                Ok(Event::SequenceStart {
                    anchor,
                    tag,
                    implicit,
                    flow: true,
                    span: Span {
                        start: start_mark,
                        end: next_end,
                    },
                })
            }
            TokenKind::FlowMappingStart => {
                self.enter(start_mark, true)?;
                self.state = State::FlowMappingFirstKey;
                Ok(Event::MappingStart {
                    anchor,
                    tag,
                    implicit,
                    flow: true,
                    span: Span {
                        start: start_mark,
                        end: next_end,
                    },
                })
            }
            TokenKind::BlockSequenceStart if block => {
                self.enter(start_mark, false)?;
                self.state = State::BlockSequenceFirstEntry;
                Ok(Event::SequenceStart {
                    anchor,
                    tag,
                    implicit,
                    flow: false,
                    span: Span {
                        start: start_mark,
                        end: next_start,
                    },
                })
            }
            TokenKind::BlockMappingStart if block => {
                self.enter(start_mark, false)?;
                self.state = State::BlockMappingFirstKey;
                Ok(Event::MappingStart {
                    anchor,
                    tag,
                    implicit,
                    flow: false,
                    span: Span {
                        start: start_mark,
                        end: next_start,
                    },
                })
            }
            _ if anchor.is_some() || tag.is_some() => {
                // Empty scalars are allowed even if a tag or an anchor is specified.
                self.pop_state();
                Ok(Event::Scalar {
                    anchor,
                    tag,
                    implicit: (implicit, false),
                    style: ScalarStyle::Plain,
                    value: Cow::Borrowed(""),
                    span: Span {
                        start: start_mark,
                        end: end_mark,
                    },
                })
            }
            kind => {
                let node = if block { "block" } else { "flow" };
                Err(YamlError::parser(
                    Some(&format!("while parsing a {node} node")),
                    Some(start_mark),
                    format!("expected the node content, but found '{}'", kind.id()),
                    next_start,
                ))
            }
        }
    }

    // ---- block sequences ----------------------------------------------------------

    fn parse_block_sequence_first_entry(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        self.marks.push(token.start);
        self.parse_block_sequence_entry()
    }

    fn parse_block_sequence_entry(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::BlockEntry))? {
            let token = self.get_token()?;
            if !self.check(|k| matches!(k, TokenKind::BlockEntry | TokenKind::BlockEnd))? {
                self.states.push(State::BlockSequenceEntry);
                return self.parse_node(true, false);
            } else {
                self.state = State::BlockSequenceEntry;
                return Ok(process_empty_scalar(token.end));
            }
        }
        if !self.check(|k| matches!(k, TokenKind::BlockEnd))? {
            let cm = self.last_mark();
            let t = self.peek_token()?;
            return Err(YamlError::parser(
                Some("while parsing a block collection"),
                cm,
                format!("expected <block end>, but found '{}'", t.kind.id()),
                t.start,
            ));
        }
        let token = self.get_token()?;
        self.pop_state();
        self.marks.pop();
        self.leave();
        Ok(Event::SequenceEnd {
            span: Span {
                start: token.start,
                end: token.end,
            },
        })
    }

    fn parse_indentless_sequence_entry(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::BlockEntry))? {
            let token = self.get_token()?;
            if !self.check(|k| {
                matches!(
                    k,
                    TokenKind::BlockEntry | TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd
                )
            })? {
                self.states.push(State::IndentlessSequenceEntry);
                return self.parse_node(true, false);
            } else {
                self.state = State::IndentlessSequenceEntry;
                return Ok(process_empty_scalar(token.end));
            }
        }
        let mark = self.peek_token()?.start;
        self.pop_state();
        self.leave();
        Ok(Event::SequenceEnd {
            span: Span {
                start: mark,
                end: mark,
            },
        })
    }

    // ---- block mappings -------------------------------------------------------------

    fn parse_block_mapping_first_key(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        self.marks.push(token.start);
        self.parse_block_mapping_key()
    }

    fn parse_block_mapping_key(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::Key))? {
            let token = self.get_token()?;
            if !self
                .check(|k| matches!(k, TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd))?
            {
                self.states.push(State::BlockMappingValue);
                return self.parse_node(true, true);
            } else {
                self.state = State::BlockMappingValue;
                return Ok(process_empty_scalar(token.end));
            }
        }
        if !self.check(|k| matches!(k, TokenKind::BlockEnd))? {
            let cm = self.last_mark();
            let t = self.peek_token()?;
            return Err(YamlError::parser(
                Some("while parsing a block mapping"),
                cm,
                format!("expected <block end>, but found '{}'", t.kind.id()),
                t.start,
            ));
        }
        let token = self.get_token()?;
        self.pop_state();
        self.marks.pop();
        self.leave();
        Ok(Event::MappingEnd {
            span: Span {
                start: token.start,
                end: token.end,
            },
        })
    }

    fn parse_block_mapping_value(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::Value))? {
            let token = self.get_token()?;
            if !self
                .check(|k| matches!(k, TokenKind::Key | TokenKind::Value | TokenKind::BlockEnd))?
            {
                self.states.push(State::BlockMappingKey);
                self.parse_node(true, true)
            } else {
                self.state = State::BlockMappingKey;
                Ok(process_empty_scalar(token.end))
            }
        } else {
            self.state = State::BlockMappingKey;
            let mark = self.peek_token()?.start;
            Ok(process_empty_scalar(mark))
        }
    }

    // ---- flow sequences -------------------------------------------------------------

    fn parse_flow_sequence_first_entry(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        self.marks.push(token.start);
        self.parse_flow_sequence_entry(true)
    }

    fn parse_flow_sequence_entry(&mut self, first: bool) -> R<Event<'a>> {
        if !self.check(|k| matches!(k, TokenKind::FlowSequenceEnd))? {
            if !first {
                if self.check(|k| matches!(k, TokenKind::FlowEntry))? {
                    self.get_token()?;
                } else {
                    let cm = self.last_mark();
                    let t = self.peek_token()?;
                    return Err(YamlError::parser(
                        Some("while parsing a flow sequence"),
                        cm,
                        format!("expected ',' or ']', but got '{}'", t.kind.id()),
                        t.start,
                    ));
                }
            }
            if self.check(|k| matches!(k, TokenKind::Key))? {
                let t = self.peek_token()?;
                let span = Span {
                    start: t.start,
                    end: t.end,
                };
                self.enter(span.start, true)?;
                self.state = State::FlowSequenceEntryMappingKey;
                return Ok(Event::MappingStart {
                    anchor: None,
                    tag: None,
                    implicit: true,
                    flow: true,
                    span,
                });
            } else if !self.check(|k| matches!(k, TokenKind::FlowSequenceEnd))? {
                self.states.push(State::FlowSequenceEntry);
                return self.parse_node(false, false);
            }
        }
        let token = self.get_token()?;
        self.pop_state();
        self.marks.pop();
        self.leave();
        Ok(Event::SequenceEnd {
            span: Span {
                start: token.start,
                end: token.end,
            },
        })
    }

    fn parse_flow_sequence_entry_mapping_key(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        if !self.check(|k| {
            matches!(
                k,
                TokenKind::Value | TokenKind::FlowEntry | TokenKind::FlowSequenceEnd
            )
        })? {
            self.states.push(State::FlowSequenceEntryMappingValue);
            self.parse_node(false, false)
        } else {
            self.state = State::FlowSequenceEntryMappingValue;
            Ok(process_empty_scalar(token.end))
        }
    }

    fn parse_flow_sequence_entry_mapping_value(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::Value))? {
            let token = self.get_token()?;
            if !self.check(|k| matches!(k, TokenKind::FlowEntry | TokenKind::FlowSequenceEnd))? {
                self.states.push(State::FlowSequenceEntryMappingEnd);
                self.parse_node(false, false)
            } else {
                self.state = State::FlowSequenceEntryMappingEnd;
                Ok(process_empty_scalar(token.end))
            }
        } else {
            self.state = State::FlowSequenceEntryMappingEnd;
            let mark = self.peek_token()?.start;
            Ok(process_empty_scalar(mark))
        }
    }

    fn parse_flow_sequence_entry_mapping_end(&mut self) -> R<Event<'a>> {
        self.state = State::FlowSequenceEntry;
        let mark = self.peek_token()?.start;
        self.leave();
        Ok(Event::MappingEnd {
            span: Span {
                start: mark,
                end: mark,
            },
        })
    }

    // ---- flow mappings --------------------------------------------------------------

    fn parse_flow_mapping_first_key(&mut self) -> R<Event<'a>> {
        let token = self.get_token()?;
        self.marks.push(token.start);
        self.parse_flow_mapping_key(true)
    }

    fn parse_flow_mapping_key(&mut self, first: bool) -> R<Event<'a>> {
        if !self.check(|k| matches!(k, TokenKind::FlowMappingEnd))? {
            if !first {
                if self.check(|k| matches!(k, TokenKind::FlowEntry))? {
                    self.get_token()?;
                } else {
                    let cm = self.last_mark();
                    let t = self.peek_token()?;
                    return Err(YamlError::parser(
                        Some("while parsing a flow mapping"),
                        cm,
                        format!("expected ',' or '}}', but got '{}'", t.kind.id()),
                        t.start,
                    ));
                }
            }
            if self.check(|k| matches!(k, TokenKind::Key))? {
                let token = self.get_token()?;
                if !self.check(|k| {
                    matches!(
                        k,
                        TokenKind::Value | TokenKind::FlowEntry | TokenKind::FlowMappingEnd
                    )
                })? {
                    self.states.push(State::FlowMappingValue);
                    return self.parse_node(false, false);
                } else {
                    self.state = State::FlowMappingValue;
                    return Ok(process_empty_scalar(token.end));
                }
            } else if !self.check(|k| matches!(k, TokenKind::FlowMappingEnd))? {
                self.states.push(State::FlowMappingEmptyValue);
                return self.parse_node(false, false);
            }
        }
        let token = self.get_token()?;
        self.pop_state();
        self.marks.pop();
        self.leave();
        Ok(Event::MappingEnd {
            span: Span {
                start: token.start,
                end: token.end,
            },
        })
    }

    fn parse_flow_mapping_value(&mut self) -> R<Event<'a>> {
        if self.check(|k| matches!(k, TokenKind::Value))? {
            let token = self.get_token()?;
            if !self.check(|k| matches!(k, TokenKind::FlowEntry | TokenKind::FlowMappingEnd))? {
                self.states.push(State::FlowMappingKey);
                self.parse_node(false, false)
            } else {
                self.state = State::FlowMappingKey;
                Ok(process_empty_scalar(token.end))
            }
        } else {
            self.state = State::FlowMappingKey;
            let mark = self.peek_token()?.start;
            Ok(process_empty_scalar(mark))
        }
    }

    fn parse_flow_mapping_empty_value(&mut self) -> R<Event<'a>> {
        self.state = State::FlowMappingKey;
        let mark = self.peek_token()?.start;
        Ok(process_empty_scalar(mark))
    }
}

impl<'a> Iterator for Parser<'a> {
    type Item = Result<Event<'a>, YamlError>;

    /// Events until `StreamEnd`, then `None`; an error is yielded once, then `None`.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed.is_some() {
            return None;
        }
        self.next_event().transpose()
    }
}

/// `process_empty_scalar(mark)`.
fn process_empty_scalar<'a>(mark: Mark) -> Event<'a> {
    Event::Scalar {
        anchor: None,
        tag: None,
        implicit: (true, false),
        style: ScalarStyle::Plain,
        value: Cow::Borrowed(""),
        span: Span {
            start: mark,
            end: mark,
        },
    }
}

/// Python `repr()` of a short string (tag handles in messages).
fn py_repr_str(s: &str) -> String {
    if s.contains('\'') && !s.contains('"') {
        format!("\"{s}\"")
    } else {
        format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

fn internal() -> Box<YamlError> {
    Box::new(YamlError {
        kind: ErrorKind::Parser,
        context: None,
        context_mark: None,
        problem: "internal error: token stream ended early".into(),
        problem_mark: None,
    })
}
