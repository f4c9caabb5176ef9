//! The input side: PyYAML's `reader.py` (`Reader.check_printable`, `peek`, `prefix`,
//! `forward`, `get_mark`) over a `&str`, byte-oriented.
//!
//! PyYAML works on a Python `str` with a `'\0'` sentinel appended and counts
//! characters. Here the input stays UTF-8 bytes: `peek` returns the byte at the
//! cursor (0 past the end, playing the role of the sentinel — the printable check
//! guarantees no real NUL is in the input), and the cursor keeps four numbers:
//! the byte `offset`, PyYAML's character `index`, and PyYAML's `line`/`column`
//! (columns in characters; a U+FEFF does not advance the column, exactly as in
//! `Reader.forward`).
//!
//! Line breaks are PyYAML's: `\n`, `\r` (a `\r\n` pair counts once), U+0085,
//! U+2028 and U+2029.

use crate::error::{ErrorKind, YamlError};

/// A position in the input: PyYAML's `Mark` (`index`, `line`, `column`) plus the
/// byte `offset` into the `&str`.
///
/// Fields are `u32` (16 bytes a mark: tokens and events carry two): the parser
/// rejects texts of 4 GiB or more before reading them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mark {
    /// Byte offset into the input text.
    pub offset: u32,
    /// Character index (PyYAML's `Mark.index`).
    pub index: u32,
    /// 0-based line (PyYAML's `Mark.line`).
    pub line: u32,
    /// 0-based column in characters (PyYAML's `Mark.column`).
    pub column: u32,
}

impl Mark {
    /// The byte offset as a `usize`, for slicing the input.
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.offset as usize
    }
}

/// Byte classes used by the fast scanning loops.
pub(crate) const fn class_table(stops: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
}

/// `Reader.check_printable`: PyYAML rejects any character outside
/// `[\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]`.
/// For a `&str` (no surrogates) that leaves C0 controls other than tab/LF/CR, DEL,
/// C1 controls other than U+0085, and U+FFFE/U+FFFF.
pub fn check_printable(text: &str) -> Result<(), YamlError> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Fast path: 8 plain printable ASCII bytes at a time.
        if let Some(chunk) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            const LO: u64 = 0x0101_0101_0101_0101;
            const HI: u64 = 0x8080_8080_8080_8080;
            // any byte < 0x20, any byte >= 0x7f (0x7f + 1 sets bit 7), any byte >= 0x80
            let lt20 = w.wrapping_sub(LO * 0x20) & !w & HI;
            let ge7f = (w.wrapping_add(LO) | w) & HI;
            if ge7f == 0 {
                // ASCII only: a flagged byte may be a control character (the mask
                // can also flag a byte above a real one); only tab, LF and CR pass.
                let mut m = lt20;
                let mut ok = true;
                while m != 0 {
                    let k = (m.trailing_zeros() / 8) as usize;
                    if !matches!(chunk[k], 0x09 | 0x0a | 0x0d | 0x20..) {
                        ok = false;
                        break;
                    }
                    m &= m - 1;
                }
                if ok {
                    i += 8;
                    continue;
                }
            }
        }
        let c = b[i];
        let bad = match c {
            0x09 | 0x0a | 0x0d => false,
            0x00..=0x1f | 0x7f => true,
            0xc2 => matches!(b.get(i + 1), Some(&n) if (0x80..=0x9f).contains(&n) && n != 0x85),
            0xef => b.get(i + 1) == Some(&0xbf) && matches!(b.get(i + 2), Some(0xbe | 0xbf)),
            _ => false,
        };
        if bad {
            let ch = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('\0');
            let index = text.get(..i).map_or(0, |s| s.chars().count());
            return Err(YamlError {
                kind: ErrorKind::Reader,
                context: None,
                context_mark: None,
                problem: format!(
                    "unacceptable character #x{:04x}: special characters are not allowed",
                    ch as u32
                ),
                problem_mark: Some(Mark {
                    offset: i as u32,
                    index: index as u32,
                    line: 0,
                    column: 0,
                }),
            });
        }
        i += 1;
    }
    Ok(())
}

