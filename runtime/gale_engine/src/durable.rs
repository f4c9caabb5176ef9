//! Durable executions: the engine's state kept in a `gale_store` database so that a
//! killed process can resume (`gale resume`), other processes can pause, resume or
//! cancel a running execution, and finished executions can be inspected.
//!
//! This module is a child of [`crate::engine`] (it sees the engine's private parts)
//! and adds durability around the unchanged event loop:
//!
//! * **Images.** At each commit point, the full serde state of every workflow
//!   execution and task execution that may have changed since the previous commit
//!   (the *open* ones — not yet completed, or not yet processed — plus the new ones)
//!   is upserted into the store's entity images (`gale_store::ImageRecord`, the
//!   latest image per entity). Completed entities never change again (except
//!   through [`Engine::rerun_task`], which marks them), so a commit costs O(what
//!   changed), not O(history). Each task image says what resume reads of it
//!   (`gale_store::Residency`, decided by `Engine::resident`): the full image, a
//!   stub, or nothing.
//! * **Frontier.** The transient part — event queue, armed timers (as wall-clock
//!   deadlines), actions running on worker threads (with everything needed to run
//!   them again) — is saved as the execution's snapshot in the same transaction.
//! * **Commit before effect.** Actions that run on worker threads are *deferred*:
//!   the step that launches them ends, the images and frontier are committed in ONE
//!   store transaction, and only then do the threads start. Actions that finish
//!   inline (`std.noop`, `std.echo` without delay…) have no effect outside the
//!   engine, so their steps are batched (a commit every [`BATCH_STEPS`] steps,
//!   [`BATCH_TIME`], or before the loop waits).
//! * **Resume.** The resident images are read in full, the stubs into tasks that
//!   carry what joins read, and a placeholder stands at every other position; an
//!   image is faulted in from the store when a step needs it (`Engine::fault_in`;
//!   [`Engine::fault_in_all`] before a rerun and before a caller reads every task,
//!   as the JSON result does), so resume costs what is left, not what was done. An execution recorded before schema v4 (images
//!   in its event stream) is replayed and rewritten. The queue and timers are
//!   rebuilt, and every action that was in flight is either run again (task
//!   `safe-rerun: true`, as Mistral's executor does on redelivery) or failed with
//!   Mistral's heartbeat-checker error ([`HEARTBEAT_LOST`]).
//! * **Control.** The runner holds a lease (`gale_store` leases); other processes
//!   post commands (pause / resume / cancel) that the runner polls between steps. A
//!   command is deleted by the commit that records its effect; the commands a killed
//!   runner left are delivered by the next one on resume.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::{Duration, Instant};

use gale_bytecode::workflow::{Program, Template};
use gale_store::{
    Batch, Claim, Command, Creation, ExecutionRecord, ImageRecord, Lease, Residency, Store,
    now_millis,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

use super::{ActionKey, Cmd, Engine, Event, Outcome, StartOptions, ThreadMsg, TraceEvent};
use crate::reads::{HistoryReads, history_reads};
use crate::state::{State, TaskEx, WorkflowEx};

/// The error Mistral's action heartbeat checker gives an action whose executor was
/// lost (`mistral/services/action_heartbeat_checker.py`).
pub const HEARTBEAT_LOST: &str = "Heartbeat wasn't received.";

/// The state info of a task held by `gale run --break-before`.
pub const BREAK_INFO: &str = "Paused by --break-before";

/// The state info of a task held by the `pause-before` policy (Mistral's text).
const PAUSE_BEFORE_INFO: &str = "Set by 'pause-before' policy";

/// How long a runner's lease lasts without renewal.
const LEASE: Duration = Duration::from_secs(5);
/// Renew the lease at least this often.
const RENEW: Duration = Duration::from_millis(1000);
/// Commit after this many steps without side effects.
pub const BATCH_STEPS: usize = 4096;
/// … or after this long.
pub const BATCH_TIME: Duration = Duration::from_millis(50);
/// Poll the command channel every this many steps (and whenever idle).
const POLL_STEPS: usize = 512;
/// The longest the loop sleeps (commands and lease renewal stay responsive).
const MAX_WAIT: Duration = Duration::from_millis(100);

/// Event kinds of the images a Gale before schema v4 appended to the event stream
/// (read by [`load_images`] only).
const KIND_WORKFLOW: &str = "gale.workflow";
const KIND_TASK: &str = "gale.task";
const KIND_ACTION: &str = "gale.action";
/// The name and input of each action execution, as dispatched.
const KIND_INPUT: &str = "gale.input";

type InputLog = Rc<RefCell<Vec<(String, String, Json)>>>;

/// The engine's journal in a durable run: keeps the name and checked input of every
/// action dispatched with a non-empty input (the rest of the state is in the images;
/// the name of an action without input comes from the task).
struct ActionInputs(InputLog);

impl crate::journal::Journal for ActionInputs {
    fn commit(&mut self, changes: &[crate::journal::Change]) {
        for c in changes {
            if let crate::journal::Change::Action {
                id, action, input, ..
            } = c
                && input.as_object().is_none_or(|m| !m.is_empty())
            {
                self.0
                    .borrow_mut()
                    .push((id.clone(), action.clone(), input.clone()));
            }
        }
    }
}

/// The name and input of every action execution of root execution `root_id`
/// (action execution id → (action name, input)).
pub fn action_inputs(
    store: &Store,
    root_id: &str,
) -> Result<HashMap<String, (String, Json)>, DurableError> {
    let mut out = HashMap::new();
    for ev in store.events(root_id, 0, None)? {
        if ev.kind != KIND_INPUT {
            continue;
        }
        let v: Json = match &ev.payload {
            Json::String(t) => serde_json::from_str(t)?,
            other => other.clone(),
        };
        if let (Some(id), Some(name)) = (v["id"].as_str(), v["action"].as_str()) {
            out.insert(id.to_string(), (name.to_string(), v["input"].clone()));
        }
    }
    Ok(out)
}

/// A task execution restored in full.
const FULL: u8 = 0;
/// A task execution restored from its stub.
const STUB: u8 = 1;
/// A task execution restored as a placeholder (an older execution of a task whose
/// latest execution is known; nothing reads it before it is faulted in).
const PLACEHOLDER: u8 = 2;

/// Tasks with at most this many actions carry them in their image.
const INLINE_ACTIONS: usize = 16;

/// What was written of a task's actions (tasks past [`INLINE_ACTIONS`]).
#[derive(Debug, Default)]
struct ActionsWritten {
    split: bool,
    written: usize,
    open: Vec<usize>,
    summary: (usize, usize),
}

/// Puts the faulted-in image of task execution `t` of `x` in its slot, with the
/// action images of its own (when it has any: they are then written separately).
fn install_image(
    d: &mut Durable,
    executions: &mut [WorkflowEx],
    x: usize,
    t: usize,
    task: Option<TaskEx>,
    actions: Vec<crate::state::ActionEx>,
) -> Result<(), DurableError> {
    let Some(mut task) = task else {
        return Err(DurableError::Other(format!(
            "execution {}: task image {x}/{t} is missing",
            d.root_id
        )));
    };
    if !actions.is_empty() {
        task.actions = actions;
        d.acts.insert(
            (x, t),
            ActionsWritten {
                split: true,
                written: task.actions.len(),
                open: Vec::new(),
                summary: action_summary(&task.actions),
            },
        );
    }
    if let Some(slot) = executions.get_mut(x).and_then(|w| w.tasks.get_mut(t)) {
        *slot = task;
    }
    Ok(())
}

/// (accepted, cleared) counts: a change among the actions already written means a
/// bulk update (retry, keep-result, rerun) and rewrites them all.
fn action_summary(actions: &[crate::state::ActionEx]) -> (usize, usize) {
    actions.iter().fold((0, 0), |(a, c), x| {
        (a + usize::from(x.accepted), c + usize::from(x.cleared))
    })
}
/// What resume reads of a task execution that is not resident (the `stub` column
/// of its image): (task index, state, error handled, timeout generation, id, next
/// tasks, whether its actions have images of their own). Everything else of a
/// completed task — contexts, published data, actions — is faulted in from its
/// image only when a step needs it ([`Engine::fault_in`]).
#[derive(Debug, Serialize, Deserialize)]
struct TaskStub(u32, State, bool, u64, String, Vec<(String, String)>, bool);

/// The stand-in of a task execution resume did not read (see [`PLACEHOLDER`]): a
/// completed, processed task with next tasks, so that no step looks further.
fn placeholder() -> TaskEx {
    TaskEx {
        id: String::new(),
        task: 0,
        name: String::new(),
        state: State::Success,
        state_info: None,
        in_context: Map::new(),
        published: Json::Object(Map::new()),
        actions: Vec::new(),
        next_tasks: Vec::new(),
        has_next_tasks: true,
        processed: true,
        error_handled: false,
        triggered_by: Vec::new(),
        unique_key: None,
        retry_no: 0,
        wait_after_done: false,
        items_count: None,
        items_next: 0,
        arrived: 0,
        items_done: 0,
        items_failed: false,
        generation: 0,
        items_inline: Vec::new(),
        items_inline_cleared: false,
    }
}

/// `--trace` of the expressions the engine evaluates again for the same task
/// execution — a with-items collection and its `concurrency`, once per
/// scheduling round: an evaluation whose value equals the last one recorded in
/// full for the same expression (same task execution, item, retry, place and
/// position) is recorded as `"unchanged": true` without its value, so that a
/// with-items of N items run `concurrency` at a time stores its collection once,
/// not N / concurrency times. `gale trace` puts the value back.
#[derive(Default)]
struct RepeatedValues {
    /// The last value recorded in full, per expression of a task execution.
    last: HashMap<RepeatKey, Json>,
}

/// (task execution id, item, retry, place, line, column) of an expression event.
type RepeatKey = (Rc<str>, Option<usize>, u64, Rc<str>, u32, u32);

/// How many values [`RepeatedValues`] keeps before it starts over (then the
/// next evaluation of each is recorded in full again).
const REPEAT_MEMORY: usize = 256;

impl RepeatedValues {
    /// The trace event of `e`, stamped `at`.
    fn event(&mut self, e: &crate::eval::ExprTrace, at: i64) -> Json {
        let repeatable = e.place.starts_with("with-items ") || &*e.place == "concurrency";
        let (Some(id), Ok(value), true) = (&e.task_execution_id, &e.result, repeatable) else {
            return e.to_json(at);
        };
        let key: RepeatKey = (
            Rc::from(id.as_str()),
            e.item,
            e.retry,
            e.place.clone(),
            e.line,
            e.column,
        );
        if self.last.get(&key) == Some(value) {
            let short = crate::eval::ExprTrace {
                result: Ok(Json::Null),
                workflow: e.workflow.clone(),
                execution_id: e.execution_id.clone(),
                task: e.task.clone(),
                task_execution_id: e.task_execution_id.clone(),
                item: e.item,
                retry: e.retry,
                place: e.place.clone(),
                language: e.language,
                text: e.text.clone(),
                line: e.line,
                column: e.column,
            };
            let mut j = short.to_json(at);
            if let Some(m) = j.as_object_mut() {
                m.remove("value");
                m.insert("unchanged".into(), Json::Bool(true));
            }
            return j;
        }
        if self.last.len() >= REPEAT_MEMORY {
            self.last.clear();
        }
        self.last.insert(key, value.clone());
        e.to_json(at)
    }
}

/// Reads a task image (a completed action's `null` result stays a result: serde
/// reads a JSON null as `None`).
fn parse_task(image: &str) -> Result<TaskEx, DurableError> {
    let mut task: TaskEx = serde_json::from_str(image)?;
    for a in &mut task.actions {
        if a.state.is_completed() && a.output.is_none() {
            a.output = Some(Json::Null);
        }
    }
    Ok(task)
}

/// Reads an action image (see [`parse_task`]).
fn parse_action(image: &str) -> Result<crate::state::ActionEx, DurableError> {
    let mut act: crate::state::ActionEx = serde_json::from_str(image)?;
    if act.state.is_completed() && act.output.is_none() {
        act.output = Some(Json::Null);
    }
    Ok(act)
}

/// Entity images read from the store, before they become the engine's state.
#[derive(Default)]
struct Images {
    execs: Vec<Option<WorkflowEx>>,
    tasks: Vec<Vec<Option<TaskEx>>>,
    /// Action images of split tasks, by (x, t).
    actions: HashMap<(usize, usize), Vec<crate::state::ActionEx>>,
    /// Tasks whose actions have images of their own.
    split: HashSet<(usize, usize)>,
    timings: Timings,
    /// Per workflow execution: its number of task executions, when recorded.
    lens: Vec<Option<usize>>,
}

impl Images {
    fn task_slot(&mut self, x: usize, t: usize) -> &mut Option<TaskEx> {
        if self.tasks.len() <= x {
            self.tasks.resize_with(x + 1, Vec::new);
        }
        if self.tasks[x].len() <= t {
            self.tasks[x].resize(t + 1, None);
        }
        &mut self.tasks[x][t]
    }

    /// Adds one image row.
    fn add(&mut self, r: &ImageRecord) -> Result<(), DurableError> {
        let (x, t, a) = (r.x as usize, r.t, r.a);
        if t < 0 {
            let wf: WorkflowEx = serde_json::from_str(&r.image)?;
            if self.execs.len() <= x {
                self.execs.resize(x + 1, None);
                self.lens.resize(x + 1, None);
            }
            self.execs[x] = Some(wf);
            self.lens[x] = r.stub.as_deref().and_then(|n| n.parse().ok());
        } else if a < 0 {
            let t = t as usize;
            if let Some(stub) = &r.stub
                && serde_json::from_str::<TaskStub>(stub).is_ok_and(|s| s.6)
            {
                self.split.insert((x, t));
            }
            self.timings.insert((x, t), (r.created_at, r.finished_at));
            *self.task_slot(x, t) = Some(parse_task(&r.image)?);
        } else {
            self.split.insert((x, t as usize));
            let list = self.actions.entry((x, t as usize)).or_default();
            if list.len() != a as usize {
                return Err(DurableError::Other(format!(
                    "action image {x}/{t}/{a} is out of order"
                )));
            }
            list.push(parse_action(&r.image)?);
        }
        Ok(())
    }

    /// The workflow executions, with every task slot filled; with `placeholders`,
    /// an empty slot (up to the workflow's recorded number of task executions)
    /// gets a [`placeholder`], otherwise it is an error.
    fn finish(
        mut self,
        root_id: &str,
        placeholders: bool,
    ) -> Result<(Vec<WorkflowEx>, Timings), DurableError> {
        let mut out = Vec::with_capacity(self.execs.len());
        for (x, wf) in std::mem::take(&mut self.execs).into_iter().enumerate() {
            let Some(mut wf) = wf else {
                return Err(DurableError::Other(format!(
                    "execution {root_id}: workflow image {x} is missing"
                )));
            };
            let ts = self
                .tasks
                .get_mut(x)
                .map(std::mem::take)
                .unwrap_or_default();
            let recorded = self.lens.get(x).copied().flatten().unwrap_or(0);
            let len = if placeholders {
                ts.len().max(recorded)
            } else {
                ts.len()
            };
            // Room for the tasks still to come: growing past the restored ones
            // would copy every one of them.
            let mut list = Vec::with_capacity(len + len.clamp(64, 4096));
            for (t, task) in ts.into_iter().enumerate() {
                match task {
                    Some(task) => list.push(task),
                    None if placeholders => list.push(placeholder()),
                    None => {
                        return Err(DurableError::Other(format!(
                            "execution {root_id}: task image {x}/{t} is missing"
                        )));
                    }
                }
            }
            list.resize_with(len, placeholder);
            wf.tasks = list;
            out.push(wf);
        }
        for ((x, t), acts) in self.actions.drain() {
            if let Some(task) = out.get_mut(x).and_then(|w| w.tasks.get_mut(t)) {
                task.actions = acts;
            }
        }
        if out.is_empty() {
            return Err(DurableError::Other(format!(
                "execution {root_id} has no recorded state"
            )));
        }
        Ok((out, self.timings))
    }
}

/// Trace event kind (`gale run --trace`).
pub const KIND_TRACE: &str = "trace";

type Job = Box<dyn FnOnce() -> Outcome + Send>;

/// Why a durable operation failed.
#[derive(Debug)]
pub enum DurableError {
    /// The store failed.
    Store(gale_store::StoreError),
    /// No execution with that id.
    NotFound(String),
    /// Another live process runs the execution.
    Busy(Lease),
    /// The execution cannot start (Mistral's error text).
    Start(String),
    /// Anything else (message for the user).
    Other(String),
}

impl std::fmt::Display for DurableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DurableError::Store(e) => write!(f, "store: {e}"),
            DurableError::NotFound(id) => write!(f, "no execution with id {id}"),
            DurableError::Busy(l) => write!(f, "the execution is being run by {}", l.runner),
            DurableError::Start(e) => write!(f, "{e}"),
            DurableError::Other(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DurableError {}

impl From<gale_store::StoreError> for DurableError {
    fn from(e: gale_store::StoreError) -> Self {
        DurableError::Store(e)
    }
}

impl From<serde_json::Error> for DurableError {
    fn from(e: serde_json::Error) -> Self {
        DurableError::Other(format!("state encoding: {e}"))
    }
}

/// Options of a durable start.
#[derive(Clone, Debug, Default)]
pub struct DurableOptions {
    /// The execution id (Mistral's idempotent creation: if it exists, nothing starts).
    pub id: Option<String>,
    /// The execution this one was created from (`gale run --from`).
    pub source_execution_id: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Record a trace (`gale run --trace`).
    pub trace: bool,
    /// Task names to pause before (`gale run --break-before`).
    pub break_before: Vec<String>,
}

/// The outcome of [`Engine::start_durable`].
#[derive(Debug)]
pub enum Started {
    /// A new execution (index of the root).
    Created(usize),
    /// An execution with the requested id already exists (nothing was started).
    Existing(Box<ExecutionRecord>),
}

/// An action that was in flight when the previous runner died.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostAction {
    /// Workflow execution id.
    pub execution_id: String,
    /// Task name.
    pub task: String,
    /// Action name.
    pub action: String,
    /// Action execution id.
    pub action_execution_id: String,
    /// Whether it is run again (`safe-rerun`) or failed with [`HEARTBEAT_LOST`].
    pub rerun: bool,
}

/// Task timings read from the images (ms since the epoch, commit granularity).
pub type Timings = HashMap<(usize, usize), (i64, Option<i64>)>;

/// How a durable run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// The root execution completed (SUCCESS, ERROR or CANCELLED).
    Completed,
    /// The root execution is PAUSED and nothing is in flight (resume it later).
    Paused,
    /// Nothing can happen any more but the execution is still RUNNING.
    Stuck,
}

