//! `cargo bench --bench lsp`: what a keystroke costs in the language server on a
//! 5,000-line workbook — applying the new text and recomputing the diagnostics
//! (p50, p99), and hover and completion at a task. Figures go to docs/performance.md.

use gale_db::{Database, diagnostics};
use salsa::Setter;
use std::time::{Duration, Instant};

/// The allocator of the `gale` binary (and so of `gale lsp`): measure what it runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "common/workbook.rs"]
mod workbook;
use workbook::workbook;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p) as usize]
}

fn main() {
    let text = workbook(50, 20);
    println!(
        "workbook: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );
    // Where a whole-file check goes (fresh database each time).
    {
        let mut parse_t = Vec::new();
        let mut lower_t = Vec::new();
        let mut analysis_t = Vec::new();
        for _ in 0..20 {
            let db = Database::new();
            let f = db.add_file("big.yaml", text.clone());
            let t = Instant::now();
            let _ = gale_db::parse(&db, f);
            parse_t.push(t.elapsed());
            let t = Instant::now();
            let _ = gale_db::lower(&db, f);
            lower_t.push(t.elapsed());
            let t = Instant::now();
            let _ = gale_db::analysis(&db, f);
            analysis_t.push(t.elapsed());
        }
        println!(
            "breakdown p50: parse {:.2} ms, lower {:.2} ms, analysis {:.2} ms",
            percentile(&mut parse_t, 0.5).as_secs_f64() * 1e3,
            percentile(&mut lower_t, 0.5).as_secs_f64() * 1e3,
            percentile(&mut analysis_t, 0.5).as_secs_f64() * 1e3
        );
    }
    let mut db = Database::new();
    let file = db.add_file("big.yaml", text.clone());
    println!("diagnostics: {}", diagnostics(&db, file).len());

    let mut keystrokes = Vec::new();
    for i in 0..200 {
        // Type one character into a task's echo text, as an editor would send it.
        let edited = text.replacen(
            "\"<% $.x %> 7\"",
            &format!("\"<% $.x %> 7{}\"", "a".repeat(i % 5 + 1)),
            1,
        );
        let t = Instant::now();
        file.set_text(&mut db).to(edited);
        std::hint::black_box(diagnostics(&db, file).len());
        keystrokes.push(t.elapsed());
    }
    let p50 = percentile(&mut keystrokes, 0.5);
    let p99 = percentile(&mut keystrokes, 0.99);
    println!(
        "keystroke -> diagnostics: p50 {:.2} ms, p99 {:.2} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );

    // Where a keystroke's time goes: each stage timed as the edit flows through.
    let mut stages: [Vec<Duration>; 4] = Default::default();
    for i in 0..50 {
        let edited = text.replacen(
            "\"<% $.x %> 7\"",
            &format!("\"<% $.x %> 7{}\"", "b".repeat(i % 5 + 1)),
            1,
        );
        file.set_text(&mut db).to(edited);
        let mut at = Instant::now();
        let mut lap = |k: usize| {
            stages[k].push(at.elapsed());
            at = Instant::now();
        };
        let _ = gale_db::parse(&db, file);
        lap(0);
        let _ = gale_db::lower(&db, file);
        lap(1);
        let _ = gale_db::units(&db, file);
        lap(2);
        std::hint::black_box(diagnostics(&db, file).len());
        lap(3);
    }
    let ms = |v: &mut Vec<Duration>| percentile(v, 0.5).as_secs_f64() * 1e3;
    println!(
        "keystroke stages p50: parse {:.2} ms, lower {:.2} ms, units {:.2} ms, re-analysis and diagnostics {:.2} ms",
        ms(&mut stages[0]),
        ms(&mut stages[1]),
        ms(&mut stages[2]),
        ms(&mut stages[3]),
    );

    let current = file.text(&db).clone();
    // A task of the last workflow: the worst case for the scans behind hover.
    let offset = current.rfind("      t7:").unwrap_or(0) as u32 + 7;
    assert!(
        gale_lsp::ide::hover(&db, file, offset).is_some(),
        "no hover at the task name"
    );
    let mut hovers = Vec::new();
    let mut completions = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        std::hint::black_box(gale_lsp::ide::hover(&db, file, offset));
        hovers.push(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(gale_lsp::ide::completions(&db, file, offset));
        completions.push(t.elapsed());
    }
    println!(
        "hover: p50 {:.3} ms; completion: p50 {:.3} ms",
        percentile(&mut hovers, 0.5).as_secs_f64() * 1e3,
        percentile(&mut completions, 0.5).as_secs_f64() * 1e3
    );
}
