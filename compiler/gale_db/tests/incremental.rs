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

/// A workbook of `n` workflows of three tasks each.
fn workbook(n: usize) -> String {
    let mut s = String::from("version: '2.0'\nname: wb\nworkflows:\n");
    for w in 0..n {
        s.push_str(&format!(
            "  wf{w}:\n    input:\n      - x\n    tasks:\n      t1:\n        action: std.echo output=\"<% $.x %> {w}\"\n        publish:\n          v: <% task().result %>\n        on-success: [t2]\n      t2:\n        action: std.noop\n        on-complete: [t3]\n      t3:\n        join: all\n        action: std.noop\n"
        ));
    }
    s
}

fn executed_of(log: &Arc<Mutex<Vec<String>>>, query: &str) -> Vec<String> {
    log.lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter(|k| k.starts_with(&format!("{query}(")))
        .cloned()
        .collect()
}

#[test]
fn editing_one_workflow_reanalyses_only_that_workflow() {
    let (mut db, log) = logging_db();
    let text = workbook(5);
    let file = db.add_file("wb.yaml", text.clone());
    let before = diagnostics(&db, file).clone();
    assert_eq!(
        executed_of(&log, "workflow_analysis").len(),
        5,
        "each workflow analysed once"
    );
    log.lock().unwrap_or_else(|e| e.into_inner()).clear();

    // Type into a task of the second workflow: every later workflow moves.
    let edited = text.replacen("<% $.x %> 1\"", "<% $.x %> 1abc\"", 1);
    file.set_text(&mut db).to(edited.clone());
    let after = diagnostics(&db, file).clone();
    let analysed = executed_of(&log, "workflow_analysis");
    assert_eq!(analysed.len(), 1, "only the edited workflow: {analysed:?}");
    // The units of the other workflows were recomputed but equal (backdated).
    assert_eq!(executed_of(&log, "workflow_unit").len(), 5);
    // The result equals a from-scratch check of the new text.
    assert_eq!(after, gale_db::check_text("wb.yaml", &edited));
    assert_eq!(after.len(), before.len());
}

#[test]
fn diagnostics_of_a_moved_workflow_follow_it() {
    let (mut db, _log) = logging_db();
    // wf4's task t1 has a typo'd transition: its diagnostic must move with the text.
    let text = workbook(5).replace(
        "wf4:\n    input:\n      - x\n    tasks:\n      t1:\n        action: std.echo output=\"<% $.x %> 4\"\n        publish:\n          v: <% task().result %>\n        on-success: [t2]",
        "wf4:\n    input:\n      - x\n    tasks:\n      t1:\n        action: std.echo output=\"<% $.x %> 4\"\n        publish:\n          v: <% task().result %>\n        on-success: [t2]\n        on-error: [t3 <% $.nope.z %>]",
    );
    let file = db.add_file("wb.yaml", text.clone());
    let _ = diagnostics(&db, file).clone();
    let edited = text.replacen("<% $.x %> 0\"", "<% $.x %> 0 and more text\"", 1);
    file.set_text(&mut db).to(edited.clone());
    let incremental = diagnostics(&db, file).clone();
    assert_eq!(incremental, gale_db::check_text("wb.yaml", &edited));
    assert!(!incremental.is_empty(), "the fixture must produce diagnostics");
}
