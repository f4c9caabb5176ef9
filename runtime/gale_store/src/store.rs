//! [`Store`]: one SQLite connection, its settings, and every query.
//!
//! Opening sets the connection up (WAL, `synchronous`, `foreign_keys`,
//! `busy_timeout`) and runs pending migrations. Reads take `&self`; writes take
//! `&mut self` and always run in a `BEGIN IMMEDIATE` transaction, which takes the
//! write lock up front so that two processes never deadlock on a read-to-write
//! upgrade (the second one waits up to the busy timeout instead).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::records::{
    Command, CommandRecord, EventRecord, ExecutionRecord, ImageRecord, Lease, State, StubRecord,
    now_millis,
};
use crate::schema;
use crate::sql;
use crate::transaction::{Batch, Creation, Transaction};

/// How hard a commit works to survive a power cut (`PRAGMA synchronous`).
///
/// Both survive a crash of the process (`kill -9`, panic, OOM kill): a commit has
/// reached the operating system when it returns. They differ only when the machine
/// itself stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL` under WAL (the default): the WAL is synced at each
    /// checkpoint, not at each commit. A power cut or kernel crash can lose the
    /// last commits, but never corrupts the database and never exposes part of a
    /// transaction. This is what makes thousands of commits per second possible.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit is fsynced before it returns; nothing
    /// committed is lost even on power loss. Each commit costs one fsync.
    Full,
}

/// Settings for [`Store::open_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreOptions {
    /// See [`Durability`].
    pub durability: Durability,
    /// How long a write waits for another process's write lock before failing
    /// with a busy error ([`StoreError::is_busy`]).
    pub busy_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            durability: Durability::Normal,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Filters for [`Store::list_executions`]; the default lists everything, newest
/// first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    /// Only executions in this state.
    pub state: Option<State>,
    /// Only executions of this workflow.
    pub workflow_name: Option<String>,
    /// Only top-level executions (no sub-workflows).
    pub top_level_only: bool,
    /// At most this many.
    pub limit: Option<u32>,
}

/// An execution with its nested sub-workflow executions
/// ([`Store::execution_tree`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionTree {
    /// The execution.
    pub execution: ExecutionRecord,
    /// Its sub-workflow executions, oldest first.
    pub children: Vec<ExecutionTree>,
}

/// The outcome of [`Store::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller now runs the execution, until `expires_at` unless renewed.
    Granted {
        /// When the lease lapses.
        expires_at: crate::Millis,
    },
    /// Another runner holds an unexpired lease.
    HeldBy(Lease),
}

