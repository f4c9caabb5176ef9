//! SQL text, parameter binding and row decoding shared by [`crate::Store`] and
//! [`crate::Transaction`].
//!
//! Every statement is a constant so `prepare_cached` finds it again; every write and
//! read function takes a plain `&Connection`, which a `rusqlite::Transaction`
//! derefs to. JSON columns are written as JSON text (JSON `null` is the text
//! `null`, distinct from SQL `NULL` = absent).

use rusqlite::types::{ToSql, ToSqlOutput};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::Value;

use crate::error::Result;
use crate::records::{
    Command, CommandRecord, EventRecord, ExecutionRecord, ImageRecord, Lease, Millis, Residency,
    State, StubRecord,
};

/// Binds a JSON value as JSON text.
struct Json<'a>(&'a Value);

impl ToSql for Json<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        serde_json::to_string(self.0)
            .map(ToSqlOutput::from)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    }
}

fn json(v: &Value) -> Json<'_> {
    Json(v)
}

fn opt_json(v: &Option<Value>) -> Option<Json<'_>> {
    v.as_ref().map(Json)
}

fn decode_err(idx: usize, e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
}

fn get_json(row: &Row<'_>, idx: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| decode_err(idx, e))
}

fn get_opt_json(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<Value>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| decode_err(idx, e)))
        .transpose()
}

// ---------------------------------------------------------------- executions

/// The columns of an execution record, in [`execution_from_row`]'s order, with
/// `$definition` the expression that reads the definition (the `definitions`
/// table since schema v5: a state change of `executions` then rewrites a short
/// row, not the whole program).
macro_rules! execution_columns {
    ($definition:literal) => {
        concat!(
            "id, workflow_name, definition_hash, ",
            $definition,
            ", description, input, env, params, \
             state, state_info, output, parent_execution_id, parent_task_execution_id, \
             root_execution_id, source_execution_id, created_at, updated_at"
        )
    };
}

/// `INSERT` of every column of `executions` (the unused `definition` column stays
/// NULL), without a conflict clause.
macro_rules! insert_execution {
    () => {
        concat!(
            "INSERT INTO executions (",
            execution_columns!("definition"),
            ") VALUES (?1, ?2, ?3, NULL, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
        )
    };
}

const UPSERT_EXECUTION: &str = concat!(
    insert_execution!(),
    " ON CONFLICT(id) DO UPDATE SET \
     workflow_name = excluded.workflow_name, definition_hash = excluded.definition_hash, \
     description = excluded.description, \
     input = excluded.input, env = excluded.env, params = excluded.params, \
     state = excluded.state, state_info = excluded.state_info, output = excluded.output, \
     updated_at = excluded.updated_at"
);

const INSERT_EXECUTION_IF_ABSENT: &str =
    concat!(insert_execution!(), " ON CONFLICT(id) DO NOTHING");

/// `SELECT` of the columns of `executions` for listings (append a `WHERE`/`ORDER
/// BY`): without the definition, which only [`get_execution`] reads.
pub(crate) const SELECT_EXECUTIONS: &str =
    concat!("SELECT ", execution_columns!("NULL"), " FROM executions");

/// Writes the definition of `e`, when it has one, into `definitions`.
fn write_definition(conn: &Connection, e: &ExecutionRecord) -> Result<()> {
    if let Some(definition) = &e.definition {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO definitions (execution_id, definition) VALUES (?1, ?2) \
             ON CONFLICT(execution_id) DO UPDATE SET definition = excluded.definition",
        )?;
        stmt.execute(params![e.id, definition])?;
    }
    Ok(())
}

fn run_execution_insert(conn: &Connection, sql: &str, e: &ExecutionRecord) -> Result<usize> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.execute(params![
        e.id,
        e.workflow_name,
        e.definition_hash,
        e.description,
        json(&e.input),
        json(&e.env),
        json(&e.params),
        e.state,
        e.state_info,
        opt_json(&e.output),
        e.parent_execution_id,
        e.parent_task_execution_id,
        e.root_execution_id,
        e.source_execution_id,
        e.created_at,
        e.updated_at,
    ])?)
}

/// Inserts an execution, or updates an existing one; the identity columns
/// (parent, root and source links, `created_at`) keep their first values, and a
/// record without a definition keeps the stored one.
pub(crate) fn upsert_execution(conn: &Connection, e: &ExecutionRecord) -> Result<()> {
    run_execution_insert(conn, UPSERT_EXECUTION, e)?;
    write_definition(conn, e)
}

