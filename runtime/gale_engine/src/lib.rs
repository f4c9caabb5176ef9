//! Gale's workflow engine: the runtime half of Gale that will run Mistral
//! workflows.
//!
//! For now it holds only [`std_actions`], the signature table of Mistral 23's
//! built-in `std.*` actions. The table is the **single source of truth** for both
//! sides of Gale: the checker (`gale_check`) validates task input against it, and
//! the engine, when it is written, must check parameters and build results from
//! the same entries (never from a copy).
//!
//! Invariant: this crate depends on nothing in `compiler/` (a compiled workflow
//! runs without the front-end).

pub mod actions;
pub mod std_actions;

pub use std_actions::{Param, ResultShape, STD_ACTIONS, StdAction, std_action};
