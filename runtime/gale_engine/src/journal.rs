//! The durability seam: every state change goes through a [`Journal`] before its
//! side effects (dispatching an action, starting a timer) happen. The in-memory
//! engine uses [`NoJournal`]; the SQLite store (`gale_store`) will implement the same
//! trait.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// One change of the engine state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// A workflow execution was created or changed state.
    Workflow {
        /// Execution id.
        id: String,
        /// New state name.
        state: String,
        /// State info.
        state_info: Option<String>,
    },
    /// A task execution was created or changed state.
    Task {
        /// Execution id of the workflow.
        execution: String,
        /// Task execution id.
        id: String,
        /// Task name.
        name: String,
        /// New state name.
        state: String,
    },
    /// An action execution is about to be dispatched.
    Action {
        /// Task execution id.
        task: String,
        /// Action execution id.
        id: String,
        /// Action name.
        action: String,
        /// Checked input.
        input: Json,
    },
    /// An action execution completed.
    ActionResult {
        /// Action execution id.
        id: String,
        /// Result or error payload.
        output: Json,
        /// Whether it failed.
        error: bool,
    },
}

/// Where the engine records its changes (called before side effects).
pub trait Journal {
    /// Records a batch of changes atomically.
    fn commit(&mut self, changes: &[Change]);

    /// Whether this journal keeps anything (the engine skips building changes
    /// for a journal that does not).
    fn enabled(&self) -> bool {
        true
    }
}

/// A journal that keeps nothing (in-memory runs).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJournal;

impl Journal for NoJournal {
    fn commit(&mut self, _: &[Change]) {}

    fn enabled(&self) -> bool {
        false
    }
}

/// A journal that keeps every change in memory (tests, tracing).
#[derive(Clone, Debug, Default)]
pub struct MemoryJournal {
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl Journal for MemoryJournal {
    fn commit(&mut self, changes: &[Change]) {
        self.changes.extend_from_slice(changes);
    }
}
