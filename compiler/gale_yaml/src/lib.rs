//! A YAML 1.1 event parser that reproduces PyYAML 6.0's pure-Python `SafeLoader`
//! front end — `reader.py`, `scanner.py` and `parser.py` — decision for decision and
//! message for message, with byte-offset spans and zero-copy scalar values.
//!
//! Mistral loads workflow definitions with `mistral.utils.safe_yaml.SafeLoader`, a
//! PyYAML `SafeLoader` whose scanner treats `&anchor`/`*alias` as plain text and
//! allows plain scalars to start with `@`. [`Dialect::Mistral`] selects that
//! behaviour; [`Dialect::Standard`] is PyYAML as shipped.
//!
//! ```
//! use gale_yaml::{Event, Options, Parser};
//! let err = gale_yaml::parse("t1: &a\n  x: 1\n", Options::mistral()).unwrap_err();
//! assert_eq!(err.problem, "mapping values are not allowed here");
//! assert_eq!(err.problem_mark.map(|m| (m.line, m.column, m.offset)), Some((1, 3, 10)));
//! ```
//!
//! Module map (each mirrors a PyYAML module; function names are PyYAML's, so the
//! two can be diffed by eye):
//!
//! * [`reader`] — `reader.py`: printable check, cursor, [`Mark`];
//! * `scanner` — `scanner.py`: tokens, simple keys, indentation, scalars;
//! * [`parser`] — `parser.py`: the event state machine;
//! * [`event`] — `events.py`; [`error`] — `error.py` (`MarkedYAMLError`).
//!
//! What is *not* here: comments are skipped (they are not PyYAML tokens), the
//! resolver (implicit typing) and the constructor. Of the composer only the
//! "expected a single document in the stream" check exists
//! ([`Options::single_document`]).

// The public API returns `YamlError` by value (as PyYAML raises one); the hot
// internal paths use `Box<YamlError>` so their `Result`s stay small.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod event;
pub mod parser;
pub mod reader;
pub(crate) mod scanner;

pub use error::{ErrorKind, YamlError};
pub use event::{Event, ScalarStyle, Span};
pub use parser::Parser;
pub use reader::Mark;

/// Which loader's scanner to reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// `mistral.utils.safe_yaml.SafeLoader`: `&x` and `*x` are plain scalars,
    /// a plain scalar may start with `@`.
    Mistral,
    /// `yaml.SafeLoader` as shipped: anchors, aliases; `@` is reserved.
    Standard,
}

/// Parser options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Options {
    /// The scanner dialect.
    pub dialect: Dialect,
    /// Fail with [`ErrorKind::DepthLimit`] when collections nest deeper than this.
    /// The parser itself never recurses; the limit protects consumers. `None`: no limit.
    pub max_depth: Option<usize>,
    /// Reproduce `Composer.get_single_node` (what `yaml.load` does): a second
    /// document is an [`ErrorKind::Composer`] error "expected a single document in
    /// the stream" / "but found another document".
    pub single_document: bool,
}

impl Options {
    /// Default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 1000;

    /// Mistral's loader: Mistral dialect, single document, depth limit 1000.
    pub fn mistral() -> Self {
        Options {
            dialect: Dialect::Mistral,
            max_depth: Some(Self::DEFAULT_MAX_DEPTH),
            single_document: true,
        }
    }

    /// Plain PyYAML `yaml.parse` with `SafeLoader`: standard dialect, any number of
    /// documents, depth limit 1000.
    pub fn standard() -> Self {
        Options {
            dialect: Dialect::Standard,
            max_depth: Some(Self::DEFAULT_MAX_DEPTH),
            single_document: false,
        }
    }
}

impl Default for Options {
    /// [`Options::mistral`].
    fn default() -> Self {
        Options::mistral()
    }
}

/// Parse the whole text into a vector of events (stopping at the first error).
pub fn parse(text: &str, options: Options) -> Result<Vec<Event<'_>>, YamlError> {
    let mut parser = Parser::new(text, options);
    let mut events = Vec::new();
    while let Some(ev) = parser.next_event()? {
        events.push(ev);
    }
    Ok(events)
}

/// Parse as far as possible: the events before the first error, and the error.
pub fn parse_partial(text: &str, options: Options) -> (Vec<Event<'_>>, Option<YamlError>) {
    let mut parser = Parser::new(text, options);
    let mut events = Vec::new();
    loop {
        match parser.next_event() {
            Ok(Some(ev)) => events.push(ev),
            Ok(None) => return (events, None),
            Err(e) => return (events, Some(e)),
        }
    }
}
