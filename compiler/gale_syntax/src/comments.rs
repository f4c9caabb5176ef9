//! Comments, and the checks PyYAML makes on raw characters (tabs between tokens,
//! unprintable characters) that saphyr does not make.
//!
//! A comment is a `#` at the start of a line or after a blank, outside quoted and
//! block scalars, running to the end of the line.

use gale_diagnostics::{Diagnostic, Span};

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
        let Some(off) = b[i..].iter().position(|&c| c == b'#') else {
            break;
        };
        let h = i + off;
        let starts = h == 0 || matches!(b[h - 1], b' ' | b'\t' | b'\n' | b'\r');
        if starts && !inside(opaque, &mut cursor, h as u32) {
            let mut e = h;
            while e < b.len() && !matches!(b[e], b'\n' | b'\r') {
                e += 1;
            }
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

/// Whether PyYAML's reader accepts character `c` (`Reader.NON_PRINTABLE`).
fn printable(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='~' | '\u{85}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first raw-character error PyYAML would raise: an unprintable character
/// anywhere, or a tab outside quoted/block scalars and comments (PyYAML never
/// accepts a tab as separation between tokens).
pub(crate) fn first_char_error(
    text: &str,
    opaque: &[(u32, u32)],
    comments: &[Comment],
) -> Option<(u32, Diagnostic)> {
    let b = text.as_bytes();
    let mut first: Option<(u32, Diagnostic)> = None;
    if b.iter()
        .any(|&c| !(c == b'\t' || c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c)))
        && let Some((i, c)) = text.char_indices().find(|&(_, c)| !printable(c))
    {
        let d = Diagnostic::error(
            "yaml-syntax",
            Span::new(i as u32, (i + c.len_utf8()) as u32),
            format!(
                "unacceptable character #x{:04x}: special characters are not allowed",
                u32::from(c)
            ),
        )
        .with_label("Mistral's YAML loader rejects this character");
        first = Some((i as u32, d));
    }
    let comment_ranges: Vec<(u32, u32)> = comments
        .iter()
        .map(|c| (c.span.start, c.span.end))
        .collect();
    let (mut oc, mut cc) = (0, 0);
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'\t') {
        let t = i + off;
        if first.as_ref().is_some_and(|(p, _)| *p as usize <= t) {
            break;
        }
        let pos = t as u32;
        if !inside(opaque, &mut oc, pos) && !inside(&comment_ranges, &mut cc, pos) {
            let d = Diagnostic::error("yaml-syntax", Span::new(pos, pos + 1), "found character '\\t' that cannot start any token")
                .with_label("tab")
                .with_note("Mistral's YAML loader (PyYAML) accepts tabs only inside quoted or block scalars and comments")
                .with_help("use spaces");
            first = Some((pos, d));
            break;
        }
        i = t + 1;
    }
    first
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

    #[test]
    fn tabs() {
        let text = "a: 'x\ty' # \t\nb:\tc\n";
        let opaque = [(3, 8)];
        let comments = scan(text, &opaque);
        let (pos, d) = first_char_error(text, &opaque, &comments)
            .unwrap_or((0, Diagnostic::error("x", Span::empty(0), "none")));
        assert_eq!(pos, 15);
        assert!(d.message.contains("'\\t'"));
        assert!(first_char_error("a: b\n", &[], &[]).is_none());
    }

    #[test]
    fn unprintable() {
        let r = first_char_error("a: \u{7f}", &[], &[]);
        assert_eq!(
            r.map(|(p, d)| (p, d.message)),
            Some((
                3,
                "unacceptable character #x007f: special characters are not allowed".into()
            ))
        );
    }
}
