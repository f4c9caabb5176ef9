//! The engine's whole state as plain data (serde): workflow executions, task
//! executions and action executions, with Mistral's states and fields. Values are
//! JSON, exactly what Mistral stores in its database, so a state can be journalled,
//! saved and resumed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// Mistral's execution states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Created, not started.
    Idle,
    /// A join waiting for its inbound tasks.
    Waiting,
    /// Running.
    Running,
    /// Delayed by a policy (wait-before, wait-after, retry delay).
    RunningDelayed,
    /// Paused.
    Paused,
    /// Succeeded.
    Success,
    /// Failed.
    Error,
    /// Cancelled.
    Cancelled,
}

impl State {
    /// Mistral's name of the state.
    pub fn name(self) -> &'static str {
        match self {
            State::Idle => "IDLE",
            State::Waiting => "WAITING",
            State::Running => "RUNNING",
            State::RunningDelayed => "RUNNING_DELAYED",
            State::Paused => "PAUSED",
            State::Success => "SUCCESS",
            State::Error => "ERROR",
            State::Cancelled => "CANCELLED",
        }
    }

    /// SUCCESS, ERROR or CANCELLED.
    pub fn is_completed(self) -> bool {
        matches!(self, State::Success | State::Error | State::Cancelled)
    }
}

/// One action execution (or sub-workflow execution) of a task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActionEx {
    /// Its id (uuid v4). Empty for a with-items item that `std.noop` or
    /// `std.echo` completed inline in a run with no journal and no store, where
    /// nothing can read it (the per-item record stays small).
    pub id: String,
    /// with-items index (0 otherwise).
    pub index: usize,
    /// Its state.
    pub state: State,
    /// The result (success) or error payload; `None` while running; `Some(None)`-like
    /// cleared output is `Json::Null` with `cleared`.
    pub output: Option<Json>,
    /// Output removed by `keep-result: false`.
    pub cleared: bool,
    /// Whether it counts for the task result.
    pub accepted: bool,
    /// The sub-workflow execution, for workflow tasks.
    pub sub_execution: Option<usize>,
}

/// A JSON value in 16 bytes: `null`, booleans, integers and floats inline, anything
/// else boxed. The results of with-items iterations (and the items themselves) are
/// kept this way: a million `std.echo` results take 16 MB instead of the 80 of as
/// many [`Json`] values. Converting to JSON and back gives the same value.
#[derive(Clone, Debug, PartialEq)]
pub enum Compact {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer within i64.
    Int(i64),
    /// A float.
    Float(f64),
    /// Any other value.
    Other(Box<Json>),
}

impl From<Json> for Compact {
    fn from(j: Json) -> Compact {
        match j {
            Json::Null => Compact::Null,
            Json::Bool(b) => Compact::Bool(b),
            Json::Number(n) if n.is_i64() => n.as_i64().map_or(Compact::Null, Compact::Int),
            Json::Number(n) if n.is_f64() => n.as_f64().map_or(Compact::Null, Compact::Float),
            other => Compact::Other(Box::new(other)),
        }
    }
}

impl Compact {
    /// The JSON value.
    pub fn to_json(&self) -> Json {
        match self {
            Compact::Null => Json::Null,
            Compact::Bool(b) => Json::Bool(*b),
            Compact::Int(i) => Json::from(*i),
            Compact::Float(f) => Json::from(*f),
            Compact::Other(j) => (**j).clone(),
        }
    }
}