// ------------------------------------------------------------------ frontier

#[derive(Clone, Debug, Serialize, Deserialize)]
enum OutcomeImage {
    Ok(Json),
    Err(Json),
    Pending,
    SubErr(Json, String),
    SubCancelled(Json, Option<String>),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
enum EventImage {
    RunTask(usize, usize),
    ActionDone(usize, usize, usize, OutcomeImage),
    Continue(usize, usize),
    CompleteDelayed(usize, usize, State, Option<String>),
    Timeout(usize, usize, u64, u64),
    CheckComplete(usize),
    RefreshJoins(usize),
    RefreshJoin(usize, usize),
}

fn outcome_image(o: &Outcome) -> OutcomeImage {
    match o {
        Outcome::Ok(v) => OutcomeImage::Ok(v.clone()),
        Outcome::Err(v) => OutcomeImage::Err(v.clone()),
        Outcome::Pending => OutcomeImage::Pending,
        Outcome::SubErr(v, s) => OutcomeImage::SubErr(v.clone(), s.clone()),
        Outcome::SubCancelled(v, s) => OutcomeImage::SubCancelled(v.clone(), s.clone()),
    }
}

fn outcome_of(o: OutcomeImage) -> Outcome {
    match o {
        OutcomeImage::Ok(v) => Outcome::Ok(v),
        OutcomeImage::Err(v) => Outcome::Err(v),
        OutcomeImage::Pending => Outcome::Pending,
        OutcomeImage::SubErr(v, s) => Outcome::SubErr(v, s),
        OutcomeImage::SubCancelled(v, s) => Outcome::SubCancelled(v, s),
    }
}

fn event_image(e: &Event) -> EventImage {
    match e {
        Event::RunTask(x, t) => EventImage::RunTask(*x, *t),
        Event::ActionDone(x, t, a, o) => EventImage::ActionDone(*x, *t, *a, outcome_image(o)),
        Event::Continue(x, t) => EventImage::Continue(*x, *t),
        Event::CompleteDelayed(x, t, s, i) => EventImage::CompleteDelayed(*x, *t, *s, i.clone()),
        Event::Timeout(x, t, g, s) => EventImage::Timeout(*x, *t, *g, *s),
        Event::CheckComplete(x) => EventImage::CheckComplete(*x),
        Event::RefreshJoins(x) => EventImage::RefreshJoins(*x),
        Event::RefreshJoin(x, t) => EventImage::RefreshJoin(*x, *t),
    }
}

fn event_of(e: EventImage) -> Event {
    match e {
        EventImage::RunTask(x, t) => Event::RunTask(x, t),
        EventImage::ActionDone(x, t, a, o) => Event::ActionDone(x, t, a, outcome_of(o)),
        EventImage::Continue(x, t) => Event::Continue(x, t),
        EventImage::CompleteDelayed(x, t, s, i) => Event::CompleteDelayed(x, t, s, i),
        EventImage::Timeout(x, t, g, s) => Event::Timeout(x, t, g, s),
        EventImage::CheckComplete(x) => Event::CheckComplete(x),
        EventImage::RefreshJoins(x) => Event::RefreshJoins(x),
        EventImage::RefreshJoin(x, t) => Event::RefreshJoin(x, t),
    }
}

/// An action running on a worker thread, with what it takes to run it again.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct InFlight {
    key: (usize, usize, usize),
    action_execution_id: String,
    action: String,
    input: Map<String, Json>,
    execution_id: String,
    task_name: String,
    #[serde(default)]
    item_index: Option<usize>,
    timeout: Option<f64>,
    class: Option<String>,
    outputs: Vec<Template>,
    safe_rerun: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Frontier {
    queue: Vec<EventImage>,
    /// (wall-clock deadline in ms, event).
    timers: Vec<(i64, EventImage)>,
    in_flight: Vec<InFlight>,
    /// Task executions already held by `--break-before`.
    broken: Vec<String>,
    break_before: Vec<String>,
    trace: bool,
}

/// The durable side of a running engine (see the module docs).
pub struct Durable {
    store: Store,
    root_id: String,
    runner: String,
    records_written: usize,
    record_state: Vec<(State, bool)>,
    written_execs: usize,
    open_execs: Vec<usize>,
    written_tasks: Vec<usize>,
    open_tasks: Vec<Vec<usize>>,
    marked: Vec<(usize, Option<usize>)>,
    acts: HashMap<(usize, usize), ActionsWritten>,
    /// The root record to create in the first commit.
    create: Option<ExecutionRecord>,
    /// Set when that record already existed.
    existing: Option<Box<ExecutionRecord>>,
    in_flight: Vec<InFlight>,
    deferred: Vec<(ActionKey, Job)>,
    steps: usize,
    /// Something changed since the last commit.
    dirty: bool,
    polls: usize,
    last_commit: Instant,
    last_renew: Instant,
    data_version: i64,
    trace: Option<Rc<RefCell<Vec<Json>>>>,
    /// Trace entries already looked at by `trace_step`.
    traced: usize,
    inputs_traced: usize,
    inputs: InputLog,
    break_before: Vec<String>,
    broken: Vec<String>,
    /// Actions that were in flight when the previous runner died (set by resume).
    pub lost: Vec<LostAction>,
    /// Per workflow execution and task execution: [`FULL`], [`STUB`] or
    /// [`PLACEHOLDER`] — what resume restored; the full image of the others is
    /// faulted in from the store on demand ([`Engine::fault_in`]).
    partial: Vec<Vec<u8>>,
    /// How many entries of `partial` are not [`FULL`].
    partial_count: usize,
    /// The last task execution written per (workflow execution, task): its
    /// predecessor's stub is omitted from resume.
    written_latest: HashMap<(usize, u32), usize>,
    /// The completed tasks the program's expressions may read: resident.
    history: HistoryReads,
    /// Per workflow of the program: the names of its join tasks.
    joins: Vec<Vec<String>>,
    /// The last command applied and not yet committed: deleted from the store in
    /// the transaction that commits its effect.
    taken: Option<i64>,
}

impl Durable {
    /// An action run on a worker thread came back: it is no longer in flight.
    pub(super) fn action_returned(&mut self, key: ActionKey) {
        self.in_flight.retain(|f| f.key != key);
    }

    fn new(store: Store, root_id: String, runner: String, program: &Program) -> Durable {
        let history = history_reads(program);
        let joins = program
            .workflows
            .iter()
            .map(|w| {
                w.tasks
                    .iter()
                    .filter(|t| t.join.is_some())
                    .map(|t| t.name.clone())
                    .collect()
            })
            .collect();
        Durable {
            partial: Vec::new(),
            partial_count: 0,
            written_latest: HashMap::new(),
            history,
            joins,
            taken: None,
            store,
            root_id,
            runner,
            records_written: 0,
            record_state: Vec::new(),
            written_execs: 0,
            open_execs: Vec::new(),
            written_tasks: Vec::new(),
            open_tasks: Vec::new(),
            marked: Vec::new(),
            acts: HashMap::new(),
            create: None,
            existing: None,
            in_flight: Vec::new(),
            deferred: Vec::new(),
            steps: 0,
            dirty: true,
            polls: 0,
            last_commit: Instant::now(),
            last_renew: Instant::now(),
            data_version: 0,
            trace: None,
            traced: 0,
            inputs_traced: 0,
            inputs: Rc::new(RefCell::new(Vec::new())),
            break_before: Vec::new(),
            broken: Vec::new(),
            lost: Vec::new(),
        }
    }
}

/// Engine state → store state.
pub fn store_state(s: State) -> gale_store::State {
    match s {
        State::Idle => gale_store::State::Idle,
        State::Waiting => gale_store::State::Waiting,
        State::Running => gale_store::State::Running,
        State::RunningDelayed => gale_store::State::Delayed,
        State::Paused => gale_store::State::Paused,
        State::Success => gale_store::State::Success,
        State::Error => gale_store::State::Error,
        State::Cancelled => gale_store::State::Cancelled,
    }
}

/// The program stored with an execution (`ExecutionRecord::definition`).
pub fn program_of(record: &ExecutionRecord) -> Result<Program, DurableError> {
    let Some(def) = &record.definition else {
        return Err(DurableError::Other(format!(
            "execution {} has no stored program",
            record.id
        )));
    };
    let bytes = def
        .strip_prefix(DEFINITION_PREFIX)
        .and_then(base64_decode)
        .ok_or_else(|| {
            DurableError::Other(format!(
                "execution {}: the stored program is not a gale artifact",
                record.id
            ))
        })?;
    gale_bytecode::workflow::artifact::decode_program(&bytes).map_err(|e| {
        DurableError::Other(format!(
            "execution {}: the stored program cannot be read by this version of gale: {e}",
            record.id
        ))
    })
}

/// The prefix of a stored program (`ExecutionRecord::definition`): the compiled
/// artifact (`gale compile -o`), base64.
const DEFINITION_PREFIX: &str = "gale-artifact;base64,";

/// The text stored as an execution's definition.
pub fn encode_definition(program: &Program) -> String {
    let bytes = gale_bytecode::workflow::artifact::encode_program(program);
    format!("{DEFINITION_PREFIX}{}", base64_encode(&bytes))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' {
            break;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The root execution id of `id` (itself for a root).
pub fn root_id_of(store: &Store, id: &str) -> Result<String, DurableError> {
    store
        .root_execution_id(id)?
        .ok_or_else(|| DurableError::NotFound(id.to_string()))
}

/// Whether the lease holder is a dead process on this host (`<pid>@<host>/…`).
pub fn holder_is_dead(lease: &Lease) -> bool {
    let mine = gale_store::runner_id();
    let host_of = |r: &str| {
        r.split_once('@')
            .map(|(_, rest)| rest.split('/').next().unwrap_or("").to_string())
    };
    if host_of(&lease.runner) != host_of(&mine) {
        return lease.expires_at < now_millis();
    }
    let Some(pid) = lease
        .runner
        .split_once('@')
        .and_then(|(p, _)| p.parse::<i32>().ok())
    else {
        return lease.expires_at < now_millis();
    };
    !process_alive(pid)
}

#[cfg(unix)]
fn process_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let r = unsafe { libc::kill(pid, 0) };
    let exists = r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
    exists && !is_zombie(pid)
}

/// Whether `pid` is a zombie (killed, not yet reaped by its parent: `timeout -s
/// KILL`, or a container whose init does not reap) — dead for a lease. Read from
/// `/proc/<pid>/stat`, whose third field is the state; false where there is none.
#[cfg(unix)]
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // `pid (comm) S …`: comm may hold spaces and parentheses.
            let (_, rest) = stat.rsplit_once(')')?;
            rest.trim_start().chars().next()
        })
        .is_some_and(|state| matches!(state, 'Z' | 'X'))
}