/// The durable execution store: a SQLite database file (or memory).
///
/// `Store` is `Send` but not `Sync`: give each thread its own `Store` on the same
/// path (SQLite coordinates them, in one process or several).
pub struct Store {
    pub(crate) conn: Connection,
    path: Option<PathBuf>,
    /// Last event `seq` per execution, as committed through this store.
    event_seqs: HashMap<String, i64>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// The default database path: `$XDG_DATA_HOME/gale/gale.db` when `XDG_DATA_HOME`
/// is an absolute path, else `$HOME/.local/share/gale/gale.db`; `None` when
/// neither variable is usable.
pub fn default_path() -> Option<PathBuf> {
    default_path_from(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

fn default_path_from(xdg_data_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let base = match xdg_data_home {
        Some(dir) if dir.is_absolute() => dir,
        _ => home
            .filter(|h| !h.as_os_str().is_empty())?
            .join(".local")
            .join("share"),
    };
    Some(base.join("gale").join("gale.db"))
}

const STATEMENT_CACHE: usize = 64;

/// Runs `f` again while SQLite answers "busy" and `deadline` is not reached.
///
/// SQLite's busy handler does not cover every lock at open time: two processes
/// switching a new file to WAL, or one opening while another recovers the WAL,
/// get `SQLITE_BUSY` at once. Found by `concurrent_opens_of_a_new_file_migrate_it_once`.
fn retry_busy<T>(deadline: Instant, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut pause = Duration::from_millis(1);
    loop {
        match f() {
            Err(e) if e.is_busy() && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

impl Store {
    /// Opens (creating it and its directories if needed) the database at `path`
    /// with the default [`StoreOptions`], and migrates it to the current schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Self::open_with(path, StoreOptions::default())
    }

    /// [`open`](Self::open) with explicit options.
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        let path = path.as_ref();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(options.busy_timeout)?;
        let deadline = Instant::now() + options.busy_timeout;
        let mode: String = retry_busy(deadline, || {
            Ok(conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?)
        })?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal(mode));
        }
        Self::finish_open(conn, Some(path.to_path_buf()), options)
    }

    /// A private store in memory (`gale run --no-store`): same schema and API,
    /// nothing survives the process.
    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        Self::finish_open(conn, None, StoreOptions::default())
    }

    fn finish_open(
        mut conn: Connection,
        path: Option<PathBuf>,
        options: StoreOptions,
    ) -> Result<Store> {
        let synchronous = match options.durability {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", synchronous)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let deadline = Instant::now() + options.busy_timeout;
        retry_busy(deadline, || {
            schema::migrate_to(&mut conn, schema::SCHEMA_VERSION)
        })?;
        Ok(Store {
            conn,
            path,
            event_seqs: HashMap::new(),
        })
    }

    /// The database file, `None` for [`in_memory`](Self::in_memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The schema version of the open database (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<i64> {
        schema::user_version(&self.conn)
    }

    // ------------------------------------------------------------ writes

    /// Runs `f` in one immediate transaction and commits it if `f` returns `Ok`;
    /// on `Err` (or a panic) nothing of it is written.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The cache moves into the transaction and comes back only with a
        // successful commit: after a failure (or a panic) it starts empty and is
        // rebuilt from the database.
        let mut event_seqs = std::mem::take(&mut self.event_seqs);
        if event_seqs.len() > 4096 {
            event_seqs.clear();
        }
        let mut tx = Transaction { tx, event_seqs };
        let value = f(&mut tx)?;
        let Transaction { tx, event_seqs } = tx;
        tx.commit()?;
        self.event_seqs = event_seqs;
        Ok(value)
    }

    /// Commits every write of `batch` in one transaction (nothing if it is empty).
    pub fn commit(&mut self, batch: &Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.transaction(|tx| batch.apply(tx))
    }

    /// Idempotent creation by id: inserts `execution` unless one with its id
    /// exists, in which case that one is returned unchanged.
    pub fn create_execution_if_absent(&mut self, execution: &ExecutionRecord) -> Result<Creation> {
        self.transaction(|tx| tx.create_execution_if_absent(execution))
    }

    /// Inserts or updates one execution in its own transaction (see
    /// [`Transaction::upsert_execution`]).
    pub fn upsert_execution(&mut self, execution: &ExecutionRecord) -> Result<()> {
        self.transaction(|tx| tx.upsert_execution(execution))
    }

    /// Posts a control command for an execution run by another process; returns
    /// the command id. Fails (foreign key) if the execution does not exist.
    pub fn post_command(&mut self, execution_id: &str, command: &Command) -> Result<i64> {
        self.transaction(|tx| tx.post_command(execution_id, command))
    }

    /// The resident entity images of root execution `root_execution_id` (what
    /// resume reads in full: open entities and those the engine marked), ordered
    /// by `(x, t, a)`. Reads only those rows, through a partial index.
    pub fn resident_images(&self, root_execution_id: &str) -> Result<Vec<ImageRecord>> {
        sql::resident_images(&self.conn, root_execution_id)
    }

    /// The stubs of the non-resident task executions of `root_execution_id`,
    /// ordered by `(x, t)`, read from a covering index (no image is read).
    pub fn image_stubs(&self, root_execution_id: &str) -> Result<Vec<StubRecord>> {
        sql::image_stubs(&self.conn, root_execution_id)
    }

    /// The images of task execution `t` of workflow execution `x` (the task's own
    /// first, `a == -1`, then its action images), to fault in one stub.
    pub fn task_images(&self, root_execution_id: &str, x: i64, t: i64) -> Result<Vec<ImageRecord>> {
        sql::task_images(&self.conn, root_execution_id, x, t)
    }

    /// The root execution id of execution `id` (itself for a top-level one), or
    /// `None` when there is no such execution. Reads two columns, not the record.
    pub fn root_execution_id(&self, id: &str) -> Result<Option<String>> {
        sql::root_execution_id(&self.conn, id)
    }