impl Serialize for Compact {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Compact {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Compact, D::Error> {
        Json::deserialize(d).map(Compact::from)
    }
}

/// One task execution.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskEx {
    /// Its id (uuid v4).
    pub id: String,
    /// The task's index in its workflow.
    pub task: u32,
    /// The task name.
    pub name: String,
    /// Its state.
    pub state: State,
    /// Its state info.
    pub state_info: Option<String>,
    /// The inbound data-flow context (with `__versions`).
    pub in_context: Map<String, Json>,
    /// Published variables (`{}` when nothing; null when the publish had no branch).
    pub published: Json,
    /// Action executions.
    pub actions: Vec<ActionEx>,
    /// `(target, event)` of the transitions taken.
    pub next_tasks: Vec<(String, String)>,
    /// Whether it has next tasks.
    pub has_next_tasks: bool,
    /// Whether its completion was processed.
    pub processed: bool,
    /// Whether an error of this task is handled by on-error.
    pub error_handled: bool,
    /// Task executions (indexes) that triggered it, with the event.
    pub triggered_by: Vec<(usize, String)>,
    /// The join unique key.
    pub unique_key: Option<String>,
    /// Retry attempts made.
    pub retry_no: u64,
    /// wait-after already applied.
    pub wait_after_done: bool,
    /// with-items: number of items.
    pub items_count: Option<usize>,
    /// with-items: next index to schedule.
    pub items_next: usize,
    /// join: number of inbound arrivals (transitions to this join taken).
    #[serde(default)]
    pub arrived: usize,
    /// with-items: items of the current attempt that completed.
    #[serde(default)]
    pub items_done: usize,
    /// with-items: whether an item of the current attempt failed.
    #[serde(default)]
    pub items_failed: bool,
    /// Timeout generation (a stale timer is ignored).
    pub generation: u64,
    /// with-items: the results of iterations `0..n` that `std.noop` or `std.echo`
    /// completed inline, in a run with no journal, no store and no `concurrency`
    /// (their action executions are SUCCESS and accepted, have no id and no
    /// sub-workflow, so the result is all there is to keep: 16 bytes an item instead
    /// of an [`ActionEx`]). They stand for action executions launched before every one
    /// of `actions`: every reader sees them at its front ([`TaskEx::action_count`],
    /// `task_result`); a retry turns them back into records
    /// ([`TaskEx::expand_inline_items`]). Empty in every durable image, and absent
    /// from images written before it existed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items_inline: Vec<Compact>,
    /// `keep-result: false` cleared the results of `items_inline`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub items_inline_cleared: bool,
}

impl TaskEx {
    /// Its action executions: the records of `actions` and the iterations kept in
    /// `items_inline`.
    pub fn action_count(&self) -> usize {
        self.actions.len() + self.items_inline.len()
    }

    /// Turns `items_inline` back into action execution records at the front of
    /// `actions` (for the rare changes that touch them one by one, a retry).
    pub fn expand_inline_items(&mut self) {
        if self.items_inline.is_empty() {
            return;
        }
        let cleared = self.items_inline_cleared;
        let inline = std::mem::take(&mut self.items_inline);
        let mut actions = Vec::with_capacity(inline.len() + self.actions.len());
        actions.extend(inline.into_iter().enumerate().map(|(index, r)| ActionEx {
            id: String::new(),
            index,
            state: State::Success,
            output: Some(r.to_json()),
            cleared,
            accepted: true,
            sub_execution: None,
        }));
        actions.append(&mut self.actions);
        self.actions = actions;
        self.items_inline_cleared = false;
    }
}

/// One workflow execution.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkflowEx {
    /// Its id (uuid v4).
    pub id: String,
    /// The workflow's index in the program.
    pub workflow: usize,
    /// Full name (`wb.wf` in a workbook).
    pub name: String,
    /// Its state.
    pub state: State,
    /// Its state info.
    pub state_info: Option<String>,
    /// The input (defaults applied).
    pub input: Map<String, Json>,
    /// The workflow context (`__execution`, vars, global publishes).
    pub context: Map<String, Json>,
    /// `{"__env": …}` of the root execution.
    pub env: Map<String, Json>,
    /// Start parameters.
    pub params: Map<String, Json>,
    /// The output once completed.
    pub output: Option<Json>,
    /// Task executions in creation order.
    pub tasks: Vec<TaskEx>,
    /// The parent task: (execution, task execution, action execution).
    pub parent: Option<(usize, usize, usize)>,
    /// Target task of a reverse workflow.
    pub target_task: Option<String>,
}