#[cfg(not(unix))]
fn process_alive(_pid: i32) -> bool {
    true
}

/// Whether a live process holds the execution's lease.
pub fn live_runner(store: &Store, root_id: &str) -> Result<Option<Lease>, DurableError> {
    Ok(store
        .lease(root_id)?
        .filter(|l| l.expires_at >= now_millis() && !holder_is_dead(l)))
}

fn trace_json(e: &TraceEvent) -> Json {
    let at = now_millis();
    match e {
        TraceEvent::TaskStarted { task } => {
            json!({"event": "task-started", "task": task, "at": at})
        }
        TraceEvent::TaskCompleted { task, state } => {
            json!({"event": "task-completed", "task": task, "state": state.name(), "at": at})
        }
        TraceEvent::Transition { from, to, event } => {
            json!({"event": "transition", "from": from, "to": to, "on": event, "at": at})
        }
    }
}

/// A loaded durable state (read-only inspection: `executions show`, `why`).
pub struct Loaded {
    /// The engine with `executions` restored (index 0 is the root).
    pub engine: Engine,
    /// Task timings.
    pub timings: Timings,
}

/// Replays the images of root execution `root_id` from its event stream (how a
/// Gale before schema version 4 recorded them; last image wins).
fn load_images(store: &Store, root_id: &str) -> Result<(Vec<WorkflowEx>, Timings), DurableError> {
    let mut execs: Vec<Option<WorkflowEx>> = Vec::new();
    let mut tasks: Vec<Vec<Option<TaskEx>>> = Vec::new();
    let mut timings: Timings = HashMap::new();
    let mut split: HashMap<(usize, usize), Vec<Option<crate::state::ActionEx>>> = HashMap::new();
    for ev in store.events(root_id, 0, None)? {
        if ev.kind != KIND_WORKFLOW && ev.kind != KIND_TASK && ev.kind != KIND_ACTION {
            continue;
        }
        let mut ev = ev;
        if let Json::String(text) = &ev.payload {
            ev.payload = serde_json::from_str(text)?;
        }
        match ev.kind.as_str() {
            KIND_WORKFLOW => {
                let x = ev.payload["x"].as_u64().unwrap_or(0) as usize;
                let wf: WorkflowEx = serde_json::from_value(ev.payload["v"].clone())?;
                if execs.len() <= x {
                    execs.resize(x + 1, None);
                }
                execs[x] = Some(wf);
            }
            KIND_ACTION => {
                let x = ev.payload["x"].as_u64().unwrap_or(0) as usize;
                let t = ev.payload["t"].as_u64().unwrap_or(0) as usize;
                let a = ev.payload["a"].as_u64().unwrap_or(0) as usize;
                let mut act: crate::state::ActionEx =
                    serde_json::from_value(ev.payload["v"].clone())?;
                if act.state.is_completed() && act.output.is_none() {
                    act.output = Some(Json::Null);
                }
                let slot = split.entry((x, t)).or_default();
                if slot.len() <= a {
                    slot.resize(a + 1, None);
                }
                slot[a] = Some(act);
            }
            KIND_TASK => {
                let x = ev.payload["x"].as_u64().unwrap_or(0) as usize;
                let t = ev.payload["t"].as_u64().unwrap_or(0) as usize;
                let at = ev.payload["at"].as_i64().unwrap_or(ev.at);
                let mut task: TaskEx = serde_json::from_value(ev.payload["v"].clone())?;
                // serde reads a JSON null as `None`: a completed action's result
                // (`Some(null)`, e.g. std.noop) must stay a result.
                for a in &mut task.actions {
                    if a.state.is_completed() && a.output.is_none() {
                        a.output = Some(Json::Null);
                    }
                }
                if tasks.len() <= x {
                    tasks.resize(x + 1, Vec::new());
                }
                if tasks[x].len() <= t {
                    tasks[x].resize(t + 1, None);
                }
                let entry = timings.entry((x, t)).or_insert((at, None));
                if task.state.is_completed() {
                    entry.1.get_or_insert(at);
                } else {
                    entry.1 = None;
                }
                tasks[x][t] = Some(task);
            }
            _ => {}
        }
    }
    let mut out = Vec::with_capacity(execs.len());
    for (x, wf) in execs.into_iter().enumerate() {
        let Some(mut wf) = wf else {
            return Err(DurableError::Other(format!(
                "execution {root_id}: workflow image {x} is missing"
            )));
        };
        let ts = tasks.get_mut(x).map(std::mem::take).unwrap_or_default();
        let mut list = Vec::with_capacity(ts.len());
        for (t, task) in ts.into_iter().enumerate() {
            match task {
                Some(mut task) => {
                    if let Some(acts) = split.remove(&(x, t)) {
                        let mut out = Vec::with_capacity(acts.len());
                        for (a, act) in acts.into_iter().enumerate() {
                            out.push(act.ok_or_else(|| {
                                DurableError::Other(format!(
                                    "execution {root_id}: action image {x}/{t}/{a} is missing"
                                ))
                            })?);
                        }
                        task.actions = out;
                    }
                    list.push(task)
                }
                None => {
                    return Err(DurableError::Other(format!(
                        "execution {root_id}: task image {x}/{t} is missing"
                    )));
                }
            }
        }
        wf.tasks = list;
        out.push(wf);
    }
    if out.is_empty() {
        return Err(DurableError::Other(format!(
            "execution {root_id} has no recorded state"
        )));
    }
    Ok((out, timings))
}

/// Loads an execution for inspection (no lease, nothing runs). `id` may be a
/// sub-workflow execution; the whole tree is loaded. Returns the loaded state and
/// the index of `id`.
pub fn load(
    store: &Store,
    id: &str,
    setup: impl FnOnce(&mut Engine),
) -> Result<(Loaded, usize), DurableError> {
    let root_id = root_id_of(store, id)?;
    let root = store
        .get_execution(&root_id)?
        .ok_or_else(|| DurableError::NotFound(root_id.clone()))?;
    let program = program_of(&root)?;
    let mut engine = Engine::new(Rc::new(program));
    setup(&mut engine);
    let (execs, timings) = if store.has_images(&root_id)? {
        let mut images = Images::default();
        for r in store.all_images(&root_id)? {
            images.add(&r)?;
        }
        images.finish(&root_id, false)?
    } else {
        load_images(store, &root_id)?
    };
    engine.executions = execs;
    engine.rebuild_derived();
    let idx = engine
        .executions
        .iter()
        .position(|w| w.id == id)
        .ok_or_else(|| DurableError::NotFound(id.to_string()))?;
    Ok((Loaded { engine, timings }, idx))
}

impl Engine {
    // ------------------------------------------------------------ start

    /// Rebuilds what the engine derives from `executions` and the queue (indexes and
    /// caches) after the state was restored from the store.
    fn rebuild_derived(&mut self) {
        self.latest.clear();
        for x in 0..self.executions.len() {
            let mut per: Vec<usize> = Vec::new();
            let flags = self.durable.as_ref().and_then(|d| d.partial.get(x));
            for (te, t) in self.executions[x].tasks.iter().enumerate() {
                if flags.and_then(|f| f.get(te)) == Some(&PLACEHOLDER) {
                    continue;
                }
                let k = t.task as usize;
                if per.len() <= k {
                    per.resize(k + 1, usize::MAX);
                }
                per[k] = te;
            }
            self.latest.push(per);
        }
        self.host_cache.borrow_mut().clear();
        self.joins_dirty = self
            .queue
            .iter()
            .any(|e| matches!(e, Event::RefreshJoins(_)));
    }

    /// Starts workflow `name` as a durable execution recorded in `store`.
    /// With `options.id` naming an existing execution, returns it and starts
    /// nothing (Mistral's idempotent creation).
    pub fn start_durable(
        &mut self,
        store: Store,
        name: &str,
        opts: &StartOptions,
        options: &DurableOptions,
    ) -> Result<Started, DurableError> {
        if let Some(id) = &options.id
            && let Some(rec) = store.get_execution(id)?
        {
            return Ok(Started::Existing(Box::new(rec)));
        }
        // `--trace`: the expressions evaluated by `start` (`env`, `vars`).
        let early: Rc<RefCell<Vec<Json>>> = Rc::default();
        if options.trace {
            let sink = early.clone();
            let hook =
                move |e: &crate::eval::ExprTrace| sink.borrow_mut().push(e.to_json(now_millis()));
            self.ev.set_trace(&self.program, Box::new(hook));
        }
        let root = self
            .start(name, opts)
            .map_err(|e| DurableError::Start(e.error))?;
        if let Some(id) = &options.id {
            let wf = &mut self.executions[root];
            wf.id = id.clone();
            wf.context
                .insert("__execution".into(), json!({"id": id.clone()}));
        }
        let mut rec = self.record_of(root);
        rec.definition = Some(encode_definition(&self.program));
        rec.description = options.description.clone();
        rec.source_execution_id = options.source_execution_id.clone();
        let runner = gale_store::runner_id();
        let id = rec.id.clone();
        let mut d = Durable::new(store, id.clone(), runner.clone(), &self.program);
        d.records_written = 1;
        d.record_state.push((self.executions[root].state, false));
        d.break_before = options.break_before.clone();
        // The record is created in the transaction of the first commit: an execution
        // exists in the store only with its first state (a kill in between leaves
        // nothing half-made), and a concurrent `--id` duplicate is caught there.
        d.create = Some(rec);
        self.journal = Box::new(ActionInputs(d.inputs.clone()));
        self.durable = Some(Box::new(d));
        if options.trace {
            self.record_trace();
            let mut early = early.take();
            for e in &mut early {
                e["execution_id"] = json!(id);
            }
            self.trace_notes(early);
        }
        let r = self.durable_commit();
        let existing = self.durable.as_mut().and_then(|d| d.existing.take());
        if existing.is_some() || r.is_err() {
            self.durable = None;
            self.journal = Box::new(crate::journal::NoJournal);
        }
        r?;
        if let Some(e) = existing {
            return Ok(Started::Existing(e));
        }
        if let Some(d) = &mut self.durable
            && let Claim::HeldBy(l) = d.store.claim(&id, &runner, LEASE, false)?
        {
            return Err(DurableError::Busy(l));
        }
        Ok(Started::Created(root))
    }

    fn record_trace(&mut self) {
        let buf: Rc<RefCell<Vec<Json>>> = Rc::new(RefCell::new(Vec::new()));
        let sink = buf.clone();
        let mut inner = self.trace.take();
        self.trace = Some(Box::new(move |e: &TraceEvent| {
            sink.borrow_mut().push(trace_json(e));
            if let Some(i) = &mut inner {
                i(e);
            }
        }));
        let exprs = buf.clone();
        let mut repeats = RepeatedValues::default();
        self.ev.set_trace(
            &self.program,
            Box::new(move |e| exprs.borrow_mut().push(repeats.event(e, now_millis()))),
        );
        if let Some(d) = &mut self.durable {
            d.trace = Some(buf);
        }
    }

    /// Adds `notes` at the start of the trace not yet committed.
    fn trace_notes(&mut self, notes: Vec<Json>) {
        if let Some(d) = &self.durable
            && let Some(t) = &d.trace
        {
            t.borrow_mut().splice(0..0, notes);
        }
    }

    fn trace_note(&mut self, v: Json) {
        if let Some(d) = &self.durable
            && let Some(t) = &d.trace
        {
            t.borrow_mut().push(v);
        }
    }

