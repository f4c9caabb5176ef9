//! Store benchmark: durable task-state writes per second at batch sizes 1, 16 and
//! 256, and the cost of resume as history grows. Prints medians.
//!
//! One task = its creation (IDLE), RUNNING, its action execution record and
//! SUCCESS: four row writes, as the engine journals them. "batch" = tasks per
//! commit. Every figure is on a database file (WAL), never in memory.
//!
//! Run: `cargo bench -p gale_store --bench store` (add `-- --quick` for a smoke run,
//! `-- --resume-only` for the resume figures alone).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gale_store::{
    ActionExecutionRecord, Batch, Durability, ExecutionRecord, State, Store, StoreOptions,
    TaskExecutionRecord, new_id,
};
use serde_json::json;

fn bench_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gale-store-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

fn fresh_store(dir: &std::path::Path, name: &str, durability: Durability) -> Store {
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let options = StoreOptions {
        durability,
        ..StoreOptions::default()
    };
    let mut store = Store::open_with(&path, options).expect("open");
    store
        .upsert_execution(&ExecutionRecord {
            state: State::Running,
            ..ExecutionRecord::new("e", "bench")
        })
        .expect("execution");
    store
}

/// What one commit carries besides the tasks.
#[derive(Clone, Copy, PartialEq)]
enum Extras {
    /// Only the four task/action writes per task.
    None,
    /// Plus one trace event per task and a 1 KiB snapshot per commit.
    TraceAndSnapshot,
}

/// Writes `tasks` tasks, `batch` per commit, with the closure API (no
/// coalescing: four row writes per task). Returns tasks per second.
fn run_transactions(store: &mut Store, first: i64, tasks: i64, batch: i64, extras: Extras) -> f64 {
    let snapshot = vec![7u8; 1024];
    let ids = Ids::new(first + tasks);
    let started = Instant::now();
    let mut seq = first;
    while seq < first + tasks {
        let end = (seq + batch).min(first + tasks);
        store
            .transaction(|tx| {
                for s in seq..end {
                    let mut task = TaskExecutionRecord::new(ids.task(s), "e", "task", s);
                    tx.upsert_task(&task)?;
                    task.state = State::Running;
                    task.started_at = Some(task.created_at);
                    tx.upsert_task(&task)?;
                    let mut action = ActionExecutionRecord::new(
                        ids.action(s),
                        &task,
                        "std.echo",
                        json!({"output": s}),
                    );
                    action.state = State::Success;
                    action.output = Some(json!(s));
                    tx.upsert_action(&action)?;
                    task.state = State::Success;
                    task.result = Some(json!(s));
                    task.published = Some(json!({"n": s}));
                    task.action_count = 1;
                    tx.upsert_task(&task)?;
                    if extras == Extras::TraceAndSnapshot {
                        tx.append_event("e", "task-completed", &json!({"task": "task", "seq": s}))?;
                    }
                }
                if extras == Extras::TraceAndSnapshot {
                    tx.save_snapshot("e", &snapshot)?;
                }
                Ok(())
            })
            .expect("commit");
        seq = end;
    }
    tasks as f64 / started.elapsed().as_secs_f64()
}

/// The same writes through [`Batch`], which coalesces a task's three upserts.
fn run_batches(store: &mut Store, tasks: i64, batch_size: i64) -> f64 {
    let ids = Ids::new(tasks);
    let started = Instant::now();
    let mut batch = Batch::new();
    let mut seq = 0;
    while seq < tasks {
        let end = (seq + batch_size).min(tasks);
        for s in seq..end {
            let mut task = TaskExecutionRecord::new(ids.task(s), "e", "task", s);
            batch.upsert_task(task.clone());
            task.state = State::Running;
            batch.upsert_task(task.clone());
            let mut action =
                ActionExecutionRecord::new(ids.action(s), &task, "std.echo", json!({"output": s}));
            action.state = State::Success;
            action.output = Some(json!(s));
            batch.upsert_action(action);
            task.state = State::Success;
            task.result = Some(json!(s));
            batch.upsert_task(task);
        }
        store.commit(&batch).expect("commit");
        batch.clear();
        seq = end;
    }
    tasks as f64 / started.elapsed().as_secs_f64()
}

/// Ids made before timing starts, as the engine would (`new_id`, UUID v7).
struct Ids {
    tasks: Vec<String>,
    actions: Vec<String>,
}

impl Ids {
    fn new(n: i64) -> Self {
        Ids {
            tasks: (0..n).map(|_| new_id()).collect(),
            actions: (0..n).map(|_| new_id()).collect(),
        }
    }

    fn task(&self, s: i64) -> String {
        self.tasks[s as usize].clone()
    }