    /// Every entity image of `root_execution_id` (inspection: `executions show`).
    pub fn all_images(&self, root_execution_id: &str) -> Result<Vec<ImageRecord>> {
        sql::all_images(&self.conn, root_execution_id)
    }

    /// Whether `root_execution_id` has entity images (false for an execution
    /// written by a Gale before schema version 4, whose images are events).
    pub fn has_images(&self, root_execution_id: &str) -> Result<bool> {
        sql::has_images(&self.conn, root_execution_id)
    }

    /// Reads and deletes the pending commands of an execution, oldest first.
    pub fn take_commands(&mut self, execution_id: &str) -> Result<Vec<CommandRecord>> {
        self.transaction(|tx| tx.take_commands(execution_id))
    }

    /// Deletes an execution with everything it owns (definition, entity images,
    /// events, snapshot, commands, lease, sub-workflow executions); true when it
    /// existed.
    pub fn delete_execution(&mut self, id: &str) -> Result<bool> {
        self.transaction(|tx| {
            Ok(tx
                .tx
                .execute("DELETE FROM executions WHERE id = ?1", [id])?
                == 1)
        })
    }

    // ------------------------------------------------------------ reads

    /// One execution.
    pub fn get_execution(&self, id: &str) -> Result<Option<ExecutionRecord>> {
        sql::get_execution(&self.conn, id)
    }

