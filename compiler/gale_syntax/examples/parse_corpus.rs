//! Profiling harness: `cargo run --release -p gale_syntax --example parse_corpus [-- ROUNDS]`
//! parses every accepted corpus file ROUNDS times (default 30) and prints the
//! median time of one round (for `perf record` on gale_syntax alone).

use std::time::Instant;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("manifest.jsonl")) else {
        eprintln!("*** SKIPPED: ../shared/corpus not found ***");
        return;
    };
    let files: Vec<String> = manifest
        .lines()
        .filter(|l| l.contains("\"mistral_verdict\": \"accepted\""))
        .filter_map(|l| {
            let rel = l.split("\"path\": \"").nth(1)?.split('"').next()?;
            std::fs::read_to_string(root.join(rel)).ok()
        })
        .collect();
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(30);
    let bytes: usize = files.iter().map(String::len).sum();
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        for text in &files {
            std::hint::black_box(gale_syntax::parse(text));
        }
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{} files, {bytes} bytes: min {:?}, median {:?} per round",
        files.len(),
        times[0],
        times[times.len() / 2]
    );
}