/// Inserts an execution unless one with that id exists; true when inserted.
pub(crate) fn insert_execution_if_absent(conn: &Connection, e: &ExecutionRecord) -> Result<bool> {
    let inserted = run_execution_insert(conn, INSERT_EXECUTION_IF_ABSENT, e)? == 1;
    if inserted {
        write_definition(conn, e)?;
    }
    Ok(inserted)
}

/// Updates only the state part of an execution; true when the execution exists.
pub(crate) fn update_execution_state(
    conn: &Connection,
    id: &str,
    state: State,
    state_info: Option<&str>,
    output: Option<&Value>,
    updated_at: Millis,
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE executions SET state = ?2, state_info = ?3, output = ?4, updated_at = ?5 \
         WHERE id = ?1",
    )?;
    let output = output.map(Json);
    Ok(stmt.execute(params![id, state, state_info, output, updated_at])? == 1)
}

pub(crate) fn execution_from_row(row: &Row<'_>) -> rusqlite::Result<ExecutionRecord> {
    Ok(ExecutionRecord {
        id: row.get(0)?,
        workflow_name: row.get(1)?,
        definition_hash: row.get(2)?,
        definition: row.get(3)?,
        description: row.get(4)?,
        input: get_json(row, 5)?,
        env: get_json(row, 6)?,
        params: get_json(row, 7)?,
        state: row.get(8)?,
        state_info: row.get(9)?,
        output: get_opt_json(row, 10)?,
        parent_execution_id: row.get(11)?,
        parent_task_execution_id: row.get(12)?,
        root_execution_id: row.get(13)?,
        source_execution_id: row.get(14)?,
        created_at: row.get(15)?,
        updated_at: row.get(16)?,
    })
}

pub(crate) fn get_execution(conn: &Connection, id: &str) -> Result<Option<ExecutionRecord>> {
    let mut stmt = conn.prepare_cached(concat!(
        "SELECT ",
        execution_columns!(
            "(SELECT definition FROM definitions WHERE execution_id = executions.id)"
        ),
        " FROM executions WHERE id = ?1"
    ))?;
    Ok(stmt.query_row([id], execution_from_row).optional()?)
}

// ---------------------------------------------------------------- events

/// The `seq` of the execution's last event, 0 when it has none.
pub(crate) fn last_event_seq(conn: &Connection, execution_id: &str) -> Result<i64> {
    let mut stmt = conn.prepare_cached("SELECT max(seq) FROM events WHERE execution_id = ?1")?;
    Ok(stmt
        .query_row([execution_id], |row| row.get::<_, Option<i64>>(0))?
        .unwrap_or(0))
}

/// Inserts one event with the given `seq`.
pub(crate) fn insert_event(
    conn: &Connection,
    execution_id: &str,
    seq: i64,
    at: Millis,
    kind: &str,
    payload: &Value,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO events (execution_id, seq, at, kind, payload) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    stmt.execute(params![execution_id, seq, at, kind, json(payload)])?;
    Ok(())
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<EventRecord> {
    Ok(EventRecord {
        execution_id: row.get(0)?,
        seq: row.get(1)?,
        at: row.get(2)?,
        kind: row.get(3)?,
        payload: get_json(row, 4)?,
    })
}

pub(crate) fn events(
    conn: &Connection,
    execution_id: &str,
    after_seq: i64,
    limit: Option<u32>,
) -> Result<Vec<EventRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT execution_id, seq, at, kind, payload FROM events \
         WHERE execution_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let limit = limit.map_or(-1, i64::from);
    let rows = stmt.query_map(params![execution_id, after_seq, limit], event_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

// ---------------------------------------------------------------- snapshots

pub(crate) fn save_snapshot(
    conn: &Connection,
    execution_id: &str,
    data: &[u8],
    at: Millis,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO snapshots (execution_id, data, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(execution_id) DO UPDATE SET data = excluded.data, \
         updated_at = excluded.updated_at",
    )?;
    stmt.execute(params![execution_id, data, at])?;
    Ok(())
}

pub(crate) fn load_snapshot(conn: &Connection, execution_id: &str) -> Result<Option<Vec<u8>>> {
    let mut stmt = conn.prepare_cached("SELECT data FROM snapshots WHERE execution_id = ?1")?;
    Ok(stmt
        .query_row([execution_id], |row| row.get(0))
        .optional()?)
}

// ---------------------------------------------------------------- entity images

pub(crate) fn upsert_image(conn: &Connection, root: &str, r: &ImageRecord) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO entity_images (root_execution_id, x, t, a, resident, stub, created_at, \
         finished_at, image) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
         ON CONFLICT (root_execution_id, x, t, a) DO UPDATE SET \
         resident = excluded.resident, stub = excluded.stub, image = excluded.image, \
         finished_at = CASE WHEN excluded.finished_at IS NULL THEN NULL \
         ELSE coalesce(entity_images.finished_at, excluded.finished_at) END",
    )?;
    stmt.execute(params![
        root,
        r.x,
        r.t,
        r.a,
        r.residency.code(),
        r.stub,
        r.created_at,
        r.finished_at,
        r.image
    ])?;
    Ok(())
}

