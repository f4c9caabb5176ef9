//! Comments.
//!
//! A comment is a `#` at the start of a line or after a blank, outside quoted and
//! block scalars, running to the end of the line.

use gale_diagnostics::Span;

use crate::tree::Comment;

/// Index of the opaque range containing `pos`, advancing `cursor` (ranges sorted,
/// positions queried in increasing order).
fn inside(ranges: &[(u32, u32)], cursor: &mut usize, pos: u32) -> bool {
    while *cursor < ranges.len() && ranges[*cursor].1 <= pos {
        *cursor += 1;
    }
    ranges
        .get(*cursor)
        .is_some_and(|&(s, e)| s <= pos && pos < e)
}

/// Every `#` comment of `text`, in source order. `opaque` are the (sorted) source
/// ranges of quoted and block scalars.
pub(crate) fn scan(text: &str, opaque: &[(u32, u32)]) -> Vec<Comment> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut cursor = 0;
    let mut i = 0;
    while i < b.len() {
        let Some(off) = memchr::memchr(b'#', &b[i..]) else {
            break;
        };
        let h = i + off;
        let starts = h == 0 || matches!(b[h - 1], b' ' | b'\t' | b'\n' | b'\r');
        if starts && !inside(opaque, &mut cursor, h as u32) {
            let e = memchr::memchr2(b'\n', b'\r', &b[h..]).map_or(b.len(), |n| h + n);
            out.push(Comment {
                span: Span::new(h as u32, e as u32),
                text: text[h + 1..e].to_string(),
            });
            i = e;
        } else {
            i = h + 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments() {
        let text = "# top\na: b # c\nd: 'x # y'\ne: f#g\n  #h\n";
        let opaque = [(18, 25)];
        let c = scan(text, &opaque);
        let texts: Vec<&str> = c.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, [" top", " c", "h"]);
        assert_eq!(&text[c[1].span.range()], "# c");
    }
}
