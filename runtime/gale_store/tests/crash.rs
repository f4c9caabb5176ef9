//! Crash safety: a writer process is killed with SIGKILL at random moments, many
//! times, and after each kill the database must be sound, hold every batch the
//! writer reported as committed, and show no part of an uncommitted batch.
//!
//! Each batch is what the durable engine commits between two side effects,
//! through the same [`Batch`] API: new task execution images (each written as
//! RUNNING then SUCCESS, coalesced), an action image per task, the workflow
//! execution's image rewritten, trace events, the execution's state and the
//! snapshot.
//!
//! The writer is this test binary itself, started again with
//! [`CHILD_ENV`] set, running only [`child_process_writer`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use gale_store::{Batch, ExecutionRecord, ImageRecord, Residency, State, Store, now_millis};
use serde_json::json;

/// Set (to the database path) in the writer process.
const CHILD_ENV: &str = "GALE_STORE_CRASH_CHILD";
/// Task images (each with one action image and one event) per committed batch.
const TASKS_PER_BATCH: i64 = 8;
/// How many times the writer is killed.
const KILLS: u32 = 30;
const EXECUTION: &str = "crash";

/// The writer: commits numbered batches forever, printing `committed <n>` after
/// each commit returns. A no-op in a normal test run.
#[test]
fn child_process_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut store = Store::open(PathBuf::from(path)).expect("writer opens the store");
    let execution = ExecutionRecord {
        state: State::Running,
        ..ExecutionRecord::new(EXECUTION, "crash_wf")
    };
    store
        .create_execution_if_absent(&execution)
        .expect("writer creates the execution");
    // Resume after the last committed batch, as `gale resume` would.
    let mut batch = store
        .load_snapshot(EXECUTION)
        .expect("writer reads the snapshot")
        .map_or(0, |s| batch_of_snapshot(&s))
        + 1;
    let out = std::io::stdout();
    let mut writes = Batch::new();
    loop {
        writes.clear();
        for i in 0..TASKS_PER_BATCH {
            let name = format!("task{i}");
            // The tasks started by the previous batch complete (their rows are
            // rewritten, as the engine rewrites open tasks at each commit) …
            if batch > 1 {
                let t = (batch - 2) * TASKS_PER_BATCH + i;
                let action = json!({"state": "SUCCESS", "output": "x".repeat(64)});
                writes.upsert_image(EXECUTION, image(t, 0, Residency::Omitted, &action));
                let done = json!({"name": name, "state": "SUCCESS", "batch": batch - 1});
                writes.upsert_image(
                    EXECUTION,
                    ImageRecord {
                        finished_at: Some(batch),
                        ..image(t, -1, Residency::Omitted, &done)
                    },
                );
                writes.append_event(EXECUTION, "task-completed", json!({"batch": batch}));
            }
            // … and new ones start (written IDLE then RUNNING: coalesced).
            let t = (batch - 1) * TASKS_PER_BATCH + i;
            let idle = json!({"name": name, "state": "IDLE", "batch": batch});
            writes.upsert_image(EXECUTION, image(t, -1, Residency::Resident, &idle));
            let running = json!({"name": name, "state": "RUNNING", "batch": batch});
            writes.upsert_image(EXECUTION, image(t, -1, Residency::Resident, &running));
            writes.append_event(EXECUTION, "task-started", json!({"batch": batch}));
        }
        // The workflow image is rewritten at every commit; its stub counts the
        // task executions, as the engine's does.
        let tasks = batch * TASKS_PER_BATCH;
        let workflow = json!({"name": "crash_wf", "tasks": tasks});
        writes.upsert_image(
            EXECUTION,
            ImageRecord {
                stub: Some(tasks.to_string()),
                ..image(-1, -1, Residency::Resident, &workflow)
            },
        );
        writes.set_execution_state(
            EXECUTION,
            State::Running,
            Some(format!("batch {batch}")),
            None,
            batch,
        );
        // A snapshot spanning several pages, so commits write many frames.
        let mut snapshot = batch.to_le_bytes().to_vec();
        snapshot.resize(6000, (batch % 251) as u8);
        writes.save_snapshot(EXECUTION, snapshot);
        store.commit(&writes).expect("writer commits");
        let mut lock = out.lock();
        std::io::Write::write_all(&mut lock, format!("committed {batch}\n").as_bytes())
            .and_then(|()| std::io::Write::flush(&mut lock))
            .expect("writer reports");
        batch += 1;
    }
}

/// The image of task execution `t` of the root workflow execution (`t == -1`:
/// the workflow execution itself), action `a` of it (`-1`: the task itself).
fn image(t: i64, a: i64, residency: Residency, image: &serde_json::Value) -> ImageRecord {
    ImageRecord {
        x: 0,
        t,
        a,
        residency,
        stub: (a == -1).then(|| format!("[{t}]")),
        image: image.to_string(),
        created_at: now_millis(),
        finished_at: None,
    }
}

fn batch_of_snapshot(snapshot: &[u8]) -> i64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&snapshot[..8]);
    i64::from_le_bytes(word)
}