/// The cursor over the input (PyYAML's `Reader` state).
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    pub(crate) text: &'a str,
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) index: usize,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Reader {
            text,
            b: text.as_bytes(),
            pos: 0,
            index: 0,
            line: 0,
            column: 0,
        }
    }

    /// The byte at the cursor, 0 at the end (PyYAML's `'\0'` sentinel).
    #[inline(always)]
    pub(crate) fn peek(&self) -> u8 {
        self.at(self.pos)
    }

    /// The byte `k` bytes ahead, 0 past the end.
    #[inline(always)]
    pub(crate) fn peek_at(&self, k: usize) -> u8 {
        self.at(self.pos + k)
    }

    #[inline(always)]
    pub(crate) fn at(&self, p: usize) -> u8 {
        self.b.get(p).copied().unwrap_or(0)
    }

    /// The character at byte position `p` (`'\0'` at the end), for messages.
    pub(crate) fn char_at(&self, p: usize) -> char {
        self.text
            .get(p..)
            .and_then(|s| s.chars().next())
            .unwrap_or('\0')
    }

    /// Is there a line break (`\r \n \x85 \u2028 \u2029`) at byte `p`?
    #[inline(always)]
    pub(crate) fn is_break_at(&self, p: usize) -> bool {
        match self.at(p) {
            b'\r' | b'\n' => true,
            0xc2 => self.at(p + 1) == 0x85,
            0xe2 => self.at(p + 1) == 0x80 && matches!(self.at(p + 2), 0xa8 | 0xa9),
            _ => false,
        }
    }

    /// `in '\0\r\n\x85\u2028\u2029'` at byte `p`.
    #[inline(always)]
    pub(crate) fn is_breakz_at(&self, p: usize) -> bool {
        p >= self.b.len() || self.is_break_at(p)
    }

    /// `in '\0 \t\r\n\x85\u2028\u2029'` at byte `p`.
    #[inline(always)]
    pub(crate) fn is_blankz_at(&self, p: usize) -> bool {
        matches!(self.at(p), b' ' | b'\t') || self.is_breakz_at(p)
    }

    /// `in '\0 \r\n\x85\u2028\u2029'` (blank-or-break without tab) at byte `p`.
    #[inline(always)]
    pub(crate) fn is_spacez_at(&self, p: usize) -> bool {
        self.at(p) == b' ' || self.is_breakz_at(p)
    }

    /// The number of bytes from the cursor to the next line break or the end
    /// (`while self.peek(length) not in '\0\r\n\x85\u2028\u2029'`).
    #[inline]
    pub(crate) fn len_to_breakz(&self) -> usize {
        let mut p = self.pos;
        let b = self.b;
        while p < b.len() {
            match b[p] {
                b'\r' | b'\n' => break,
                0xc2 | 0xe2 if self.is_break_at(p) => break,
                _ => p += 1,
            }
        }
        p - self.pos
    }

    /// `Reader.forward(n)` over `n` bytes known to be ASCII and not line breaks.
    #[inline(always)]
    pub(crate) fn advance_ascii(&mut self, n: usize) {
        self.pos += n;
        self.index += n;
        self.column += n;
    }

    /// Skip the run of spaces at the cursor (`while peek() == ' ': forward()`).
    #[inline(always)]
    pub(crate) fn skip_spaces(&mut self) -> usize {
        let mut n = 0;
        while self.at(self.pos + n) == b' ' {
            n += 1;
        }
        self.advance_ascii(n);
        n
    }

    /// `Reader.forward(n)` over `n` bytes known to hold no line break.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.b.len());
        let s = &self.b[self.pos..end];
        if s.is_ascii() {
            self.index += s.len();
            self.column += s.len();
        } else {
            let mut chars = 0;
            let mut boms = 0;
            for (i, &c) in s.iter().enumerate() {
                if (c as i8) >= -0x40 {
                    chars += 1;
                    if c == 0xef && s.get(i + 1) == Some(&0xbb) && s.get(i + 2) == Some(&0xbf) {
                        boms += 1;
                    }
                }
            }
            self.index += chars;
            self.column += chars - boms;
        }
        self.pos = end;
    }

    /// Scanner.scan_line_break: consume one line break if present and return what it
    /// stands for (`"\n"` for `\r\n`, `\r`, `\n`, U+0085; U+2028/U+2029 themselves),
    /// or `""` when there is none.
    #[inline]
    pub(crate) fn scan_line_break(&mut self) -> &'static str {
        let (bytes, value) = match self.peek() {
            b'\r' => (if self.peek_at(1) == b'\n' { 2 } else { 1 }, "\n"),
            b'\n' => (1, "\n"),
            0xc2 if self.peek_at(1) == 0x85 => (2, "\n"),
            0xe2 if self.peek_at(1) == 0x80 && self.peek_at(2) == 0xa8 => (3, "\u{2028}"),
            0xe2 if self.peek_at(1) == 0x80 && self.peek_at(2) == 0xa9 => (3, "\u{2029}"),
            _ => return "",
        };
        self.pos += bytes;
        // "\r\n" is two characters; U+0085/U+2028/U+2029 are one.
        self.index += if bytes == 2 && value == "\n" && self.at(self.pos - 1) == b'\n' {
            2
        } else {
            1
        };
        self.line += 1;
        self.column = 0;
        value
    }

    /// `Reader.get_mark()`.
    #[inline(always)]
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            offset: self.pos as u32,
            index: self.index as u32,
            line: self.line as u32,
            column: self.column as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable() {
        assert!(check_printable("abc\tdef\r\n\u{85}é\u{10000}").is_ok());
        let e = check_printable("ab\u{7}").unwrap_err();
        assert_eq!(
            e.problem,
            "unacceptable character #x0007: special characters are not allowed"
        );
        assert_eq!(e.problem_mark.map(|m| m.index), Some(2));
        assert!(check_printable("0123456789abcdéf\u{fffe}").is_err());
        assert!(check_printable("0123456789abcdéf\u{9f}").is_err());
    }

    #[test]
    fn line_breaks() {
        let mut r = Reader::new("a\r\nb\u{2028}c");
        r.advance(1);
        assert_eq!(r.scan_line_break(), "\n");
        assert_eq!((r.pos, r.index, r.line, r.column), (3, 3, 1, 0));
        r.advance(1);
        assert_eq!(r.scan_line_break(), "\u{2028}");
        assert_eq!((r.pos, r.index, r.line), (7, 5, 2));
    }
}