    /// The store record of execution `x` (without the program).
    fn record_of(&self, x: usize) -> ExecutionRecord {
        let wf = &self.executions[x];
        let mut r = ExecutionRecord::new(wf.id.clone(), wf.name.clone());
        r.input = Json::Object(wf.input.clone());
        r.env = wf.env.get("__env").cloned().unwrap_or(json!({}));
        r.params = Json::Object(wf.params.clone());
        r.state = store_state(wf.state);
        r.state_info = wf.state_info.clone();
        r.output = wf.output.clone();
        if let Some((p, pt, _)) = wf.parent {
            r.parent_execution_id = Some(self.executions[p].id.clone());
            r.parent_task_execution_id = self.executions[p].tasks.get(pt).map(|t| t.id.clone());
            r.root_execution_id = Some(self.executions[self.root_of(x)].id.clone());
        }
        r
    }

    // ------------------------------------------------------------ commit

    /// Commits every change since the previous commit (one store transaction), then
    /// starts the deferred actions.
    fn durable_commit(&mut self) -> Result<(), DurableError> {
        let Some(mut d) = self.durable.take() else {
            return Ok(());
        };
        let r = self.commit_with(&mut d);
        let jobs = std::mem::take(&mut d.deferred);
        self.durable = Some(d);
        r?;
        for (key, job) in jobs {
            self.spawn_now(key, job);
        }
        Ok(())
    }

    fn commit_with(&mut self, d: &mut Durable) -> Result<(), DurableError> {
        let now = now_millis();
        let mut batch = Batch::new();
        let n = self.executions.len();
        let root_id = d.root_id.clone();
        // Records of new (sub-)executions, state of known ones.
        for x in d.records_written..n {
            batch.upsert_execution(self.record_of(x));
            let wf = &self.executions[x];
            d.record_state.push((wf.state, wf.output.is_some()));
        }
        d.records_written = n;
        // Workflow images.
        let mut xs: Vec<usize> = std::mem::take(&mut d.open_execs);
        xs.extend(d.written_execs..n);
        for (x, _) in &d.marked {
            xs.push(*x);
        }
        xs.sort_unstable();
        xs.dedup();
        for &x in &xs {
            let tasks = std::mem::take(&mut self.executions[x].tasks);
            let v = serde_json::to_string(&self.executions[x]);
            self.executions[x].tasks = tasks;
            let wf = &self.executions[x];
            batch.upsert_image(
                &root_id,
                ImageRecord {
                    x: x as i64,
                    t: -1,
                    a: -1,
                    residency: Residency::Resident,
                    // The number of task executions: resume puts placeholders
                    // where it reads neither an image nor a stub.
                    stub: Some(wf.tasks.len().to_string()),
                    image: v?,
                    created_at: now,
                    finished_at: wf.state.is_completed().then_some(now),
                },
            );
            let now_state = (wf.state, wf.output.is_some());
            if x < d.record_state.len() && d.record_state[x] != now_state {
                d.record_state[x] = now_state;
                batch.set_execution_state(
                    &wf.id,
                    store_state(wf.state),
                    wf.state_info.clone(),
                    wf.output.clone(),
                    now,
                );
            }
            if !wf.state.is_completed() {
                d.open_execs.push(x);
            }
        }
        d.written_execs = n;
        // Task images.
        if d.written_tasks.len() < n {
            d.written_tasks.resize(n, 0);
            d.open_tasks.resize(n, Vec::new());
        }
        let marked = std::mem::take(&mut d.marked);
        for x in 0..n {
            let len = self.executions[x].tasks.len();
            let mut ts: Vec<usize> = std::mem::take(&mut d.open_tasks[x]);
            ts.extend(d.written_tasks[x]..len);
            for (mx, mt) in &marked {
                if *mx == x
                    && let Some(t) = mt
                {
                    ts.push(*t);
                }
            }
            if ts.is_empty() {
                continue;
            }
            ts.sort_unstable();
            ts.dedup();
            for t in ts {
                let forced = marked.contains(&(x, Some(t)));
                self.write_task(d, &mut batch, &root_id, now, x, t, forced)?;
            }
            d.written_tasks[x] = len;
        }
        // Action names and inputs.
        d.inputs_traced = 0;
        for (id, action, input) in d.inputs.borrow_mut().drain(..) {
            let v = json!({"id": id, "action": action, "input": input});
            batch.append_event(root_id.clone(), KIND_INPUT, Json::String(v.to_string()));
        }
        // Trace.
        if let Some(t) = &d.trace {
            for v in t.borrow_mut().drain(..) {
                batch.append_event(root_id.clone(), KIND_TRACE, v);
            }
            d.traced = 0;
        }
        // Frontier.
        let wall = now;
        let inst = Instant::now();
        let frontier = Frontier {
            queue: self.queue.iter().map(event_image).collect(),
            timers: self
                .timers
                .iter()
                .map(|(at, e)| {
                    let left = at.saturating_duration_since(inst).as_millis() as i64;
                    (wall + left, event_image(e))
                })
                .collect(),
            in_flight: d.in_flight.clone(),
            broken: d.broken.clone(),
            break_before: d.break_before.clone(),
            trace: d.trace.is_some(),
        };
        batch.save_snapshot(root_id.clone(), serde_json::to_vec(&frontier)?);
        let renew = d.last_renew.elapsed() >= RENEW;
        let runner = d.runner.clone();
        let create = d.create.take();
        let taken = d.taken;
        let existing = d.store.transaction(|tx| {
            if let Some(rec) = &create
                && let Creation::Existing(r) = tx.create_execution_if_absent(rec)?
            {
                return Ok(Some(r));
            }
            batch.apply(tx)?;
            // Commands applied since the last commit are consumed together with
            // their effect.
            if let Some(last) = taken {
                tx.delete_commands_through(&root_id, last)?;
            }
            if renew {
                tx.renew_claim(&root_id, &runner, now + LEASE.as_millis() as i64)?;
            }
            Ok(None)
        })?;
        if existing.is_some() {
            d.existing = existing;
            return Ok(());
        }
        if renew {
            d.last_renew = Instant::now();
        }
        if d.taken == taken {
            d.taken = None;
        }
        d.steps = 0;
        d.dirty = false;
        d.last_commit = Instant::now();
        Ok(())
    }

    /// Appends the image of task `t` of execution `x`. A task with few actions
    /// carries them in its image; past [`INLINE_ACTIONS`] its actions get images of
    /// their own, written only when new or changed (a with-items task of 100,000
    /// iterations is not rewritten at every commit).
    #[allow(clippy::too_many_arguments)]
    fn write_task(
        &mut self,
        d: &mut Durable,
        batch: &mut Batch,
        root_id: &str,
        now: i64,
        x: usize,
        t: usize,
        forced: bool,
    ) -> Result<(), DurableError> {
        // Of the other completed tasks, the engine reads only the latest execution
        // of each task, and only to evaluate joins: a stub for those, nothing for
        // the rest (a placeholder holds their place until faulted in).
        let w = self.executions[x].workflow;
        let residency = if self.resident(d, x, t) {
            Residency::Resident
        } else if d.joins.get(w).is_some_and(|j| !j.is_empty())
            && self.latest(x, self.executions[x].tasks[t].task) == Some(t)
        {
            Residency::Stub
        } else {
            Residency::Omitted
        };
        // A later execution of the same task supersedes the stub of the previous.
        let k = self.executions[x].tasks[t].task;
        match d.written_latest.insert((x, k), t) {
            Some(p) if p < t => batch.omit_image(root_id, x as i64, p as i64),
            Some(p) if p > t => {
                d.written_latest.insert((x, k), p);
            }
            _ => {}
        }
        let task = &mut self.executions[x].tasks[t];
        // A task stays open (rewritten at each commit) until it completed and its
        // completion was processed.
        if !task.state.is_completed() || !task.processed {
            d.open_tasks[x].push(t);
        }
        let finished_at = task.state.is_completed().then_some(now);
        let st = d.acts.entry((x, t)).or_default();
        let split = task.actions.len() > INLINE_ACTIONS || st.split;
        let stub = serde_json::to_string(&TaskStub(
            task.task,
            task.state,
            task.error_handled,
            task.generation,
            task.id.clone(),
            task.next_tasks.clone(),
            split,
        ))?;
        let image = |v: String| ImageRecord {
            x: x as i64,
            t: t as i64,
            a: -1,
            residency,
            stub: Some(stub),
            image: v,
            created_at: now,
            finished_at,
        };
        if !split {
            batch.upsert_image(root_id, image(serde_json::to_string(&*task)?));
            return Ok(());
        }
        let actions = std::mem::take(&mut task.actions);
        let v = serde_json::to_string(&*task);
        task.actions = actions;
        batch.upsert_image(root_id, image(v?));
        let actions = &self.executions[x].tasks[t].actions;
        let before = action_summary(&actions[..st.written.min(actions.len())]);
        let all = forced || !st.split || before != st.summary;
        let summary = action_summary(actions);
        let mut idx: Vec<usize> = if all {
            (0..actions.len()).collect()
        } else {
            let mut v = std::mem::take(&mut st.open);
            v.extend(st.written..actions.len());
            v.sort_unstable();
            v.dedup();
            v
        };
        idx.retain(|a| *a < actions.len());
        st.open.clear();
        for a in idx {
            let act = &actions[a];
            if !act.state.is_completed() {
                st.open.push(a);
            }
            batch.upsert_image(
                root_id,
                ImageRecord {
                    x: x as i64,
                    t: t as i64,
                    a: a as i64,
                    residency: Residency::Omitted,
                    stub: None,
                    image: serde_json::to_string(act)?,
                    created_at: now,
                    finished_at: act.state.is_completed().then_some(now),
                },
            );
        }
        st.split = true;
        st.written = actions.len();
        st.summary = summary;
        Ok(())
    }

    // ------------------------------------------------------------ actions

    /// Starts an action on a worker thread — after the next commit when durable.
    pub(super) fn spawn_action(
        &mut self,
        key: ActionKey,
        job: Job,
        outputs: Rc<Vec<Template>>,
        replay: Option<(
            crate::actions::ActionRequest,
            Option<crate::builtin::Deadline>,
        )>,
    ) {
        self.in_flight += 1;
        let safe = match (&self.durable, &replay) {
            (Some(_), Some(_)) => self.safe_rerun(key.0, key.1),
            _ => false,
        };
        let outs: Vec<Template> = outputs.as_ref().clone();
        self.adhoc_pending.push((key, outputs));
        match (&mut self.durable, replay) {
            (Some(d), Some((req, deadline))) => {
                d.in_flight.push(InFlight {
                    key,
                    action_execution_id: req.action_execution_id.clone(),
                    action: req.action.clone(),
                    input: req.input.clone(),
                    execution_id: req.execution_id.clone(),
                    task_name: req.task_name.clone(),
                    item_index: req.item_index,
                    timeout: req.timeout.map(|t| t.as_secs_f64()),
                    class: deadline.map(|d| d.class),
                    outputs: outs,
                    safe_rerun: safe,
                });
                d.deferred.push((key, job));
            }
            _ => self.spawn_now(key, job),
        }
    }

    fn spawn_now(&mut self, key: ActionKey, job: Job) {
        let tx = self.tx.clone();
        let (exec, task, action) = key;
        std::thread::spawn(move || {
            let outcome = job();
            let _ = tx.send(ThreadMsg {
                exec,
                task,
                action,
                outcome,
            });
        });
    }

