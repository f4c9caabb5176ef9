//! Throughput over the corpus: `cargo run --release -p gale_yaml --example throughput`.
//!
//! Reads every file listed in `../shared/corpus/manifest.jsonl` and
//! `mutants/manifest.jsonl`, parses each with the Mistral dialect repeatedly, and
//! prints MB/s (single thread). Prints only; asserts nothing about time.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut texts = Vec::new();
    for manifest in ["manifest.jsonl", "mutants/manifest.jsonl"] {
        let Ok(list) = std::fs::read_to_string(shared.join(manifest)) else {
            eprintln!("SKIPPED: ../shared not found");
            return;
        };
        for line in list.lines() {
            let Some(start) = line.find("\"path\": \"") else {
                continue;
            };
            let rest = &line[start + 9..];
            let Some(end) = rest.find('"') else { continue };
            if let Ok(t) = std::fs::read_to_string(shared.join(&rest[..end])) {
                texts.push(t);
            }
        }
    }
    let real: usize = texts.len();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut best = f64::MAX;
    let mut events = 0usize;
    for _ in 0..20 {
        let t0 = Instant::now();
        events = 0;
        for t in &texts {
            let mut p = gale_yaml::Parser::new(t, gale_yaml::Options::mistral());
            while let Ok(Some(ev)) = p.next_event() {
                std::hint::black_box(&ev);
                events += 1;
            }
        }
        best = best.min(t0.elapsed().as_secs_f64());
    }
    if std::env::args().any(|a| a == "--slowest") {
        let mut per: Vec<(f64, usize, usize)> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let t0 = Instant::now();
                for _ in 0..5 {
                    let mut p = gale_yaml::Parser::new(t, gale_yaml::Options::mistral());
                    while let Ok(Some(_)) = p.next_event() {}
                }
                (t0.elapsed().as_secs_f64() / 5.0, i, t.len())
            })
            .collect();
        per.sort_by(|a, b| b.0.total_cmp(&a.0));
        for (secs, i, len) in per.iter().take(5) {
            println!("slow: file #{i} {len} bytes {:.3} ms", secs * 1e3);
        }
    }
    println!(
        "{real} files, {:.2} MB, {events} events: best {:.2} ms = {:.0} MB/s",
        bytes as f64 / 1e6,
        best * 1e3,
        bytes as f64 / 1e6 / best
    );
}
