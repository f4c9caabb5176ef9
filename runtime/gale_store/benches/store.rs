//! Store benchmark: durable task-state writes per second at batch sizes 1, 16 and
//! 256, and the cost of resume as history grows. Prints medians.
//!
//! One task = its entity image written RUNNING, then SUCCESS: two row writes of
//! `entity_images`, as the durable engine journals a task whose actions fit in
//! its image. "batch" = tasks per commit. Every figure is on a database file
//! (WAL), never in memory.
//!
//! Run: `cargo bench -p gale_store --bench store` (add `-- --quick` for a smoke run,
//! `-- --resume-only` for the resume figures alone).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use gale_store::{
    Batch, Durability, ExecutionRecord, ImageRecord, Residency, State, Store, StoreOptions,
};
use serde_json::json;

/// The root execution every figure writes to.
const ROOT: &str = "e";

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
            ..ExecutionRecord::new(ROOT, "bench")
        })
        .expect("execution");
    store
}

/// The image of task execution `t` of the root workflow execution, about the
/// size of the engine's (a `TaskEx` with its context, published data and one
/// inline action).
fn task_image(t: i64, done: bool) -> ImageRecord {
    let state = if done { "SUCCESS" } else { "RUNNING" };
    let image = json!({
        "id": format!("{t:08x}-0000-4000-8000-000000000000"),
        "task": 0,
        "name": "task",
        "state": state,
        "state_info": null,
        "in_context": {"__versions": {"n": t}, "n": t},
        "published": if done { json!({"n": t}) } else { json!({}) },
        "actions": [{"id": "", "index": 0, "state": state, "output": done.then_some(t),
                     "cleared": false, "accepted": true, "sub_execution": null}],
        "next_tasks": [],
        "processed": done,
    });
    ImageRecord {
        x: 0,
        t,
        a: -1,
        residency: if done {
            Residency::Omitted
        } else {
            Residency::Resident
        },
        stub: Some(format!("[0,\"{state}\",false,0,\"{t}\",[],false]")),
        image: image.to_string(),
        created_at: t,
        finished_at: done.then_some(t),
    }
}

/// The root workflow execution's image, rewritten at every commit; its stub is
/// its number of task executions.
fn workflow_image(tasks: i64) -> ImageRecord {
    ImageRecord {
        x: 0,
        t: -1,
        a: -1,
        residency: Residency::Resident,
        stub: Some(tasks.to_string()),
        image: json!({"name": "bench", "state": "RUNNING", "context": {"x": 1}}).to_string(),
        created_at: 0,
        finished_at: None,
    }
}

/// What one commit carries besides the task images.
#[derive(Clone, Copy, PartialEq)]
enum Extras {
    /// Only the two image writes per task.
    None,
    /// Plus one trace event per task, the workflow image and a 1 KiB snapshot
    /// per commit (what the engine commits besides its tasks).
    TraceAndSnapshot,
}

/// Writes `tasks` tasks, `batch` per commit, with the closure API (no
/// coalescing: two row writes per task). Returns tasks per second.
fn run_transactions(store: &mut Store, first: i64, tasks: i64, batch: i64, extras: Extras) -> f64 {
    let snapshot = vec![7u8; 1024];
    let started = Instant::now();
    let mut seq = first;
    while seq < first + tasks {
        let end = (seq + batch).min(first + tasks);
        store
            .transaction(|tx| {
                for t in seq..end {
                    tx.upsert_image(ROOT, &task_image(t, false))?;
                    tx.upsert_image(ROOT, &task_image(t, true))?;
                    if extras == Extras::TraceAndSnapshot {
                        tx.append_event(ROOT, "task-completed", &json!({"task": "task", "t": t}))?;
                    }
                }
                if extras == Extras::TraceAndSnapshot {
                    tx.upsert_image(ROOT, &workflow_image(end))?;
                    tx.save_snapshot(ROOT, &snapshot)?;
                }
                Ok(())
            })
            .expect("commit");
        seq = end;
    }
    tasks as f64 / started.elapsed().as_secs_f64()
}

/// The same writes through [`Batch`], which coalesces a task's two upserts.
fn run_batches(store: &mut Store, tasks: i64, batch_size: i64) -> f64 {
    let started = Instant::now();
    let mut batch = Batch::new();
    let mut seq = 0;
    while seq < tasks {
        let end = (seq + batch_size).min(tasks);
        for t in seq..end {
            batch.upsert_image(ROOT, task_image(t, false));
            batch.upsert_image(ROOT, task_image(t, true));
        }
        store.commit(&batch).expect("commit");
        batch.clear();
        seq = end;
    }
    tasks as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn median_duration(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// What `gale resume` reads of the store: the execution, the snapshot, the
/// resident images and the stubs. Returns how many resident images it read.
fn read_for_resume(store: &Store) -> usize {
    let execution = store.get_execution(ROOT).expect("execution");
    let snapshot = store.load_snapshot(ROOT).expect("snapshot");
    let resident = store.resident_images(ROOT).expect("resident images");
    let stubs = store.image_stubs(ROOT).expect("stubs");
    assert!(execution.is_some() && snapshot.is_some() && stubs.is_empty());
    resident.len()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let resume_only = std::env::args().any(|a| a == "--resume-only");
    let runs = if quick { 1 } else { 5 };
    let dir = bench_dir();
    println!("gale_store benchmark (medians of {runs} runs; tasks/s; 1 task = 2 image writes)");
    println!();
    println!(
        "| durability | batch | tasks | closure API | + trace event, workflow image & 1 KiB snapshot | Batch API (coalesced) |"
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
    println!("Resume reads (execution + snapshot + resident images + stubs) with 2 tasks running");
    println!("behind a history of N completed tasks:");
    println!();
    println!(
        "| completed tasks N | open + resume reads | resume reads (open store) | all_images() (full history, for comparison) |"
    );
    println!("| ---: | ---: | ---: | ---: |");
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
                for t in n..n + 2 {
                    tx.upsert_image(ROOT, &task_image(t, false))?;
                }
                tx.upsert_image(ROOT, &workflow_image(n + 2))
            })
            .expect("in flight");
        // As `gale resume` does it: a fresh process opens the file and reads.
        drop(store);
        let path = dir.join("resume.db");
        let mut resume = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            let store = Store::open(&path).expect("reopen");
            let resident = read_for_resume(&store);
            resume.push(t.elapsed());
            assert_eq!(resident, 3, "the workflow and its 2 running tasks");
        }
        let store = Store::open(&path).expect("reopen");
        let mut warm = Vec::new();
        for _ in 0..25 {
            let t = Instant::now();
            std::hint::black_box(read_for_resume(&store));
            warm.push(t.elapsed());
        }
        let mut full = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let all = store.all_images(ROOT).expect("all images");
            full.push(t.elapsed());
            assert_eq!(all.len() as i64, n + 3);
        }
        println!(
            "| {n} | {:?} | {:?} | {:?} |",
            median_duration(resume),
            median_duration(warm),
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
        std::hint::black_box(store.pending_commands(ROOT).expect("pending"));
    }
    let per_query = t.elapsed() / (polls / 10);
    println!();
    println!(
        "Control channel: data_version poll {per_poll:?}, pending_commands query {per_query:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