    /// The task's `safe-rerun` (default false).
    fn safe_rerun(&self, x: usize, te: usize) -> bool {
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[x].workflow].tasks
            [self.executions[x].tasks[te].task as usize];
        match &spec.safe_rerun {
            Some(t) => self
                .eval_task(x, te, t, None)
                .map(|v| super::truthy(&v))
                .unwrap_or(false),
            None => false,
        }
    }

    // ------------------------------------------------------------ loop

    /// Runs a durable execution until its root completes, or is PAUSED with nothing
    /// in flight (then it can be resumed later), committing as it goes.
    ///
    /// After a resume, the tasks nothing read stay stubs or placeholders: the
    /// workflows' states and outputs ([`Engine::summary_json`]) are exact, but call
    /// [`Engine::fault_in_all`] before reading every task (`result_json`), which
    /// costs a read of the whole history.
    pub fn run_durable(&mut self, root: usize) -> Result<RunEnd, DurableError> {
        let r = self.run_durable_inner(root);
        let c = self.idle_commit();
        if let Some(d) = &mut self.durable {
            let _ = d.store.release_claim(&d.root_id, &d.runner);
        }
        let end = r?;
        c?;
        Ok(end)
    }

    /// Commits and gives the execution back (releases the lease) without running.
    pub fn release_durable(&mut self) -> Result<(), DurableError> {
        let c = self.durable_commit();
        if let Some(d) = &mut self.durable {
            d.store.release_claim(&d.root_id, &d.runner)?;
        }
        c
    }

    fn run_durable_inner(&mut self, root: usize) -> Result<RunEnd, DurableError> {
        // Actions deferred before the loop (resume, rerun, commands) start now.
        self.idle_commit()?;
        loop {
            while let Ok(m) = self.rx.try_recv() {
                self.receive(m);
            }
            let now = Instant::now();
            let mut due: Vec<usize> = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (t, _))| *t <= now)
                .map(|(i, _)| i)
                .collect();
            due.sort_by_key(|i| self.timers[*i].0);
            if !due.is_empty() {
                let mut fired: Vec<(Instant, Event)> = Vec::new();
                let mut keep = Vec::new();
                for (i, te) in std::mem::take(&mut self.timers).into_iter().enumerate() {
                    if due.contains(&i) {
                        fired.push(te);
                    } else {
                        keep.push(te);
                    }
                }
                self.timers = keep;
                fired.sort_by_key(|(t, _)| *t);
                for (_, e) in fired {
                    self.queue.push_back(e);
                }
            }
            if let Some(e) = self.queue.pop_front() {
                if !self.break_here(&e) {
                    self.handle(e);
                }
                self.after_step()?;
                continue;
            }
            // Idle: make everything durable, listen for commands.
            self.idle_commit()?;
            self.poll_commands()?;
            if !self.queue.is_empty() {
                continue;
            }
            let st = self.executions[root].state;
            if st.is_completed() {
                return Ok(RunEnd::Completed);
            }
            if self.in_flight == 0 {
                if st == State::Paused {
                    return Ok(RunEnd::Paused);
                }
                if self.timers.is_empty() {
                    return Ok(RunEnd::Stuck);
                }
            }
            let wait = self
                .timers
                .iter()
                .map(|(t, _)| t.saturating_duration_since(now))
                .min()
                .unwrap_or(MAX_WAIT)
                .min(MAX_WAIT);
            if let Ok(m) = self.rx.recv_timeout(wait) {
                self.receive(m);
            }
        }
    }

    /// Commits when something changed; otherwise only renews the lease when due.
    fn idle_commit(&mut self) -> Result<(), DurableError> {
        let Some(d) = &mut self.durable else {
            return Ok(());
        };
        if d.dirty || !d.deferred.is_empty() {
            return self.durable_commit();
        }
        if d.last_renew.elapsed() >= RENEW {
            let until = now_millis() + LEASE.as_millis() as i64;
            let (root, runner) = (d.root_id.clone(), d.runner.clone());
            d.store
                .transaction(|tx| tx.renew_claim(&root, &runner, until).map(|_| ()))?;
            d.last_renew = Instant::now();
        }
        Ok(())
    }

    fn after_step(&mut self) -> Result<(), DurableError> {
        self.trace_step();
        let Some(d) = &mut self.durable else {
            return Ok(());
        };
        d.steps += 1;
        d.dirty = true;
        d.polls += 1;
        // A commit writes the whole queue: wait for at least as many steps as the
        // queue is long, so that the cost stays proportional to the work done.
        let queued = self.queue.len();
        let commit = !d.deferred.is_empty()
            || d.steps >= BATCH_STEPS.max(queued)
            || (d.steps % 64 == 0
                && d.steps >= queued / 4
                && d.last_commit.elapsed() >= BATCH_TIME);
        let poll = d.polls >= POLL_STEPS;
        if commit {
            self.durable_commit()?;
        }
        if poll {
            self.poll_commands()?;
        }
        Ok(())
    }

    /// `--trace`: after a step, adds what the engine's trace events do not carry:
    /// the input of each action started, and for each task that completed, its
    /// published values.
    fn trace_step(&mut self) {
        let Some(buf) = self.durable.as_ref().and_then(|d| d.trace.clone()) else {
            return;
        };
        let start = self.durable.as_ref().map(|d| d.traced).unwrap_or(0);
        let mut completed: Vec<String> = buf
            .borrow()
            .iter()
            .skip(start)
            .filter(|e| e["event"] == "task-completed")
            .filter_map(|e| e["task"].as_str().map(str::to_string))
            .collect();
        // A task that fails after completing (an error in a transition) completes
        // twice in one step: one entry.
        completed.dedup();
        let mut extra = Vec::new();
        if let Some(d) = &mut self.durable {
            let inputs = d.inputs.borrow();
            for (id, action, input) in inputs.iter().skip(d.inputs_traced) {
                extra.push(json!({
                    "event": "action", "action": action, "action_execution_id": id,
                    "input": input, "at": now_millis(),
                }));
            }
            d.inputs_traced = inputs.len();
        }
        for name in completed {
            let found = (0..self.executions.len()).rev().find_map(|x| {
                self.executions[x]
                    .tasks
                    .iter()
                    .rposition(|t| t.name == name && t.state.is_completed())
                    .map(|t| (x, t))
            });
            if let Some((x, te)) = found {
                let _ = self.fault_in(x, te);
                extra.extend(self.trace_task(x, te));
            }
        }
        let mut b = buf.borrow_mut();
        b.extend(extra);
        let len = b.len();
        drop(b);
        if let Some(d) = &mut self.durable {
            d.traced = len;
        }
    }

    /// The `published` event of task execution `te` of `x` (none when it published
    /// nothing). Its transition guards are traced as expression events when the
    /// engine evaluates them (`on-success → TASK`), and the transitions taken as
    /// `transition` events.
    fn trace_task(&self, x: usize, te: usize) -> Option<Json> {
        let t = &self.executions[x].tasks[te];
        t.published.as_object().is_some_and(|m| !m.is_empty()).then(|| {
            json!({"event": "published", "task": t.name, "values": t.published, "at": now_millis()})
        })
    }

    /// `--break-before`: holds a task before it starts, as `pause-before` does.
    fn break_here(&mut self, e: &Event) -> bool {
        let Event::RunTask(x, t) = e else {
            return false;
        };
        let (x, t) = (*x, *t);
        let Some(d) = &self.durable else {
            return false;
        };
        if d.break_before.is_empty() {
            return false;
        }
        let Some(task) = self.executions.get(x).and_then(|w| w.tasks.get(t)) else {
            return false;
        };
        if task.state != State::Idle
            || self.executions[x].state.is_completed()
            || !d.break_before.contains(&task.name)
            || d.broken.contains(&task.id)
        {
            return false;
        }
        let (id, name) = (task.id.clone(), task.name.clone());
        if let Some(d) = &mut self.durable {
            d.broken.push(id);
        }
        self.executions[x].tasks[t].state_info = Some(BREAK_INFO.into());
        self.trace_note(json!({"event": "break", "task": name, "at": now_millis()}));
        self.pause_workflow(x, None);
        true
    }

    // ------------------------------------------------------------ commands

    fn poll_commands(&mut self) -> Result<(), DurableError> {
        let Some(d) = &mut self.durable else {
            return Ok(());
        };
        d.polls = 0;
        let v = d.store.data_version()?;
        if v == d.data_version {
            return Ok(());
        }
        d.data_version = v;
        if self.take_and_apply_commands()? {
            // The effect and the deletion of the commands: one transaction.
            self.durable_commit()?;
        }
        Ok(())
    }

    /// Applies the commands posted since the last ones applied; they are deleted
    /// from the store by the commit that records their effect, so a runner killed
    /// in between leaves them for the next one. Returns whether any was applied.
    fn take_and_apply_commands(&mut self) -> Result<bool, DurableError> {
        let Some(d) = &mut self.durable else {
            return Ok(false);
        };
        let after = d.taken.unwrap_or(i64::MIN);
        let cmds: Vec<_> = d
            .store
            .pending_commands(&d.root_id)?
            .into_iter()
            .filter(|c| c.id > after)
            .collect();
        let Some(last) = cmds.last().map(|c| c.id) else {
            return Ok(false);
        };
        d.taken = Some(last);
        for c in cmds {
            self.apply_command(0, &c.command);
        }
        Ok(true)
    }

    /// Applies a control command to root execution `root` (Mistral's
    /// `pause_workflow` / `resume_workflow` / `stop_workflow`).
    pub fn apply_command(&mut self, root: usize, cmd: &Command) {
        if let Some(d) = &mut self.durable {
            d.dirty = true;
        }
        self.trace_note(json!({"event": "command", "command": cmd.kind(), "at": now_millis()}));
        match cmd {
            Command::Pause => self.pause_tree(root),
            Command::Resume { env } => self.resume_tree(root, env.as_ref()),
            Command::Stop { state, state_info } => match state {
                gale_store::State::Cancelled => self.cancel_tree(root, state_info.clone()),
                gale_store::State::Success => {
                    if let Err(e) = self.succeed_workflow(root, state_info.clone()) {
                        self.fail_workflow(root, Some(e.message));
                    }
                }
                _ => self.fail_workflow(root, state_info.clone()),
            },
            Command::CompleteAction {
                task,
                state,
                output,
            } => {
                if let Err(e) = self.complete_async_action(root, task, state.as_str(), output) {
                    eprintln!("gale: cannot complete an action of task {task}: {e}");
                }
            }
        }
    }

    /// Delivers the result of the running asynchronous action of task `task` in the
    /// tree of `root` (the latest such task execution), as Mistral applies a result
    /// posted to `PUT /v2/action_executions/<id>`.
    fn complete_async_action(
        &mut self,
        root: usize,
        task: &str,
        state: &str,
        output: &Option<Json>,
    ) -> Result<(), String> {
        use crate::actions::completion::{PostedResult, posted_result};
        let outcome = match posted_result(state, output.clone())? {
            PostedResult::Complete(crate::actions::ActionOutcome::Success(v)) => Outcome::Ok(v),
            PostedResult::Complete(crate::actions::ActionOutcome::Error(v)) => Outcome::Err(v),
            _ => return Err(format!("only SUCCESS or ERROR can be posted (got {state})")),
        };
        let found = (0..self.executions.len())
            .rev()
            .filter(|&x| self.in_tree(root, x))
            .find_map(|x| {
                let tasks = &self.executions[x].tasks;
                tasks.iter().enumerate().rev().find_map(|(te, t)| {
                    (t.name == task && t.state == State::Running)
                        .then(|| {
                            t.actions
                                .iter()
                                .position(|a| a.state == State::Running && a.output.is_none())
                        })
                        .flatten()
                        .map(|ai| (x, te, ai))
                })
            });
        let Some((x, te, ai)) = found else {
            return Err(format!(
                "no running asynchronous action in a RUNNING task named `{task}`"
            ));
        };
        self.queue.push_back(Event::ActionDone(x, te, ai, outcome));
        Ok(())
    }

    fn in_tree(&self, root: usize, x: usize) -> bool {
        let mut y = x;
        loop {
            if y == root {
                return true;
            }
            match self.executions[y].parent {
                Some((p, _, _)) => y = p,
                None => return false,
            }
        }
    }

    /// Pauses `root` and its running sub-workflows (deepest first).
    fn pause_tree(&mut self, root: usize) {
        for x in (0..self.executions.len()).rev() {
            if self.in_tree(root, x) && !self.executions[x].state.is_completed() {
                self.pause_workflow(x, None);
            }
        }
    }

    /// Cancels `root`, then its running sub-workflows.
    fn cancel_tree(&mut self, root: usize, msg: Option<String>) {
        for x in 0..self.executions.len() {
            if !self.in_tree(root, x) || self.executions[x].state.is_completed() {
                continue;
            }
            let wf = &mut self.executions[x];
            wf.state = State::Cancelled;
            wf.state_info = msg.clone();
            wf.output = Some(json!({"result": msg.clone()}));
            self.sub_finished(x);
        }
    }

    /// Resumes `root` and its paused sub-workflows (deepest first), as Mistral's
    /// `resume_workflow` + `continue_workflow`: tasks held before start run (a
    /// `pause-before` task schedules its actions at once; a `--break-before` task
    /// starts normally), tasks that completed while paused are processed.
    fn resume_tree(&mut self, root: usize, env: Option<&Json>) {
        if let Some(Json::Object(e)) = env {
            let r = self.root_of(root);
            if let Some(Json::Object(cur)) = self.executions[r].env.get_mut("__env") {
                for (k, v) in e {
                    cur.insert(k.clone(), v.clone());
                }
            }
        }
        for x in (0..self.executions.len()).rev() {
            if self.in_tree(root, x) && self.executions[x].state == State::Paused {
                self.resume_workflow(x);
            }
        }
    }

    fn resume_workflow(&mut self, x: usize) {
        {
            let wf = &mut self.executions[x];
            wf.state = State::Running;
            wf.state_info = None;
        }
        self.trace_note(
            json!({"event": "resumed", "workflow": self.executions[x].name, "at": now_millis()}),
        );
        let mut cmds: Vec<Cmd> = Vec::new();
        for te in 0..self.executions[x].tasks.len() {
            let (state, info, processed) = {
                let t = &self.executions[x].tasks[te];
                (t.state, t.state_info.clone(), t.processed)
            };
            match state {
                State::Paused => self.executions[x].tasks[te].state = State::Running,
                State::Idle => {
                    if info.as_deref() == Some(BREAK_INFO) {
                        self.executions[x].tasks[te].state_info = None;
                        self.queue.push_back(Event::RunTask(x, te));
                    } else if info.as_deref() == Some(PAUSE_BEFORE_INFO) {
                        // RunExistingTask: straight to scheduling the actions.
                        let t = &mut self.executions[x].tasks[te];
                        t.state = State::Running;
                        t.state_info = None;
                        self.schedule_actions_guarded(x, te);
                    }
                }
                s if s.is_completed() && !processed => {
                    self.executions[x].tasks[te].processed = true;
                    match self.next_commands(x, te) {
                        Ok(c) => cmds.extend(c.into_iter().map(|(c, _)| c).filter(|c| {
                            !matches!(
                                c,
                                Cmd::Engine {
                                    cmd: gale_bytecode::workflow::EngineCommand::Pause,
                                    ..
                                }
                            )
                        })),
                        Err(e) => self.completion_error(x, te, &e),
                    }
                }
                _ => {}
            }
        }
        if !cmds.is_empty() {
            self.dispatch(x, cmds);
        }
        self.queue.push_back(Event::CheckComplete(x));
        self.queue.push_back(Event::RefreshJoins(x));
    }

    // ------------------------------------------------------------ resume

    /// Takes over a durable execution (after a crash, a pause, or to finish it):
    /// claims it (a lease held by a dead process on this host is taken over),
    /// restores its state and rebuilds the queue, timers and in-flight actions.
    /// Returns the root index; [`Durable::lost`] (see [`Engine::lost_actions`])
    /// lists the actions that were in flight.
    pub fn resume_durable(&mut self, mut store: Store, id: &str) -> Result<usize, DurableError> {
        let root_id = root_id_of(&store, id)?;
        let runner = gale_store::runner_id();
        if let Claim::HeldBy(l) = store.claim(&root_id, &runner, LEASE, false)? {
            if holder_is_dead(&l) {
                store.claim(&root_id, &runner, LEASE, true)?;
            } else {
                return Err(DurableError::Busy(l));
            }
        }
        // Entity images: the resident ones in full, the others as stubs. An
        // execution recorded before schema version 4 replays its event stream and
        // writes all its images in the first commit.
        let legacy = !store.has_images(&root_id)?;
        let (partial, split) = if legacy {
            self.executions = load_images(&store, &root_id)?.0;
            (Vec::new(), HashSet::new())
        } else {
            self.restore_images(&store, &root_id)?
        };
        let frontier: Frontier = match store.load_snapshot(&root_id)? {
            Some(bytes) => serde_json::from_slice(&bytes)?,
            None => Frontier::default(),
        };
        let n = self.executions.len();
        let mut d = Durable::new(store, root_id, runner, &self.program);
        d.partial_count = partial.iter().flatten().filter(|f| **f != FULL).count();
        d.partial = partial;
        d.records_written = n;
        d.record_state = self
            .executions
            .iter()
            .map(|w| (w.state, w.output.is_some()))
            .collect();
        d.written_execs = n;
        d.open_execs = (0..n)
            .filter(|x| !self.executions[*x].state.is_completed())
            .collect();
        d.written_tasks = self.executions.iter().map(|w| w.tasks.len()).collect();
        d.open_tasks = self
            .executions
            .iter()
            .map(|w| {
                (0..w.tasks.len())
                    .filter(|t| !w.tasks[*t].state.is_completed() || !w.tasks[*t].processed)
                    .collect()
            })
            .collect();
        for (x, w) in self.executions.iter().enumerate() {
            for (t, task) in w.tasks.iter().enumerate() {
                if task.actions.len() > INLINE_ACTIONS || split.contains(&(x, t)) {
                    d.acts.insert(
                        (x, t),
                        ActionsWritten {
                            split: true,
                            written: task.actions.len(),
                            open: (0..task.actions.len())
                                .filter(|a| !task.actions[*a].state.is_completed())
                                .collect(),
                            summary: action_summary(&task.actions),
                        },
                    );
                }
            }
        }
        if legacy {
            d.written_execs = 0;
            d.written_tasks = vec![0; n];
            d.open_tasks = vec![Vec::new(); n];
            d.acts.clear();
            d.dirty = true;
        }
        d.broken = frontier.broken;
        self.journal = Box::new(ActionInputs(d.inputs.clone()));
        d.break_before = frontier.break_before;
        self.durable = Some(Box::new(d));
        if frontier.trace {
            self.record_trace();
        }
        self.queue = frontier.queue.into_iter().map(event_of).collect();
        self.rebuild_derived();
        if let Some(d) = &mut self.durable {
            for (x, per) in self.latest.iter().enumerate() {
                for (k, te) in per.iter().enumerate() {
                    if *te != usize::MAX {
                        d.written_latest.insert((x, k as u32), *te);
                    }
                }
            }
        }
        let wall = now_millis();
        let inst = Instant::now();
        self.timers = frontier
            .timers
            .into_iter()
            .map(|(at, e)| {
                let left = Duration::from_millis((at - wall).max(0) as u64);
                (inst + left, event_of(e))
            })
            .collect();
        // The tasks the frontier names are loaded in full (normally open anyway).
        let mut named: Vec<(usize, usize)> = frontier
            .in_flight
            .iter()
            .map(|f| (f.key.0, f.key.1))
            .collect();
        for e in self.queue.iter().chain(self.timers.iter().map(|(_, e)| e)) {
            match e {
                Event::RunTask(x, t)
                | Event::ActionDone(x, t, _, _)
                | Event::Continue(x, t)
                | Event::CompleteDelayed(x, t, _, _)
                | Event::Timeout(x, t, _, _)
                | Event::RefreshJoin(x, t) => named.push((*x, *t)),
                Event::CheckComplete(_) | Event::RefreshJoins(_) => {}
            }
        }
        for (x, t) in named {
            self.fault_in(x, t)?;
        }
        for f in frontier.in_flight {
            let (x, t, a) = f.key;
            let Some(act) = self
                .executions
                .get(x)
                .and_then(|w| w.tasks.get(t))
                .and_then(|task| task.actions.get(a))
            else {
                continue;
            };
            if act.output.is_some() || !act.accepted {
                continue;
            }
            let lost = LostAction {
                execution_id: f.execution_id.clone(),
                task: f.task_name.clone(),
                action: f.action.clone(),
                action_execution_id: f.action_execution_id.clone(),
                rerun: f.safe_rerun,
            };
            self.trace_note(json!({
                "event": "lost-action", "task": lost.task, "action": lost.action,
                "rerun": lost.rerun, "at": now_millis()
            }));
            if f.safe_rerun {
                self.redispatch(f);
            } else {
                self.queue.push_back(Event::ActionDone(
                    x,
                    t,
                    a,
                    Outcome::Err(json!(HEARTBEAT_LOST)),
                ));
            }
            if let Some(d) = &mut self.durable {
                d.lost.push(lost);
            }
        }
        // Commands posted to the previous runner whose effect it never committed
        // are still in the store (a command is deleted in the transaction that
        // commits its effect): deliver them now.
        self.take_and_apply_commands()?;
        Ok(0)
    }

    /// Reads the resident images in full, the latest execution of each other task
    /// as a stub, and puts placeholders for the rest; returns what each task
    /// execution was restored from ([`FULL`], [`STUB`], [`PLACEHOLDER`]) and the
    /// resident tasks whose actions have images of their own.
    #[allow(clippy::type_complexity)]
    fn restore_images(
        &mut self,
        store: &Store,
        root_id: &str,
    ) -> Result<(Vec<Vec<u8>>, HashSet<(usize, usize)>), DurableError> {
        let mut images = Images::default();
        for r in store.resident_images(root_id)? {
            images.add(&r)?;
        }
        // Action images of resident split tasks.
        let split: Vec<(usize, usize)> = images.split.iter().copied().collect();
        for (x, t) in split {
            for r in store.task_images(root_id, x as i64, t as i64)? {
                if r.a >= 0 {
                    images.add(&r)?;
                }
            }
        }
        let workflows: Vec<usize> = images
            .execs
            .iter()
            .map(|w| w.as_ref().map_or(0, |w| w.workflow))
            .collect();
        let mut partial: Vec<Vec<u8>> = Vec::with_capacity(workflows.len());
        for x in 0..workflows.len() {
            let len = images.lens[x].unwrap_or_else(|| images.tasks.get(x).map_or(0, Vec::len));
            partial.push(vec![PLACEHOLDER; len]);
            if let Some(ts) = images.tasks.get(x) {
                for (t, task) in ts.iter().enumerate() {
                    if task.is_some()
                        && let Some(p) = partial[x].get_mut(t)
                    {
                        *p = FULL;
                    }
                }
            }
        }
        for s in store.image_stubs(root_id)? {
            let (x, t) = (s.x as usize, s.t as usize);
            let stub: TaskStub = serde_json::from_str(&s.stub)?;
            let w = workflows.get(x).copied().unwrap_or(0);
            *images.task_slot(x, t) = Some(self.task_of_stub(w, stub));
            if let Some(p) = partial.get_mut(x).and_then(|p| p.get_mut(t)) {
                *p = STUB;
            }
        }
        let split = std::mem::take(&mut images.split);
        self.executions = images.finish(root_id, true)?.0;
        Ok((partial, split))
    }

    /// A completed task execution of workflow `w` rebuilt from its stub: what the
    /// engine reads of a completed task that is not resident (state, flags, next
    /// tasks, id, name); the rest is empty until [`Engine::fault_in`].
    fn task_of_stub(&self, w: usize, stub: TaskStub) -> TaskEx {
        let TaskStub(task, state, error_handled, generation, id, next_tasks, _) = stub;
        let name = self
            .program
            .workflows
            .get(w)
            .and_then(|wf| wf.tasks.get(task as usize))
            .map(|t| t.name.clone())
            .unwrap_or_default();
        TaskEx {
            id,
            task,
            name,
            state,
            state_info: None,
            in_context: Map::new(),
            published: json!({}),
            actions: Vec::new(),
            next_tasks,
            has_next_tasks: true,
            processed: true,
            error_handled,
            triggered_by: Vec::new(),
            unique_key: None,
            retry_no: 0,
            wait_after_done: false,
            items_count: None,
            items_next: 0,
            arrived: 0,
            items_done: 0,
            items_failed: false,
            generation,
            items_inline: Vec::new(),
            items_inline_cleared: false,
        }
    }

    /// Whether task execution `t` of `x` is resident: resume reads its full image.
    /// A task is left out (read as a stub) only when nothing after it reads more
    /// than its stub: it SUCCEEDED, its completion was processed, it has next tasks
    /// (so it is not an end task whose context makes the workflow's output), it is
    /// not a join nor leads to one (a join merges its inbound contexts), its
    /// workflow is not reverse, and no expression of the program may read it
    /// ([`crate::reads::history_reads`]: `task('its name')`, or `tasks()`/`task(E)` that may read
    /// any task; `task()` reads only the current task, which is open).
    fn resident(&self, d: &Durable, x: usize, t: usize) -> bool {
        let task = &self.executions[x].tasks[t];
        if d.history.keeps(&task.name)
            || task.state != State::Success
            || !task.processed
            || !task.has_next_tasks
        {
            return true;
        }
        let w = self.executions[x].workflow;
        if self.program.workflows[w].kind == gale_bytecode::workflow::WorkflowKind::Reverse {
            return true;
        }
        let joins = d.joins.get(w).map(Vec::as_slice).unwrap_or_default();
        joins.contains(&task.name) || task.next_tasks.iter().any(|(n, _)| joins.contains(n))
    }

    /// Loads the full image of task execution `t` of `x` when it was restored as
    /// a stub.
    pub(super) fn fault_in(&mut self, x: usize, t: usize) -> Result<(), DurableError> {
        let Some(d) = &mut self.durable else {
            return Ok(());
        };
        let Some(flag) = d.partial.get_mut(x).and_then(|p| p.get_mut(t)) else {
            return Ok(());
        };
        if *flag == FULL {
            return Ok(());
        }
        *flag = FULL;
        d.partial_count -= 1;
        let rows = d.store.task_images(&d.root_id, x as i64, t as i64)?;
        let mut task = None;
        let mut actions = Vec::new();
        for r in &rows {
            if r.a < 0 {
                task = Some(parse_task(&r.image)?);
            } else {
                actions.push(parse_action(&r.image)?);
            }
        }
        install_image(d, &mut self.executions, x, t, task, actions)?;
        self.host_cache.borrow_mut().clear();
        Ok(())
    }

    /// Loads the full image of every task execution restored as a stub or a
    /// placeholder (before a rerun, and before a caller reads every task).
    pub fn fault_in_all(&mut self) -> Result<(), DurableError> {
        let Some(d) = &mut self.durable else {
            return Ok(());
        };
        if d.partial_count == 0 {
            return Ok(());
        }
        let wanted: Vec<(usize, usize)> = d
            .partial
            .iter()
            .enumerate()
            .flat_map(|(x, p)| {
                p.iter()
                    .enumerate()
                    .filter(|(_, f)| **f != FULL)
                    .map(move |(t, _)| (x, t))
            })
            .collect();
        if wanted.len() <= 64 {
            for (x, t) in wanted {
                self.fault_in(x, t)?;
            }
            return Ok(());
        }
        let mut images = Images::default();
        for r in d.store.all_images(&d.root_id)? {
            let (x, t) = (r.x as usize, r.t as usize);
            if r.t >= 0
                && d.partial
                    .get(x)
                    .and_then(|p| p.get(t))
                    .is_some_and(|f| *f != FULL)
            {
                images.add(&r)?;
            }
        }
        for (x, t) in wanted {
            let task = images
                .tasks
                .get_mut(x)
                .and_then(|ts| ts.get_mut(t))
                .and_then(Option::take);
            let actions = images.actions.remove(&(x, t)).unwrap_or_default();
            install_image(d, &mut self.executions, x, t, task, actions)?;
            d.partial[x][t] = FULL;
        }
        d.partial_count = 0;
        self.host_cache.borrow_mut().clear();
        Ok(())
    }

    /// The actions that were in flight when the previous runner died.
    pub fn lost_actions(&self) -> Vec<LostAction> {
        self.durable
            .as_ref()
            .map(|d| d.lost.clone())
            .unwrap_or_default()
    }

    fn redispatch(&mut self, f: InFlight) {
        let request = crate::actions::ActionRequest {
            action: f.action.clone(),
            input: f.input.clone(),
            execution_id: f.execution_id.clone(),
            task_name: f.task_name.clone(),
            item_index: f.item_index,
            action_execution_id: f.action_execution_id.clone(),
            timeout: f.timeout.map(Duration::from_secs_f64),
            cancel: crate::actions::CancelFlag::new(),
        };
        let deadline = match (f.timeout, &f.class) {
            (Some(seconds), Some(class)) => Some(crate::builtin::Deadline {
                seconds,
                class: class.clone(),
            }),
            _ => None,
        };
        let outputs = Rc::new(f.outputs.clone());
        let key = f.key;
        let replay = Some((request.clone(), deadline.clone()));
        match crate::builtin::dispatch(&self.registry, request, deadline) {
            crate::builtin::Run::Now(o) => {
                let o = self.apply_adhoc_outputs(key.0, key.1, &outputs, o);
                self.queue
                    .push_back(Event::ActionDone(key.0, key.1, key.2, o));
            }
            crate::builtin::Run::Pending => {}
            crate::builtin::Run::Later(job) => self.spawn_action(key, job, outputs, replay),
        }
    }

    // ------------------------------------------------------------ rerun

    /// Mistral's task rerun (`PUT /v2/tasks/<id>` with `state: RUNNING`): the last
    /// execution of task `task` (root workflow first, then sub-workflows) must be in
    /// ERROR; the workflow and its parents return to RUNNING; with `reset` every
    /// previous action result is discarded, without it (with-items only) just the
    /// failed iterations run again. `env` is merged (recursively) into the
    /// execution's environment first, as Mistral's rerun does
    /// (`update_workflow_execution_env`: only for a workflow execution in IDLE,
    /// PAUSED or ERROR); Gale keeps one environment per execution tree, so `env`
    /// is refused for a task of a sub-workflow (Mistral would change only that
    /// sub-workflow's). The engine must have been taken over with
    /// [`Engine::resume_durable`]; then call [`Engine::run_durable`].
    pub fn rerun_task(
        &mut self,
        task: &str,
        reset: bool,
        env: Option<&Map<String, Json>>,
    ) -> Result<(), DurableError> {
        self.fault_in_all()?;
        let found = (0..self.executions.len()).find_map(|x| {
            self.executions[x]
                .tasks
                .iter()
                .rposition(|t| t.name == task)
                .map(|t| (x, t))
        });
        let Some((x, te)) = found else {
            return Err(DurableError::Other(format!(
                "no task execution named {task}"
            )));
        };
        if self.executions[x].tasks[te].state != State::Error {
            return Err(DurableError::Other(
                "The current task execution must be in ERROR for rerun. Only updating task to rerun is supported."
                    .into(),
            ));
        }
        let with_items = !self.task_spec(x, te).with_items.is_empty();
        if !reset && !with_items {
            return Err(DurableError::Other(
                "Only with-items task has the option to not reset.".into(),
            ));
        }
        if self.executions[self.root_of(x)].state == State::Paused {
            return Ok(());
        }
        if let Some(env) = env.filter(|e| !e.is_empty()) {
            if self.executions[x].parent.is_some() {
                return Err(DurableError::Other(format!(
                    "--env cannot change the environment of a sub-workflow execution (task {task} runs in one); gale keeps one environment per execution tree"
                )));
            }
            if !matches!(
                self.executions[x].state,
                State::Idle | State::Paused | State::Error
            ) {
                return Err(DurableError::Other(
                    "Updating env to workflow execution is only permitted if it is in IDLE, PAUSED, or ERROR state."
                        .into(),
                ));
            }
            let wf = &mut self.executions[x];
            match wf.env.get_mut("__env") {
                Some(Json::Object(cur)) => super::merge_dicts(cur, env, true),
                _ => {
                    wf.env.insert("__env".into(), Json::Object(env.clone()));
                }
            }
            self.mark(x, None);
        }
        // _recursive_rerun: the workflow and its parents (and parent tasks) run again.
        let mut y = x;
        loop {
            let wf = &mut self.executions[y];
            wf.state = State::Running;
            wf.state_info = None;
            wf.output = None;
            self.mark(y, None);
            let Some((p, pt, pa)) = self.executions[y].parent else {
                break;
            };
            let t = &mut self.executions[p].tasks[pt];
            t.state = State::Running;
            t.state_info = None;
            t.processed = false;
            t.generation += 1;
            if let Some(a) = t.actions.get_mut(pa) {
                a.state = State::Running;
                a.output = None;
            }
            self.mark(p, Some(pt));
            y = p;
        }
        let t = &mut self.executions[x].tasks[te];
        let mut failed_items: Vec<usize> = Vec::new();
        for a in &mut t.actions {
            if reset || (a.accepted && matches!(a.state, State::Error | State::Cancelled)) {
                if a.accepted && !reset {
                    failed_items.push(a.index);
                }
                a.accepted = false;
            }
        }
        t.state = State::Idle;
        t.state_info = None;
        t.processed = false;
        t.error_handled = false;
        t.next_tasks.clear();
        t.has_next_tasks = false;
        t.retry_no = 0;
        t.wait_after_done = false;
        t.generation += 1;
        if reset {
            t.items_count = None;
            t.items_next = 0;
            t.items_done = 0;
            t.items_failed = false;
        }
        self.mark(x, Some(te));
        self.trace_note(
            json!({"event": "rerun", "task": task, "reset": reset, "at": now_millis()}),
        );
        if reset {
            self.queue.push_back(Event::RunTask(x, te));
        } else {
            self.executions[x].tasks[te].state = State::Running;
            self.rerun_items(x, te, &failed_items);
        }
        Ok(())
    }

    fn mark(&mut self, x: usize, t: Option<usize>) {
        if let Some(d) = &mut self.durable {
            d.marked.push((x, t));
            d.dirty = true;
        }
    }

    /// Re-launches with-items iterations `items` of task `te`: all at once, or with
    /// a `concurrency` policy through the scheduler, `concurrency` at a time.
    fn rerun_items(&mut self, x: usize, te: usize, items: &[usize]) {
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[x].workflow].tasks
            [self.executions[x].tasks[te].task as usize];
        let mut values: Vec<(String, Vec<Json>)> = Vec::new();
        for (var, coll) in &spec.with_items {
            let items = match self.eval_task(x, te, coll, None) {
                Ok(Json::Array(a)) => a,
                Ok(Json::Object(o)) => o.keys().map(|k| json!(k)).collect(),
                Ok(Json::String(s)) => s.chars().map(|c| json!(c.to_string())).collect(),
                Ok(_) => Vec::new(),
                Err(e) => return self.forced_run_error(x, te, &e.message, e.position),
            };
            values.push((var.clone(), items));
        }
        let count = self.executions[x].tasks[te]
            .items_count
            .unwrap_or_else(|| values.first().map(|(_, v)| v.len()).unwrap_or(0));
        // WithItemsTask._get_next_indexes: the reset iterations, then those never run.
        let t = &self.executions[x].tasks[te];
        let accepted: Vec<usize> = t
            .actions
            .iter()
            .filter(|a| a.accepted && a.state.is_completed())
            .map(|a| a.index)
            .collect();
        let mut indices: Vec<usize> = items
            .iter()
            .copied()
            .filter(|i| !accepted.contains(i))
            .collect();
        indices.sort_unstable();
        indices.dedup();
        match indices.last().copied() {
            Some(max) => indices.extend(max + 1..count),
            None => {
                let start = t
                    .actions
                    .iter()
                    .filter(|a| a.accepted || !a.state.is_completed())
                    .count();
                indices.extend(start..count);
            }
        }
        let limited = spec.policies.concurrency.is_some();
        if limited {
            // `_has_more_iterations` stops once every iteration has an accepted or
            // running execution: only those with none run again, at most
            // `concurrency` at a time (the scheduler's `items_to_rerun`).
            let mut kept = vec![false; count];
            for &i in &accepted {
                if let Some(k) = kept.get_mut(i) {
                    *k = true;
                }
            }
            indices.retain(|&i| !kept.get(i).copied().unwrap_or(false));
        }
        {
            let done = accepted.len();
            let t = &mut self.executions[x].tasks[te];
            t.items_count = Some(count);
            t.items_next = count;
            t.items_done = done.min(count.saturating_sub(indices.len()));
            t.items_failed = false;
        }
        if indices.is_empty() {
            self.queue.push_back(Event::CheckComplete(x));
            return;
        }
        if limited {
            return self.schedule_actions_guarded(x, te);
        }
        for i in indices {
            let mut ctx = Map::new();
            for (var, vs) in &values {
                ctx.insert(var.clone(), vs.get(i).cloned().unwrap_or(Json::Null));
            }
            let in_ctx = self.executions[x].tasks[te].in_context.clone();
            super::merge_dicts(&mut ctx, &in_ctx, true);
            self.ev.for_item(i);
            let r = self
                .action_input(x, te, spec, Some(&ctx))
                .and_then(|input| self.launch(x, te, spec, input, i));
            if let Err((msg, pos)) = r {
                return self.forced_run_error(x, te, &msg, pos);
            }
            if self.executions[x].tasks[te].state.is_completed() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        for n in 0..70usize {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 % 256) as u8).collect();
            let text = base64_encode(&data);
            assert_eq!(text.len(), n.div_ceil(3) * 4);
            assert_eq!(base64_decode(&text), Some(data));
        }
        assert_eq!(base64_encode(b"gale"), "Z2FsZQ==");
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn frontier_events_round_trip() {
        let events = vec![
            Event::RunTask(0, 1),
            Event::ActionDone(1, 2, 3, Outcome::SubErr(json!({"a": 1}), "x".into())),
            Event::CompleteDelayed(0, 0, State::Error, Some("e".into())),
            Event::Timeout(0, 4, 2, 30),
            Event::RefreshJoin(2, 5),
        ];
        for e in &events {
            let text = serde_json::to_string(&event_image(e)).expect("encodes");
            let back: EventImage = serde_json::from_str(&text).expect("decodes");
            assert_eq!(format!("{:?}", event_of(back)), format!("{e:?}"));
        }
    }

    /// No expression reads the task history, so completed tasks resume as stubs:
    /// a join with a with-items branch, published values flowing to the output,
    /// and a with-items task of more iterations than an image carries inline
    /// (its actions get images of their own) in the middle of a chain.
    const STUBBED: &str = r#"version: '2.0'
