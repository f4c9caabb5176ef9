//! Errors, mirroring PyYAML's `error.py` (`Mark`, `MarkedYAMLError`) and
//! `reader.py`'s `ReaderError`.
//!
//! PyYAML raises one exception and stops; so does this crate. A [`YamlError`]
//! carries the same four fields as `MarkedYAMLError` (`context`, `context_mark`,
//! `problem`, `problem_mark`) with the exact PyYAML message texts, and its
//! [`Display`](std::fmt::Display) reproduces `str(MarkedYAMLError)` (without the
//! source snippets, which need the text: see [`YamlError::render`]).

use crate::reader::Mark;
use std::fmt;

/// Which PyYAML exception class the error corresponds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// `yaml.reader.ReaderError`: a non-printable character in the input.
    Reader,
    /// `yaml.scanner.ScannerError`.
    Scanner,
    /// `yaml.parser.ParserError`.
    Parser,
    /// `yaml.composer.ComposerError` (only "expected a single document in the stream").
    Composer,
    /// Not a PyYAML error: the configured nesting limit ([`crate::Options::max_depth`]) was hit.
    DepthLimit,
    /// A Python `ValueError` PyYAML lets escape (e.g. `"\U00110000"`: `chr()` out of range).
    Value,
}

impl ErrorKind {
    /// The Python exception class name (`ScannerError`, `ParserError`, …).
    pub fn class_name(self) -> &'static str {
        match self {
            ErrorKind::Reader => "ReaderError",
            ErrorKind::Scanner => "ScannerError",
            ErrorKind::Parser => "ParserError",
            ErrorKind::Composer => "ComposerError",
            ErrorKind::DepthLimit => "DepthLimitError",
            ErrorKind::Value => "ValueError",
        }
    }
}

/// A YAML error with PyYAML's exact message parts and positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    /// The PyYAML exception class this error stands for.
    pub kind: ErrorKind,
    /// `context` (e.g. "while parsing a block mapping"), if any.
    pub context: Option<String>,
    /// Where the context starts (e.g. the start of the block mapping).
    pub context_mark: Option<Mark>,
    /// `problem` (e.g. "mapping values are not allowed here").
    pub problem: String,
    /// Where the problem was found.
    pub problem_mark: Option<Mark>,
}

/// `Mark.name` for a `str` input in PyYAML.
pub(crate) const SOURCE_NAME: &str = "<unicode string>";

impl YamlError {
    pub(crate) fn new(
        kind: ErrorKind,
        context: Option<&str>,
        context_mark: Option<Mark>,
        problem: String,
        problem_mark: Mark,
    ) -> Self {
        YamlError {
            kind,
            context: context.map(str::to_owned),
            context_mark,
            problem,
            problem_mark: Some(problem_mark),
        }
    }

    /// A `ScannerError(context, context_mark, problem, problem_mark)`.
    pub(crate) fn scanner(
        context: Option<&str>,
        cm: Option<Mark>,
        problem: String,
        pm: Mark,
    ) -> Box<Self> {
        Box::new(Self::new(ErrorKind::Scanner, context, cm, problem, pm))
    }

    /// A `ParserError(context, context_mark, problem, problem_mark)`.
    pub(crate) fn parser(
        context: Option<&str>,
        cm: Option<Mark>,
        problem: String,
        pm: Mark,
    ) -> Box<Self> {
        Box::new(Self::new(ErrorKind::Parser, context, cm, problem, pm))
    }

    /// `str(error)` exactly as PyYAML prints it, *with* the source snippets
    /// (`Mark.get_snippet`) that need the original text. Mistral reports
    /// `Definition could not be parsed: <this>`.
    pub fn render(&self, text: &str) -> String {
        self.format(Some(text))
    }

    fn format(&self, text: Option<&str>) -> String {
        if self.kind == ErrorKind::Reader {
            // ReaderError.__str__ for a unicode character.
            let position = self.problem_mark.map_or(0, |m| m.index);
            return format!(
                "{}\n  in \"{}\", position {}",
                self.problem, SOURCE_NAME, position
            );
        }
        if self.kind == ErrorKind::Value {
            return self.problem.clone();
        }
        let mut lines: Vec<String> = Vec::new();
        if let Some(context) = &self.context {
            lines.push(context.clone());
        }
        if let Some(cm) = self.context_mark {
            let same = self
                .problem_mark
                .is_some_and(|pm| pm.line == cm.line && pm.column == cm.column);
            if !same {
                lines.push(mark_str(cm, text));
            }
        }
        lines.push(self.problem.clone());
        if let Some(pm) = self.problem_mark {
            lines.push(mark_str(pm, text));
        }
        lines.join("\n")
    }
}

