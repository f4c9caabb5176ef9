//! Jinja (Jinja2 3.1.6 as configured by Mistral): lexer, syntax tree and parser.
//!
//! Entry points: [`parse_template`] (what Mistral's `validate()` runs on a whole
//! string) and [`parse_expression`] (the body of a whole-string `{{ … }}`).

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::{SyntaxError, parse_expression, parse_template};