wf:
  input:
    - n: 3
  output:
    total: <% $.total %>
    flag: <% $.flag %>
    last: <% $.last %>
  tasks:
    a:
      action: std.echo output=1
      publish:
        total: <% $.n %>
      on-success: [b, c]
    b:
      action: std.noop
      publish:
        total: <% $.total + 10 %>
      on-success: [d]
    c:
      with-items: i in <% range(5) %>
      action: std.noop
      publish:
        flag: true
      on-success: [d]
    d:
      join: all
      action: std.noop
      publish:
        total: <% $.total * 2 %>
      on-success: [e1]
    e1:
      action: std.noop
      on-success: [e2]
    e2:
      with-items: i in <% range(20) %>
      action: std.echo output=<% $.i %>
      on-success: [e3]
    e3:
      action: std.noop
      publish:
        last: e3
      on-success: [e4]
    e4:
      action: std.noop
      on-success: [e5]
    e5:
      action: std.noop
"#;

    /// A loop without joins: every completed task resumes as a placeholder.
    const LOOP: &str = r#"version: '2.0'
wf:
  input:
    - n: 25
  output:
    count: <% $.count %>
    after: <% $.after %>
  tasks:
    init:
      action: std.noop
      publish:
        count: 0
      on-success: [step]
    step:
      action: std.echo output=<% $.count %>
      publish:
        count: <% $.count + 1 %>
      on-success:
        - step: <% $.count < $.n %>
        - r0: <% $.count >= $.n %>
    r0:
      action: std.noop
      publish:
        after: <% $.count * 2 %>
      on-success: [r1]
    r1:
      action: std.noop
      on-success: [r2]
    r2:
      action: std.noop
