//! Gale's workflow engine: Mistral 23's execution semantics over the workflow IR
//! (`gale_bytecode::workflow::Program`).
//!
//! * [`engine`]: the event loop — task executions as state machines with Mistral's
//!   states, transitions, engine commands, joins, with-items, policies, publish,
//!   output, sub-workflows, ad-hoc actions, reverse workflows.
//! * [`state`]: the whole state as plain serde data (JSON values).
//! * [`durable`]: durable executions on `gale_store` (commit before effect,
//!   resume after a crash, pause/resume/cancel from other processes, rerun).
//! * [`journal`]: the durability seam ([`journal::Journal`], called before side
//!   effects).
//! * [`eval`]: templates evaluated on `gale_vm` against Mistral's context views.
//! * [`reads`]: what an expression reads of the task history (from its bytecode).
//! * [`host`]: `task()`, `tasks()`, `execution()`, `global()` for expressions.
//! * [`std_actions`]: the signature table of Mistral's std actions — the **single
//!   source of truth** for the checker and the engine; [`actions`]: the contract for
//!   action implementations.
//!
//! Invariant: this crate depends on nothing in `compiler/` (a compiled workflow
//! runs without the front-end).

pub mod actions;
pub mod builtin;
pub mod engine;
pub mod eval;
pub mod host;
pub mod journal;
pub mod reads;
pub mod state;
pub mod std_actions;

pub use engine::durable;
pub use engine::{Engine, StartError, StartOptions, TraceEvent};
pub use std_actions::{Param, ResultShape, STD_ACTIONS, StdAction, std_action};
