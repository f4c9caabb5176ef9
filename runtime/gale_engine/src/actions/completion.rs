//! Completing an asynchronous action from outside (`std.async_noop`,
//! `std.mistral_http`, plugins answering `{"pending": true}`), with the semantics of
//! Mistral's `PUT /v2/action_executions/<id>` body `{"state": …, "output": …}`
//! (`mistral/api/controllers/v2/action_execution.py put`).
//!
//! The engine (or `gale complete`) parses what the user posted with
//! [`posted_result`] and applies it to the waiting action execution.

use serde_json::Value as Json;

use super::{ActionOutcome, python};

/// The states Mistral accepts, in its order (used in the error message).
pub const SUPPORTED_TRANSITION_STATES: &[&str] =
    &["SUCCESS", "ERROR", "CANCELLED", "PAUSED", "RUNNING"];

/// What a posted result asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum PostedResult {
    /// Complete the action: `Success(output)` or `Error(output or "Unknown error")`.
    Complete(ActionOutcome),
    /// Cancel the action execution (Mistral: `Result(cancel=True)`).
    Cancel,
    /// Pause the owning task (only for asynchronous action executions).
    Pause,
    /// Resume it.
    Resume,
}

/// Interprets `{"state": state, "output": output}`; `Err` is Mistral's message for
/// an unsupported state.
pub fn posted_result(state: &str, output: Option<Json>) -> Result<PostedResult, String> {
    match state {
        "SUCCESS" => Ok(PostedResult::Complete(ActionOutcome::Success(
            output.unwrap_or(Json::Null),
        ))),
        "ERROR" => {
            let output = output
                .filter(python::truthy)
                .unwrap_or_else(|| Json::String("Unknown error".into()));
            Ok(PostedResult::Complete(ActionOutcome::Error(output)))
        }
        "CANCELLED" => Ok(PostedResult::Cancel),
        "PAUSED" => Ok(PostedResult::Pause),
        "RUNNING" => Ok(PostedResult::Resume),
        other => {
            let states: Vec<String> = SUPPORTED_TRANSITION_STATES
                .iter()
                .map(|s| format!("'{s}'"))
                .collect();
            Err(format!(
                "Error. Expected one of [{}], actual: {other}",
                states.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mistral_semantics() {
        assert_eq!(
            posted_result("SUCCESS", Some(json!({"a": 1}))),
            Ok(PostedResult::Complete(ActionOutcome::Success(
                json!({"a": 1})
            )))
        );
        assert_eq!(
            posted_result("SUCCESS", None),
            Ok(PostedResult::Complete(ActionOutcome::Success(Json::Null)))
        );
        assert_eq!(
            posted_result("ERROR", Some(json!(""))),
            Ok(PostedResult::Complete(ActionOutcome::Error(json!(
                "Unknown error"
            ))))
        );
        assert_eq!(
            posted_result("ERROR", Some(json!({"code": 1}))),
            Ok(PostedResult::Complete(ActionOutcome::Error(
                json!({"code": 1})
            )))
        );
        assert_eq!(posted_result("CANCELLED", None), Ok(PostedResult::Cancel));
        assert_eq!(
            posted_result("DONE", None),
            Err("Error. Expected one of ['SUCCESS', 'ERROR', 'CANCELLED', 'PAUSED', 'RUNNING'], actual: DONE".into())
        );
    }
}