"#;

    fn program(text: &str) -> Rc<Program> {
        Rc::new(
            gale_codegen::workflow::compile_source(text, gale_codegen::workflow::OptLevel::O1)
                .expect("compiles"),
        )
    }

    fn scratch_db(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gale-durable-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir.join("gale.db")
    }

    /// The result object without ids (they differ between runs).
    fn without_ids(mut v: Json) -> Json {
        if let Some(m) = v.as_object_mut() {
            m.remove("id");
        }
        v
    }

    /// A new engine starting `wf` durably in `db`; returns it and the root.
    fn started(
        program: &Rc<Program>,
        db: &std::path::Path,
        options: &DurableOptions,
    ) -> (Engine, usize) {
        let mut engine = Engine::new(program.clone());
        let store = Store::open(db).expect("store");
        let Ok(Started::Created(root)) =
            engine.start_durable(store, "wf", &StartOptions::default(), options)
        else {
            panic!("starts");
        };
        (engine, root)
    }

    /// Starts `wf` durably, paused before `task`; returns the execution id.
    fn run_until_break(program: &Rc<Program>, db: &std::path::Path, task: &str) -> String {
        let options = DurableOptions {
            break_before: vec![task.to_string()],
            ..DurableOptions::default()
        };
        let (mut engine, root) = started(program, db, &options);
        assert_eq!(
            engine.run_durable(root).expect("runs"),
            RunEnd::Paused,
            "break before {task}"
        );
        engine.executions[root].id.clone()
    }

    /// Runs `wf` in memory, uninterrupted; returns its result without ids.
    fn uninterrupted(program: &Rc<Program>) -> Json {
        let mut memory = Engine::new(program.clone());
        let root = memory
            .start("wf", &StartOptions::default())
            .expect("starts");
        memory.run(root, None);
        without_ids(memory.result_json(root))
    }

    /// A new engine resuming execution `id` from `db`; returns it and the root.
    fn resumed(program: &Rc<Program>, db: &std::path::Path, id: &str) -> (Engine, usize) {
        let mut engine = Engine::new(program.clone());
        let store = Store::open(db).expect("store");
        let root = engine.resume_durable(store, id).expect("resumes");
        (engine, root)
    }

    /// Resumes the paused `root`, runs it to the end and compares its result
    /// with the uninterrupted one.
    fn finish_like(engine: &mut Engine, root: usize, expected: &Json, task: &str) {
        engine.apply_command(root, &Command::Resume { env: None });
        assert_eq!(engine.run_durable(root).expect("runs"), RunEnd::Completed);
        // The state and output are exact before the unread tasks are loaded.
        let mut summary = without_ids(engine.summary_json(root));
        summary["tasks"] = expected["tasks"].clone();
        assert_eq!(&summary, expected, "summary resumed before {task}");
        engine.fault_in_all().expect("faults in");
        assert_eq!(
            &without_ids(engine.result_json(root)),
            expected,
            "resumed before {task}"
        );
    }

    /// The residency flags of the root execution's tasks.
    fn root_flags(engine: &Engine) -> Vec<u8> {
        engine
            .durable
            .as_ref()
            .map(|d| d.partial[0].clone())
            .unwrap_or_default()
    }

    /// Removes the scratch folder of `db`.
    fn remove_scratch(db: &std::path::Path) {
        let _ = std::fs::remove_dir_all(db.parent().expect("dir"));
    }

    #[test]
    fn a_run_resumed_before_any_task_ends_like_an_uninterrupted_one() {
        let program = program(STUBBED);
        let expected = uninterrupted(&program);
        assert_eq!(expected["state"], "SUCCESS");
        assert_eq!(expected["output"]["total"], 26);
        let mut stubbed = 0;
        // (A join cannot be held by --break-before: it waits instead of starting.)
        for task in ["b", "c", "e1", "e2", "e3", "e4", "e5"] {
            let db = scratch_db(&format!("break-{task}"));
            let id = run_until_break(&program, &db, task);
            let (mut engine, root) = resumed(&program, &db, &id);
            stubbed += engine.durable.as_ref().map_or(0, |d| d.partial_count);
            finish_like(&mut engine, root, &expected, task);
            // Inspection reads every image.
            let store = Store::open(&db).expect("store");
            let (loaded, x) = load(&store, &id, |_| {}).expect("loads");
            assert_eq!(without_ids(loaded.engine.result_json(x)), expected);
            remove_scratch(&db);
        }
        assert!(stubbed > 0, "completed tasks were restored as stubs");
    }

    /// `task()` reads only the current task and `task(first)` the latest `first`:
    /// only `first` stays resident among the completed tasks.
    const CURRENT_AND_NAMED: &str = r#"version: '2.0'
