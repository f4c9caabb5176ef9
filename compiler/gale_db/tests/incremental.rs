//! Incrementality, proven with salsa's event log: after an edit, only the queries of
//! the edited file run again; when a re-run query returns an equal value, the queries
//! after it are reused (salsa's backdating).
//!
//! Granularity today is the file: `lower` reads the text, so any edit re-lowers the
//! file. Per-workflow and per-task queries are the planned next step (ARCHITECTURE.md).

use gale_db::{Database, diagnostics};
use salsa::Setter;
use std::sync::{Arc, Mutex};

fn logging_db() -> (Database, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let db = Database::with_event_log(move |event| {
        if let salsa::EventKind::WillExecute { database_key } = event.kind {
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(format!("{database_key:?}"));
        }
    });
    (db, log)
}

const A: &str = "version: '2.0'\na:\n  tasks:\n    t1:\n      action: std.noop\n";
const B: &str =
    "version: '2.0'\nb:\n  tasks:\n    t1:\n      action: std.noop\n      on-sucess: t2\n";

#[test]
fn editing_one_file_does_not_recheck_another() {
    let (mut db, log) = logging_db();
    let a = db.add_file("a.yaml", A);
    let b = db.add_file("b.yaml", B);
    assert!(diagnostics(&db, a).is_empty());
    assert_eq!(diagnostics(&db, b).len(), 1);
    log.lock().unwrap_or_else(|e| e.into_inner()).clear();

    a.set_text(&mut db)
        .to(A.replace("std.noop", "std.echo output='x'"));
    assert!(diagnostics(&db, a).is_empty());
    assert_eq!(diagnostics(&db, b).len(), 1);
    let executed = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(!executed.is_empty(), "the edited file must be re-checked");
    // Every re-executed query belongs to file `a` (salsa ids: a was created first).
    let a_key = format!("({:?})", salsa::plumbing::AsId::as_id(&a));
    let b_key = format!("({:?})", salsa::plumbing::AsId::as_id(&b));
    assert!(
        executed
            .iter()
            .all(|k| !k.contains(&b_key) || k.contains(&a_key)),
        "file b was re-checked: {executed:?}"
    );
    assert!(executed.iter().any(|k| k.contains("parse")), "{executed:?}");
}

#[test]
fn unchanged_text_reuses_every_query() {
    let (mut db, log) = logging_db();
    let a = db.add_file("a.yaml", A);
    let first = diagnostics(&db, a).clone();
    log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    a.set_text(&mut db).to(A.to_string());
    assert_eq!(diagnostics(&db, a), &first);
    let executed = log.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert!(
        executed.iter().all(|k| !k.contains("analysis")),
        "an equal model must not be analysed again: {executed:?}"
    );
}
