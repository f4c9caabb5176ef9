//! Atomic groups of writes: the [`Transaction`] handed to
//! [`Store::transaction`](crate::Store::transaction) and the owned [`Batch`] the
//! engine's journal fills and commits in one go.
//!
//! A group is all-or-nothing: after a crash either every write of a committed group
//! is visible or none is. Statements are prepared once per connection and cached.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::Result;
use crate::records::{
    Command, CommandRecord, ExecutionRecord, ImageRecord, Millis, State, now_millis,
};
use crate::sql;

/// The outcome of an idempotent creation
/// ([`Store::create_execution_if_absent`](crate::Store::create_execution_if_absent)).
#[derive(Debug, Clone, PartialEq)]
pub enum Creation {
    /// The execution was new and has been inserted.
    Created,
    /// An execution with that id already existed; it is returned unchanged and
    /// nothing was written (Mistral's `POST /v2/executions` with an existing `id`).
    Existing(Box<ExecutionRecord>),
}

impl Creation {
    /// True when an execution with that id already existed.
    pub fn existed(&self) -> bool {
        matches!(self, Creation::Existing(_))
    }
}

/// Writes inside one SQLite transaction (`BEGIN IMMEDIATE`), committed when the
/// closure given to [`Store::transaction`](crate::Store::transaction) returns `Ok`.
pub struct Transaction<'s> {
    pub(crate) tx: rusqlite::Transaction<'s>,
    /// The store's cache of each execution's last event `seq`, including this
    /// transaction's appends; handed back to the store only on commit.
    pub(crate) event_seqs: HashMap<String, i64>,
}

impl Transaction<'_> {
    /// Inserts an execution or updates it (all columns but the identity ones:
    /// parent/root/source links and `created_at`) and, when the record has one,
    /// its definition: for frequent state changes prefer
    /// [`set_execution_state`](Self::set_execution_state).
    pub fn upsert_execution(&self, execution: &ExecutionRecord) -> Result<()> {
        sql::upsert_execution(&self.tx, execution)
    }

    /// Inserts the execution unless one with the same id exists, in which case the
    /// existing record is returned and nothing is written.
    pub fn create_execution_if_absent(&self, execution: &ExecutionRecord) -> Result<Creation> {
        if sql::insert_execution_if_absent(&self.tx, execution)? {
            return Ok(Creation::Created);
        }
        match sql::get_execution(&self.tx, &execution.id)? {
            Some(existing) => Ok(Creation::Existing(Box::new(existing))),
            // Unreachable under the write lock; report it rather than panic.
            None => Err(crate::StoreError::Corrupt(format!(
                "execution `{}` neither inserted nor found",
                execution.id
            ))),
        }
    }

    /// Sets an execution's state, state info and output and its `updated_at`;
    /// returns false when there is no execution with that id.
    pub fn set_execution_state(
        &self,
        id: &str,
        state: State,
        state_info: Option<&str>,
        output: Option<&Value>,
        updated_at: Millis,
    ) -> Result<bool> {
        sql::update_execution_state(&self.tx, id, state, state_info, output, updated_at)
    }

    /// Appends an event to the execution's log, stamped now; returns its `seq`.
    pub fn append_event(&mut self, execution_id: &str, kind: &str, payload: &Value) -> Result<i64> {
        self.append_event_at(execution_id, now_millis(), kind, payload)
    }

    /// Appends an event that happened at `at`; returns its `seq`.
    ///
    /// The next `seq` comes from a per-[`Store`](crate::Store) cache of each
    /// execution's last `seq` (read from the database the first time), because
    /// looking it up in SQL inside a write transaction costs several times the
    /// insert. Events of one execution are therefore appended through one
    /// `Store` at a time (the runner's); a concurrent writer is caught by the
    /// primary key as an error, never as a gap or a duplicate, and any failed
    /// transaction empties the cache.
    pub fn append_event_at(
        &mut self,
        execution_id: &str,
        at: Millis,
        kind: &str,
        payload: &Value,
    ) -> Result<i64> {
        let last = match self.event_seqs.get(execution_id) {
            Some(&seq) => seq,
            None => sql::last_event_seq(&self.tx, execution_id)?,
        };
        let seq = last + 1;
        sql::insert_event(&self.tx, execution_id, seq, at, kind, payload)?;
        match self.event_seqs.get_mut(execution_id) {
            Some(slot) => *slot = seq,
            None => {
                self.event_seqs.insert(execution_id.to_owned(), seq);
            }
        }
        Ok(seq)
    }

    /// Stores the engine's serialized state for the execution, replacing the
    /// previous snapshot.
    pub fn save_snapshot(&self, execution_id: &str, data: &[u8]) -> Result<()> {
        sql::save_snapshot(&self.tx, execution_id, data, now_millis())
    }

    /// Posts a command for the execution; returns the command id.
    pub fn post_command(&self, execution_id: &str, command: &Command) -> Result<i64> {
        sql::post_command(&self.tx, execution_id, command, now_millis())
    }

    /// Reads and deletes the execution's pending commands, oldest first. Taking
    /// them in the transaction that records their effect makes "command handled"
    /// and "state changed" one atomic step.
    pub fn take_commands(&self, execution_id: &str) -> Result<Vec<CommandRecord>> {
        sql::take_commands(&self.tx, execution_id)
    }

    /// Deletes the execution's commands up to id `last` (inclusive), in the
    /// transaction that commits their effect: a command read with
    /// [`Store::pending_commands`](crate::Store::pending_commands) and applied is
    /// consumed exactly when its effect is durable. Returns how many were deleted.
    pub fn delete_commands_through(&self, execution_id: &str, last: i64) -> Result<usize> {
        sql::delete_commands_through(&self.tx, execution_id, last)
    }

    /// Inserts or updates the latest image of an entity of root execution
    /// `root_execution_id` (`created_at` keeps its first value).
    pub fn upsert_image(&self, root_execution_id: &str, image: &ImageRecord) -> Result<()> {
        sql::upsert_image(&self.tx, root_execution_id, image)
    }

    /// Marks the stub of task image `(x, t)` as omitted: resume no longer reads it
    /// (a later execution of the same task superseded it). Resident images stay.
    pub fn omit_image(&self, root_execution_id: &str, x: i64, t: i64) -> Result<()> {
        sql::omit_image(&self.tx, root_execution_id, x, t)
    }

    /// Extends `runner`'s lease on the execution to `expires_at`; false when
    /// the runner no longer holds it (another process took it over after it
    /// expired): the caller must then stop running the execution. Cheap enough
    /// to ride along with every batch.
    pub fn renew_claim(
        &self,
        execution_id: &str,
        runner: &str,
        expires_at: Millis,
    ) -> Result<bool> {
        sql::renew(&self.tx, execution_id, runner, expires_at)
    }

    /// Reads an execution (sees this transaction's own writes).
    pub fn get_execution(&self, id: &str) -> Result<Option<ExecutionRecord>> {
        sql::get_execution(&self.tx, id)
    }
}

