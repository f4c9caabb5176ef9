//! Dead transition elimination: a guard that is a literal (no expression) is
//! decided now. Mistral evaluates a guard string without expression to the string
//! itself, so only a literal that is falsy in Python (`''`) kills the transition; a
//! truthy literal guard is removed.

use gale_bytecode::workflow::{Program, Template};
use serde_json::Value as Json;

fn py_truthy(j: &Json) -> bool {
    match j {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// Runs the pass over a whole program.
pub fn run(p: &mut Program) {
    for w in &mut p.workflows {
        for t in &mut w.tasks {
            for c in [&mut t.on_success, &mut t.on_error, &mut t.on_complete] {
                c.next.retain(|tr| match &tr.guard {
                    Some(Template::Lit(j)) => py_truthy(j),
                    _ => true,
                });
                for tr in &mut c.next {
                    if matches!(tr.guard, Some(Template::Lit(_))) {
                        tr.guard = None;
                    }
                }
            }
        }
    }
}
