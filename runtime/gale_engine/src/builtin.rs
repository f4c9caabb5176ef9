//! Private stand-ins for the std actions the runtime cases use (`std.echo`,
//! `std.noop`, `std.fail`, `std.sleep`, `std.test_dict`, `std.async_noop`), until
//! the std action implementations under `actions/` are registered. Input was already
//! checked against the ONE table in `std_actions`; here only the behaviour lives.

use serde_json::{Map, Value as Json, json};

use crate::engine::Outcome;

/// How an action runs.
pub enum Run {
    /// Finished at once.
    Now(Outcome),
    /// Runs on a worker thread (argument: the engine's time scale).
    Later(Box<dyn FnOnce(f64) -> Outcome + Send>),
    /// Never finishes by itself (asynchronous action).
    Pending,
}

fn seconds(j: Option<&Json>) -> f64 {
    match j {
        Some(Json::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Json::String(s)) => s.trim().parse::<f64>().unwrap_or(0.0),
        Some(Json::Bool(b)) => f64::from(u8::from(*b)),
        _ => 0.0,
    }
}

fn sleep_then(secs: f64, o: Outcome) -> Run {
    if secs <= 0.0 {
        return Run::Now(o);
    }
    Run::Later(Box::new(move |scale| {
        std::thread::sleep(std::time::Duration::from_secs_f64(secs * scale));
        o
    }))
}

/// Runs std action `name` with its checked, defaulted input.
pub fn run_std(name: &str, input: &Map<String, Json>, action_ex_id: &str) -> Run {
    match name {
        "std.noop" => Run::Now(Outcome::Ok(Json::Null)),
        "std.echo" => {
            let out = input.get("output").cloned().unwrap_or(Json::Null);
            sleep_then(seconds(input.get("delay")), Outcome::Ok(out))
        }
        "std.fail" => {
            let data = input.get("error_data").cloned().unwrap_or(Json::Null);
            if crate::eval::truthy(&data) {
                Run::Now(Outcome::Err(data))
            } else {
                Run::Now(Outcome::Err(json!(format!(
                    "The action raised an exception [action=Fail action, action_ex_id={action_ex_id}, msg='Fail action expected exception.']"
                ))))
            }
        }
        "std.sleep" => {
            let secs = match input.get("seconds") {
                Some(Json::Number(n)) => n.as_f64().unwrap_or(0.0).trunc().max(0.0),
                Some(Json::String(s)) => s
                    .trim()
                    .parse::<i64>()
                    .map(|i| i.max(0) as f64)
                    .unwrap_or(0.0),
                _ => 0.0,
            };
            sleep_then(secs, Outcome::Ok(Json::Null))
        }
        "std.test_dict" => {
            let size = match input.get("size") {
                Some(Json::Number(n)) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
                Some(Json::Bool(b)) => i64::from(*b),
                other => {
                    let ty = match other {
                        Some(Json::String(_)) => "str",
                        Some(Json::Number(_)) => "float",
                        Some(Json::Array(_)) => "list",
                        Some(Json::Object(_)) => "dict",
                        _ => "NoneType",
                    };
                    return Run::Now(Outcome::Err(json!(format!(
                        "The action raised an exception [action=<mistral.actions.std_actions.TestDictAction object at 0x0>, action_ex_id={action_ex_id}, msg=''{ty}' object cannot be interpreted as an integer']"
                    ))));
                }
            };
            let prefix = match input.get("key_prefix") {
                Some(Json::String(s)) => s.clone(),
                Some(other) => crate::eval::py_str(other),
                None => String::new(),
            };
            let val = input.get("val").cloned().unwrap_or(json!(""));
            let mut m = Map::new();
            for i in 0..size.max(0) {
                m.insert(format!("{prefix}{i}"), val.clone());
            }
            Run::Now(Outcome::Ok(Json::Object(m)))
        }
        "std.async_noop" => Run::Pending,
        other => Run::Now(Outcome::Err(json!(format!(
            "Action {other} is not available in this runtime yet"
        )))),
    }
}
