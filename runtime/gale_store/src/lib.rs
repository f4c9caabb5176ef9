//! Durable execution state for Gale, on SQLite.
//!
//! The store keeps what Mistral keeps in its database — workflow executions, task
//! executions, action executions, published data — plus an event log (the trace),
//! one opaque snapshot of the engine's state per execution, and a command queue
//! through which other processes pause, resume or stop a running execution.
//!
//! ```
//! use gale_store::{ActionExecutionRecord, Batch, ExecutionRecord, State, Store, TaskExecutionRecord};
//!
//! let mut store = Store::in_memory()?;            // Store::open(path) for a file
//! let execution = ExecutionRecord { state: State::Running, ..ExecutionRecord::new("e1", "wf") };
//! let mut task = TaskExecutionRecord::new("t1", "e1", "task1", 0);
//! task.state = State::Running;
//! let action = ActionExecutionRecord::new("a1", &task, "std.noop", serde_json::json!({}));
//!
//! // Everything the engine changed before its next side effect, in one commit.
//! let mut batch = Batch::new();
//! batch.upsert_execution(execution);
//! batch.upsert_task(task);
//! batch.upsert_action(action);
//! batch.append_event("e1", "task-started", serde_json::json!({"task": "task1"}));
//! batch.save_snapshot("e1", b"engine state".to_vec());
//! store.commit(&batch)?;
//!
//! assert_eq!(store.tasks("e1")?.len(), 1);
//! assert_eq!(store.find_in_flight_actions("e1")?.len(), 1);
//! # Ok::<(), gale_store::StoreError>(())
//! ```
//!
//! Invariants:
//! - A committed transaction is all-or-nothing, also across `kill -9`: readers never
//!   see part of a batch (tested by killing a writer process at random moments).
//! - The store knows nothing of the engine's types: records are plain serde data,
//!   the snapshot is bytes. It depends on no compiler crate.
//! - Queries used by resume touch only unfinished rows (partial indexes), so resume
//!   costs what is left, not what was done: `load_for_resume` reads unfinished task
//!   and action rows; the engine's entity images (`entity_images`, schema v4) are
//!   read as resident images and stubs through partial indexes, never the whole
//!   history.
//!
//! `docs/store.md` describes the schema, the durability guarantees and how resume
//! and the control channel use the store.

#![warn(missing_docs)]

mod error;
mod records;
mod schema;
mod sql;
mod store;
mod transaction;

pub use error::{Result, StoreError};
pub use records::{
    ActionExecutionRecord, Command, CommandRecord, EventRecord, ExecutionRecord, ImageRecord,
    Lease, Millis, Residency, State, StubRecord, TaskExecutionRecord, UnknownState,
    WithItemsProgress, new_id, now_millis, runner_id,
};
pub use schema::SCHEMA_VERSION;
pub use store::{
    Cause, Claim, Durability, ExecutionFilter, ExecutionTree, ResumePoint, Store, StoreOptions,
    default_path,
};
pub use transaction::{Batch, BatchOp, Creation, Transaction};
