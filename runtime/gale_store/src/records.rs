//! The rows the store keeps, as plain serde data.
//!
//! [`ExecutionRecord`] (a workflow execution), [`EventRecord`] (the trace),
//! [`CommandRecord`] (the cross-process control channel), [`ImageRecord`] and
//! [`StubRecord`] (the engine's images of its task and action executions, which
//! the store does not read) and [`Lease`]. Values that Mistral keeps as JSON
//! (input, env, params, output, event payloads) are [`serde_json::Value`]s stored
//! in JSON text columns. Timestamps are milliseconds since the Unix epoch, UTC
//! ([`now_millis`]).
//!
//! The engine writes complete records. An upsert of an existing execution updates
//! its changing columns (state, output, timestamps, …) and keeps its identity
//! columns (parent, root and source links, `created_at`) as first written: a
//! record read back is the record written, unless the caller changed an identity
//! field, which is ignored.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Milliseconds since the Unix epoch (UTC), the unit of every timestamp in the store.
pub type Millis = i64;

/// The current time in [`Millis`].
pub fn now_millis() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A fresh identifier in the textual UUID form Mistral uses
/// (`xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx`): a UUID version 7 (RFC 9562), whose
/// first 48 bits are the time in milliseconds.
///
/// Time-ordered ids make inserts land at the end of the primary-key B-trees
/// instead of on random pages, which keeps each commit to a few dirty pages
/// however large the history. The 74 other bits are random, taken from the
/// standard library's per-process random hash keys mixed with the time, the
/// process id and a counter, so ids are unique across processes without an extra
/// dependency. Not for cryptographic use.
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let word = |salt: u64| {
        let mut h = std::hash::RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(count);
        h.write_u128(now.as_nanos());
        h.write_u32(std::process::id());
        h.finish()
    };
    let millis = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&word(0x9e37_79b9_7f4a_7c15).to_be_bytes());
    bytes[8..].copy_from_slice(&word(0xc2b2_ae3d_27d4_eb4f).to_be_bytes());
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 9562 variant
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A Mistral state, shared by workflow executions, task executions and action
/// executions (`mistral/workflow/states.py`). Stored and serialized as Mistral's
/// upper-case name (`"RUNNING"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Created, not started yet.
    Idle,
    /// A join task waiting for its inbound transitions.
    Waiting,
    /// Running.
    Running,
    /// Delayed by a policy (`wait-before`, `wait-after`, `retry`); Mistral's
    /// `RUNNING_DELAYED`, spelled `DELAYED`.
    Delayed,
    /// Paused.
    Paused,
    /// Completed successfully.
    Success,
    /// Completed with an error.
    Error,
    /// Cancelled.
    Cancelled,
    /// Skipped (a failed task the user chose to skip).
    Skipped,
}

impl State {
    /// Every state, in Mistral's order.
    pub const ALL: [State; 9] = [
        State::Idle,
        State::Waiting,
        State::Running,
        State::Delayed,
        State::Paused,
        State::Success,
        State::Error,
        State::Cancelled,
        State::Skipped,
    ];

    /// Mistral's name of the state (`"RUNNING"`).
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "IDLE",
            State::Waiting => "WAITING",
            State::Running => "RUNNING",
            State::Delayed => "DELAYED",
            State::Paused => "PAUSED",
            State::Success => "SUCCESS",
            State::Error => "ERROR",
            State::Cancelled => "CANCELLED",
            State::Skipped => "SKIPPED",
        }
    }

    /// Completed states: SUCCESS, ERROR, CANCELLED, SKIPPED (Mistral's
    /// `is_completed`).
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            State::Success | State::Error | State::Cancelled | State::Skipped
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`State::from_str`]: the text is not a Mistral state name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownState(pub String);

impl fmt::Display for UnknownState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown state `{}`; expected one of IDLE, WAITING, RUNNING, DELAYED, PAUSED, \
             SUCCESS, ERROR, CANCELLED, SKIPPED",
            self.0
        )
    }
}

impl std::error::Error for UnknownState {}

impl FromStr for State {
    type Err = UnknownState;

    /// Parses Mistral's name, case-insensitively; `RUNNING_DELAYED` is accepted
    /// for `DELAYED`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        if upper == "RUNNING_DELAYED" {
            return Ok(State::Delayed);
        }
        State::ALL
            .into_iter()
            .find(|state| state.as_str() == upper)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

