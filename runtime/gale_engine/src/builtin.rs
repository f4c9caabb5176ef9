//! The executor glue between the engine and the action registry
//! ([`crate::actions::ActionRegistry`], implementations under `actions/`).
//!
//! Actions known to finish at once (`std.noop`, `std.fail`, `std.test_dict`,
//! `std.async_noop`, `std.echo` without `delay`) run inline, which keeps the order of
//! events deterministic and the no-op path fast; every other action runs on a worker
//! thread. The executor's own timeout (Mistral passes the task's `timeout` to the
//! executor) is enforced here: past it, the action is cancelled and fails with
//! `Timeout after N seconds`, exactly as Mistral's executor reports it.

use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Map, Value as Json, json};

use crate::actions::{ActionOutcome, ActionRegistry, ActionRequest};
use crate::engine::Outcome;

/// How an action runs.
pub enum Run {
    /// Finished at once.
    Now(Outcome),
    /// Runs on a worker thread.
    Later(Box<dyn FnOnce() -> Outcome + Send>),
    /// Never finishes by itself (asynchronous action).
    Pending,
}

/// The executor's deadline for one action (the task's `timeout`).
#[derive(Clone, Debug)]
pub struct Deadline {
    /// Seconds.
    pub seconds: f64,
    /// The action's Python class (for Mistral's message).
    pub class: String,
}

fn outcome(o: ActionOutcome) -> Outcome {
    match o {
        ActionOutcome::Success(v) => Outcome::Ok(v),
        ActionOutcome::Error(v) => Outcome::Err(v),
        ActionOutcome::Pending => Outcome::Pending,
    }
}

fn instant(name: &str, input: &Map<String, Json>) -> bool {
    match name {
        "std.noop" | "std.fail" | "std.test_dict" | "std.async_noop" => true,
        "std.echo" => match input.get("delay") {
            None | Some(Json::Null) => true,
            Some(Json::Number(n)) => n.as_f64() == Some(0.0),
            Some(_) => false,
        },
        _ => false,
    }
}

/// Runs `request` through `registry`.
pub fn dispatch(
    registry: &ActionRegistry,
    request: ActionRequest,
    deadline: Option<Deadline>,
) -> Run {
    let Some(action) = registry.get(&request.action) else {
        return Run::Now(Outcome::Err(json!(format!(
            "Failed to find action [action_name={}, namespace=]",
            request.action
        ))));
    };
    if instant(&request.action, &request.input) {
        return match outcome(action.run(&request)) {
            Outcome::Pending => Run::Pending,
            o => Run::Now(o),
        };
    }
    Run::Later(Box::new(move || {
        let Some(d) = deadline.filter(|d| d.seconds > 0.0) else {
            return outcome(action.run(&request));
        };
        let (tx, rx) = mpsc::channel();
        let req = request.clone();
        std::thread::spawn(move || {
            let _ = tx.send(action.run(&req));
        });
        // The executor starts its clock after the engine armed the task's timeout
        // policy: give the policy a head start so it wins a tie, as in Mistral.
        const GRACE: f64 = 0.1;
        match rx.recv_timeout(Duration::from_secs_f64(d.seconds + GRACE)) {
            Ok(o) => outcome(o),
            Err(_) => {
                request.cancel.cancel();
                Outcome::Err(json!(format!(
                    "The action raised an exception [action={}, action_ex_id={}, msg='Timeout after {} seconds']",
                    crate::actions::python::object_repr(&d.class, &request.action_execution_id),
                    request.action_execution_id,
                    d.seconds as u64
                )))
            }
        }
    }))
}
