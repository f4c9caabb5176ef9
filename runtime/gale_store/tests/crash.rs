//! Crash safety: a writer process is killed with SIGKILL at random moments, many
//! times, and after each kill the database must be sound, hold every batch the
//! writer reported as committed, and show no part of an uncommitted batch.
//!
//! The writer is this test binary itself, started again with
//! [`CHILD_ENV`] set, running only [`child_process_writer`].

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use gale_store::{ActionExecutionRecord, ExecutionRecord, State, Store, TaskExecutionRecord};
use serde_json::json;

/// Set (to the database path) in the writer process.
const CHILD_ENV: &str = "GALE_STORE_CRASH_CHILD";
/// Tasks (each with one action and one event) per committed batch.
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
    loop {
        store
            .transaction(|tx| {
                for i in 0..TASKS_PER_BATCH {
                    let seq = (batch - 1) * TASKS_PER_BATCH + i;
                    let mut task = TaskExecutionRecord::new(
                        format!("t{seq}"),
                        EXECUTION,
                        format!("task{i}"),
                        seq,
                    );
                    task.state = State::Running;
                    tx.upsert_task(&task)?;
                    let mut action = ActionExecutionRecord::new(
                        format!("a{seq}"),
                        &task,
                        "std.echo",
                        json!({"output": "x".repeat(64)}),
                    );
                    action.state = State::Success;
                    action.output = Some(json!({"batch": batch}));
                    tx.upsert_action(&action)?;
                    task.state = State::Success;
                    task.result = Some(json!({"batch": batch}));
                    tx.upsert_task(&task)?;
                    tx.append_event(EXECUTION, "task-completed", &json!({"batch": batch}))?;
                }
                tx.set_execution_state(
                    EXECUTION,
                    State::Running,
                    Some(&format!("batch {batch}")),
                    None,
                    batch,
                )?;
                // A snapshot spanning several pages, so commits write many frames.
                let mut snapshot = batch.to_le_bytes().to_vec();
                snapshot.resize(6000, (batch % 251) as u8);
                tx.save_snapshot(EXECUTION, &snapshot)
            })
            .expect("writer commits");
        let mut lock = out.lock();
        std::io::Write::write_all(&mut lock, format!("committed {batch}\n").as_bytes())
            .and_then(|()| std::io::Write::flush(&mut lock))
            .expect("writer reports");
        batch += 1;
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
    assert_eq!(count("SELECT count(*) FROM task_executions"), expected);
    assert_eq!(
        count("SELECT count(*) FROM task_executions WHERE state = 'SUCCESS'"),
        expected
    );
    assert_eq!(count("SELECT count(*) FROM action_executions"), expected);
    assert_eq!(count("SELECT count(*) FROM events"), expected);
    assert_eq!(count("SELECT coalesce(max(seq), 0) FROM events"), expected);
    assert_eq!(
        count(
            "SELECT count(*) FROM (SELECT json_extract(result, '$.batch') AS b, count(*) AS n \
             FROM task_executions GROUP BY b HAVING n != 8)"
        ),
        0,
        "a partial batch is visible"
    );
    assert_eq!(
        count("SELECT coalesce(max(json_extract(result, '$.batch')), 0) FROM task_executions"),
        last
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
