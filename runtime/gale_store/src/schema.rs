//! The SQL schema and its ordered migrations.
//!
//! The schema version lives in SQLite's `PRAGMA user_version`. [`MIGRATIONS`]`[i]`
//! turns version `i` into version `i + 1`; a fresh file is version 0 and runs them
//! all. A migration, once released, is never edited: changes go into a new entry at
//! the end. All pending migrations run in one `BEGIN IMMEDIATE` transaction together
//! with the `user_version` update, so a crash (or a concurrent `gale` opening the
//! same file) never leaves a half-migrated database: the version read inside the
//! write lock decides what still has to run.
//!
//! Invariant: nothing here depends on the engine's types; the snapshot is an opaque
//! blob.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{Result, StoreError};

/// Version 1: executions, task and action executions (dropped by version 5), the
/// event log, snapshots.
const V1: &str = r#"
CREATE TABLE executions (
    id                       TEXT PRIMARY KEY NOT NULL,
    workflow_name            TEXT NOT NULL,
    definition_hash          TEXT,
    definition               TEXT,
    description              TEXT,
    input                    TEXT NOT NULL,   -- JSON
    env                      TEXT NOT NULL,   -- JSON
    params                   TEXT NOT NULL,   -- JSON
    state                    TEXT NOT NULL,
    state_info               TEXT,
    output                   TEXT,            -- JSON
    parent_execution_id      TEXT REFERENCES executions(id) ON DELETE CASCADE,
    parent_task_execution_id TEXT,
    root_execution_id        TEXT,
    source_execution_id      TEXT,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);
CREATE INDEX executions_by_created ON executions(created_at);
CREATE INDEX executions_by_state ON executions(state, created_at);
CREATE INDEX executions_by_parent ON executions(parent_execution_id)
    WHERE parent_execution_id IS NOT NULL;

CREATE TABLE task_executions (
    id            TEXT PRIMARY KEY NOT NULL,
    execution_id  TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    state         TEXT NOT NULL,
    state_info    TEXT,
    published     TEXT,                       -- JSON
    result        TEXT,                       -- JSON
    action_count  INTEGER NOT NULL,
    with_items    TEXT,                       -- JSON {total, succeeded, failed}
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX task_executions_by_execution ON task_executions(execution_id, seq);
CREATE INDEX task_executions_unfinished ON task_executions(execution_id, seq)
    WHERE state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'SKIPPED');

CREATE TABLE action_executions (
    id                TEXT PRIMARY KEY NOT NULL,
    task_execution_id TEXT NOT NULL REFERENCES task_executions(id) ON DELETE CASCADE,
    execution_id      TEXT NOT NULL,
    name              TEXT NOT NULL,
    item_index        INTEGER,
    attempt           INTEGER NOT NULL,
    input             TEXT NOT NULL,          -- JSON
    output            TEXT,                   -- JSON
    error             TEXT,                   -- JSON
    state             TEXT NOT NULL,
    state_info        TEXT,
    safe_rerun        INTEGER NOT NULL,
    accepted          INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER
);
CREATE INDEX action_executions_by_task ON action_executions(task_execution_id);
-- Only unfinished actions are indexed: resume looks them up in time proportional to
-- what is left, however long the history.
CREATE INDEX action_executions_in_flight ON action_executions(execution_id)
    WHERE state NOT IN ('SUCCESS', 'ERROR', 'CANCELLED', 'SKIPPED');

