//! Engine benchmarks (`cargo bench -p gale_engine --bench engine`): a no-op chain of
//! N tasks, with-items over N items, fan-out N + join, and an expression-heavy chain.
//! Each case runs several times in memory; the median is reported with tasks/s.
//! with-items over 1,000,000 items runs in child processes (the bench re-runs
//! itself), each reporting its time and its peak resident memory (`VmHWM`).

use std::rc::Rc;
use std::time::{Duration, Instant};

use gale_codegen::workflow::{OptLevel, compile_source};
use gale_engine::{Engine, StartOptions};

// The `gale` binary runs on mimalloc; measure the engine the same way.
mod common;
use common::{noop_chain, noop_with_items};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// with-items as in mistral-oracle's `bench.py`: `std.echo output=<% $.i %>` per
/// item, the task publishes `task().result`.
fn with_items(n: usize) -> String {
    format!(
        "version: '2.0'\nwf:\n  output:\n    total: <% $.results.len() %>\n  tasks:\n    t:\n      with-items: i in <% range({n}) %>\n      action: std.echo output=<% $.i %>\n      publish:\n        results: <% task().result %>\n"
    )
}

fn fan_out(n: usize) -> String {
    let mut s = String::from(
        "version: '2.0'\nwf:\n  tasks:\n    start:\n      action: std.noop\n      on-success:\n",
    );
    for i in 0..n {
        s.push_str(&format!("        - b{i}\n"));
    }
    for i in 0..n {
        s.push_str(&format!(
            "    b{i}:\n      action: std.noop\n      on-success: j\n"
        ));
    }
    s.push_str("    j:\n      join: all\n      action: std.noop\n");
    s
}

fn expressions(n: usize) -> String {
    let mut s = String::from("version: '2.0'\nwf:\n  input:\n    - n: 1\n  tasks:\n");
    for i in 0..n {
        s.push_str(&format!(
            "    t{i}:\n      action: std.echo output=<% $.n * 2 + {i} %>\n      publish:\n        v{}: <% task().result + 1 %>\n        s: <% str($.n) + '-' + str({i}) %>\n",
            i % 8
        ));
        if i + 1 < n {
            s.push_str(&format!("      on-success: t{}\n", i + 1));
        }
    }
    s
}

fn compile(text: &str) -> Rc<gale_bytecode::workflow::Program> {
    Rc::new(compile_source(text, OptLevel::O1).expect("compiles"))
}

/// Peak RSS (MiB) right after the last `Engine::run`, before the result checks.
static RUN_PEAK_KIB: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn run(program: &Rc<gale_bytecode::workflow::Program>) -> (Duration, usize) {
    let start = Instant::now();
    let mut engine = Engine::new(program.clone());
    let root = engine
        .start("wf", &StartOptions::default())
        .expect("starts");
    engine.run(root, None);
    let elapsed = start.elapsed();
    RUN_PEAK_KIB.store(
        (peak_rss_mib() * 1024.0) as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    let r = engine.result_json(root);
    assert_eq!(r["state"], "SUCCESS", "{}", r["state_info"]);
    let actions: usize = r["tasks"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|x| x["action_executions"].as_u64().unwrap_or(0) as usize)
                .sum()
        })
        .unwrap_or(0);
    (elapsed, actions)
}

fn bench(name: &str, text: &str, reps: usize) {
    if let Ok(only) = std::env::var("GALE_BENCH_ONLY")
        && !name.contains(&only)
    {
        return;
    }
    // `GALE_BENCH_REPS` overrides the repetitions (instruction counts: the
    // difference between two rep counts is the engine alone, without the compile).
    let reps = std::env::var("GALE_BENCH_REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(reps);
    let program = compile(text);
    let mut times = Vec::new();
    let mut units = 0;
    for _ in 0..reps {
        let (t, u) = run(&program);
        times.push(t);
        units = u;
    }
    if times.is_empty() {
        return;
    }
    times.sort();
    let median = times[times.len() / 2];
    let per_s = units as f64 / median.as_secs_f64();
    println!("{name:<28} median {median:>10.3?}  {units:>8} actions  {per_s:>12.0} actions/s");
}

/// Peak resident memory of this process in MiB (`VmHWM` of /proc/self/status).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

const CHILD: &str = "GALE_BENCH_CHILD_ITEMS";

const CHILD_SHAPE: &str = "GALE_BENCH_CHILD_SHAPE";

/// with-items over `n` items in fresh processes: median time and peak RSS.
/// `shape` is `echo` (the oracle shape) or `noop` (bare `std.noop`).
fn bench_big_with_items(n: usize, shape: &str, reps: usize) {
    let label = format!("with-items {n} {shape}");
    if let Ok(only) = std::env::var("GALE_BENCH_ONLY")
        && !label.contains(&only)
        && !"with-items 1M".contains(&only)
    {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    // (time, peak RSS of the process, peak RSS when the engine finished).
    let mut runs: Vec<(f64, f64, f64)> = Vec::new();
    for _ in 0..reps {
        let Ok(out) = std::process::Command::new(&exe)
            .env(CHILD, n.to_string())
            .env(CHILD_SHAPE, shape)
            .output()
        else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut it = text
            .split_whitespace()
            .filter_map(|x| x.parse::<f64>().ok());
        if let (Some(t), Some(rss), Some(engine)) = (it.next(), it.next(), it.next()) {
            runs.push((t, rss, engine));
        }
    }
    if runs.is_empty() {
        println!("{label}: child runs failed");
        return;
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (t, _, _) = runs[runs.len() / 2];
    let rss = runs.iter().map(|r| r.1).fold(0.0, f64::max);
    let engine = runs.iter().map(|r| r.2).fold(0.0, f64::max);
    println!(
        "{:<28} median {:>10.3?}  {n:>8} actions  {:>12.0} actions/s  peak RSS {rss:.0} MiB ({engine:.0} MiB when the run ends)",
        label,
        Duration::from_secs_f64(t),
        n as f64 / t
    );
}

fn main() {
    if let Ok(n) = std::env::var(CHILD) {
        let n: usize = n.parse().unwrap_or(1_000_000);
        let text = match std::env::var(CHILD_SHAPE).as_deref() {
            Ok("noop") => noop_with_items(n),
            _ => with_items(n),
        };
        let (t, _) = run(&compile(&text));
        let at_end = RUN_PEAK_KIB.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0;
        println!("{} {} {at_end}", t.as_secs_f64(), peak_rss_mib());
        return;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 1_000 } else { 10_000 };
    bench(&format!("noop chain {n}"), &noop_chain(n), 5);
    bench(&format!("with-items {}", n * 10), &with_items(n * 10), 5);
    bench(&format!("fan-out {} + join", n / 10), &fan_out(n / 10), 5);
    bench(&format!("fan-out {} + join", n / 5), &fan_out(n / 5), 5);
    bench(&format!("expressions {}", n / 10), &expressions(n / 10), 5);
    let big = if quick { 100_000 } else { 1_000_000 };
    bench_big_with_items(big, "noop", 3);
    bench_big_with_items(big, "echo", 3);
}