wf:
  output:
    first: <% $.first %>
    count: <% $.count %>
    twice: <% $.twice %>
    last: <% $.last %>
  tasks:
    first:
      action: std.echo output=7
      publish:
        seven: <% task().result %>
        count: 0
      on-success: [step]
    step:
      action: std.echo
      input:
        output: <% $.count %>
      publish:
        count: <% task().result + 1 %>
        first: <% task(first).result %>
      on-success:
        - step: <% $.count < 20 %>
        - r0: <% $.count >= 20 %>
    r0:
      action: std.echo
      input:
        output: r0
      publish:
        twice: "{{ task('first').result * 2 }}"
        r: "{{ task().result }}"
      on-success: [r1]
    r1:
      action: std.echo output=<% $.count %>
      publish:
        last: <% task().result + task('first').result + $.twice %>
      on-success: [r2]
    r2:
      action: std.noop
"#;

    #[test]
    fn task_of_the_current_or_a_named_task_keeps_only_that_name_resident() {
        let program = program(CURRENT_AND_NAMED);
        let names = HashSet::from(["first".to_string()]);
        assert_eq!(history_reads(&program), HistoryReads::Named(names));
        let expected = uninterrupted(&program);
        assert_eq!(
            expected["output"],
            json!({"first": 7, "count": 20, "twice": 14, "last": 41})
        );
        for (i, task) in ["r0", "r1", "r2"].into_iter().enumerate() {
            let db = scratch_db(&format!("named-{task}"));
            let id = run_until_break(&program, &db, task);
            let (mut engine, root) = resumed(&program, &db, &id);
            let flags = root_flags(&engine);
            // Every `step` and the `r` tasks done are placeholders; `first`
            // (read by name) and the held task are resident.
            let placeholders = flags.iter().filter(|f| **f == PLACEHOLDER).count();
            assert_eq!(placeholders, 20 + i, "before {task}: {flags:?}");
            assert_eq!(flags.first(), Some(&FULL));
            assert_eq!(engine.executions[root].tasks[0].name, "first");
            finish_like(&mut engine, root, &expected, task);
            remove_scratch(&db);
        }
    }

    #[test]
    fn a_loop_resumes_its_older_iterations_as_placeholders() {
        let program = program(LOOP);
        let expected = uninterrupted(&program);
        assert_eq!(expected["output"], json!({"count": 25, "after": 50}));
        for (i, task) in ["r0", "r1", "r2"].into_iter().enumerate() {
            let db = scratch_db(&format!("loop-{task}"));
            let id = run_until_break(&program, &db, task);
            let (mut engine, root) = resumed(&program, &db, &id);
            let flags = root_flags(&engine);
            let placeholders = flags.iter().filter(|f| **f == PLACEHOLDER).count();
            // `init`, every `step` and the `r` tasks done (no join: no stubs
            // either); the held task is open.
            assert_eq!(placeholders, 26 + i, "before {task}: {flags:?}");
            assert!(!flags.contains(&STUB));
            finish_like(&mut engine, root, &expected, task);
            remove_scratch(&db);
        }
    }

    #[test]
    fn resume_reads_stubs_and_faults_in_what_it_needs() {
        let program = program(STUBBED);
        let db = scratch_db("stubs");
        let id = run_until_break(&program, &db, "e5");
        let (mut engine, _) = resumed(&program, &db, &id);
        let stubs: HashSet<(usize, usize)> = engine
            .durable
            .as_ref()
            .map(|d| {
                d.partial[0]
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| **f == STUB)
                    .map(|(t, _)| (0, t))
                    .collect()
            })
            .unwrap_or_default();
        let names: HashSet<&str> = stubs
            .iter()
            .map(|&(x, t)| engine.executions[x].tasks[t].name.as_str())
            .collect();
        // a leads to b and c, which lead to the join d; e1..e4 are plain links
        // of the chain. d (a join) and e5 (open) stay resident.
        assert_eq!(
            names,
            HashSet::from(["a", "e1", "e2", "e3", "e4"]),
            "stubs: {names:?}"
        );
        let (x, t) = stubs
            .iter()
            .copied()
            .find(|&(x, t)| engine.executions[x].tasks[t].name == "e2")
            .expect("e2 is a stub");
        assert!(engine.executions[x].tasks[t].actions.is_empty());
        engine.fault_in(x, t).expect("faults in");
        assert_eq!(engine.executions[x].tasks[t].actions.len(), 20);
        engine.fault_in_all().expect("faults in");
        assert!(
            engine
                .durable
                .as_ref()
                .is_some_and(|d| d.partial_count == 0)
        );
        let e3 = engine.executions[0].tasks.iter().find(|t| t.name == "e3");
        assert_eq!(e3.map(|t| t.published.clone()), Some(json!({"last": "e3"})));
        remove_scratch(&db);
    }

    #[test]
    fn a_command_taken_but_not_committed_is_delivered_to_the_next_runner() {
        let program = program(STUBBED);
        let db = scratch_db("commands");
        let id = run_until_break(&program, &db, "e3");
        // Another process asks to resume; a runner takes the execution over,
        // reads and applies the command in memory, and dies before its commit.
        let mut cli = Store::open(&db).expect("store");
        cli.post_command(&id, &Command::Resume { env: None })
            .expect("posts");
        {
            // Resume delivers the pending command (in memory only so far).
            let (engine, root) = resumed(&program, &db, &id);
            assert_eq!(engine.executions[root].state, State::Running);
            // Killed here: nothing committed; its lease runs out.
        }
        cli.claim(&id, "expired", Duration::from_millis(1), true)
            .expect("claims");
        cli.release_claim(&id, "expired").expect("releases");
        assert_eq!(cli.pending_commands(&id).expect("reads").len(), 1);
        assert_eq!(
            cli.get_execution(&id).expect("reads").map(|e| e.state),
            Some(gale_store::State::Paused)
        );
        // The next runner gets the command again; its first commit consumes it
        // together with its effect.
        let (mut engine, root) = resumed(&program, &db, &id);
        assert_eq!(engine.executions[root].state, State::Running);
        engine.idle_commit().expect("commits");
        assert!(cli.pending_commands(&id).expect("reads").is_empty());
        assert_eq!(
            cli.get_execution(&id).expect("reads").map(|e| e.state),
            Some(gale_store::State::Running)
        );
        assert_eq!(engine.run_durable(root).expect("runs"), RunEnd::Completed);
        assert_eq!(engine.result_json(root)["state"], "SUCCESS");

        // While running, a command is applied and committed in one step.
        let id = run_until_break(&program, &db, "e4");
        let (mut engine, root) = resumed(&program, &db, &id);
        cli.post_command(&id, &Command::cancel(Some("stop".into())))
            .expect("posts");
        engine.poll_commands().expect("polls");
        assert!(cli.pending_commands(&id).expect("reads").is_empty());
        assert_eq!(
            cli.get_execution(&id).expect("reads").map(|e| e.state),
            Some(gale_store::State::Cancelled)
        );
        assert_eq!(engine.executions[root].state, State::Cancelled);
        remove_scratch(&db);
    }

    /// A parent with a sub-workflow task; the sub-workflow breaks before `i2`.
    const NESTED: &str = r#"version: '2.0'
wf:
  tasks:
    s1:
      action: std.noop
      on-success: s3
    s3:
      workflow: inner
inner:
  tasks:
    i1:
      with-items: i in [1, 2]
      action: std.noop
      on-success: i2
    i2:
      action: std.noop
"#;

    /// Cancelling a parent cancels its sub-workflows, and each cancelled
    /// sub-workflow completes its parent task CANCELLED with the message as state
    /// info and `{result: msg}` as result (Mistral's `stop_workflow`,
    /// `_cancel_workflow`, `_send_result_to_parent_workflow`,
    /// `RegularTask.on_action_complete`), whether the tree was paused or running.
    #[test]
    fn cancelling_a_parent_completes_its_sub_workflow_task_cancelled() {
        let program = program(NESTED);
        let db = scratch_db("cancel-nested");
        for (resume_first, msg) in [(false, Some("stop")), (true, Some("stop")), (true, None)] {
            let id = run_until_break(&program, &db, "i2");
            let (mut engine, root) = resumed(&program, &db, &id);
            assert_eq!(engine.executions[root].state, State::Paused);
            if resume_first {
                engine.apply_command(root, &Command::Resume { env: None });
            }
            engine.apply_command(root, &Command::cancel(msg.map(String::from)));
            engine.run_durable(root).expect("runs");
            let case = format!("resume first: {resume_first}, msg: {msg:?}");
            let wf = &engine.executions[root];
            assert_eq!(wf.state, State::Cancelled, "{case}");
            assert_eq!(wf.state_info.as_deref(), msg, "{case}");
            assert_eq!(wf.output, Some(json!({"result": msg})), "{case}");
            let s3 = wf.tasks.iter().find(|t| t.name == "s3").expect("s3 ran");
            assert_eq!(s3.state, State::Cancelled, "{case}");
            assert_eq!(s3.state_info.as_deref(), msg, "{case}");
            assert_eq!(s3.actions.len(), 1, "{case}");
            assert_eq!(s3.actions[0].state, State::Cancelled, "{case}");
            assert_eq!(s3.actions[0].output, Some(json!({"result": msg})), "{case}");
            let inner = engine
                .executions
                .iter()
                .find(|w| w.name == "inner")
                .expect("inner ran");
            assert_eq!(inner.state, State::Cancelled, "{case}");
            assert_eq!(inner.state_info.as_deref(), msg, "{case}");
            // The stored execution agrees once committed.
            engine.idle_commit().expect("commits");
            let stored = Store::open(&db)
                .expect("store")
                .get_execution(&id)
                .expect("reads")
                .map(|e| e.state);
            assert_eq!(stored, Some(gale_store::State::Cancelled), "{case}");
        }
        remove_scratch(&db);
    }

    #[test]
    fn action_summary_counts_accepted_and_cleared() {
        let a = |accepted, cleared| crate::state::ActionEx {
            id: String::new(),
            index: 0,
            state: State::Success,
            output: None,
            cleared,
            accepted,
            sub_execution: None,
        };
        assert_eq!(
            action_summary(&[a(true, false), a(false, true), a(true, true)]),
            (2, 2)
        );
    }

    /// `--trace` of a with-items task run `concurrency` at a time: its collection
    /// is evaluated once per scheduling round; the first value is recorded in
    /// full, the unchanged repeats as `"unchanged": true`; no `condition` steps.
    #[test]
    fn a_repeated_with_items_collection_is_traced_once_in_full() {
        let program = program(
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items: i in <% range(12) %>\n      concurrency: 3\n      action: std.echo output=<% $.i %>\n      on-success:\n        - u: <% true %>\n    u:\n      action: std.noop\n",
        );
        let db = scratch_db("trace-items");
        let options = DurableOptions {
            trace: true,
            ..DurableOptions::default()
        };
        let (mut engine, root) = started(&program, &db, &options);
        assert_eq!(engine.run_durable(root).expect("runs"), RunEnd::Completed);
        let id = engine.executions[root].id.clone();
        let store = Store::open(&db).expect("store");
        let trace: Vec<Json> = store
            .events(&id, 0, None)
            .expect("reads")
            .into_iter()
            .filter(|e| e.kind == KIND_TRACE)
            .map(|e| e.payload)
            .collect();
        let collection: Vec<&Json> = trace
            .iter()
            .filter(|e| e["place"] == "with-items i")
            .collect();
        assert!(collection.len() > 1, "{collection:?}");
        assert_eq!(collection[0]["value"], json!((0..12).collect::<Vec<_>>()));
        for e in &collection[1..] {
            assert_eq!(e["unchanged"], true, "{e}");
            assert!(e.get("value").is_none(), "{e}");
        }
        assert!(!trace.iter().any(|e| e["event"] == "condition"));
        assert!(
            trace
                .iter()
                .any(|e| e["place"] == "on-success → u" && e["value"] == true)
        );
        remove_scratch(&db);
    }
}