impl ToSql for State {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for State {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// A workflow execution (Mistral's `WorkflowExecution`), top-level or a
/// sub-workflow run by a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRecord {
    /// The execution id (a UUID; chosen by the caller for idempotent creation).
    pub id: String,
    /// Name of the workflow that runs (`wb.wf` for workbook workflows).
    pub workflow_name: String,
    /// Hash of the workflow definition or compiled artifact, to detect a changed
    /// definition at resume time.
    pub definition_hash: Option<String>,
    /// The definition text (YAML) or artifact the execution runs, so `resume` and
    /// `run --from` do not depend on a file that may have changed since. Read by
    /// `Store::get_execution` only (listings leave it `None`); an upsert without
    /// one keeps the stored definition.
    pub definition: Option<String>,
    /// Free text; `run --from` writes "`Based on the execution '<id>'`".
    pub description: Option<String>,
    /// Workflow input (a JSON object).
    pub input: Value,
    /// The environment (`env`) the execution was started with.
    pub env: Value,
    /// Start parameters (`task_name`, `notify`, …; Mistral's `params`).
    pub params: Value,
    /// Current state.
    pub state: State,
    /// Why the state was reached (error message, pause reason), if any.
    pub state_info: Option<String>,
    /// Workflow output, once completed.
    pub output: Option<Value>,
    /// For a sub-workflow: the execution whose task started it.
    pub parent_execution_id: Option<String>,
    /// For a sub-workflow: the task execution that started it.
    pub parent_task_execution_id: Option<String>,
    /// The top-level execution of a tree of sub-workflows (`None` for a
    /// top-level execution itself).
    pub root_execution_id: Option<String>,
    /// For `run --from`: the execution this one was created from.
    pub source_execution_id: Option<String>,
    /// Creation time.
    pub created_at: Millis,
    /// Last update time.
    pub updated_at: Millis,
}

impl ExecutionRecord {
    /// A new top-level execution in state IDLE, created now, with empty input,
    /// env and params; fill in the rest with struct update syntax.
    pub fn new(id: impl Into<String>, workflow_name: impl Into<String>) -> Self {
        let now = now_millis();
        ExecutionRecord {
            id: id.into(),
            workflow_name: workflow_name.into(),
            definition_hash: None,
            definition: None,
            description: None,
            input: Value::Object(Default::default()),
            env: Value::Object(Default::default()),
            params: Value::Object(Default::default()),
            state: State::Idle,
            state_info: None,
            output: None,
            parent_execution_id: None,
            parent_task_execution_id: None,
            root_execution_id: None,
            source_execution_id: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// One entry of an execution's event log (the trace of `gale run --trace`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// The execution the event belongs to.
    pub execution_id: String,
    /// Position in the execution's log: 1, 2, 3, … with no gaps; assigned by the
    /// store when the event is appended.
    pub seq: i64,
    /// When the event was appended.
    pub at: Millis,
    /// What happened, a short kebab-case word chosen by the engine
    /// (`task-started`, `action-completed`, `transition`, …).
    pub kind: String,
    /// Details (task name, values, expression results, …).
    pub payload: Value,
}

/// A request to a running execution from another process (`gale pause ID`, …),
/// mirroring Mistral's `PUT /v2/executions/<id>` state changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    /// Pause the execution (sub-workflows first).
    Pause,
    /// Resume a paused execution, optionally merging `env` into its environment.
    Resume {
        /// Environment entries to merge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        env: Option<Value>,
    },
    /// Stop the execution in a final state: SUCCESS (evaluates `output`), ERROR
    /// (evaluates `output-on-error`) or CANCELLED (also cancels running
    /// sub-workflows); `state_info` becomes the message.
    Stop {
        /// SUCCESS, ERROR or CANCELLED.
        state: State,
        /// The message.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state_info: Option<String>,
    },
    /// Deliver the result of an asynchronous action (`std.async_noop`,
    /// `std.mistral_http`, a pending plugin) of task `task` — Mistral's
    /// `PUT /v2/action_executions/<id>` with `state` and `output`.
    CompleteAction {
        /// The task whose running asynchronous action completes.
        task: String,
        /// SUCCESS or ERROR.
        state: State,
        /// The result (SUCCESS) or error payload (ERROR; `Unknown error` when empty).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        output: Option<Value>,
    },
}

impl Command {
    /// `Stop` in state CANCELLED (`gale cancel ID`).
    pub fn cancel(state_info: Option<String>) -> Self {
        Command::Stop {
            state: State::Cancelled,
            state_info,
        }
    }

