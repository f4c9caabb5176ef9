//! Durable execution state for Gale, on SQLite.
//!
//! The store keeps workflow executions (as Mistral keeps them in its database),
//! the compiled program each one runs, the latest image of each of the engine's
//! task and action executions (opaque text, table `entity_images`), an event log
//! (the trace), one opaque snapshot of the engine's state per execution, and a
//! command queue through which other processes pause, resume or stop a running
//! execution.
//!
//! ```
//! use gale_store::{Batch, ExecutionRecord, ImageRecord, Residency, State, Store};
//!
//! let mut store = Store::in_memory()?;            // Store::open(path) for a file
//! let execution = ExecutionRecord { state: State::Running, ..ExecutionRecord::new("e1", "wf") };
//! // Task execution 0 of the root workflow execution (x = 0), as the engine
//! // serialized it.
//! let task = ImageRecord {
//!     x: 0,
//!     t: 0,
//!     a: -1,
//!     residency: Residency::Resident,
//!     stub: None,
//!     image: r#"{"name": "task1", "state": "RUNNING"}"#.to_owned(),
//!     created_at: 1,
//!     finished_at: None,
//! };
//!
//! // Everything the engine changed before its next side effect, in one commit.
//! let mut batch = Batch::new();
//! batch.upsert_execution(execution);
//! batch.upsert_image("e1", task);
//! batch.append_event("e1", "task-started", serde_json::json!({"task": "task1"}));
//! batch.save_snapshot("e1", b"engine state".to_vec());
//! store.commit(&batch)?;
//!
//! assert_eq!(store.resident_images("e1")?.len(), 1);
//! assert_eq!(store.events("e1", 0, None)?.len(), 1);
//! # Ok::<(), gale_store::StoreError>(())
//! ```
//!
//! Invariants:
//! - A committed transaction is all-or-nothing, also across `kill -9`: readers never
//!   see part of a batch (tested by killing a writer process at random moments).
//! - The store knows nothing of the engine's types: records are plain serde data,
//!   images and stubs are text, the snapshot is bytes. It depends on no compiler
//!   crate.
//! - Queries used by resume touch only what is left, not the whole history: the
//!   entity images (schema v4) are read as resident images and stubs through
//!   partial indexes.
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
    Command, CommandRecord, EventRecord, ExecutionRecord, ImageRecord, Lease, Millis, Residency,
    State, StubRecord, UnknownState, new_id, now_millis, runner_id,
};
pub use schema::SCHEMA_VERSION;
pub use store::{
    Claim, Durability, ExecutionFilter, ExecutionTree, Store, StoreOptions, default_path,
};
pub use transaction::{Batch, BatchOp, Creation, Transaction};
