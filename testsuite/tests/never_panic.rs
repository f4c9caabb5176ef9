//! Never panic: every corpus file and mutant, every line-truncation of each, and
//! random byte edits go through the whole pipeline.

use gale_testsuite::{read_manifest, shared_dir, workspace_root};
use std::path::PathBuf;

fn all_inputs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(shared) = shared_dir() {
        let corpus = shared.join("corpus");
        for manifest in ["manifest.jsonl", "mutants/manifest.jsonl"] {
            for entry in read_manifest(&corpus.join(manifest)) {
                let rel = entry["path"].as_str().unwrap_or_default().to_string();
                let bytes = std::fs::read(corpus.join(&rel)).unwrap_or_default();
                out.push((rel, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    for dir in ["examples", "testsuite/fixtures"] {
        let mut stack = vec![workspace_root().join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p: PathBuf = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "yaml") {
                    out.push((
                        p.to_string_lossy().into_owned(),
                        std::fs::read_to_string(&p).unwrap_or_default(),
                    ));
                }
            }
        }
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn whole_files_never_panic() {
    for (path, text) in all_inputs() {
        let result = std::panic::catch_unwind(|| gale_db::check_text(&path, &text));
        assert!(result.is_ok(), "panic on {path}");
    }
}

#[test]
fn truncations_never_panic() {
    // Every line boundary of a sample of files (every 7th, to bound the time).
    for (path, text) in all_inputs().into_iter().step_by(7) {
        let cuts = text.match_indices('\n').map(|(i, _)| i);
        for cut in cuts {
            let part = &text[..cut];
            let result = std::panic::catch_unwind(|| gale_db::check_text(&path, part));
            assert!(result.is_ok(), "panic on {path} truncated at byte {cut}");
        }
    }
}

#[test]
fn random_byte_edits_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    const NOISE: &[u8] = b" \n\t:-[]{}\"'<%>{}|&*@#!?,.$\\0aZ";
    for (path, text) in all_inputs().into_iter().step_by(3) {
        for _ in 0..8 {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..=rng.below(4) {
                if bytes.is_empty() {
                    break;
                }
                let at = rng.below(bytes.len());
                match rng.below(3) {
                    0 => bytes[at] = NOISE[rng.below(NOISE.len())],
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, NOISE[rng.below(NOISE.len())]),
                }
            }
            let edited = String::from_utf8_lossy(&bytes).into_owned();
            let result = std::panic::catch_unwind(|| gale_db::check_text(&path, &edited));
            assert!(
                result.is_ok(),
                "panic on a random edit of {path}: {edited:?}"
            );
        }
    }
}

#[test]
fn pathological_inputs_never_panic_or_hang() {
    let deep_flow = "a: ".to_string() + &"[".repeat(100_000);
    let deep_block: String = (0..2000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    let long_line = format!(
        "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.echo output=\"{}\"\n",
        "x".repeat(1_000_000)
    );
    let many_tasks: String = {
        let mut s = String::from("version: '2.0'\nwf:\n  tasks:\n");
        for i in 0..20_000 {
            s.push_str(&format!(
                "    t{i}:\n      action: std.noop\n      on-success: t{}\n",
                i + 1
            ));
        }
        s
    };
    for (name, text) in [
        ("empty", String::new()),
        ("only comment", "# nothing\n".into()),
        ("nul bytes", "version: '2.0'\0\0\n".into()),
        ("deep flow", deep_flow),
        ("deep block", deep_block),
        ("long line", long_line),
        ("many tasks", many_tasks),
    ] {
        let result = std::panic::catch_unwind(|| gale_db::check_text(name, &text));
        assert!(result.is_ok(), "panic on {name}");
    }
}
