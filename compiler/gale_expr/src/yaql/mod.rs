//! YAQL: lexer, syntax tree and parser (yaql 3.2.0 grammar, as configured by Mistral).
//!
//! Entry points: [`parse`] (Mistral's engine) and [`parse_with`] (grammar options).

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{Options, ParseError, ParseErrorKind, Parsed, parse, parse_with};
