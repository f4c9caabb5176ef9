//! Byte offsets to line/column positions, in Unicode scalar values (for humans and
//! JSON output), UTF-8 bytes or UTF-16 code units (for the language server).

/// A 0-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    /// 0-based line.
    pub line: u32,
    /// 0-based column, in the unit asked for.
    pub col: u32,
}

/// The start offset of every line of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

impl LineIndex {
    /// Indexes `text`; `\n`, `\r\n` and a lone `\r` end lines.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            line_starts,
            len: text.len() as u32,
        }
    }

    /// Number of lines (a text always has at least one).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The 0-based line containing `offset` (clamped to the text).
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        (self.line_starts.partition_point(|&s| s <= offset) - 1) as u32
    }

    /// The byte offset where 0-based `line` starts (the text's end past the last line).
    pub fn line_start(&self, line: u32) -> u32 {
        self.line_starts
            .get(line as usize)
            .copied()
            .unwrap_or(self.len)
    }

    /// Line and column in Unicode scalar values.
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let (line, start) = self.line_and_start(text, offset);
        let col = text[start as usize..offset_floor(text, offset) as usize]
            .chars()
            .count() as u32;
        LineCol { line, col }
    }

    /// Line and column in UTF-16 code units (LSP's default encoding).
    pub fn line_col_utf16(&self, text: &str, offset: u32) -> LineCol {
        let (line, start) = self.line_and_start(text, offset);
        let col = text[start as usize..offset_floor(text, offset) as usize]
            .chars()
            .map(|c| c.len_utf16() as u32)
            .sum();
        LineCol { line, col }
    }

    /// Line and column in UTF-8 bytes.
    pub fn line_col_utf8(&self, text: &str, offset: u32) -> LineCol {
        let (line, start) = self.line_and_start(text, offset);
        LineCol {
            line,
            col: offset_floor(text, offset) - start,
        }
    }

    /// The byte offset of a 0-based line and UTF-16 column (clamped to the line).
    pub fn offset_utf16(&self, text: &str, pos: LineCol) -> u32 {
        let start = self.line_start(pos.line);
        let end = self.line_start(pos.line + 1).min(self.len);
        let mut units = 0;
        for (i, c) in text[start as usize..end as usize].char_indices() {
            if units >= pos.col || c == '\n' || c == '\r' {
                return start + i as u32;
            }
            units += c.len_utf16() as u32;
        }
        end
    }

    fn line_and_start(&self, text: &str, offset: u32) -> (u32, u32) {
        let offset = offset_floor(text, offset);
        let line = self.line_of(offset);
        (line, self.line_start(line))
    }
}

/// `offset` clamped to the text and moved back to a character boundary.
fn offset_floor(text: &str, offset: u32) -> u32 {
    let mut o = (offset as usize).min(text.len());
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    o as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_each_unit() {
        let text = "a: 1\nb: \"é𝄞x\"\r\nc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        let x = text.find('x').unwrap() as u32;
        assert_eq!(idx.line_col(text, x), LineCol { line: 1, col: 6 });
        assert_eq!(idx.line_col_utf16(text, x), LineCol { line: 1, col: 7 });
        assert_eq!(idx.line_col_utf8(text, x), LineCol { line: 1, col: 10 });
        assert_eq!(idx.offset_utf16(text, LineCol { line: 1, col: 7 }), x);
        let c = text.rfind('c').unwrap() as u32;
        assert_eq!(idx.line_col(text, c), LineCol { line: 2, col: 0 });
    }
}