CREATE TABLE events (
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,               -- JSON
    PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;

-- The engine's serialized state, one per execution, kept apart from `executions` so
-- that state updates do not rewrite the blob and listings never read it.
CREATE TABLE snapshots (
    execution_id TEXT PRIMARY KEY NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    data         BLOB NOT NULL,
    updated_at   INTEGER NOT NULL
);
"#;

/// Version 2: the cross-process control channel and workflow-name look-ups.
const V2: &str = r#"
CREATE TABLE commands (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    command      TEXT NOT NULL,               -- pause | resume | stop (readability)
    payload      TEXT NOT NULL,               -- JSON of the Command
    created_at   INTEGER NOT NULL
);
CREATE INDEX commands_by_execution ON commands(execution_id, id);
CREATE INDEX executions_by_workflow ON executions(workflow_name, created_at);
"#;

/// Version 3: leases, so that one process at a time runs an execution.
const V3: &str = r#"
CREATE TABLE leases (
    execution_id TEXT PRIMARY KEY NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    runner       TEXT NOT NULL,               -- who runs it (see gale_store::runner_id)
    expires_at   INTEGER NOT NULL             -- ms; renewed while it runs
);
"#;

/// Version 4: the latest image of each engine entity (workflow, task and action
/// execution of a root execution's tree), upserted at each commit, so that resume
/// reads the open entities and a compact stub of the completed ones instead of
/// replaying the whole history. `x` is the workflow execution's index in the tree,
/// `t` the task execution's index in it (-1: the workflow execution itself), `a`
/// the action execution's index in the task (-1: the task itself).
const V4: &str = r#"
CREATE TABLE entity_images (
    root_execution_id TEXT NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    x           INTEGER NOT NULL,
    t           INTEGER NOT NULL,
    a           INTEGER NOT NULL,
    resident    INTEGER NOT NULL,             -- 1: full image, 0: stub, 2: neither
    stub        TEXT,                         -- what resume reads of the others
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    image       TEXT NOT NULL,                -- the engine's image (opaque text)
    PRIMARY KEY (root_execution_id, x, t, a)
);
-- Resume looks up only the resident rows, and reads the stubs of the others from
-- this covering index without touching their images.
CREATE INDEX entity_images_resident ON entity_images(root_execution_id)
    WHERE resident = 1;
CREATE INDEX entity_images_stubs ON entity_images(root_execution_id, x, t, stub)
    WHERE resident = 0 AND a = -1;
"#;

/// Version 5: the definition (the compiled program, which grows with the
/// workflow) in a table of its own, so that a state change of an execution
/// rewrites a short `executions` row instead of the whole program, and listings
/// never read programs. `executions.definition` stays, always NULL.
///
/// It also drops the version 1 tables `action_executions` and `task_executions`:
/// no Gale ever wrote them (the engine keeps its task and action executions in
/// `entity_images`, and before version 4 in events). The child table goes first,
/// so that the implicit `DELETE` of `DROP TABLE` under `foreign_keys=ON` finds
/// nothing referencing `task_executions`; their indexes go with them.
const V5: &str = r#"
CREATE TABLE definitions (
    execution_id TEXT PRIMARY KEY NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
    definition   TEXT NOT NULL
);
INSERT INTO definitions (execution_id, definition)
    SELECT id, definition FROM executions WHERE definition IS NOT NULL;
UPDATE executions SET definition = NULL WHERE definition IS NOT NULL;
DROP TABLE action_executions;
DROP TABLE task_executions;
"#;

/// The ordered migrations: entry `i` upgrades schema version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5];

/// The schema version this build writes (the number of migrations).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Brings the database up to `target` (at most [`SCHEMA_VERSION`]), running the
/// pending migrations in one immediate transaction. Refuses a database newer than
/// this build.
pub(crate) fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let target = target.min(SCHEMA_VERSION);
    // Cheap path for the common case, without taking the write lock.
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Re-read under the write lock: another process may have migrated meanwhile.
    let found = user_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let start = usize::try_from(found.max(0)).unwrap_or(0);
    let end = usize::try_from(target).unwrap_or(0);
    for sql in MIGRATIONS.iter().take(end).skip(start) {
        tx.execute_batch(sql)?;
    }
    if found < target {
        tx.pragma_update(None, "user_version", target)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Command, Store};

    /// The tables and indexes of the schema, sorted.
    fn schema_objects(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'index') \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    /// Whether any table or index of the version 1 task and action tables is left.
    fn has_v1_task_tables(conn: &Connection) -> bool {
        schema_objects(conn)
            .iter()
            .any(|n| n.starts_with("task_executions") || n.starts_with("action_executions"))
    }

    fn temp_db(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("gale-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("gale.db")
    }

    #[test]
    fn a_version_1_database_is_migrated_and_keeps_its_data() {
        let path = temp_db("migrate-v1");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        {
            // What a Gale with schema version 1 left behind.
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "journal_mode", "WAL").unwrap();
            migrate_to(&mut conn, 1).unwrap();
            assert_eq!(user_version(&conn).unwrap(), 1);
            conn.execute(
                "INSERT INTO executions (id, workflow_name, input, env, params, state, \
                 created_at, updated_at) VALUES ('e1', 'wf', '{\"x\":1}', '{}', '{}', 'PAUSED', 5, 6)",
                [],
            )
            .unwrap();
            let has_commands: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'commands'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(has_commands, 0, "version 1 has no command table");
            // Rows in the version 1 task and action tables (only a direct user of
            // the store could have written them): their tables go, with foreign
            // keys on, and nothing else does.
            conn.pragma_update(None, "foreign_keys", "ON").unwrap();
            conn.execute_batch(
                "INSERT INTO task_executions (id, execution_id, name, seq, state, action_count, \
                 created_at, updated_at) VALUES ('t1', 'e1', 'task1', 0, 'SUCCESS', 1, 5, 6); \
                 INSERT INTO action_executions (id, task_execution_id, execution_id, name, \
                 attempt, input, state, safe_rerun, accepted) \
                 VALUES ('a1', 't1', 'e1', 'std.noop', 1, '{}', 'SUCCESS', 0, 1);",
            )
            .unwrap();
            assert!(has_v1_task_tables(&conn));
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let e = store.get_execution("e1").unwrap().unwrap();
        assert_eq!(e.input, serde_json::json!({"x": 1}));
        assert_eq!(e.state, crate::State::Paused);
        // The tables added by versions 2 and 3 work on the migrated file.
        store.post_command("e1", &Command::Pause).unwrap();
        assert_eq!(store.take_commands("e1").unwrap().len(), 1);
        let claim = store
            .claim("e1", "me", std::time::Duration::from_secs(1), false)
            .unwrap();
        assert!(matches!(claim, crate::Claim::Granted { .. }));
        assert!(store.integrity_check().unwrap().is_empty());
        assert!(
            !has_v1_task_tables(&store.conn),
            "version 5 drops the version 1 task and action tables and their indexes: {:?}",
            schema_objects(&store.conn)
        );
        drop(store);
        // Opening again is a no-op.
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    /// Version 5 moves each definition into `definitions`: the migrated file
    /// gives it back, a state change keeps it, and listings do not read it.
    #[test]
    fn a_version_4_definition_moves_to_its_own_table() {
        let path = temp_db("migrate-v4");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate_to(&mut conn, 4).unwrap();
            conn.execute(
                "INSERT INTO executions (id, workflow_name, definition, input, env, params, \
                 state, created_at, updated_at) \
                 VALUES ('e1', 'wf', 'the program', '{}', '{}', '{}', 'RUNNING', 5, 6)",
                [],
            )
            .unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let e = store.get_execution("e1").unwrap().unwrap();
        assert_eq!(e.definition.as_deref(), Some("the program"));
        store
            .transaction(|tx| tx.set_execution_state("e1", crate::State::Success, None, None, 7))
            .unwrap();
        let e = store.get_execution("e1").unwrap().unwrap();
        assert_eq!(
            (e.state, e.definition.as_deref()),
            (crate::State::Success, Some("the program"))
        );
        // An upsert without a definition keeps the stored one.
        store
            .upsert_execution(&crate::ExecutionRecord {
                definition: None,
                ..e.clone()
            })
            .unwrap();
        let listed = store.list_executions(&Default::default()).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].definition, None, "listings leave the program out");
        assert_eq!(
            store
                .get_execution("e1")
                .unwrap()
                .unwrap()
                .definition
                .as_deref(),
            Some("the program")
        );
        let in_old_column: Option<String> = store
            .conn
            .query_row(
                "SELECT definition FROM executions WHERE id = 'e1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(in_old_column, None);
        assert!(store.integrity_check().unwrap().is_empty());
        assert!(
            !has_v1_task_tables(&store.conn),
            "{:?}",
            schema_objects(&store.conn)
        );
        drop(store);
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn a_database_from_a_newer_gale_is_refused_untouched() {
        let path = temp_db("too-new");
        drop(Store::open(&path).unwrap());
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, crate::StoreError::SchemaTooNew { found, supported }
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn migrations_are_ordered_and_each_applies_cleanly() {
        let mut conn = Connection::open_in_memory().unwrap();
        for v in 1..=SCHEMA_VERSION {
            migrate_to(&mut conn, v).unwrap();
            assert_eq!(user_version(&conn).unwrap(), v);
            // Versions 1 to 4 have the task and action tables, 5 drops them.
            assert_eq!(has_v1_task_tables(&conn), v < 5, "version {v}");
        }
        assert_eq!(
            schema_objects(&conn),
            [
                "commands",
                "commands_by_execution",
                "definitions",
                "entity_images",
                "entity_images_resident",
                "entity_images_stubs",
                "events",
                "executions",
                "executions_by_created",
                "executions_by_parent",
                "executions_by_state",
                "executions_by_workflow",
                "leases",
                "snapshots",
            ]
        );
    }
}
