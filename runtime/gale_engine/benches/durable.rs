//! Durable-execution benchmarks (`cargo bench -p gale_engine --bench durable`): a
//! no-op chain and a with-items task run in memory and durably (SQLite file, WAL,
//! `synchronous=NORMAL`), side by side, medians of 5; then the cost of a resume
//! after N completed tasks, for chains, a loop, and chains whose tasks publish
//! `<% task().result %>` (`--quick`: smaller N).

use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gale_codegen::workflow::{OptLevel, compile_source};
use gale_engine::durable::{DurableOptions, RunEnd, Started};
use gale_engine::{Engine, StartOptions};
use gale_store::Store;

mod common;
use common::{noop_chain, noop_with_items};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A chain of actions that run on worker threads (`std.sleep seconds=0`): each one
/// forces a commit before it starts.
fn thread_chain(n: usize) -> String {
    noop_chain(n).replace("std.noop", "std.sleep seconds=0")
}

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gale-durable-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn fresh_db(name: &str) -> PathBuf {
    let p = scratch().join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
    }
    p
}

fn memory(program: &Rc<gale_bytecode::workflow::Program>) -> Duration {
    let start = Instant::now();
    let mut engine = Engine::new(program.clone());
    let root = engine
        .start("wf", &StartOptions::default())
        .expect("starts");
    engine.run(root, None);
    let t = start.elapsed();
    assert_eq!(engine.result_json(root)["state"], "SUCCESS");
    t
}

fn durable(program: &Rc<gale_bytecode::workflow::Program>, options: &DurableOptions) -> Duration {
    let db = fresh_db("run");
    let start = Instant::now();
    let store = Store::open(&db).expect("store");
    let mut engine = Engine::new(program.clone());
    let Ok(Started::Created(root)) =
        engine.start_durable(store, "wf", &StartOptions::default(), options)
    else {
        panic!("start");
    };
    let end = engine.run_durable(root).expect("runs");
    let t = start.elapsed();
    assert!(matches!(end, RunEnd::Completed | RunEnd::Paused));
    t
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn side_by_side(name: &str, text: &str, tasks: usize) {
    if let Ok(only) = std::env::var("GALE_BENCH_ONLY")
        && !name.contains(&only)
    {
        return;
    }
    let program = Rc::new(compile_source(text, OptLevel::O1).expect("compiles"));
    let m = median((0..5).map(|_| memory(&program)).collect());
    let d = median(
        (0..5)
            .map(|_| durable(&program, &DurableOptions::default()))
            .collect(),
    );
    let rate = |t: Duration| tasks as f64 / t.as_secs_f64();
    println!(
        "{name:<22} in-memory {m:>9.3?} ({:>9.0} tasks/s)   durable {d:>9.3?} ({:>9.0} tasks/s)   x{:.2}",
        rate(m),
        rate(d),
        d.as_secs_f64() / m.as_secs_f64()
    );
}

/// A task `step` run `done` times in a loop, then a chain `r0` … `r9`: the
/// program's size does not depend on `done`.
fn looped(done: usize) -> String {
    let mut s = format!(
        "version: '2.0'\nwf:\n  tasks:\n    init:\n      action: std.noop\n      publish:\n        i: 0\n      on-success: [step]\n    step:\n      action: std.noop\n      publish:\n        i: <% $.i + 1 %>\n      on-success:\n        - step: <% $.i < {} %>\n        - r0: <% $.i >= {} %>\n",
        done - 1,
        done - 1
    );
    for i in 0..10 {
        s.push_str(&format!("    r{i}:\n      action: std.noop\n"));
        if i < 9 {
            s.push_str(&format!("      on-success: r{}\n", i + 1));
        }
    }
    s
}

/// A chain of `n` tasks that each publish `<% task().result %>` (what nearly
/// every real workflow does). With `any_task`, the last task also publishes
/// `<% task($.r).state %>`: a task read by a computed name, so every task stays
/// resident (the rule before `task()` was told apart from the history).
fn published_chain(n: usize, any_task: bool) -> String {
    let mut s = String::from("version: '2.0'\nwf:\n  tasks:\n");
    for i in 0..n {
        s.push_str(&format!(
            "    t{i}:\n      action: std.noop\n      publish:\n        r: <% task().result %>\n"
        ));
        if i + 1 < n {
            s.push_str(&format!("      on-success: t{}\n", i + 1));
        } else if any_task {
            s.push_str("        any: <% task($.r).state %>\n");
        }
    }
    s
}

/// The workflow shapes of [`resume_cost`].
#[derive(Clone, Copy)]
enum Shape {
    /// A chain of `done + 10` no-op tasks (the program grows with `done`).
    Chain,
    /// [`looped`].
    Loop,
    /// [`published_chain`] of `done + 10` tasks.
    Published,
    /// [`published_chain`] with a task read by a computed name.
    PublishedAll,
}

/// Runs a resumed execution to its end (a function of its own, for profilers:
/// `valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*the_rest*'`).
#[inline(never)]
fn the_rest(engine: &mut Engine, root: usize) {
    assert_eq!(engine.run_durable(root).expect("runs"), RunEnd::Completed);
    assert_eq!(engine.summary_json(root)["state"], "SUCCESS");
}

impl Shape {
    /// The name in the report (`GALE_BENCH_ONLY="resume loop"` runs only it).
    fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::Loop => "loop",
            Shape::Published => "task() chain",
            Shape::PublishedAll => "task() + task($.r) chain",
        }
    }
}

