//! Scalar decoding: turns the source text of a scalar (in any of the five YAML styles)
//! into its decoded text plus an [`OffsetMap`] back to the source.
//!
//! The decoders follow PyYAML's scanner (`scan_plain`, `scan_flow_scalar`,
//! `scan_block_scalar`) rather than the YAML 1.2 spec where the two differ. They
//! work on the original text and never panic: malformed input yields a best-effort
//! text. The reader takes the decoded text itself from `gale_yaml` (PyYAML-exact)
//! and asks these decoders only for the offset map (`keep = false`), and only when
//! `gale_yaml` had to decode (its value does not borrow the input).

use crate::tree::OffsetMap;

/// Builds a decoded string and its offset map together. In map-only mode (the
/// reader takes the decoded text from `gale_yaml`) only the length is tracked.
pub(crate) struct Builder {
    text: String,
    len: u32,
    keep: bool,
    runs: Vec<(u32, u32, u32)>,
}

impl Builder {
    /// A builder that keeps the text when `keep`, else only the offset map.
    pub(crate) fn new(keep: bool) -> Builder {
        Builder {
            text: String::new(),
            len: 0,
            keep,
            runs: Vec::new(),
        }
    }

    /// Appends `s`, copied verbatim from source offset `src`.
    pub(crate) fn copy(&mut self, src: usize, s: &str) {
        if s.is_empty() {
            return;
        }
        let d = self.len;
        let src = src as u32;
        let len = s.len() as u32;
        match self.runs.last_mut() {
            Some(last) if last.0 + last.2 == d && last.1 + last.2 == src && last.2 > 0 => {
                last.2 += len;
            }
            _ => self.runs.push((d, src, len)),
        }
        self.push(s);
    }

    /// Appends `s`, produced by the source text starting at `src` (an escape, a fold).
    pub(crate) fn produce(&mut self, src: usize, s: &str) {
        if s.is_empty() {
            return;
        }
        self.runs.push((self.len, src as u32, 0));
        self.push(s);
    }

    #[inline]
    fn push(&mut self, s: &str) {
        self.len += s.len() as u32;
        if self.keep {
            self.text.push_str(s);
        }
    }

    pub(crate) fn finish(self, source_end: usize) -> (String, OffsetMap) {
        (
            self.text,
            OffsetMap::from_runs(self.runs, source_end as u32),
        )
    }
}

/// Byte at `i`, or 0 past the end.
#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
fn is_break(c: u8) -> bool {
    c == b'\n' || c == b'\r'
}

/// Length of the line break at `i` (0 if none).
#[inline]
fn break_len(b: &[u8], i: usize) -> usize {
    match at(b, i) {
        b'\r' if at(b, i + 1) == b'\n' => 2,
        b'\r' | b'\n' => 1,
        _ => 0,
    }
}

/// Decodes a plain scalar whose content is exactly `src[start..end]`.
pub(crate) fn decode_plain(src: &str, start: usize, end: usize, keep: bool) -> (String, OffsetMap) {
    let b = src.as_bytes();
    let end = end.min(b.len());
    let mut out = Builder::new(keep);
    let mut i = start;
    let mut first = true;
    while i < end {
        // One line: [i, line_end)
        let mut line_end = i;
        while line_end < end && !is_break(b[line_end]) {
            line_end += 1;
        }
        // Trim trailing blanks of the line.
        let mut content_end = line_end;
        while content_end > i && matches!(b[content_end - 1], b' ' | b'\t') {
            content_end -= 1;
        }
        let mut content_start = i;
        if !first {
            while content_start < content_end && matches!(b[content_start], b' ' | b'\t') {
                content_start += 1;
            }
        }
        out.copy(content_start, &src[content_start..content_end]);
        first = false;
        if line_end >= end {
            break;
        }
        // Fold: count following empty lines.
        let fold_at = content_end;
        let mut j = line_end + break_len(b, line_end);
        let mut breaks = 0usize;
        loop {
            let mut k = j;
            while k < end && matches!(b[k], b' ' | b'\t') {
                k += 1;
            }
            if k < end && is_break(b[k]) {
                breaks += 1;
                j = k + break_len(b, k);
            } else {
                break;
            }
        }
        if breaks == 0 {
            out.produce(fold_at, " ");
        } else {
            for _ in 0..breaks {
                out.produce(fold_at, "\n");
            }
        }
        i = j;
    }
    out.finish(end)
}