    /// Short name: `pause`, `resume`, `stop` or `complete-action`.
    pub fn kind(&self) -> &'static str {
        match self {
            Command::Pause => "pause",
            Command::Resume { .. } => "resume",
            Command::Stop { .. } => "stop",
            Command::CompleteAction { .. } => "complete-action",
        }
    }
}

/// A posted [`Command`] waiting for the process running the execution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRecord {
    /// Increasing id, the order commands were posted in.
    pub id: i64,
    /// The target execution.
    pub execution_id: String,
    /// What to do.
    pub command: Command,
    /// When it was posted.
    pub created_at: Millis,
}

/// The latest image of one engine entity of a root execution's tree (schema v4,
/// table `entity_images`): a workflow execution (`t == -1`), a task execution
/// (`a == -1`) or an action execution. The store does not read `image` or `stub`:
/// they are the engine's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRecord {
    /// The workflow execution's index in the tree (0: the root).
    pub x: i64,
    /// The task execution's index in that workflow execution, -1 for the workflow
    /// execution itself.
    pub t: i64,
    /// The action execution's index in that task execution, -1 for the task (or
    /// workflow) execution itself.
    pub a: i64,
    /// What resume reads of the entity.
    pub residency: Residency,
    /// A compact summary of the entity, read by resume when it is not resident.
    pub stub: Option<String>,
    /// The engine's image of the entity.
    pub image: String,
    /// When the entity was first written (ms); kept by later upserts.
    pub created_at: Millis,
    /// When it was first written as finished (ms); an upsert with `None` (the entity
    /// runs again) clears it, one with `Some` keeps the first value.
    pub finished_at: Option<Millis>,
}

/// What resume reads of an entity image (the `resident` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residency {
    /// Its full image ([`Store::resident_images`](crate::Store::resident_images)).
    Resident,
    /// Only its stub ([`Store::image_stubs`](crate::Store::image_stubs)).
    Stub,
    /// Nothing: the engine knows it only by position and reads its image on demand
    /// ([`Store::task_images`](crate::Store::task_images)). Set by
    /// [`Batch::omit_image`](crate::Batch::omit_image) when a stub is superseded.
    Omitted,
}

impl Residency {
    /// The column value.
    pub fn code(self) -> i64 {
        match self {
            Residency::Stub => 0,
            Residency::Resident => 1,
            Residency::Omitted => 2,
        }
    }

    /// The residency of a column value (unknown values read as resident).
    pub fn from_code(code: i64) -> Residency {
        match code {
            0 => Residency::Stub,
            2 => Residency::Omitted,
            _ => Residency::Resident,
        }
    }
}

/// The stub of a non-resident task execution ([`Store::image_stubs`](crate::Store::image_stubs)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StubRecord {
    /// The workflow execution's index in the tree.
    pub x: i64,
    /// The task execution's index in it.
    pub t: i64,
    /// The stub text written with the image.
    pub stub: String,
}

/// Who runs an execution, until when ([`Store::claim`](crate::Store::claim)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The runner holding it (a [`runner_id`]).
    pub runner: String,
    /// When it lapses unless renewed.
    pub expires_at: Millis,
}

/// An identifier for this process as a runner: `<pid>@<host>/<random>`; the pid
/// and host let a CLI on the same machine tell whether the holder of a lease is
/// still alive.
pub fn runner_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    let random = new_id();
    format!("{}@{host}/{}", std::process::id(), &random[24..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for state in State::ALL {
            assert_eq!(state.as_str().parse::<State>(), Ok(state));
            let json = serde_json::to_string(&state).unwrap();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
        }
        assert_eq!("running_delayed".parse::<State>(), Ok(State::Delayed));
        assert!("RUNNIN".parse::<State>().is_err());
    }

    #[test]
    fn ids_are_uuid_v7_shaped_distinct_and_time_ordered() {
        let a = new_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id();
        assert_ne!(a, b);
        assert!(a < b, "{a} < {b}");
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "7");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_eq!(a.matches('-').count(), 4);
    }

    #[test]
    fn commands_serialize_tagged() {
        let json = serde_json::to_value(Command::cancel(Some("bye".into()))).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"command": "stop", "state": "CANCELLED", "state_info": "bye"})
        );
        let back: Command = serde_json::from_value(json).unwrap();
        assert_eq!(back, Command::cancel(Some("bye".into())));
    }
}