/// One write of a [`Batch`].
#[derive(Debug, Clone, PartialEq)]
pub enum BatchOp {
    /// [`Transaction::upsert_execution`] (boxed: the record is several times the
    /// size of the other writes, which are most of a batch).
    Execution(Box<ExecutionRecord>),
    /// [`Transaction::set_execution_state`].
    ExecutionState {
        /// The execution.
        id: String,
        /// The new state.
        state: State,
        /// Its message.
        state_info: Option<String>,
        /// The output, once completed.
        output: Option<Value>,
        /// When it changed.
        updated_at: Millis,
    },
    /// [`Transaction::append_event`], with the time the event happened.
    Event {
        /// The execution.
        execution_id: String,
        /// When it happened.
        at: Millis,
        /// The event kind.
        kind: String,
        /// Details.
        payload: Value,
    },
    /// [`Transaction::upsert_image`].
    Image {
        /// The root execution.
        root_execution_id: String,
        /// The image.
        image: ImageRecord,
    },
    /// [`Transaction::omit_image`].
    OmitImage {
        /// The root execution.
        root_execution_id: String,
        /// The workflow execution's index.
        x: i64,
        /// The task execution's index.
        t: i64,
    },
    /// [`Transaction::save_snapshot`].
    Snapshot {
        /// The execution.
        execution_id: String,
        /// The engine's serialized state.
        data: Vec<u8>,
    },
}

/// Which record a coalescing key names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Execution(String),
    ExecutionState(String),
    Snapshot(String),
    Image(String, i64, i64, i64),
}