/// A small xorshift generator; the seed is printed so a failure can be replayed
/// with `GALE_STORE_CRASH_SEED`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// The next complete `committed <n>` line of the writer, skipping the test
/// harness's own lines; `None` at the end of its output.
fn next_report(out: &mut impl BufRead) -> Option<i64> {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).ok()? == 0 {
            return None;
        }
        // A line cut by the kill has no newline: ignore it.
        if let Some(n) = line
            .strip_suffix('\n')
            .and_then(|l| l.strip_prefix("committed "))
        {
            return n.parse().ok();
        }
    }
}

/// Checks the database after a kill; returns the last committed batch.
fn verify(path: &Path, reported: i64) -> i64 {
    let store = Store::open(path).expect("the killed writer's database opens");
    let problems = store.integrity_check().unwrap();
    assert!(problems.is_empty(), "integrity: {problems:?}");
    let Some(snapshot) = store.load_snapshot(EXECUTION).unwrap() else {
        assert_eq!(reported, 0, "a reported batch has no snapshot");
        return 0;
    };
    let last = batch_of_snapshot(&snapshot);
    assert_eq!(snapshot.len(), 6000);
    assert!(
        snapshot[8..].iter().all(|&b| b == (last % 251) as u8),
        "torn snapshot"
    );
    assert!(
        last >= reported,
        "batch {reported} was reported committed but is lost (last {last})"
    );
    assert!(
        last <= reported + 1,
        "batch {last} appeared out of nowhere (reported {reported})"
    );
    let execution = store.get_execution(EXECUTION).unwrap().unwrap();
    assert_eq!(execution.state_info, Some(format!("batch {last}")));
    assert_eq!(execution.updated_at, last);
    drop(store);

    // Aggregates straight in SQL: every batch complete, nothing beyond `last`.
    let conn = rusqlite::Connection::open(path).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let expected = last * TASKS_PER_BATCH;
    // Every batch but the last completed the tasks of the one before it.
    let completed = (last - 1).max(0) * TASKS_PER_BATCH;
    let tasks = "FROM entity_images WHERE x = 0 AND t >= 0 AND a = -1";
    assert_eq!(count(&format!("SELECT count(*) {tasks}")), expected);
    assert_eq!(
        count(&format!(
            "SELECT count(*) {tasks} AND json_extract(image, '$.state') = 'SUCCESS' \
             AND resident = 2 AND finished_at IS NOT NULL \
             AND json_extract(image, '$.batch') < {last}"
        )),
        completed,
        "a completed task image is lost or not in its final form"
    );
    assert_eq!(
        count(&format!(
            "SELECT count(*) {tasks} AND json_extract(image, '$.state') = 'RUNNING' \
             AND resident = 1 AND finished_at IS NULL AND json_extract(image, '$.batch') = {last}"
        )),
        expected - completed,
        "the last batch's tasks are not running"
    );
    assert_eq!(
        count("SELECT count(*) FROM entity_images WHERE t >= 0 AND a = 0"),
        completed
    );
    assert_eq!(count("SELECT count(*) FROM events"), expected + completed);
    assert_eq!(
        count("SELECT coalesce(max(seq), 0) FROM events"),
        expected + completed
    );
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM (SELECT json_extract(image, '$.batch') AS b, count(*) AS n \
             {tasks} GROUP BY b HAVING n != {TASKS_PER_BATCH})"
        )),
        0,
        "a partial batch is visible"
    );
    assert_eq!(
        count(&format!(
            "SELECT coalesce(max(json_extract(image, '$.batch')), 0) {tasks}"
        )),
        last
    );
    // The workflow image agrees with the rows committed with it.
    assert_eq!(
        count(&format!(
            "SELECT count(*) FROM entity_images WHERE x = 0 AND t = -1 AND a = -1 \
             AND json_extract(image, '$.tasks') = {expected} \
             AND CAST(stub AS INTEGER) = {expected}"
        )),
        i64::from(last > 0),
        "the workflow image is torn from its tasks"
    );
    last
}

#[test]
fn killed_writers_never_lose_or_tear_a_batch() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("gale-store-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("gale.db");
    let seed = std::env::var("GALE_STORE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        });
    println!("GALE_STORE_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let mut last = 0;
    let mut kills_mid_run = 0;
    for round in 0..KILLS {
        let mut child = Process::new(&exe)
            .args([
                "--exact",
                "child_process_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        // Most rounds wait for the first commit, then kill at a random moment;
        // every fifth round kills at a random moment of start-up (open, migrate).
        let mut reported = last;
        if round % 5 != 4 {
            if let Some(n) = next_report(&mut stdout) {
                reported = n;
            }
            kills_mid_run += 1;
        }
        std::thread::sleep(Duration::from_micros(rng.next() % 25_000));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        while let Some(n) = next_report(&mut stdout) {
            reported = n;
        }
        let now = verify(&path, reported);
        assert!(
            now >= last,
            "round {round}: went back from batch {last} to {now}"
        );
        last = now;
    }
    println!(
        "{KILLS} kills ({kills_mid_run} mid-run), {last} batches committed, {:?}",
        started.elapsed()
    );
    assert!(
        last >= i64::from(kills_mid_run),
        "the writer made too little progress to test anything"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
