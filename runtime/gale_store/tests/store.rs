//! Behaviour of the store through its public API: round trips, idempotent
//! creation, listings, trees, entity images, events, commands across processes'
//! handles, leases, batches and transactions.

use std::path::PathBuf;

use std::time::Duration;

use gale_store::{
    Batch, BatchOp, Claim, Command, Creation, ExecutionFilter, ExecutionRecord, ImageRecord,
    Residency, State, Store, now_millis,
};
use serde_json::json;

/// A fresh database file under Cargo's per-target temporary directory, removed
/// with its directory when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("gale-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDb(dir)
    }

    /// The database path, in a directory `Store::open` has to create.
    fn path(&self) -> PathBuf {
        self.0.join("nested").join("gale.db")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn execution(id: &str, workflow: &str, state: State, created_at: i64) -> ExecutionRecord {
    ExecutionRecord {
        state,
        created_at,
        updated_at: created_at,
        ..ExecutionRecord::new(id, workflow)
    }
}

/// A sub-workflow execution started by task execution `parent_task` of
/// execution `parent`, in the tree of root execution `root`.
fn sub_execution(
    id: &str,
    (root, parent, parent_task): (&str, &str, &str),
    state: State,
    at: i64,
) -> ExecutionRecord {
    ExecutionRecord {
        parent_execution_id: Some(parent.to_owned()),
        parent_task_execution_id: Some(parent_task.to_owned()),
        root_execution_id: Some(root.to_owned()),
        ..execution(id, "sub", state, at)
    }
}

/// An entity image at `(x, t, a)`; task images (`t >= 0`, `a == -1`) get a stub.
fn image(x: i64, t: i64, a: i64, resident: bool, text: &str, at: i64) -> ImageRecord {
    ImageRecord {
        x,
        t,
        a,
        residency: if resident {
            Residency::Resident
        } else {
            Residency::Stub
        },
        stub: (t >= 0 && a < 0).then(|| format!("stub of {text}")),
        image: text.to_string(),
        created_at: at,
        finished_at: None,
    }
}

#[test]
fn records_round_trip_exactly() {
    let dir = TempDb::new("round-trip");
    let path = dir.path();
    let mut store = Store::open(&path).unwrap();
    assert!(path.exists(), "open creates the file and its directories");
    let e = ExecutionRecord {
        definition_hash: Some("abc".into()),
        definition: Some("version: '2.0'\nwf: {}".into()),
        description: Some("d".into()),
        input: json!({"a": [1, 2.5, "x", null], "b": {"c": true}}),
        env: json!({"k": "v"}),
        params: json!({"task_name": "t"}),
        state_info: Some("info".into()),
        output: Some(json!(null)),
        source_execution_id: Some("src".into()),
        ..execution("e1", "wf", State::Success, 10)
    };
    // One image of each residency, with and without a stub and a finish time.
    let images = [
        ImageRecord {
            stub: Some("3".into()),
            ..image(0, -1, -1, true, r#"{"name": "wf"}"#, 10)
        },
        ImageRecord {
            finished_at: Some(12),
            ..image(
                0,
                0,
                -1,
                false,
                r#"{"name": "task1", "state": "ERROR"}"#,
                11,
            )
        },
        ImageRecord {
            residency: Residency::Omitted,
            finished_at: Some(12),
            ..image(
                0,
                0,
                0,
                false,
                r#"{"state": "ERROR", "output": "ü \u0000"}"#,
                11,
            )
        },
    ];
    store
        .transaction(|tx| {
            tx.upsert_execution(&e)?;
            for i in &images {
                tx.upsert_image("e1", i)?;
            }
            tx.save_snapshot("e1", &[0, 255, 7])
        })
        .unwrap();
    drop(store);

    let store = Store::open(&path).unwrap();
    assert_eq!(store.get_execution("e1").unwrap(), Some(e.clone()));
    // JSON null output is kept apart from "no output".
    assert_eq!(
        store.get_execution("e1").unwrap().unwrap().output,
        Some(json!(null))
    );
    assert_eq!(store.all_images("e1").unwrap(), images);
    assert_eq!(store.load_snapshot("e1").unwrap(), Some(vec![0, 255, 7]));
    assert_eq!(store.get_execution("nope").unwrap(), None);
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn creation_by_id_is_idempotent() {
    let mut store = Store::in_memory().unwrap();
    let first = ExecutionRecord {
        input: json!({"n": 1}),
        ..execution("e1", "wf", State::Running, 1)
    };
    assert_eq!(
        store.create_execution_if_absent(&first).unwrap(),
        Creation::Created
    );
    let second = ExecutionRecord {
        input: json!({"n": 2}),
        ..execution("e1", "other", State::Idle, 2)
    };
    let outcome = store.create_execution_if_absent(&second).unwrap();
    assert!(outcome.existed());
    assert_eq!(outcome, Creation::Existing(Box::new(first.clone())));
    assert_eq!(store.get_execution("e1").unwrap(), Some(first));
}

#[test]
fn listing_filters_and_orders_newest_first() {
    let mut store = Store::in_memory().unwrap();
    store
        .transaction(|tx| {
            tx.upsert_execution(&execution("e1", "wf_a", State::Success, 100))?;
            tx.upsert_execution(&execution("e2", "wf_b", State::Running, 200))?;
            tx.upsert_execution(&execution("e3", "wf_a", State::Error, 300))?;
            // Same timestamp as e3: insertion order breaks the tie.
            tx.upsert_execution(&execution("e4", "wf_a", State::Success, 300))?;
            tx.upsert_execution(&sub_execution(
                "s1",
                ("e2", "e2", "pt"),
                State::Running,
                250,
            ))
        })
        .unwrap();
    let ids = |filter: ExecutionFilter| -> Vec<String> {
        store
            .list_executions(&filter)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(
        ids(ExecutionFilter::default()),
        ["e4", "e3", "s1", "e2", "e1"]
    );
    assert_eq!(
        ids(ExecutionFilter {
            top_level_only: true,
            ..Default::default()
        }),
        ["e4", "e3", "e2", "e1"]
    );
    assert_eq!(
        ids(ExecutionFilter {
            workflow_name: Some("wf_a".into()),
            ..Default::default()
        }),
        ["e4", "e3", "e1"]
    );
    assert_eq!(
        ids(ExecutionFilter {
            state: Some(State::Success),
            workflow_name: Some("wf_a".into()),
            limit: Some(1),
            ..Default::default()
        }),
        ["e4"]
    );
    assert_eq!(
        ids(ExecutionFilter {
            state: Some(State::Running),
            ..Default::default()
        }),
        ["s1", "e2"]
    );
}

#[test]
fn images_come_in_tree_order_and_updates_replace() {
    let mut store = Store::in_memory().unwrap();
    store
        .transaction(|tx| {
            tx.upsert_execution(&execution("e", "wf", State::Running, 1))?;
            // Written out of order on purpose.
            tx.upsert_image("e", &image(1, 0, -1, true, "x1 t0", 1))?;
            tx.upsert_image("e", &image(0, 2, -1, true, "t2", 1))?;
            tx.upsert_image("e", &image(0, 0, 1, false, "t0 a1", 1))?;
            tx.upsert_image("e", &image(0, 0, -1, true, "t0", 1))?;
            tx.upsert_image("e", &image(0, -1, -1, true, "wf", 1))?;
            tx.upsert_image("e", &image(0, 0, 0, false, "t0 a0", 1))?;
            tx.upsert_image("e", &image(0, 2, -1, true, "t2 again", 2))
        })
        .unwrap();
    let keys: Vec<_> = store
        .all_images("e")
        .unwrap()
        .into_iter()
        .map(|r| (r.x, r.t, r.a, r.image))
        .collect();
    assert_eq!(
        keys,
        [
            (0, -1, -1, "wf".to_owned()),
            (0, 0, -1, "t0".to_owned()),
            (0, 0, 0, "t0 a0".to_owned()),
            (0, 0, 1, "t0 a1".to_owned()),
            (0, 2, -1, "t2 again".to_owned()),
            (1, 0, -1, "x1 t0".to_owned()),
        ]
    );
    let resident: Vec<_> = store
        .resident_images("e")
        .unwrap()
        .into_iter()
        .map(|r| (r.x, r.t, r.a))
        .collect();
    assert_eq!(resident, [(0, -1, -1), (0, 0, -1), (0, 2, -1), (1, 0, -1)]);
    // Images of another root execution are not mixed in.
    assert!(store.all_images("other").unwrap().is_empty());
}

#[test]
fn a_failing_transaction_writes_nothing() {
    let mut store = Store::in_memory().unwrap();
    let result = store.transaction(|tx| {
        tx.upsert_execution(&execution("e", "wf", State::Running, 1))?;
        tx.upsert_image("e", &image(0, -1, -1, true, "wf", 1))?;
        // Foreign key: no such root execution.
        tx.upsert_image("missing", &image(0, 0, -1, true, "t0", 1))
    });
    assert!(result.is_err());
    assert_eq!(store.get_execution("e").unwrap(), None);
    assert!(!store.has_images("e").unwrap());
    // The store is still usable.
    store
        .upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    assert!(store.get_execution("e").unwrap().is_some());
}

#[test]
fn events_get_gapless_sequence_numbers() {
    let mut store = Store::in_memory().unwrap();
    store
        .upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    store
        .upsert_execution(&execution("f", "wf", State::Running, 1))
        .unwrap();
    let seqs = store
        .transaction(|tx| {
            Ok(vec![
                tx.append_event("e", "task-started", &json!({"task": "a"}))?,
                tx.append_event("f", "task-started", &json!({"task": "z"}))?,
                tx.append_event("e", "task-completed", &json!({"task": "a"}))?,
            ])
        })
        .unwrap();
    assert_eq!(seqs, [1, 1, 2]);
    let mut batch = Batch::new();
    batch.append_event("e", "transition", json!({"to": "b"}));
    batch.append_event("e", "transition", json!({"to": "c"}));
    store.commit(&batch).unwrap();
    let events = store.events("e", 0, None).unwrap();
    let kinds: Vec<_> = events.iter().map(|e| (e.seq, e.kind.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (1, "task-started"),
            (2, "task-completed"),
            (3, "transition"),
            (4, "transition")
        ]
    );
    assert_eq!(events[3].payload, json!({"to": "c"}));
    let tail: Vec<_> = store
        .events("e", 2, Some(1))
        .unwrap()
        .into_iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(tail, [3]);
}

#[test]
fn event_numbering_survives_rollbacks_and_a_second_writer() {
    let dir = TempDb::new("event-seq");
    let path = dir.path();
    let mut a = Store::open(&path).unwrap();
    a.upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    a.transaction(|tx| tx.append_event("e", "one", &json!(1)))
        .unwrap();
    // A rolled-back append does not use up a number.
    let failed: gale_store::Result<()> = a.transaction(|tx| {
        tx.append_event("e", "lost", &json!(2))?;
        tx.upsert_image("missing", &image(0, 0, -1, true, "t0", 1))
    });
    assert!(failed.is_err());
    assert_eq!(
        a.transaction(|tx| tx.append_event("e", "two", &json!(2)))
            .unwrap(),
        2
    );
    // Another handle appends behind `a`'s back: `a` fails instead of writing a
    // duplicate, then recovers from the database.
    let mut b = Store::open(&path).unwrap();
    assert_eq!(
        b.transaction(|tx| tx.append_event("e", "three", &json!(3)))
            .unwrap(),
        3
    );
    assert!(
        a.transaction(|tx| tx.append_event("e", "clash", &json!(0)))
            .is_err()
    );
    assert_eq!(
        a.transaction(|tx| tx.append_event("e", "four", &json!(4)))
            .unwrap(),
        4
    );
    let kinds: Vec<_> = a
        .events("e", 0, None)
        .unwrap()
        .into_iter()
        .map(|e| (e.seq, e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (1, "one".to_owned()),
            (2, "two".to_owned()),
            (3, "three".to_owned()),
            (4, "four".to_owned())
        ]
    );
}

#[test]
fn a_batch_coalesces_writes_to_the_same_record() {
    let mut store = Store::in_memory().unwrap();
    let mut batch = Batch::new();
    let mut e = execution("e", "wf", State::Running, 1);
    batch.upsert_execution(e.clone());
    // A task image written IDLE, RUNNING then SUCCESS, with an action image
    // between: one write each, the last image with the first `created_at`.
    batch.upsert_image("e", image(0, 0, -1, true, "t IDLE", 5));
    batch.upsert_image("e", image(0, 0, -1, true, "t RUNNING", 6));
    batch.upsert_image("e", image(0, 0, 0, false, "a RUNNING", 6));
    batch.upsert_image("e", image(0, 0, 0, false, "a SUCCESS", 7));
    let t = ImageRecord {
        finished_at: Some(8),
        ..image(0, 0, -1, false, "t SUCCESS", 8)
    };
    batch.upsert_image("e", t.clone());
    e.state = State::Paused;
    batch.upsert_execution(e.clone());
    // Folded into the upsert above.
    batch.set_execution_state("e", State::Success, Some("ok".into()), Some(json!(1)), 9);
    e.state = State::Success;
    e.state_info = Some("ok".into());
    e.output = Some(json!(1));
    e.updated_at = 9;
    batch.save_snapshot("e", vec![1]);
    batch.save_snapshot("e", vec![2]);
    assert_eq!(batch.len(), 4, "{:?}", batch.ops());
    assert!(matches!(batch.ops()[0], BatchOp::Execution(_)));
    assert!(matches!(
        &batch.ops()[1],
        BatchOp::Image { image, .. } if (image.t, image.a) == (0, -1)
    ));
    store.commit(&batch).unwrap();
    assert_eq!(store.get_execution("e").unwrap(), Some(e));
    let images = store.task_images("e", 0, 0).unwrap();
    assert_eq!(
        images,
        [
            ImageRecord { created_at: 5, ..t },
            ImageRecord {
                created_at: 6,
                ..image(0, 0, 0, false, "a SUCCESS", 7)
            },
        ]
    );
    assert_eq!(store.load_snapshot("e").unwrap(), Some(vec![2]));
    batch.clear();
    assert!(batch.is_empty());
    store.commit(&batch).unwrap();

    // Without an upsert in the batch, a state change is its own cheap write.
    batch.set_execution_state("e", State::Running, None, None, 10);
    batch.set_execution_state("e", State::Error, Some("boom".into()), None, 11);
    assert_eq!(batch.len(), 1);
    store.commit(&batch).unwrap();
    let got = store.get_execution("e").unwrap().unwrap();
    assert_eq!(
        (
            got.state,
            got.state_info.as_deref(),
            got.output,
            got.updated_at
        ),
        (State::Error, Some("boom"), None, 11)
    );
}

#[test]
fn execution_tree_walks_nested_workflows_and_deletion_takes_it_all() {
    let mut store = Store::in_memory().unwrap();
    let root = execution("root", "main", State::Error, 1);
    let sub = sub_execution("sub", ("root", "root", "t-call"), State::Error, 2);
    let other_sub = sub_execution("sub-ok", ("root", "root", "t-ok"), State::Success, 3);
    let deep = sub_execution("deep", ("root", "sub", "t-deep"), State::Success, 4);
    store
        .transaction(|tx| {
            tx.upsert_execution(&root)?;
            tx.upsert_execution(&sub)?;
            tx.upsert_execution(&other_sub)?;
            tx.upsert_execution(&deep)?;
            // The whole tree's images are keyed by its root execution.
            tx.upsert_image("root", &image(0, -1, -1, true, "main", 1))?;
            tx.upsert_image("root", &image(1, -1, -1, true, "sub", 2))?;
            tx.upsert_image("root", &image(1, 0, -1, true, "do_it", 2))?;
            tx.append_event("sub", "task-failed", &json!({"task": "do_it"}))?;
            tx.save_snapshot("root", b"frontier")?;
            tx.post_command("deep", &Command::Pause)?;
            Ok(())
        })
        .unwrap();

    let tree = store.execution_tree("root").unwrap().unwrap();
    assert_eq!(tree.execution.id, "root");
    let kids: Vec<_> = tree
        .children
        .iter()
        .map(|c| c.execution.id.as_str())
        .collect();
    assert_eq!(kids, ["sub", "sub-ok"]);
    assert_eq!(tree.children[0].children[0].execution.id, "deep");
    assert!(tree.children[0].children[0].children.is_empty());
    assert!(store.execution_tree("nope").unwrap().is_none());
    let direct: Vec<_> = store
        .sub_executions("root")
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(direct, ["sub", "sub-ok"]);
    let of_task: Vec<_> = store
        .sub_executions_of_task("t-deep")
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(of_task, ["deep"]);
    assert_eq!(
        store.root_execution_id("deep").unwrap().as_deref(),
        Some("root")
    );

    // Deleting the root removes the whole tree and everything it owns.
    assert!(store.delete_execution("root").unwrap());
    assert!(!store.delete_execution("root").unwrap());
    assert!(store.get_execution("deep").unwrap().is_none());
    assert!(!store.has_images("root").unwrap());
    assert!(store.events("sub", 0, None).unwrap().is_empty());
    assert_eq!(store.load_snapshot("root").unwrap(), None);
    assert!(store.pending_commands("deep").unwrap().is_empty());
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn commands_cross_between_two_handles_on_one_file() {
    let dir = TempDb::new("commands");
    let path = dir.path();
    let mut runner = Store::open(&path).unwrap();
    runner
        .upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    let version = runner.data_version().unwrap();

    // Another process (here: another connection) asks for a pause, then a cancel.
    let mut cli = Store::open(&path).unwrap();
    cli.post_command("e", &Command::Pause).unwrap();
    cli.post_command("e", &Command::cancel(Some("user".into())))
        .unwrap();
    assert!(
        cli.post_command("missing", &Command::Pause).is_err(),
        "commands need an existing execution"
    );

    assert_ne!(
        runner.data_version().unwrap(),
        version,
        "the runner sees a change"
    );
    assert_eq!(runner.pending_commands("e").unwrap().len(), 2);
    let taken = runner
        .transaction(|tx| {
            let commands = tx.take_commands("e")?;
            tx.set_execution_state("e", State::Paused, None, None, 2)?;
            Ok(commands)
        })
        .unwrap();
    let commands: Vec<_> = taken.into_iter().map(|c| c.command).collect();
    assert_eq!(
        commands,
        [Command::Pause, Command::cancel(Some("user".into()))]
    );
    assert!(runner.take_commands("e").unwrap().is_empty());
    assert_eq!(
        cli.get_execution("e").unwrap().unwrap().state,
        State::Paused
    );
}

#[test]
fn a_command_is_consumed_only_with_the_commit_of_its_effect() {
    let dir = TempDb::new("commands-atomic");
    let path = dir.path();
    let mut runner = Store::open(&path).unwrap();
    runner
        .upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    let mut cli = Store::open(&path).unwrap();
    let first = cli.post_command("e", &Command::Pause).unwrap();
    // The runner reads the command and applies it in memory, then dies before
    // its commit: the command is still there for the next runner.
    assert_eq!(runner.pending_commands("e").unwrap().len(), 1);
    drop(runner);
    let mut next = Store::open(&path).unwrap();
    let pending = next.pending_commands("e").unwrap();
    assert_eq!(pending.len(), 1);
    // A command posted after the read is not deleted by the commit of the effect
    // of the earlier ones.
    let later = cli.post_command("e", &Command::cancel(None)).unwrap();
    assert!(later > first);
    let deleted = next
        .transaction(|tx| {
            tx.set_execution_state("e", State::Paused, None, None, 2)?;
            tx.delete_commands_through("e", first)
        })
        .unwrap();
    assert_eq!(deleted, 1);
    let left: Vec<_> = next
        .pending_commands("e")
        .unwrap()
        .into_iter()
        .map(|c| c.command)
        .collect();
    assert_eq!(left, [Command::cancel(None)]);
    // A failed transaction deletes nothing.
    let failed: gale_store::Result<()> = next.transaction(|tx| {
        tx.delete_commands_through("e", later)?;
        Err(gale_store::StoreError::Corrupt("simulated".into()))
    });
    assert!(failed.is_err());
    assert_eq!(next.pending_commands("e").unwrap().len(), 1);
}

#[test]
fn entity_images_keep_the_latest_and_resume_reads_resident_ones_and_stubs() {
    let mut store = Store::in_memory().unwrap();
    store
        .upsert_execution(&execution("root", "wf", State::Running, 1))
        .unwrap();
    assert!(!store.has_images("root").unwrap());
    assert_eq!(
        store.root_execution_id("root").unwrap().as_deref(),
        Some("root")
    );
    assert_eq!(store.root_execution_id("nope").unwrap(), None);
    let mut batch = Batch::new();
    batch.upsert_image("root", image(0, -1, -1, true, "wf v1", 10));
    batch.upsert_image("root", image(0, 0, -1, true, "t0 running", 10));
    batch.upsert_image("root", image(0, 1, -1, true, "t1 running", 10));
    // Coalesced: the last image wins, the first created_at is kept.
    let mut done = image(0, 0, -1, false, "t0 done", 11);
    done.finished_at = Some(11);
    batch.upsert_image("root", done);
    assert_eq!(batch.len(), 3);
    store.commit(&batch).unwrap();
    assert!(store.has_images("root").unwrap());

    let mut batch = Batch::new();
    batch.upsert_image("root", image(0, -1, -1, true, "wf v2", 20));
    batch.upsert_image("root", image(0, 1, 0, false, "t1 action 0", 20));
    batch.upsert_image("root", image(0, 1, 1, false, "t1 action 1", 20));
    store.commit(&batch).unwrap();

    let resident: Vec<(i64, i64, i64, String)> = store
        .resident_images("root")
        .unwrap()
        .into_iter()
        .map(|r| (r.x, r.t, r.a, r.image))
        .collect();
    assert_eq!(
        resident,
        [
            (0, -1, -1, "wf v2".to_string()),
            (0, 1, -1, "t1 running".to_string())
        ]
    );
    let stubs = store.image_stubs("root").unwrap();
    assert_eq!(stubs.len(), 1);
    assert_eq!((stubs[0].x, stubs[0].t), (0, 0));
    assert_eq!(stubs[0].stub, "stub of t0 done");
    let t1: Vec<i64> = store
        .task_images("root", 0, 1)
        .unwrap()
        .iter()
        .map(|r| r.a)
        .collect();
    assert_eq!(t1, [-1, 0, 1]);
    let all = store.all_images("root").unwrap();
    assert_eq!(all.len(), 5);
    let t0 = &all[1];
    assert_eq!((t0.created_at, t0.finished_at), (10, Some(11)));

    // A finished entity written as finished again keeps its first finish time;
    // running again clears it.
    let mut again = image(0, 0, -1, false, "t0 done again", 30);
    again.finished_at = Some(30);
    store
        .commit(&{
            let mut b = Batch::new();
            b.upsert_image("root", again);
            b
        })
        .unwrap();
    let t0 = &store.task_images("root", 0, 0).unwrap()[0];
    assert_eq!((t0.created_at, t0.finished_at), (10, Some(11)));
    assert_eq!(t0.image, "t0 done again");
    store
        .commit(&{
            let mut b = Batch::new();
            b.upsert_image("root", image(0, 0, -1, true, "t0 rerun", 40));
            b
        })
        .unwrap();
    let t0 = &store.task_images("root", 0, 0).unwrap()[0];
    assert_eq!((t0.created_at, t0.finished_at), (10, None));
    assert!(store.image_stubs("root").unwrap().is_empty());

    // Omitting a stub takes it out of both resume reads; a resident image stays.
    let mut b = Batch::new();
    b.upsert_image("root", image(0, 2, -1, false, "t2 done", 50));
    b.upsert_image("root", image(0, 3, -1, false, "t3 done", 50));
    b.omit_image("root", 0, 2);
    b.omit_image("root", 0, 0);
    store.commit(&b).unwrap();
    let stubs: Vec<i64> = store
        .image_stubs("root")
        .unwrap()
        .iter()
        .map(|s| s.t)
        .collect();
    assert_eq!(stubs, [3]);
    let t2 = &store.task_images("root", 0, 2).unwrap()[0];
    assert_eq!(t2.residency, Residency::Omitted);
    assert_eq!(t2.image, "t2 done");
    let resident: Vec<i64> = store
        .resident_images("root")
        .unwrap()
        .iter()
        .map(|r| r.t)
        .collect();
    assert_eq!(resident, [-1, 0, 1]);

    // Deleting the execution deletes its images.
    assert!(store.delete_execution("root").unwrap());
    assert!(!store.has_images("root").unwrap());
}

#[test]
fn set_execution_state_touches_only_the_state() {
    let mut store = Store::in_memory().unwrap();
    let e = ExecutionRecord {
        input: json!({"x": 1}),
        ..execution("e", "wf", State::Running, 1)
    };
    store.upsert_execution(&e).unwrap();
    assert!(
        store
            .set_execution_state("e", State::Success, Some("done"), Some(&json!({"out": 2})))
            .unwrap()
    );
    let got = store.get_execution("e").unwrap().unwrap();
    assert_eq!(got.state, State::Success);
    assert_eq!(got.state_info.as_deref(), Some("done"));
    assert_eq!(got.output, Some(json!({"out": 2})));
    assert_eq!(got.input, json!({"x": 1}));
    assert!(
        !store
            .set_execution_state("zz", State::Error, None, None)
            .unwrap()
    );
}

#[test]
fn one_runner_at_a_time_holds_an_execution() {
    let dir = TempDb::new("leases");
    let path = dir.path();
    let mut first = Store::open(&path).unwrap();
    first
        .upsert_execution(&execution("e", "wf", State::Running, 1))
        .unwrap();
    let mut second = Store::open(&path).unwrap();
    let long = Duration::from_secs(60);

    let granted = first.claim("e", "runner-1", long, false).unwrap();
    assert!(matches!(granted, Claim::Granted { expires_at } if expires_at > now_millis()));
    // The holder may claim again (extends it); another runner is refused.
    assert!(matches!(
        first.claim("e", "runner-1", long, false).unwrap(),
        Claim::Granted { .. }
    ));
    match second.claim("e", "runner-2", long, false).unwrap() {
        Claim::HeldBy(lease) => assert_eq!(lease.runner, "runner-1"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Renewal rides along with a batch.
    let far = now_millis() + 120_000;
    assert!(
        first
            .transaction(|tx| tx.renew_claim("e", "runner-1", far))
            .unwrap()
    );
    assert_eq!(second.lease("e").unwrap().unwrap().expires_at, far);
    assert!(
        !second
            .transaction(|tx| tx.renew_claim("e", "runner-2", far))
            .unwrap()
    );

    // `--force` takes it over; the old holder learns it lost it at its next renewal.
    assert!(matches!(
        second.claim("e", "runner-2", long, true).unwrap(),
        Claim::Granted { .. }
    ));
    assert!(
        !first
            .transaction(|tx| tx.renew_claim("e", "runner-1", far))
            .unwrap()
    );
    assert!(!first.release_claim("e", "runner-1").unwrap());
    assert!(second.release_claim("e", "runner-2").unwrap());
    assert_eq!(second.lease("e").unwrap(), None);

    // An expired lease (its process died) is taken over without force.
    assert!(matches!(
        first.claim("e", "runner-1", Duration::ZERO, false).unwrap(),
        Claim::Granted { .. }
    ));
    std::thread::sleep(Duration::from_millis(2));
    assert!(matches!(
        second.claim("e", "runner-2", long, false).unwrap(),
        Claim::Granted { .. }
    ));
    assert!(
        first.claim("missing", "runner-1", long, false).is_err(),
        "unknown execution"
    );
}

#[test]
fn runner_ids_name_the_process_and_differ() {
    let a = gale_store::runner_id();
    let b = gale_store::runner_id();
    assert_ne!(a, b);
    assert!(a.starts_with(&format!("{}@", std::process::id())), "{a}");
}

#[test]
fn a_store_can_move_to_another_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Store>();
    assert_send::<Batch>();
}

#[test]
fn concurrent_opens_of_a_new_file_migrate_it_once() {
    let dir = TempDb::new("concurrent-open");
    let path = dir.path();
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut store = Store::open(&path)?;
                store.upsert_execution(&execution(&format!("e{i}"), "wf", State::Running, i))?;
                store.schema_version()
            })
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap().unwrap(), gale_store::SCHEMA_VERSION);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(
        store
            .list_executions(&ExecutionFilter::default())
            .unwrap()
            .len(),
        4
    );
    assert!(store.integrity_check().unwrap().is_empty());
}
