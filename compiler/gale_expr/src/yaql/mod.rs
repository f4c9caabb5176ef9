//! YAQL: lexer, syntax tree and parser (yaql 3.2.0 grammar, as configured by Mistral).
//!
//! Entry points: [`parse`] (Mistral's engine), [`parse_with`] (grammar options) and
//! [`parse_recovering`] (best-effort tree for half-typed text).

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{
    Options, ParseError, ParseErrorKind, Parsed, parse, parse_recovering, parse_with,
};
