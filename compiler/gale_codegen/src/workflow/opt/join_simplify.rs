//! Join simplification: `join: N` where N is the number of inbound tasks behaves
//! exactly like `join: all` in Mistral's `_get_join_logical_state` (it runs when all
//! inbound tasks triggered it and fails as soon as one cannot), so it is lowered to
//! `join: all`, whose arrival check is a single counter.

use gale_bytecode::workflow::{Join, Program};

/// Runs the pass over a whole program.
pub fn run(p: &mut Program) {
    for w in &mut p.workflows {
        for t in &mut w.tasks {
            if let Some(Join::Count(n)) = t.join
                && n as usize == t.inbound.len()
                && n > 0
            {
                t.join = Some(Join::All);
            }
        }
    }
}
