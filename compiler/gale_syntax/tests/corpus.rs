//! Corpus-wide properties: every scalar's offset map agrees with its decoded text
//! (verbatim runs copy the source byte for byte), and `parse` survives every file,
//! every truncation and random byte edits.

mod common;

use gale_syntax::{Node, NodeKind, Scalar};

/// Scalars in event order (key before value).
fn scalars<'a>(node: &'a Node, out: &mut Vec<&'a Scalar>) {
    match &node.kind {
        NodeKind::Scalar(s) => out.push(s),
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

/// The decoded text comes from `gale_yaml` (PyYAML-exact) and the map from Gale's
/// own decoders: each verbatim run must copy exactly the source bytes it names,
/// runs must be sorted and inside the text, and the whole text must be covered.
#[test]
fn offset_maps_agree_with_decoded_text() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let mut checked = 0usize;
    let mut multi_run = 0usize;
    for (path, text) in &files {
        let parsed = gale_syntax::parse(text);
        let mut ours = Vec::new();
        if let Some(root) = &parsed.root {
            scalars(root, &mut ours);
        }
        for s in ours {
            let runs: Vec<(u32, u32, u32)> = s.offsets.runs().collect();
            let mut prev = 0u32;
            for &(d, src, len) in &runs {
                assert!(d >= prev, "{path}: runs out of order in {:?}", s.text);
                let (d, src, len) = (d as usize, src as usize, len as usize);
                assert_eq!(
                    s.text.get(d..d + len),
                    text.get(src..src + len),
                    "{path}: run ({d}, {src}, {len}) of {:?}",
                    s.text
                );
                prev = (d + len) as u32;
            }
            if !s.text.is_empty() {
                assert_eq!(runs.first().map(|r| r.0), Some(0), "{path}: {:?}", s.text);
            }
            let covered: usize = runs.iter().map(|r| r.2 as usize).sum();
            assert!(covered <= s.text.len(), "{path}: {:?}", s.text);
            if runs.len() > 1 {
                multi_run += 1;
            }
            checked += 1;
        }
    }
    eprintln!("{checked} scalar offset maps agree ({multi_run} with several runs)");
    assert!(checked > 10_000);
    assert!(multi_run > 100);
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
fn gale_yaml_alone_baseline() {
    let Some(files) = common::corpus_files() else {
        return;
    };
    let start = std::time::Instant::now();
    let mut events = 0usize;
    for (_, text) in &files {
        let mut parser = gale_yaml::Parser::new(text, gale_yaml::Options::mistral());
        while let Ok(Some(_)) = parser.next_event() {
            events += 1;
        }
    }
    eprintln!("gale_yaml alone: {events} events in {:?}", start.elapsed());
}