/// Decodes a single- or double-quoted scalar whose opening quote is at `start`.
/// Returns the text, the map and the offset one past the closing quote (or the end
/// of the text when unterminated).
pub(crate) fn decode_quoted(src: &str, start: usize, keep: bool) -> (String, OffsetMap, usize) {
    quoted_loop(
        src,
        start + 1,
        src.as_bytes().get(start).copied().unwrap_or(b'"'),
        Builder::new(keep),
    )
}

/// The body of [`decode_quoted`], from offset `i` after the opening quote.
fn quoted_loop(src: &str, mut i: usize, quote: u8, mut out: Builder) -> (String, OffsetMap, usize) {
    let b = src.as_bytes();
    let double = quote == b'"';
    let n = b.len();
    loop {
        let run_start = i;
        while i < n {
            let c = b[i];
            if c == quote || c == b' ' || c == b'\t' || is_break(c) || (double && c == b'\\') {
                break;
            }
            i += 1;
        }
        out.copy(run_start, &src[run_start..i]);
        if i >= n {
            return finish_quoted(out, n, n);
        }
        let c = b[i];
        if c == quote {
            if !double && at(b, i + 1) == b'\'' {
                out.produce(i, "'");
                i += 2;
                continue;
            }
            return finish_quoted(out, i, i + 1);
        }
        if c == b'\\' {
            i = decode_escape(src, i, &mut out);
            continue;
        }
        let blanks_start = i;
        while i < n && matches!(b[i], b' ' | b'\t') {
            i += 1;
        }
        if i < n && is_break(b[i]) {
            let fold_at = blanks_start;
            let mut breaks = 0usize;
            loop {
                i += break_len(b, i);
                while i < n && matches!(b[i], b' ' | b'\t') {
                    i += 1;
                }
                if i < n && is_break(b[i]) {
                    breaks += 1;
                } else {
                    break;
                }
            }
            if breaks == 0 {
                out.produce(fold_at, " ");
            } else {
                for _ in 0..breaks {
                    out.produce(fold_at, "\n");
                }
            }
        } else {
            out.copy(blanks_start, &src[blanks_start..i]);
        }
    }
}

fn finish_quoted(out: Builder, content_end: usize, end: usize) -> (String, OffsetMap, usize) {
    let (t, m) = out.finish(content_end);
    (t, m, end)
}

/// Decodes the escape starting with the backslash at `i`; returns the offset after it.
fn decode_escape(src: &str, i: usize, out: &mut Builder) -> usize {
    let b = src.as_bytes();
    let c = at(b, i + 1);
    let simple = match c {
        b'0' => Some("\0"),
        b'a' => Some("\x07"),
        b'b' => Some("\x08"),
        b't' | b'\t' => Some("\t"),
        b'n' => Some("\n"),
        b'v' => Some("\x0b"),
        b'f' => Some("\x0c"),
        b'r' => Some("\r"),
        b'e' => Some("\x1b"),
        b' ' => Some(" "),
        b'"' => Some("\""),
        b'/' => Some("/"),
        b'\\' => Some("\\"),
        b'N' => Some("\u{85}"),
        b'_' => Some("\u{a0}"),
        b'L' => Some("\u{2028}"),
        b'P' => Some("\u{2029}"),
        _ => None,
    };
    if let Some(s) = simple {
        out.produce(i, s);
        return i + 2;
    }
    let digits = match c {
        b'x' => 2,
        b'u' => 4,
        b'U' => 8,
        _ => 0,
    };
    if digits > 0 {
        let hex = src.get(i + 2..i + 2 + digits).unwrap_or("");
        if hex.len() == digits && hex.bytes().all(|h| h.is_ascii_hexdigit()) {
            if let Some(ch) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) {
                let mut buf = [0u8; 4];
                out.produce(i, ch.encode_utf8(&mut buf));
            }
            return i + 2 + digits;
        }
        return i + 2;
    }
    if is_break(c) {
        // Escaped line break: join, dropping the next line's leading blanks and
        // keeping further empty lines as newlines.
        let mut j = i + 1 + break_len(b, i + 1);
        loop {
            while matches!(at(b, j), b' ' | b'\t') {
                j += 1;
            }
            if is_break(at(b, j)) {
                out.produce(j, "\n");
                j += break_len(b, j);
            } else {
                break;
            }
        }
        return j;
    }
    // Unknown escape (a YAML error): keep it as written.
    let len = src[i + 1..].chars().next().map_or(0, char::len_utf8);
    out.copy(i, &src[i..i + 1 + len]);
    i + 1 + len
}