/// `str(Mark)`: `  in "<unicode string>", line L, column C` plus the snippet when
/// the text is known.
fn mark_str(mark: Mark, text: Option<&str>) -> String {
    let mut s = format!(
        "  in \"{}\", line {}, column {}",
        SOURCE_NAME,
        mark.line + 1,
        mark.column + 1
    );
    if let Some(text) = text {
        s.push_str(":\n");
        s.push_str(&snippet(mark, text));
    }
    s
}

/// `Mark.get_snippet(indent=4, max_length=75)`, counted in characters like Python.
fn snippet(mark: Mark, text: &str) -> String {
    const INDENT: usize = 4;
    const HALF: f64 = 75.0 / 2.0 - 1.0;
    let is_stop = |c: char| matches!(c, '\0' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let offset = mark.pos().min(text.len());
    let before: Vec<char> = text
        .get(..offset)
        .unwrap_or("")
        .chars()
        .rev()
        .take(80)
        .collect();
    let after: Vec<char> = text.get(offset..).unwrap_or("").chars().take(80).collect();
    // Walk back.
    let mut head = "";
    let mut back = 0usize; // pointer - start
    while back < before.len() && !is_stop(before[back]) {
        back += 1;
        if back as f64 > HALF {
            head = " ... ";
            back -= 5;
            break;
        }
    }
    let mut tail = "";
    let mut fwd = 0usize; // end - pointer
    // PyYAML's buffer ends with a '\0' stop character: the end of `after` stops too.
    while fwd < after.len() && !is_stop(after[fwd]) {
        fwd += 1;
        if fwd as f64 > HALF {
            tail = " ... ";
            fwd -= 5;
            break;
        }
    }
    let mut out = String::new();
    out.push_str(&" ".repeat(INDENT));
    out.push_str(head);
    out.extend(before[..back].iter().rev());
    out.extend(after[..fwd].iter());
    out.push_str(tail);
    out.push('\n');
    out.push_str(&" ".repeat(INDENT + back + head.len()));
    out.push('^');
    out
}

impl fmt::Display for YamlError {
    /// `str(MarkedYAMLError)` without snippets (use [`YamlError::render`] for those).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format(None))
    }
}

impl std::error::Error for YamlError {}

/// Python's `repr()` of a one-character string, as used by PyYAML's `%r` in
/// messages such as `found character '\t' that cannot start any token`.
pub(crate) fn py_repr_char(c: char) -> String {
    let quote = if c == '\'' { '"' } else { '\'' };
    let body = match c {
        '\\' => "\\\\".to_owned(),
        '\t' => "\\t".to_owned(),
        '\n' => "\\n".to_owned(),
        '\r' => "\\r".to_owned(),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => format!("\\x{:02x}", c as u32),
        c if !py_is_printable(c) => {
            let n = c as u32;
            if n < 0x100 {
                format!("\\x{n:02x}")
            } else if n < 0x10000 {
                format!("\\u{n:04x}")
            } else {
                format!("\\U{n:08x}")
            }
        }
        c => c.to_string(),
    };
    format!("{quote}{body}{quote}")
}

/// An approximation of Python's `str.isprintable()` for one character: false for
/// control (Cc), format (Cf), separator (Zs except space, Zl, Zp), surrogate and
/// private-use characters. Unassigned code points (Cn) are not known here and count
/// as printable (a documented divergence that only affects message text).
fn py_is_printable(c: char) -> bool {
    let n = c as u32;
    if n < 0x7f {
        return n >= 0x20;
    }
    !matches!(n,
        0x7f..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2
        | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
        | 0x2066..=0x206f | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3 | 0x1d173..=0x1d17a
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        assert_eq!(py_repr_char('\t'), "'\\t'");
        assert_eq!(py_repr_char('\''), "\"'\"");
        assert_eq!(py_repr_char('\0'), "'\\x00'");
        assert_eq!(py_repr_char('\u{a0}'), "'\\xa0'");
        assert_eq!(py_repr_char('é'), "'é'");
        assert_eq!(py_repr_char('\u{2028}'), "'\\u2028'");
    }
}