    /// Executions matching `filter`, newest first.
    pub fn list_executions(&self, filter: &ExecutionFilter) -> Result<Vec<ExecutionRecord>> {
        let mut sql = String::from(sql::SELECT_EXECUTIONS);
        let mut conditions = Vec::new();
        let mut values: Vec<Box<dyn rusqlite::ToSql>> = Vec::new();
        if let Some(state) = filter.state {
            values.push(Box::new(state));
            conditions.push(format!("state = ?{}", values.len()));
        }
        if let Some(name) = &filter.workflow_name {
            values.push(Box::new(name.clone()));
            conditions.push(format!("workflow_name = ?{}", values.len()));
        }
        if filter.top_level_only {
            conditions.push("parent_execution_id IS NULL".to_owned());
        }
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(" ORDER BY created_at DESC, rowid DESC");
        if let Some(limit) = filter.limit {
            values.push(Box::new(limit));
            sql.push_str(&format!(" LIMIT ?{}", values.len()));
        }
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            rusqlite::params_from_iter(values.iter().map(|v| v.as_ref())),
            sql::execution_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The direct sub-workflow executions of an execution, oldest first.
    pub fn sub_executions(&self, parent_execution_id: &str) -> Result<Vec<ExecutionRecord>> {
        let sql = format!(
            "{} WHERE parent_execution_id = ?1 ORDER BY created_at, rowid",
            sql::SELECT_EXECUTIONS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([parent_execution_id], sql::execution_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The sub-workflow executions started by one task execution, oldest first.
    pub fn sub_executions_of_task(
        &self,
        parent_task_execution_id: &str,
    ) -> Result<Vec<ExecutionRecord>> {
        let sql = format!(
            "{} WHERE parent_task_execution_id = ?1 ORDER BY created_at, rowid",
            sql::SELECT_EXECUTIONS
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([parent_task_execution_id], sql::execution_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The execution and all its nested sub-workflow executions, read with one
    /// recursive query (`gale executions tree ID`).
    pub fn execution_tree(&self, id: &str) -> Result<Option<ExecutionTree>> {
        let columns = sql::SELECT_EXECUTIONS
            .trim_start_matches("SELECT ")
            .trim_end_matches(" FROM executions");
        let sql = format!(
            "WITH RECURSIVE tree(tid) AS (SELECT id FROM executions WHERE id = ?1 \
             UNION SELECT e.id FROM executions e JOIN tree ON e.parent_execution_id = tree.tid) \
             SELECT {columns} FROM executions WHERE id IN (SELECT tid FROM tree) \
             ORDER BY created_at, rowid"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([id], sql::execution_from_row)?;
        let all = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut root = None;
        let mut by_parent: HashMap<String, Vec<ExecutionRecord>> = HashMap::new();
        for e in all {
            if e.id == id {
                root = Some(e);
            } else if let Some(parent) = e.parent_execution_id.clone() {
                by_parent.entry(parent).or_default().push(e);
            }
        }
        fn build(
            e: ExecutionRecord,
            by_parent: &mut HashMap<String, Vec<ExecutionRecord>>,
        ) -> ExecutionTree {
            let kids = by_parent.remove(&e.id).unwrap_or_default();
            let children = kids.into_iter().map(|k| build(k, by_parent)).collect();
            ExecutionTree {
                execution: e,
                children,
            }
        }
        Ok(root.map(|r| build(r, &mut by_parent)))
    }

    /// Events of the execution with `seq > after_seq`, in order, at most `limit`.
    pub fn events(
        &self,
        execution_id: &str,
        after_seq: i64,
        limit: Option<u32>,
    ) -> Result<Vec<EventRecord>> {
        sql::events(&self.conn, execution_id, after_seq, limit)
    }

    /// The execution's last saved snapshot.
    pub fn load_snapshot(&self, execution_id: &str) -> Result<Option<Vec<u8>>> {
        sql::load_snapshot(&self.conn, execution_id)
    }

    /// Commands posted for the execution and not taken yet, oldest first.
    pub fn pending_commands(&self, execution_id: &str) -> Result<Vec<CommandRecord>> {
        sql::pending_commands(&self.conn, execution_id)
    }

    /// SQLite's `PRAGMA data_version`: changes whenever another connection
    /// commits. A running execution can poll this (a few nanoseconds, no I/O
    /// beyond the shared-memory index) and only look for commands when it
    /// changed.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))?)
    }

    /// `PRAGMA integrity_check` plus `PRAGMA foreign_key_check`: the problems
    /// found, empty when the database is sound.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for line in stmt.query_map([], |row| row.get::<_, String>(0))? {
            let line = line?;
            if line != "ok" {
                problems.push(line);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt.query_map([], |row| {
            Ok(format!(
                "foreign key violation in {} row {:?} -> {}",
                row.get::<_, String>(0)?,
                row.get::<_, Option<i64>>(1)?,
                row.get::<_, String>(2)?
            ))
        })?;
        for row in rows {
            problems.push(row?);
        }
        Ok(problems)
    }

    /// Claims the right to run an execution for `lease` (`gale run`, `gale
    /// resume`): granted when nobody holds it, when `runner` already does, or
    /// when the holder's lease expired (its process died); with `force`, always.
    /// Returns the current holder when refused. The runner keeps it with
    /// [`Transaction::renew_claim`] and gives it up with
    /// [`release_claim`](Self::release_claim).
    pub fn claim(
        &mut self,
        execution_id: &str,
        runner: &str,
        lease: Duration,
        force: bool,
    ) -> Result<Claim> {
        let now = now_millis();
        let expires_at = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let held = self
            .transaction(|tx| sql::claim(&tx.tx, execution_id, runner, now, expires_at, force))?;
        Ok(match held {
            None => Claim::Granted { expires_at },
            Some(lease) => Claim::HeldBy(lease),
        })
    }

    /// Gives up `runner`'s lease on the execution; false when it did not hold it.
    pub fn release_claim(&mut self, execution_id: &str, runner: &str) -> Result<bool> {
        self.transaction(|tx| sql::release(&tx.tx, execution_id, runner))
    }

    /// The lease on the execution, if any, expired or not (compare
    /// `expires_at` with [`now_millis`]): a CLI posts commands when a live
    /// runner holds it and acts on the store itself otherwise.
    pub fn lease(&self, execution_id: &str) -> Result<Option<Lease>> {
        sql::lease(&self.conn, execution_id)
    }

    /// Sets only an execution's state part, in its own transaction; false when
    /// there is no such execution.
    pub fn set_execution_state(
        &mut self,
        id: &str,
        state: State,
        state_info: Option<&str>,
        output: Option<&Value>,
    ) -> Result<bool> {
        self.transaction(|tx| tx.set_execution_state(id, state, state_info, output, now_millis()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_path_prefers_absolute_xdg_data_home() {
        assert_eq!(
            default_path_from(Some("/x/data".into()), Some("/home/u".into())),
            Some(PathBuf::from("/x/data/gale/gale.db"))
        );
        // A relative XDG_DATA_HOME is invalid per the spec and ignored.
        assert_eq!(
            default_path_from(Some("rel".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.local/share/gale/gale.db"))
        );
        assert_eq!(default_path_from(None, None), None);
        assert_eq!(default_path_from(None, Some("".into())), None);
    }
}