    fn action(&self, s: i64) -> String {
        self.actions[s as usize].clone()
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn median_duration(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let resume_only = std::env::args().any(|a| a == "--resume-only");
    let runs = if quick { 1 } else { 5 };
    let dir = bench_dir();
    println!("gale_store benchmark (medians of {runs} runs; tasks/s; 1 task = 4 row writes)");
    println!();
    println!(
        "| durability | batch | tasks | closure API | + trace event & 1 KiB snapshot | Batch API (coalesced) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let durabilities: &[Durability] = if resume_only {
        &[]
    } else {
        &[Durability::Normal, Durability::Full]
    };
    for &durability in durabilities {
        for batch in [1i64, 16, 256] {
            let tasks: i64 = match (durability, batch, quick) {
                (_, _, true) => 2_000,
                (Durability::Full, 1, false) => 1_000,
                (Durability::Full, 16, false) => 8_000,
                _ => 20_000,
            };
            let mut plain = Vec::new();
            let mut traced = Vec::new();
            let mut coalesced = Vec::new();
            for _ in 0..runs {
                let mut store = fresh_store(&dir, "plain", durability);
                plain.push(run_transactions(&mut store, 0, tasks, batch, Extras::None));
                let mut store = fresh_store(&dir, "traced", durability);
                traced.push(run_transactions(
                    &mut store,
                    0,
                    tasks,
                    batch,
                    Extras::TraceAndSnapshot,
                ));
                let mut store = fresh_store(&dir, "batch", durability);
                coalesced.push(run_batches(&mut store, tasks, batch));
            }
            println!(
                "| {:?} | {batch} | {tasks} | {:.0} | {:.0} | {:.0} |",
                durability,
                median(plain),
                median(traced),
                median(coalesced)
            );
        }
    }

    println!();
    println!(
        "Resume cost (load_for_resume: execution + snapshot + unfinished tasks + in-flight actions),"
    );
    println!("with 2 tasks in flight behind a history of N completed tasks:");
    println!();
    println!(
        "| completed tasks N | open + load_for_resume | load_for_resume (open store) | parts (execution, snapshot, unfinished tasks, in-flight actions) | tasks() (full history, for comparison) |"
    );
    println!("| ---: | ---: | ---: | --- | ---: |");
    let sizes: &[i64] = if quick {
        &[1_000, 10_000]
    } else {
        &[1_000, 10_000, 100_000]
    };
    for &n in sizes {
        let mut store = fresh_store(&dir, "resume", Durability::Normal);
        run_transactions(&mut store, 0, n, 1024, Extras::TraceAndSnapshot);
        store
            .transaction(|tx| {
                for s in n..n + 2 {
                    let mut task = TaskExecutionRecord::new(format!("t{s}"), "e", "task", s);
                    task.state = State::Running;
                    tx.upsert_task(&task)?;
                    tx.upsert_action(&ActionExecutionRecord::new(
                        format!("a{s}"),
                        &task,
                        "std.echo",
                        json!({}),
                    ))?;
                }
                Ok(())
            })
            .expect("in flight");
        // As `gale resume` does it: a fresh process opens the file and loads.
        drop(store);
        let path = dir.join("resume.db");
        let mut resume = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            let mut store = Store::open(&path).expect("reopen");
            let point = store.load_for_resume("e").expect("resume").expect("exists");
            resume.push(t.elapsed());
            assert_eq!(point.in_flight_actions.len(), 2);
            assert_eq!(point.unfinished_tasks.len(), 2);
        }
        let mut store = Store::open(&path).expect("reopen");
        let mut warm = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            drop(store.load_for_resume("e").expect("resume"));
            warm.push(t.elapsed());
        }
        let mut full = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let all = store.tasks("e").expect("tasks");
            full.push(t.elapsed());
            assert_eq!(all.len() as i64, n + 2);
        }
        let part = |f: &dyn Fn()| {
            median_duration(
                (0..25)
                    .map(|_| {
                        let t = Instant::now();
                        f();
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        let parts = [
            part(&|| drop(store.get_execution("e"))),
            part(&|| drop(store.load_snapshot("e"))),
            part(&|| drop(store.unfinished_tasks("e"))),
            part(&|| drop(store.find_in_flight_actions("e"))),
        ];
        println!(
            "| {n} | {:?} | {:?} | {:?} | {:?} |",
            median_duration(resume),
            median_duration(warm),
            parts,
            median_duration(full)
        );
    }

    let store = fresh_store(&dir, "poll", Durability::Normal);
    let polls = 100_000u32;
    let t = Instant::now();
    for _ in 0..polls {
        std::hint::black_box(store.data_version().expect("data_version"));
    }
    let per_poll = t.elapsed() / polls;
    let t = Instant::now();
    for _ in 0..polls / 10 {
        std::hint::black_box(store.pending_commands("e").expect("pending"));
    }
    let per_query = t.elapsed() / (polls / 10);
    println!();
    println!(
        "Control channel: data_version poll {per_poll:?}, pending_commands query {per_query:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
