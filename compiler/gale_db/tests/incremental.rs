//! Incrementality, proven with salsa's event log: after an edit, only the queries of
//! the edited file run again; inside a file, only the edited workflow is analysed
//! again (`workflow_analysis`), because the per-workflow inputs (`workflow_unit`:
//! the model, spans relative to the workflow, the document's signatures) of the
//! others stay equal and salsa backdates them; across a workspace, a file is
//! re-analysed only when what another file exports (workflow and action signatures)
//! changes.
//!
//! Parsing and lowering are still per file (`parse`, `lower` re-run on every edit).
//! `retain` keeps a revision's file-level values without running any query.

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
    assert!(
        !incremental.is_empty(),
        "the fixture must produce diagnostics"
    );
}

const MAIN: &str = "version: '2.0'\nmain:\n  tasks:\n    call:\n      workflow: lib.sub\n      input:\n        hots: x\n";
const LIB: &str = "version: '2.0'\nname: lib\nworkflows:\n  sub:\n    input:\n      - host\n    tasks:\n      t:\n        action: std.echo output=<% $.host %>\n";

#[test]
fn sub_workflows_resolve_across_the_workspace() {
    // Without a workspace (`gale check`), another file's workflow is unknown.
    let alone = gale_db::check_text("main.yaml", MAIN);
    assert!(alone.is_empty(), "{alone:?}");

    // The workspace is set up before any query, as the language server does.
    let (mut db, log2) = logging_db();
    let main = db.add_file("main.yaml", MAIN);
    let lib = db.add_file("lib.yaml", LIB);
    gale_db::Workspace::new(&db, vec![main, lib]);
    let codes: Vec<&str> = diagnostics(&db, main).iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        ["missing-workflow-input", "unknown-workflow-input"],
        "lib.sub needs `host`; `hots` is not an input"
    );

    // Typing inside lib's task leaves its exports equal: main is not re-analysed.
    log2.lock().unwrap_or_else(|e| e.into_inner()).clear();
    lib.set_text(&mut db)
        .to(LIB.replace("<% $.host %>", "<% $.host %>!"));
    let _ = diagnostics(&db, lib);
    let _ = diagnostics(&db, main);
    let main_key = format!("({:?})", salsa::plumbing::AsId::as_id(&main));
    let rerun: Vec<String> = executed_of(&log2, "workflow_analysis")
        .into_iter()
        .chain(executed_of(&log2, "units"))
        .filter(|k| k.contains(&main_key))
        .collect();
    assert!(rerun.is_empty(), "main was re-analysed: {rerun:?}");

    // Renaming the input in lib changes main's diagnostics.
    lib.set_text(&mut db).to(LIB.replace("- host", "- hots"));
    let codes: Vec<&str> = diagnostics(&db, main).iter().map(|d| d.code).collect();
    assert!(codes.is_empty(), "{codes:?}");
}

#[test]
fn retaining_current_values_runs_no_query_and_survives_the_edit() {
    let (mut db, log) = logging_db();
    let a = db.add_file("a.yaml", A);
    let before = diagnostics(&db, a).clone();
    log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let retained = gale_db::retain(&db, a);
    assert!(
        log.lock().unwrap_or_else(|e| e.into_inner()).is_empty(),
        "retain after diagnostics must only read memos"
    );
    // The edit replaces the retained values; the new revision is checked as usual,
    // and the old values are freed only when the caller drops them.
    a.set_text(&mut db).to(B.to_string());
    assert_ne!(diagnostics(&db, a), &before);
    drop(retained);
    a.set_text(&mut db).to(A.to_string());
    assert_eq!(diagnostics(&db, a), &before);
}