/// A workflow paused (`--break-before`) when `done` tasks completed and 10 are
/// left, then resumed: the time to take the execution over (open the store,
/// claim, load, rebuild, apply the resume command); the rest of the run with the
/// result `gale resume` prints (`the 10 tasks left`: state and output); their
/// sum (`whole resume`); and apart, the JSON result that lists every task
/// (`--format json`: `Engine::fault_in_all` reads every image, so it grows with
/// the history by nature).
fn resume_cost(done: usize, shape: Shape) {
    let (text, at) = match shape {
        Shape::Loop => (looped(done), "r0".to_string()),
        Shape::Chain => (noop_chain(done + 10), format!("t{done}")),
        Shape::Published => (published_chain(done + 10, false), format!("t{done}")),
        Shape::PublishedAll => (published_chain(done + 10, true), format!("t{done}")),
    };
    let program = Rc::new(compile_source(&text, OptLevel::O1).expect("compiles"));
    let mut loads = Vec::new();
    let mut news = Vec::new();
    let mut rests = Vec::new();
    let mut wholes = Vec::new();
    let mut listings = Vec::new();
    for _ in 0..7 {
        let db = fresh_db("resume");
        let options = DurableOptions {
            break_before: vec![at.clone()],
            ..DurableOptions::default()
        };
        let store = Store::open(&db).expect("store");
        let mut engine = Engine::new(program.clone());
        let Ok(Started::Created(root)) =
            engine.start_durable(store, "wf", &StartOptions::default(), &options)
        else {
            panic!("start");
        };
        let id = engine.executions[root].id.clone();
        assert_eq!(engine.run_durable(root).expect("runs"), RunEnd::Paused);
        drop(engine);
        let start = Instant::now();
        let store = Store::open(&db).expect("store");
        let new = Instant::now();
        let mut engine = Engine::new(program.clone());
        news.push(new.elapsed());
        let root = engine.resume_durable(store, &id).expect("resumes");
        engine.apply_command(root, &gale_store::Command::Resume { env: None });
        let loaded = start.elapsed();
        let rest = Instant::now();
        the_rest(&mut engine, root);
        rests.push(rest.elapsed());
        wholes.push(start.elapsed());
        loads.push(loaded);
        let listing = Instant::now();
        engine.fault_in_all().expect("faults in");
        let result = engine.result_json(root);
        listings.push(listing.elapsed());
        assert_eq!(result["tasks"].as_array().map(Vec::len), Some(done + 10));
    }
    let shape = shape.name();
    println!(
        "resume {shape:<24}, 10 left after {done:>6} done: take-over {:>9.3?} (median of 7; of which Engine::new {:>9.3?}); the 10 tasks left {:>9.3?}; whole resume {:>9.3?}; JSON result of every task {:>9.3?}",
        median(loads),
        median(news),
        median(rests),
        median(wholes),
        median(listings)
    );
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 1_000 } else { 10_000 };
    side_by_side(&format!("noop chain {n}"), &noop_chain(n), n);
    side_by_side(&format!("with-items {n}"), &noop_with_items(n), n);
    side_by_side(
        &format!("sleep-0 chain {}", n / 10),
        &thread_chain(n / 10),
        n / 10,
    );
    side_by_side(
        &format!("with-items {}", n * 10),
        &noop_with_items(n * 10),
        n * 10,
    );
    let only = std::env::var("GALE_BENCH_ONLY").unwrap_or_default();
    if !only.starts_with("resume") && !"resume".contains(&only) {
        let _ = std::fs::remove_dir_all(scratch());
        return;
    }
    for shape in [
        Shape::Chain,
        Shape::Loop,
        Shape::Published,
        Shape::PublishedAll,
    ] {
        if !format!("resume {}", shape.name()).starts_with(&only) && !"resume".contains(&only) {
            continue;
        }
        for done in [100, 1_000, n] {
            resume_cost(done, shape);
        }
    }
    let _ = std::fs::remove_dir_all(scratch());
}