/// The parsed header of a block scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockHeader {
    /// `true` for `>`.
    pub folded: bool,
    /// `Some(false)` for `-` (strip), `Some(true)` for `+` (keep), `None` for clip.
    pub chomping: Option<bool>,
    /// The explicit indentation indicator (1–9).
    pub increment: Option<usize>,
    /// Offset of the first content line (after the header's line break).
    pub body: usize,
}

/// Reads the header of a block scalar whose indicator (`|` or `>`) is at `start`.
pub(crate) fn block_header(src: &str, start: usize) -> BlockHeader {
    let b = src.as_bytes();
    let folded = at(b, start) == b'>';
    let mut i = start + 1;
    let mut chomping = None;
    let mut increment = None;
    for _ in 0..2 {
        match at(b, i) {
            b'+' if chomping.is_none() => {
                chomping = Some(true);
                i += 1;
            }
            b'-' if chomping.is_none() => {
                chomping = Some(false);
                i += 1;
            }
            c @ b'1'..=b'9' if increment.is_none() => {
                increment = Some(usize::from(c - b'0'));
                i += 1;
            }
            _ => break,
        }
    }
    // Rest of the header line (blanks, comment).
    while i < b.len() && !is_break(b[i]) {
        i += 1;
    }
    i += break_len(b, i);
    BlockHeader {
        folded,
        chomping,
        increment,
        body: i.min(b.len()),
    }
}

/// Decodes a block scalar body following PyYAML's `scan_block_scalar`.
/// `parent_indent` is the column of the enclosing block collection (-1 at top level).
/// Returns the text, the map and the offset where the scalar's content ends (after
/// its last consumed line).
pub(crate) fn decode_block(
    src: &str,
    header: BlockHeader,
    parent_indent: i64,
    keep: bool,
) -> (String, OffsetMap, usize) {
    let b = src.as_bytes();
    let n = b.len();
    let min_indent = (parent_indent + 1).max(1) as usize;
    let mut out = Builder::new(keep);
    let mut i = header.body;
    let mut col = 0usize;
    // Leading breaks: (source offset of each break).
    let mut breaks: Vec<usize> = Vec::new();
    let indent;
    if let Some(inc) = header.increment {
        indent = min_indent + inc - 1;
        scan_breaks(b, &mut i, &mut col, indent, &mut breaks);
    } else {
        let mut max_indent = 0;
        while i < n && (b[i] == b' ' || is_break(b[i])) {
            if b[i] == b' ' {
                i += 1;
                col += 1;
                max_indent = max_indent.max(col);
            } else {
                breaks.push(i);
                i += break_len(b, i);
                col = 0;
            }
        }
        indent = min_indent.max(max_indent);
    }
    let mut content_end = header.body;
    let mut line_break: Option<usize> = None;
    while col == indent && i < n {
        for &br in &breaks {
            out.produce(br, "\n");
        }
        breaks.clear();
        let leading_non_space = !matches!(b[i], b' ' | b'\t');
        let start = i;
        while i < n && !is_break(b[i]) {
            i += 1;
        }
        out.copy(start, &src[start..i]);
        content_end = i;
        line_break = if i < n { Some(i) } else { None };
        i += break_len(b, i);
        col = 0;
        scan_breaks(b, &mut i, &mut col, indent, &mut breaks);
        if col == indent && i < n {
            if header.folded
                && line_break.is_some()
                && leading_non_space
                && !matches!(b[i], b' ' | b'\t')
            {
                if breaks.is_empty()
                    && let Some(lb) = line_break
                {
                    out.produce(lb, " ");
                }
            } else if let Some(lb) = line_break {
                out.produce(lb, "\n");
            }
        } else {
            break;
        }
    }
    if header.chomping != Some(false)
        && let Some(lb) = line_break
    {
        out.produce(lb, "\n");
    }
    if header.chomping == Some(true) {
        for &br in &breaks {
            out.produce(br, "\n");
        }
    }
    let (t, m) = out.finish(content_end);
    // The scalar ends where its last consumed line ends (trailing empty lines belong
    // to it, but the next token's indentation does not).
    let mut end = i;
    while end > content_end && !is_break(b[end - 1]) {
        end -= 1;
    }
    (t, m, end.max(content_end))
}

