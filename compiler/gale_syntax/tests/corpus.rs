//! Corpus-wide properties: scalar decoding agrees with saphyr's own decoder, and
//! `parse` survives every file, every truncation and random byte edits.

mod common;

use gale_syntax::{Node, NodeKind};
use saphyr_parser::{Event, Parser};

/// Scalars in event order (key before value).
fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a str>) {
    match &node.kind {
        NodeKind::Scalar(s) => out.push(&s.text),
        NodeKind::Mapping(m) => {
            for e in &m.entries {
                scalars(&e.key, out);
                scalars(&e.value, out);
            }
        }
        NodeKind::Sequence(s) => {
            for i in &s.items {
                scalars(i, out);
            }
        }
    }
}

fn hide_indicators(text: &str) -> String {
    text.replace(['&', '*', '@'], "x")
}

#[test]
fn decoded_scalars_agree_with_saphyr() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let mut checked = 0usize;
    let mut placeholders = 0usize;
    for (path, text) in &files {
        let hidden = hide_indicators(text);
        let mut theirs = Vec::new();
        let mut parser = Parser::new_from_str(&hidden);
        let mut saphyr_failed = false;
        while let Some(result) = parser.next_event() {
            match result {
                Ok((Event::Scalar(v, ..), _)) => theirs.push(v.into_owned()),
                Ok(_) => {}
                Err(_) => {
                    // saphyr alone rejects flow content PyYAML accepts (the reader
                    // re-reads with padding); compare what it read.
                    saphyr_failed = true;
                    break;
                }
            }
        }
        let parsed = gale_syntax::parse(text);
        let mut ours = Vec::new();
        if let Some(root) = &parsed.root {
            scalars(root, &mut ours);
        }
        if saphyr_failed {
            assert!(ours.len() >= theirs.len(), "{path}: scalar count");
        } else {
            assert_eq!(ours.len(), theirs.len(), "{path}: scalar count");
        }
        for (o, t) in ours.iter().zip(&theirs) {
            let o_hidden = hide_indicators(o);
            assert_eq!(&o_hidden, t, "{path}: decoded text differs");
            if o_hidden != **o {
                placeholders += 1;
            }
            checked += 1;
        }
    }
    eprintln!("{checked} scalars agree ({placeholders} hold `&`, `*` or `@`)");
    assert!(checked > 10_000);
}

/// A tiny deterministic PRNG (xorshift64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn check_spans(text: &str, parsed: &gale_syntax::Parsed) {
    fn walk(n: &Node, len: u32) {
        assert!(
            n.span.start <= n.span.end && n.span.end <= len,
            "span {:?} out of {len}",
            n.span
        );
        match &n.kind {
            NodeKind::Scalar(s) => {
                for i in 0..=s.text.len() as u32 {
                    assert!(s.offsets.to_source(i) <= len);
                }
            }
            NodeKind::Mapping(m) => m.entries.iter().for_each(|e| {
                walk(&e.key, len);
                walk(&e.value, len);
            }),
            NodeKind::Sequence(s) => s.items.iter().for_each(|i| walk(i, len)),
        }
    }
    if let Some(r) = &parsed.root {
        walk(r, text.len() as u32);
    }
    for d in &parsed.diagnostics {
        assert!(d.primary.span.end as usize <= text.len(), "{d:?}");
    }
}

#[test]
fn never_panics_on_truncations_and_edits() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let start = std::time::Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut runs = 0usize;
    for (i, (_, text)) in files.iter().enumerate() {
        let parsed = gale_syntax::parse(text);
        check_spans(text, &parsed);
        // Truncation at line starts: every line for one file in 24, else a few.
        let line_starts: Vec<usize> = text.match_indices('\n').map(|(j, _)| j + 1).collect();
        let stride = if i % 24 == 0 {
            1
        } else {
            (line_starts.len() / 4).max(1)
        };
        for &cut in line_starts.iter().step_by(stride) {
            let prefix = &text[..cut];
            let p = gale_syntax::parse(prefix);
            check_spans(prefix, &p);
            runs += 1;
        }
        // Random byte edits with YAML-significant bytes.
        const BYTES: &[u8] = b":-?[]{}#&*!|>'\"%@`\t\n ,\\x0";
        for _ in 0..3 {
            let mut bytes = text.as_bytes().to_vec();
            if bytes.is_empty() {
                break;
            }
            for _ in 0..1 + rng.next() % 3 {
                let at = (rng.next() as usize) % bytes.len();
                bytes[at] = BYTES[(rng.next() as usize) % BYTES.len()];
            }
            let edited = String::from_utf8_lossy(&bytes).into_owned();
            let p = gale_syntax::parse(&edited);
            check_spans(&edited, &p);
            runs += 1;
        }
    }
    eprintln!("{runs} edited/truncated parses in {:?}", start.elapsed());
}

#[test]
fn whole_corpus_is_fast() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let start = std::time::Instant::now();
    let mut nodes = 0usize;
    for (_, text) in &files {
        nodes += usize::from(gale_syntax::parse(text).root.is_some());
    }
    eprintln!(
        "parsed {bytes} bytes ({nodes} documents) in {:?}",
        start.elapsed()
    );
}

#[test]
fn saphyr_alone_baseline() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let start = std::time::Instant::now();
    let mut events = 0usize;
    for (_, text) in &files {
        let mut parser = Parser::new_from_str(text);
        while let Some(Ok(_)) = parser.next_event() {
            events += 1;
        }
    }
    eprintln!("saphyr alone: {events} events in {:?}", start.elapsed());
}