/// An owned list of writes committed atomically by
/// [`Store::commit`](crate::Store::commit) — what an engine journal collects
/// between two side effects.
///
/// Writes to the same record coalesce: an entity image upserted as RUNNING then
/// SUCCESS within one batch is written once, in its final form (keeping the first
/// `created_at`), at the position of its first write (so an execution still
/// precedes the images of its tree); likewise an execution's upserts and state
/// changes, and its snapshot. Events and [`omit_image`](Batch::omit_image) are
/// never coalesced and keep their order.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    ops: Vec<BatchOp>,
    index: HashMap<Key, usize>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    fn put(&mut self, key: Key, op: BatchOp) {
        match self.index.get(&key) {
            Some(&i) => {
                if let Some(slot) = self.ops.get_mut(i) {
                    *slot = op;
                }
            }
            None => {
                self.index.insert(key, self.ops.len());
                self.ops.push(op);
            }
        }
    }

    /// Adds (or replaces) the execution's upsert.
    pub fn upsert_execution(&mut self, execution: ExecutionRecord) {
        self.put(
            Key::Execution(execution.id.clone()),
            BatchOp::Execution(Box::new(execution)),
        );
    }

    /// Records a state change of an execution without rewriting the whole
    /// record. When the batch already upserts that execution, the change is
    /// folded into that upsert instead.
    pub fn set_execution_state(
        &mut self,
        id: &str,
        state: State,
        state_info: Option<String>,
        output: Option<Value>,
        updated_at: Millis,
    ) {
        if let Some(&i) = self.index.get(&Key::Execution(id.to_owned()))
            && let Some(BatchOp::Execution(e)) = self.ops.get_mut(i)
        {
            e.state = state;
            e.state_info = state_info;
            e.output = output;
            e.updated_at = updated_at;
            return;
        }
        self.put(
            Key::ExecutionState(id.to_owned()),
            BatchOp::ExecutionState {
                id: id.to_owned(),
                state,
                state_info,
                output,
                updated_at,
            },
        );
    }

    /// Appends an event, stamped now.
    pub fn append_event(
        &mut self,
        execution_id: impl Into<String>,
        kind: impl Into<String>,
        payload: Value,
    ) {
        self.ops.push(BatchOp::Event {
            execution_id: execution_id.into(),
            at: now_millis(),
            kind: kind.into(),
            payload,
        });
    }

    /// Adds (or replaces) the upsert of an entity image of root execution
    /// `root_execution_id` (coalesced by `(x, t, a)`: the last image wins, the
    /// first `created_at` is kept).
    pub fn upsert_image(&mut self, root_execution_id: &str, image: ImageRecord) {
        let key = Key::Image(root_execution_id.to_owned(), image.x, image.t, image.a);
        if let Some(&i) = self.index.get(&key)
            && let Some(BatchOp::Image { image: old, .. }) = self.ops.get_mut(i)
        {
            let created_at = old.created_at;
            *old = image;
            old.created_at = created_at;
            return;
        }
        self.put(
            key,
            BatchOp::Image {
                root_execution_id: root_execution_id.to_owned(),
                image,
            },
        );
    }

    /// Marks the stub of task image `(x, t)` as omitted ([`Transaction::omit_image`]),
    /// after the writes already in the batch.
    pub fn omit_image(&mut self, root_execution_id: &str, x: i64, t: i64) {
        self.ops.push(BatchOp::OmitImage {
            root_execution_id: root_execution_id.to_owned(),
            x,
            t,
        });
    }

    /// Sets (or replaces) the execution's snapshot.
    pub fn save_snapshot(&mut self, execution_id: impl Into<String>, data: Vec<u8>) {
        let execution_id = execution_id.into();
        self.put(
            Key::Snapshot(execution_id.clone()),
            BatchOp::Snapshot { execution_id, data },
        );
    }

    /// The writes, in commit order.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }

    /// Number of writes after coalescing.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// True when there is nothing to commit.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Empties the batch, keeping its allocations.
    pub fn clear(&mut self) {
        self.ops.clear();
        self.index.clear();
    }

    /// Applies every write to `tx`, in order.
    pub fn apply(&self, tx: &mut Transaction<'_>) -> Result<()> {
        for op in &self.ops {
            match op {
                BatchOp::Execution(e) => tx.upsert_execution(e)?,
                BatchOp::ExecutionState {
                    id,
                    state,
                    state_info,
                    output,
                    updated_at,
                } => {
                    tx.set_execution_state(
                        id,
                        *state,
                        state_info.as_deref(),
                        output.as_ref(),
                        *updated_at,
                    )?;
                }
                BatchOp::Event {
                    execution_id,
                    at,
                    kind,
                    payload,
                } => {
                    tx.append_event_at(execution_id, *at, kind, payload)?;
                }
                BatchOp::Snapshot { execution_id, data } => {
                    tx.save_snapshot(execution_id, data)?;
                }
                BatchOp::Image {
                    root_execution_id,
                    image,
                } => tx.upsert_image(root_execution_id, image)?,
                BatchOp::OmitImage {
                    root_execution_id,
                    x,
                    t,
                } => tx.omit_image(root_execution_id, *x, *t)?,
            }
        }
        Ok(())
    }
}