fn scan_breaks(b: &[u8], i: &mut usize, col: &mut usize, indent: usize, breaks: &mut Vec<usize>) {
    while *col < indent && at(b, *i) == b' ' {
        *i += 1;
        *col += 1;
    }
    while is_break(at(b, *i)) {
        breaks.push(*i);
        *i += break_len(b, *i);
        *col = 0;
        while *col < indent && at(b, *i) == b' ' {
            *i += 1;
            *col += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        decode_plain(s, 0, s.len(), true).0
    }

    #[test]
    fn plain_folding() {
        assert_eq!(plain("a b"), "a b");
        assert_eq!(plain("a\n  b"), "a b");
        assert_eq!(plain("a  \n  b"), "a b");
        assert_eq!(plain("a\n\n  b"), "a\nb");
        assert_eq!(plain("a\n\n\n  b"), "a\n\nb");
        assert_eq!(plain("a\r\n  b"), "a b");
    }

    #[test]
    fn plain_offsets() {
        let (t, m) = decode_plain("ab\n  cd", 0, 7, true);
        assert_eq!(t, "ab cd");
        assert_eq!(m.to_source(0), 0);
        assert_eq!(m.to_source(2), 2);
        assert_eq!(m.to_source(3), 5);
        assert_eq!(m.to_source(4), 6);
        assert_eq!(m.to_source(5), 7);
    }

    fn quoted(s: &str) -> (String, usize) {
        let (t, _, e) = decode_quoted(s, 0, true);
        (t, e)
    }

    #[test]
    fn single_quoted() {
        assert_eq!(quoted("'a''b'"), ("a'b".into(), 6));
        assert_eq!(quoted("''''"), ("'".into(), 4));
        assert_eq!(quoted("'a \n  b'"), ("a b".into(), 8));
        assert_eq!(quoted("'a\n\n b' x"), ("a\nb".into(), 7));
        assert_eq!(quoted("'unterminated"), ("unterminated".into(), 13));
    }

    #[test]
    fn double_quoted_escapes() {
        assert_eq!(
            quoted(r#""a\x41\u00e9\U0001F600\n\t\"\\\/\_\N\L\P""#).0,
            "aAé😀\n\t\"\\/\u{a0}\u{85}\u{2028}\u{2029}"
        );
        assert_eq!(quoted("\"a\\\n   b\"").0, "ab");
        assert_eq!(quoted("\"a \\\n   b\"").0, "a b");
        assert_eq!(quoted("\"a\n\n  b\"").0, "a\nb");
    }

    #[test]
    fn escape_offsets() {
        // "\x41b" at 0: decoded A comes from the escape at 1, b from 5.
        let (t, m, _) = decode_quoted("\"\\x41b\"", 0, true);
        assert_eq!(t, "Ab");
        assert_eq!(m.to_source(0), 1);
        assert_eq!(m.to_source(1), 5);
        assert_eq!(m.to_source(2), 6);
    }

    fn block(s: &str, parent: i64) -> String {
        let h = block_header(s, 0);
        decode_block(s, h, parent, true).0
    }

    #[test]
    fn block_scalars() {
        assert_eq!(block("|\n  a\n  b\n", 0), "a\nb\n");
        assert_eq!(block("|-\n  a\n  b\n\n", 0), "a\nb");
        assert_eq!(block("|+\n  a\n\n", 0), "a\n\n");
        assert_eq!(block(">\n  a\n  b\n\n  c\n", 0), "a b\nc\n");
        assert_eq!(block(">\n  a\n    x\n  b\n", 0), "a\n  x\nb\n");
        assert_eq!(block("|2\n    a\n", 0), "  a\n");
        assert_eq!(block("| # c\n a\nb: 1", 0), "a\n");
        assert_eq!(block("|\n", 0), "");
    }

    #[test]
    fn block_offsets() {
        let s = "|\n  ab\n  cd\n";
        let h = block_header(s, 0);
        let (t, m, end) = decode_block(s, h, 0, true);
        assert_eq!(t, "ab\ncd\n");
        assert_eq!(m.to_source(0), 4);
        assert_eq!(m.to_source(2), 6);
        assert_eq!(m.to_source(3), 9);
        assert_eq!(end, s.len());
    }
}
