//! `cargo bench --bench check`: the front-end over the accepted corpus files.
//! Prints medians of repeated runs (no timing assertions: figures go to
//! docs/performance.md).

use std::time::{Duration, Instant};

/// The same allocator as the `gale` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn corpus() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let Ok(manifest) = std::fs::read_to_string(root.join("manifest.jsonl")) else {
        eprintln!("*** SKIPPED: ../shared/corpus not found ***");
        return Vec::new();
    };
    manifest
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| e["mistral_verdict"] == "accepted")
        .filter_map(|e| {
            let rel = e["path"].as_str()?.to_string();
            let text = std::fs::read_to_string(root.join(&rel)).ok()?;
            Some((rel, text))
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn bench(name: &str, runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    let m = median(samples);
    println!(
        "{name:<48} median {:>9.3} ms  ({runs} runs)",
        m.as_secs_f64() * 1e3
    );
    m
}

fn main() {
    let files = corpus();
    if files.is_empty() {
        return;
    }
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    println!(
        "{} accepted corpus files, {:.2} MB",
        files.len(),
        bytes as f64 / 1e6
    );
    bench("YAML parse (gale_syntax::parse), 1 thread", 31, || {
        for (_, text) in &files {
            std::hint::black_box(gale_syntax::parse(text));
        }
    });
    let one = bench("full check (gale_db::check_text), 1 thread", 31, || {
        for (path, text) in &files {
            std::hint::black_box(gale_db::check_text(path, text));
        }
    });
    let two = bench("full check, 2 threads", 31, || {
        let (a, b) = files.split_at(files.len() / 2);
        std::thread::scope(|s| {
            for part in [a, b] {
                s.spawn(move || {
                    for (path, text) in part {
                        std::hint::black_box(gale_db::check_text(path, text));
                    }
                });
            }
        });
    });
    println!(
        "throughput: {:.0} MB/s on 1 thread, {:.0} MB/s on 2 threads",
        bytes as f64 / 1e6 / one.as_secs_f64(),
        bytes as f64 / 1e6 / two.as_secs_f64()
    );
}