/// Marks a stub as omitted (no longer read by resume); other residencies stay.
pub(crate) fn omit_image(conn: &Connection, root: &str, x: i64, t: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE entity_images SET resident = 2 WHERE root_execution_id = ?1 AND x = ?2 \
         AND t = ?3 AND a = -1 AND resident = 0",
    )?;
    stmt.execute(params![root, x, t])?;
    Ok(())
}

/// The columns of an image record, in [`image_from_row`]'s order.
macro_rules! image_columns {
    () => {
        "x, t, a, resident, stub, created_at, finished_at, image"
    };
}

const IMAGE_COLUMNS: &str = image_columns!();

fn image_from_row(row: &Row<'_>) -> rusqlite::Result<ImageRecord> {
    Ok(ImageRecord {
        x: row.get(0)?,
        t: row.get(1)?,
        a: row.get(2)?,
        residency: Residency::from_code(row.get(3)?),
        stub: row.get(4)?,
        created_at: row.get(5)?,
        finished_at: row.get(6)?,
        image: row.get(7)?,
    })
}

fn query_images(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<ImageRecord>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, image_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The resident images of a root execution, through the partial index on
/// `resident = 1` (`INDEXED BY`: SQLite fails the statement rather than scan).
const RESIDENT_IMAGES: &str = concat!(
    "SELECT ",
    image_columns!(),
    " FROM entity_images INDEXED BY entity_images_resident \
     WHERE root_execution_id = ?1 AND resident = 1 ORDER BY x, t, a"
);

/// The stubs of a root execution's non-resident task images, from the covering
/// partial index alone (no image is read).
const IMAGE_STUBS: &str = "SELECT x, t, stub FROM entity_images INDEXED BY entity_images_stubs \
     WHERE root_execution_id = ?1 AND resident = 0 AND a = -1 ORDER BY x, t";

pub(crate) fn resident_images(conn: &Connection, root: &str) -> Result<Vec<ImageRecord>> {
    query_images(conn, RESIDENT_IMAGES, [root])
}

pub(crate) fn all_images(conn: &Connection, root: &str) -> Result<Vec<ImageRecord>> {
    query_images(
        conn,
        &format!(
            "SELECT {IMAGE_COLUMNS} FROM entity_images WHERE root_execution_id = ?1 \
             ORDER BY x, t, a"
        ),
        [root],
    )
}

pub(crate) fn task_images(
    conn: &Connection,
    root: &str,
    x: i64,
    t: i64,
) -> Result<Vec<ImageRecord>> {
    query_images(
        conn,
        &format!(
            "SELECT {IMAGE_COLUMNS} FROM entity_images WHERE root_execution_id = ?1 \
             AND x = ?2 AND t = ?3 ORDER BY a"
        ),
        params![root, x, t],
    )
}

pub(crate) fn image_stubs(conn: &Connection, root: &str) -> Result<Vec<StubRecord>> {
    let mut stmt = conn.prepare_cached(IMAGE_STUBS)?;
    let rows = stmt.query_map([root], |row| {
        Ok(StubRecord {
            x: row.get(0)?,
            t: row.get(1)?,
            stub: row.get::<_, Option<String>>(2)?.unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

pub(crate) fn root_execution_id(conn: &Connection, id: &str) -> Result<Option<String>> {
    let mut stmt = conn
        .prepare_cached("SELECT coalesce(root_execution_id, id) FROM executions WHERE id = ?1")?;
    Ok(stmt.query_row([id], |row| row.get(0)).optional()?)
}

pub(crate) fn has_images(conn: &Connection, root: &str) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("SELECT 1 FROM entity_images WHERE root_execution_id = ?1 LIMIT 1")?;
    Ok(stmt.exists([root])?)
}

// ---------------------------------------------------------------- commands

pub(crate) fn post_command(
    conn: &Connection,
    execution_id: &str,
    command: &Command,
    at: Millis,
) -> Result<i64> {
    let payload = serde_json::to_string(command)?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO commands (execution_id, command, payload, created_at) \
         VALUES (?1, ?2, ?3, ?4) RETURNING id",
    )?;
    Ok(
        stmt.query_row(params![execution_id, command.kind(), payload, at], |row| {
            row.get(0)
        })?,
    )
}

fn command_from_row(row: &Row<'_>) -> rusqlite::Result<CommandRecord> {
    let payload: String = row.get(2)?;
    let command: Command = serde_json::from_str(&payload).map_err(|e| decode_err(2, e))?;
    Ok(CommandRecord {
        id: row.get(0)?,
        execution_id: row.get(1)?,
        command,
        created_at: row.get(3)?,
    })
}

pub(crate) fn pending_commands(
    conn: &Connection,
    execution_id: &str,
) -> Result<Vec<CommandRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, execution_id, payload, created_at FROM commands \
         WHERE execution_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([execution_id], command_from_row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Deletes the execution's commands up to id `last` (inclusive); returns how many.
pub(crate) fn delete_commands_through(
    conn: &Connection,
    execution_id: &str,
    last: i64,
) -> Result<usize> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM commands WHERE execution_id = ?1 AND id <= ?2")?;
    Ok(stmt.execute(params![execution_id, last])?)
}

/// Reads and deletes the pending commands; call inside a transaction.
pub(crate) fn take_commands(conn: &Connection, execution_id: &str) -> Result<Vec<CommandRecord>> {
    let commands = pending_commands(conn, execution_id)?;
    if let Some(last) = commands.last() {
        let mut stmt =
            conn.prepare_cached("DELETE FROM commands WHERE execution_id = ?1 AND id <= ?2")?;
        stmt.execute(params![execution_id, last.id])?;
    }
    Ok(commands)
}

// ---------------------------------------------------------------- leases

/// The current lease on an execution, if any (expired or not).
pub(crate) fn lease(conn: &Connection, execution_id: &str) -> Result<Option<Lease>> {
    let mut stmt =
        conn.prepare_cached("SELECT runner, expires_at FROM leases WHERE execution_id = ?1")?;
    Ok(stmt
        .query_row([execution_id], |row| {
            Ok(Lease {
                runner: row.get(0)?,
                expires_at: row.get(1)?,
            })
        })
        .optional()?)
}

/// Takes or extends the lease unless another runner holds an unexpired one;
/// returns the holder when refused.
pub(crate) fn claim(
    conn: &Connection,
    execution_id: &str,
    runner: &str,
    now: Millis,
    expires_at: Millis,
    force: bool,
) -> Result<Option<Lease>> {
    if !force
        && let Some(held) = lease(conn, execution_id)?
        && held.runner != runner
        && held.expires_at > now
    {
        return Ok(Some(held));
    }
    let mut stmt = conn.prepare_cached(
        "INSERT INTO leases (execution_id, runner, expires_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT(execution_id) DO UPDATE SET runner = excluded.runner, \
         expires_at = excluded.expires_at",
    )?;
    stmt.execute(params![execution_id, runner, expires_at])?;
    Ok(None)
}

/// Extends the lease if `runner` still holds it; false when it was lost.
pub(crate) fn renew(
    conn: &Connection,
    execution_id: &str,
    runner: &str,
    expires_at: Millis,
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "UPDATE leases SET expires_at = ?3 WHERE execution_id = ?1 AND runner = ?2",
    )?;
    Ok(stmt.execute(params![execution_id, runner, expires_at])? == 1)
}

/// Gives the lease up if `runner` holds it.
pub(crate) fn release(conn: &Connection, execution_id: &str, runner: &str) -> Result<bool> {
    let mut stmt =
        conn.prepare_cached("DELETE FROM leases WHERE execution_id = ?1 AND runner = ?2")?;
    Ok(stmt.execute(params![execution_id, runner])? == 1)
}

#[cfg(test)]
mod tests {
    use crate::Store;

    /// The resume queries must use the partial indexes, or resume would read the
    /// whole history: resident images through `entity_images_resident`, stubs
    /// from `entity_images_stubs` alone, without touching the table's images.
    #[test]
    fn resume_queries_use_the_partial_indexes() {
        let store = Store::in_memory().unwrap();
        let conn = &store.conn;
        let plan = |sql: &str| -> String {
            let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let rows = stmt
                .query_map(["root"], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            rows.join("\n")
        };
        let resident = plan(super::RESIDENT_IMAGES);
        assert!(resident.contains("entity_images_resident"), "{resident}");
        let stubs = plan(super::IMAGE_STUBS);
        assert!(
            stubs.contains("COVERING INDEX entity_images_stubs"),
            "{stubs}"
        );
    }
}
