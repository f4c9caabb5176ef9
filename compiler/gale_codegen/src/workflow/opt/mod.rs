//! The workflow optimiser (`-O1`): one pass per file, each preserving Mistral's
//! observable behaviour exactly (every runtime case gives the same result at `-O0`
//! and `-O1`).
//!
//! * [`const_fold`]: templates without expressions become one literal.
//! * [`dead_transitions`]: transitions whose guard is a literal are either kept
//!   without a guard (truthy) or dropped (falsy).
//! * [`join_simplify`]: `join: N` with N equal to the number of inbound tasks is
//!   `join: all`.

pub mod const_fold;
pub mod dead_transitions;
pub mod join_simplify;

use gale_bytecode::workflow::Program;

/// Runs every pass in order.
pub fn run_all(p: &mut Program) {
    const_fold::run(p);
    dead_transitions::run(p);
    join_simplify::run(p);
}
