//! The event loop and Mistral's execution semantics.
//!
//! Single-threaded over the plain-data state of [`crate::state`]; actions that take
//! time run on worker threads and report through a channel; timers (wait-before,
//! wait-after, retry delay, timeout) are real deadlines. The structure follows
//! Mistral 23's engine: `dispatch` (the dispatcher with its command rearrangement),
//! `run_task` / `schedule_actions` (tasks.py), `complete` (publish, policies,
//! `continue_workflow`, next commands), `check_and_complete` (workflows.py) and the
//! join logical state of `direct_workflow.py`.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gale_bytecode::workflow::{
    CallKind, EngineCommand, Join, Program, Task, TaskInput, Template, WorkflowKind,
};
use gale_vm::mistral::MistralContext;
use serde_json::{Map, Value as Json, json};

use crate::eval::{EvalError, Evaluator, View, py_str, truthy};
use crate::host::{Host, task_dict, task_result};
use crate::journal::{Change, Journal, NoJournal};
use crate::reads::HistoryReads;
use crate::state::{ActionEx, Compact, State, TaskEx, WorkflowEx};

#[path = "durable.rs"]
pub mod durable;

/// A trace hook (see [`TraceEvent`]).
pub type TraceHook = Box<dyn FnMut(&TraceEvent)>;

/// (execution, task execution, action execution) indexes.
type ActionKey = (usize, usize, usize);

/// A cached task dict of the expression host: (change stamp, (name, dict)), if built.
type CachedTask = Option<(u64, Rc<(String, Json)>)>;

/// An error before the action runs: message and expression position.
type RunError = (String, Option<(u32, u32)>);

/// How to start an execution.
#[derive(Clone, Debug, Default)]
pub struct StartOptions {
    /// Workflow input.
    pub input: Map<String, Json>,
    /// The `env` parameter.
    pub env: Option<Json>,
    /// Target task of a reverse workflow.
    pub task: Option<String>,
    /// Other start parameters (`evaluate_env`…).
    pub params: Map<String, Json>,
    /// Give up (leave the execution RUNNING) after this long.
    pub deadline: Option<Duration>,
    /// `env` lowered to a template of the program (expressions compiled by the
    /// host), evaluated at start unless `evaluate_env` is false.
    pub env_template: Option<Template>,
}

/// Why an execution could not start.
#[derive(Clone, Debug, PartialEq)]
pub struct StartError {
    /// `ExceptionClass: message`, as Mistral's `start_workflow` raises it.
    pub error: String,
}

/// A trace event (task start/end, transition taken).
#[derive(Clone, Debug, PartialEq)]
pub enum TraceEvent {
    /// A task execution started.
    TaskStarted {
        /// Task name.
        task: String,
    },
    /// A task execution completed.
    TaskCompleted {
        /// Task name.
        task: String,
        /// Final state.
        state: State,
    },
    /// A transition was taken.
    Transition {
        /// From task.
        from: String,
        /// To task or command.
        to: String,
        /// The event (`on-success`…).
        event: String,
    },
}

#[derive(Debug)]
enum Event {
    RunTask(usize, usize),
    ActionDone(usize, usize, usize, Outcome),
    Continue(usize, usize),
    CompleteDelayed(usize, usize, State, Option<String>),
    Timeout(usize, usize, u64, u64),
    CheckComplete(usize),
    RefreshJoins(usize),
    RefreshJoin(usize, usize),
}

/// How an action ended (engine side).
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Success with a result.
    Ok(Json),
    /// Error with a payload.
    Err(Json),
    /// Still running (async action).
    Pending,
    /// A failed sub-workflow: its output (the task result) and its state info.
    SubErr(Json, String),
    /// A cancelled sub-workflow: its output (the task result) and the parent
    /// task's state info (`str(output['result'])` when truthy, as Mistral's
    /// `RegularTask.on_action_complete`).
    SubCancelled(Json, Option<String>),
}

struct ThreadMsg {
    exec: usize,
    task: usize,
    action: usize,
    outcome: Outcome,
}

#[derive(Debug)]
enum Cmd {
    Run {
        task: u32,
        ctx: Map<String, Json>,
        triggered_by: Option<(usize, String)>,
        waiting: bool,
    },
    Engine {
        cmd: EngineCommand,
        msg: Option<Json>,
    },
}

/// The engine: one program, its executions, the event queue.
pub struct Engine {
    program: Rc<Program>,
    ev: Evaluator,
    needs_host: bool,
    /// Per YAQL expression: `None` when it cannot call `task()`, `execution()`,
    /// `global()` or `env()` (it is evaluated with an env-only host), otherwise
    /// what it may read of the task history (its host holds only those tasks).
    expr_host: Vec<Option<HistoryReads>>,
    /// The same per Jinja string.
    jinja_host: Vec<Option<HistoryReads>>,
    /// Per workflow: task name → task index (for hosts of named reads; empty when
    /// no expression reads a task by name).
    task_ids: Vec<HashMap<String, u32>>,
    /// Every workflow execution (0 is the root).
    pub executions: Vec<WorkflowEx>,
    queue: VecDeque<Event>,
    timers: Vec<(Instant, Event)>,
    tx: mpsc::Sender<ThreadMsg>,
    rx: mpsc::Receiver<ThreadMsg>,
    in_flight: usize,
    journal: Box<dyn Journal>,
    trace: Option<TraceHook>,
    /// Multiplier on every real wait (1.0 = real time); tests may shrink waits
    /// whose length does not change Mistral's outcome.
    pub time_scale: f64,
    pending_error: Option<EvalError>,
    joins_dirty: bool,
    latest: Vec<Vec<usize>>,
    host_cache: std::cell::RefCell<Vec<Vec<CachedTask>>>,
    has_join: Vec<bool>,
    registry: crate::actions::ActionRegistry,
    /// Whether [`Engine::set_registry`] replaced the std registry (then even
    /// `std.noop` goes through it).
    custom_registry: bool,
    env_template: Option<Template>,
    completing_action: Option<usize>,
    adhoc_pending: Vec<(ActionKey, Rc<Vec<Template>>)>,
    /// The durable side (`gale_store`), when the execution is recorded.
    durable: Option<Box<durable::Durable>>,
}

thread_local! {
    static RNG: std::cell::Cell<u64> = std::cell::Cell::new({
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish() | 1
    });
}

fn next_u64() -> u64 {
    RNG.with(|r| {
        // xorshift64*
        let mut x = r.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        r.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    })
}

/// A new action execution of iteration `index`, started (RUNNING) and accepted.
fn running_action(index: usize) -> ActionEx {
    ActionEx {
        id: uuid(),
        index,
        state: State::Running,
        output: None,
        cleared: false,
        accepted: true,
        sub_execution: None,
    }
}

/// A random (version 4) uuid.
fn uuid() -> String {
    // Two hex digits per byte from one table lookup.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const PAIRS: [[u8; 2]; 256] = {
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [HEX[i >> 4], HEX[i & 15]];
            i += 1;
        }
        t
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next_u64().to_le_bytes());
    bytes[8..].copy_from_slice(&next_u64().to_le_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = [b'-'; 36];
    // Where each byte's two digits go (dashes at 8, 13, 18 and 23 stay).
    const AT: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
    for (b, at) in bytes.iter().zip(AT) {
        out[at..at + 2].copy_from_slice(&PAIRS[*b as usize]);
    }
    // Only ASCII hex digits and dashes were written, so this never fails.
    std::str::from_utf8(&out).map_or_else(|_| String::new(), str::to_string)
}

/// The with-items iterations a rerun without reset (`--no-reset`) gave back: the
/// indexes below `items_next` with no accepted action execution, ascending, and how
/// many accepted iterations are still running. Mistral's
/// `WithItemsTask._get_next_indexes` takes them before any new index, at most
/// `capacity` (the free `concurrency` slots) at a time.
fn items_to_rerun(t: &TaskEx, count: usize) -> (Vec<usize>, usize) {
    let mut accepted = vec![false; t.items_next.min(count)];
    // Iterations kept inline are accepted and completed.
    for slot in accepted.iter_mut().take(t.items_inline.len()) {
        *slot = true;
    }
    let mut running = 0;
    for a in t.actions.iter().filter(|a| a.accepted) {
        if let Some(slot) = accepted.get_mut(a.index) {
            *slot = true;
        }
        if !a.state.is_completed() {
            running += 1;
        }
    }
    let pending = accepted
        .iter()
        .enumerate()
        .filter(|(_, a)| !**a)
        .map(|(i, _)| i)
        .collect();
    (pending, running)
}

/// A cheap change stamp of a task execution (for the expression host's cache).
fn task_stamp(t: &TaskEx) -> u64 {
    if t.action_count() > 64 {
        // Many action executions (with-items): every accepted completion counts in
        // `items_done`, a retry bumps `retry_no` and `keep-result: false` clears all.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for x in [
            t.state as u64,
            t.action_count() as u64,
            t.items_done as u64,
            t.retry_no,
            t.generation,
            u64::from(if t.items_inline.is_empty() {
                t.actions.first().is_some_and(|a| a.cleared)
            } else {
                t.items_inline_cleared
            }),
            u64::from(t.state_info.is_some()),
            match &t.published {
                Json::Object(m) => m.len() as u64 + 1,
                Json::Null => 0,
                _ => 1,
            },
        ] {
            h = (h ^ x).wrapping_mul(0x0100_0000_01b3);
        }
        return h | 1 << 63;
    }
    let inline = t.items_inline.len();
    let outputs = (t.actions.iter().filter(|a| a.output.is_some()).count() + inline) as u64;
    let accepted = (t.actions.iter().filter(|a| a.accepted).count() + inline) as u64;
    let cleared = (t.items_inline_cleared || t.actions.iter().any(|a| a.cleared)) as u64;
    let published = match &t.published {
        Json::Object(m) => m.len() as u64 + 1,
        Json::Null => 0,
        _ => 1,
    };
    (t.state as u64)
        | (t.action_count() as u64) << 4
        | outputs << 20
        | accepted << 36
        | cleared << 52
        | published << 53
        | u64::from(t.state_info.is_some()) << 63
}

fn obj(j: Json) -> Map<String, Json> {
    match j {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

/// `utils.merge_dicts(left, right, overwrite)` (recursive).
fn merge_dicts(left: &mut Map<String, Json>, right: &Map<String, Json>, overwrite: bool) {
    for (k, v) in right {
        match (left.get_mut(k), v) {
            (None, _) => {
                left.insert(k.clone(), v.clone());
            }
            (Some(Json::Object(l)), Json::Object(r)) => merge_dicts(l, r, overwrite),
            (Some(slot), _) => {
                if overwrite {
                    *slot = v.clone();
                }
            }
        }
    }
}

/// Python's `list.sort` (small lists: count_run + binary insertion) with
/// Mistral's inconsistent comparator, which reverses non-join commands.
fn rearrange(cmds: Vec<Cmd>) -> Vec<Cmd> {
    let waiting = |c: &Cmd| matches!(c, Cmd::Run { waiting: true, .. });
    let key = |c: &Cmd| match c {
        Cmd::Run { task, .. } => *task,
        _ => 0,
    };
    // cmp(a, b) < 0
    let lt = |a: &Cmd, b: &Cmd| -> bool {
        if !waiting(a) {
            return true;
        }
        if !waiting(b) {
            return false;
        }
        key(a) < key(b)
    };
    let mut v = cmds;
    let n = v.len();
    if n < 2 {
        return v;
    }
    let mut run = 2;
    let descending = lt(&v[1], &v[0]);
    if descending {
        while run < n && lt(&v[run], &v[run - 1]) {
            run += 1;
        }
        v[..run].reverse();
    } else {
        while run < n && !lt(&v[run], &v[run - 1]) {
            run += 1;
        }
    }
    for start in run..n {
        let mut l = 0;
        let mut r = start;
        while l < r {
            let p = l + (r - l) / 2;
            if lt(&v[start], &v[p]) {
                r = p;
            } else {
                l = p + 1;
            }
        }
        let item = v.remove(start);
        v.insert(l, item);
    }
    v
}

fn versions_of(published: &Json, prefix: &str, out: &mut Vec<String>) {
    if let Json::Object(m) = published {
        for (k, v) in m {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if v.is_object() {
                versions_of(v, &key, out);
            } else {
                out.push(key);
            }
        }
    }
}

fn merge_by_version(
    left: &mut Map<String, Json>,
    vl: &Map<String, Json>,
    right: &Map<String, Json>,
    vr: &Map<String, Json>,
    prefix: &str,
) {
    for (k, v) in right {
        if k == "__versions" || k == "__task_execution" {
            continue;
        }
        match left.get_mut(k) {
            None => {
                left.insert(k.clone(), v.clone());
            }
            Some(lv) => {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if let (Json::Object(l), Json::Object(r)) = (&mut *lv, v) {
                    merge_by_version(l, vl, r, vr, &p);
                } else {
                    let ver = |m: &Map<String, Json>| m.get(&p).and_then(Json::as_u64).unwrap_or(0);
                    if ver(vr) > ver(vl) {
                        *lv = v.clone();
                    }
                }
            }
        }
    }
}

fn versions(m: &Map<String, Json>) -> Map<String, Json> {
    m.get("__versions")
        .and_then(Json::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `merge_context_by_version(left, right)`.
fn merge_context(left: &mut Map<String, Json>, right: &Map<String, Json>) {
    let vl = versions(left);
    let vr = versions(right);
    left.remove("__task_execution");
    merge_by_version(left, &vl, right, &vr, "");
    let mut merged = vl.clone();
    for (k, v) in &vr {
        let r = v.as_u64().unwrap_or(0);
        let l = merged.get(k).and_then(Json::as_u64).unwrap_or(0);
        merged.insert(k.clone(), json!(l.max(r)));
    }
    left.insert("__versions".into(), Json::Object(merged));
}

impl Engine {
    /// An engine for `program` (which must have passed `verify_program`).
    pub fn new(program: Rc<Program>) -> Engine {
        let ev = Evaluator::new(&program);
        let uses_host = |e: &gale_bytecode::workflow::ExprInfo, jinja: bool| {
            ["task", "execution", "global", "env"]
                .iter()
                .any(|w| e.text.contains(w))
                .then(|| crate::reads::expression_reads(&program, e, jinja))
        };
        let expr_host: Vec<_> = program.exprs.iter().map(|e| uses_host(e, false)).collect();
        let jinja_host: Vec<_> = program.jinja.iter().map(|e| uses_host(e, true)).collect();
        let needs_host = expr_host.iter().chain(&jinja_host).any(Option::is_some);
        // Only hosts of named reads look tasks up by name.
        let named = expr_host
            .iter()
            .chain(&jinja_host)
            .any(|r| matches!(r, Some(HistoryReads::Named(names)) if !names.is_empty()));
        let task_ids = program
            .workflows
            .iter()
            .filter(|_| named)
            .map(|w| {
                w.tasks
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.name.clone(), i as u32))
                    .collect()
            })
            .collect();
        let (tx, rx) = mpsc::channel();
        let has_join = program
            .workflows
            .iter()
            .map(|w| w.tasks.iter().any(|t| t.join.is_some()))
            .collect();
        Engine {
            program,
            ev,
            needs_host,
            expr_host,
            jinja_host,
            task_ids,
            executions: Vec::new(),
            queue: VecDeque::new(),
            timers: Vec::new(),
            tx,
            rx,
            in_flight: 0,
            journal: Box::new(NoJournal),
            trace: None,
            time_scale: 1.0,
            pending_error: None,
            joins_dirty: false,
            latest: Vec::new(),
            host_cache: Default::default(),
            has_join,
            registry: crate::actions::builtin::std_registry(&Default::default()),
            custom_registry: false,
            env_template: None,
            completing_action: None,
            adhoc_pending: Vec::new(),
            durable: None,
        }
    }

    /// Installs the YAML loader `yaml_parse` uses.
    pub fn set_yaml_loader(&mut self, loader: gale_vm::ctx::YamlLoader) {
        self.ev.yaml_loader = Some(loader);
    }

    /// Replaces the action registry (default: every std action, Mistral's defaults).
    pub fn set_registry(&mut self, registry: crate::actions::ActionRegistry) {
        self.registry = registry;
        self.custom_registry = true;
    }

    /// Installs a journal.
    pub fn set_journal(&mut self, journal: Box<dyn Journal>) {
        self.journal = journal;
    }

    /// Installs a trace hook.
    pub fn set_trace(&mut self, trace: TraceHook) {
        self.trace = Some(trace);
    }

    /// Installs an expression trace hook: every expression evaluated from now on,
    /// with its place, task execution, position and value (`gale run --trace`).
    pub fn set_expression_trace(&mut self, hook: crate::eval::ExprTraceHook) {
        self.ev.set_trace(&self.program, hook);
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Sends a trace event (built only when a trace hook is installed).
    fn emit(&mut self, e: impl FnOnce() -> TraceEvent) {
        if let Some(t) = &mut self.trace {
            t(&e());
        }
    }

    fn wf_spec(&self, exec: usize) -> &gale_bytecode::workflow::Workflow {
        &self.program.workflows[self.executions[exec].workflow]
    }

    fn task_spec(&self, exec: usize, te: usize) -> &Task {
        let t = self.executions[exec].tasks[te].task as usize;
        &self.wf_spec(exec).tasks[t]
    }

    /// Adds to `acc` what evaluating `t` may read (`None` stays when it needs no
    /// more than `env()`; an expression with no recorded entry may read anything).
    fn template_reads(&self, t: &Template, acc: &mut Option<HistoryReads>) {
        let mut add = |r: Option<&Option<HistoryReads>>| match (r, acc.as_mut()) {
            (Some(None), _) => {}
            (Some(Some(r)), Some(a)) => a.extend(r),
            (Some(Some(r)), None) => *acc = Some(r.clone()),
            (None, _) => *acc = Some(HistoryReads::All),
        };
        match t {
            Template::Lit(_) => {}
            Template::Yaql(i) => add(self.expr_host.get(*i as usize)),
            Template::Jinja(i) => add(self.jinja_host.get(*i as usize)),
            Template::Interp(parts) => {
                for p in parts {
                    if let gale_bytecode::workflow::Piece::Yaql(i) = p {
                        add(self.expr_host.get(*i as usize));
                    }
                }
            }
            Template::List(items) => {
                for x in items {
                    self.template_reads(x, acc);
                }
            }
            Template::Dict(items) => {
                for (_, x) in items {
                    self.template_reads(x, acc);
                }
            }
        }
    }

    /// The expression host for evaluating `t`: the execution snapshot only when `t`
    /// may use it, with only the task dicts `t` may read.
    fn host_for(
        &self,
        exec: usize,
        current: Option<usize>,
        t: &Template,
    ) -> Rc<dyn MistralContext> {
        self.host_reading(exec, current, [t])
    }

    /// The expression host for evaluating every template of `ts` (see
    /// [`Engine::host_for`]).
    fn host_reading<'t>(
        &self,
        exec: usize,
        current: Option<usize>,
        ts: impl IntoIterator<Item = &'t Template>,
    ) -> Rc<dyn MistralContext> {
        if !self.needs_host {
            return self.env_host(exec);
        }
        let mut reads = None;
        for t in ts {
            self.template_reads(t, &mut reads);
        }
        match reads {
            Some(reads) => self.host(exec, current, &reads),
            None => self.env_host(exec),
        }
    }

    /// A host that only answers `env()`.
    fn env_host(&self, exec: usize) -> Rc<dyn MistralContext> {
        let root = self.root_of(exec);
        let env = self.executions[root]
            .env
            .get("__env")
            .cloned()
            .unwrap_or(json!({}));
        Rc::new(Host {
            env,
            execution: Json::Null,
            tasks: Vec::new(),
            current: None,
            globals: Map::new(),
        })
    }

    /// The full expression host of `exec`: `execution()`, `global()`, the current
    /// task and the dicts of the task executions `reads` may read — every one for
    /// [`HistoryReads::All`] (`tasks()`), else the latest execution of each named
    /// task, so that an evaluation costs what it reads, not the history's length.
    fn host(
        &self,
        exec: usize,
        current: Option<usize>,
        reads: &HistoryReads,
    ) -> Rc<dyn MistralContext> {
        let wf = &self.executions[exec];
        let root = self.root_of(exec);
        let env = self.executions[root]
            .env
            .get("__env")
            .cloned()
            .unwrap_or(json!({}));
        let spec = &self.program.workflows[wf.workflow];
        let wi = |t: &TaskEx| {
            spec.tasks
                .get(t.task as usize)
                .is_some_and(|s| !s.with_items.is_empty())
        };
        // Task dicts are cached per task execution and rebuilt only when the task
        // changed (a stamp of its state, actions, outputs and published data).
        let mut cache = self.host_cache.borrow_mut();
        if cache.len() <= exec {
            cache.resize_with(exec + 1, Vec::new);
        }
        let per = &mut cache[exec];
        let mut dict = |i: usize| {
            let t = &wf.tasks[i];
            let stamp = task_stamp(t);
            if per.len() <= i {
                per.resize_with(i + 1, || None);
            }
            match &per[i] {
                Some((s, d)) if *s == stamp => d.clone(),
                _ => {
                    let d = Rc::new((t.name.clone(), task_dict(wf, t, wi(t))));
                    per[i] = Some((stamp, d.clone()));
                    d
                }
            }
        };
        let tasks = match reads {
            HistoryReads::All => (0..wf.tasks.len()).map(&mut dict).collect(),
            HistoryReads::Named(names) => {
                let ids = self.task_ids.get(wf.workflow);
                names
                    .iter()
                    .filter_map(|n| ids.and_then(|ids| ids.get(n)))
                    .filter_map(|&task| self.latest(exec, task))
                    .map(&mut dict)
                    .collect()
            }
        };
        drop(cache);
        let current = current.map(|i| task_dict(wf, &wf.tasks[i], wi(&wf.tasks[i])));
        Rc::new(Host {
            env,
            execution: json!({
                "id": wf.id,
                "name": wf.name,
                "spec": {},
                "input": wf.input,
                "params": wf.params,
                "created_at": crate::host::TIMESTAMP,
                "updated_at": crate::host::TIMESTAMP,
                "root_execution_id": if root == exec { Json::Null } else { json!(self.executions[root].id) },
            }),
            tasks,
            current,
            globals: wf.context.clone(),
        })
    }

    fn root_of(&self, mut exec: usize) -> usize {
        while let Some((p, _, _)) = self.executions[exec].parent {
            exec = p;
        }
        exec
    }

    fn env_layer(&self, exec: usize) -> Map<String, Json> {
        let root = self.root_of(exec);
        self.executions[root].env.clone()
    }

    /// Evaluates with the task's expression context: task dict, env, extra,
    /// in_context, workflow context, input.
    fn eval_task(
        &self,
        exec: usize,
        te: usize,
        t: &Template,
        extra: Option<&Map<String, Json>>,
    ) -> Result<Json, EvalError> {
        if let Template::Lit(j) = t {
            return Ok(j.clone());
        }
        let wf = &self.executions[exec];
        let task = &wf.tasks[te];
        self.ev.enter(wf, Some(te), extra.is_some());
        let mut td = Map::new();
        let mut te_map = Map::new();
        te_map.insert("id".into(), Json::String(task.id.clone()));
        te_map.insert("name".into(), Json::String(task.name.clone()));
        td.insert("__task_execution".into(), Json::Object(te_map));
        let env = &self.executions[self.root_of(exec)].env;
        let empty = Map::new();
        let view = View {
            layers: vec![
                &td,
                env,
                extra.unwrap_or(&empty),
                &task.in_context,
                &wf.context,
                &wf.input,
            ],
        };
        self.ev
            .eval(&self.program, t, &view, &self.host_for(exec, Some(te), t))
    }

    /// Evaluates with an explicit list of layers plus the host.
    fn eval_layers(
        &self,
        exec: usize,
        current: Option<usize>,
        t: &Template,
        layers: Vec<&Map<String, Json>>,
    ) -> Result<Json, EvalError> {
        if let Template::Lit(j) = t {
            return Ok(j.clone());
        }
        self.ev.enter(&self.executions[exec], current, false);
        self.ev.eval(
            &self.program,
            t,
            &View { layers },
            &self.host_for(exec, current, t),
        )
    }

    // ---------------------------------------------------------------- start

    /// Starts the root execution of workflow `name`.
    pub fn start(&mut self, name: &str, opts: &StartOptions) -> Result<usize, StartError> {
        let Some(w) = self.program.workflow(name) else {
            return Err(StartError {
                error: format!(
                    "NotFoundException: Workflow not found [workflow_identifier={name}]"
                ),
            });
        };
        let mut params = opts.params.clone();
        let env = match &opts.env {
            Some(e) => e.clone(),
            None => json!({}),
        };
        params.insert("env".into(), env.clone());
        if let Some(t) = &opts.task {
            params.insert("task_name".into(), json!(t));
        }
        self.env_template = opts.env_template.clone();
        self.create_execution(w, opts.input.clone(), env, params, None, true)
            .map_err(|e| StartError { error: e })
    }

    fn create_execution(
        &mut self,
        w: usize,
        given: Map<String, Json>,
        env: Json,
        mut params: Map<String, Json>,
        parent: Option<(usize, usize, usize)>,
        root: bool,
    ) -> Result<usize, String> {
        // The program is shared (`Rc`): hold it, not a copy of the workflow spec
        // (a deep clone of every task of the workflow per execution).
        let prog = self.program.clone();
        let spec = &prog.workflows[w];
        let full = self.program.full_name(&spec.name);
        let class = match spec.kind {
            WorkflowKind::Direct => "DirectWorkflowSpec",
            WorkflowKind::Reverse => "ReverseWorkflowSpec",
        };
        let mut missing = Vec::new();
        let mut input = Map::new();
        for p in &spec.input {
            match given.get(&p.name) {
                Some(v) => {
                    input.insert(p.name.clone(), v.clone());
                }
                None => match &p.default {
                    Some(d) => {
                        input.insert(p.name.clone(), d.clone());
                    }
                    None => missing.push(format!("'{}'", p.name)),
                },
            }
        }
        let unexpected: Vec<String> = given
            .keys()
            .filter(|k| !spec.input.iter().any(|p| &p.name == *k))
            .map(|k| format!("'{k}'"))
            .collect();
        if !missing.is_empty() || (root && !unexpected.is_empty()) {
            let mut s = format!("Invalid input [name={full}, class={class}");
            if !missing.is_empty() {
                s.push_str(&format!(", missing=[{}]", missing.join(", ")));
            }
            if root && !unexpected.is_empty() {
                s.push_str(&format!(", unexpected=[{}]", unexpected.join(", ")));
            }
            s.push(']');
            return Err(if root {
                format!("InputException: {s}")
            } else {
                s
            });
        }
        if !root {
            for (k, v) in &given {
                if !input.contains_key(k) {
                    params.insert(k.clone(), v.clone());
                }
            }
        }
        let id = uuid();
        let mut env_layer = Map::new();
        env_layer.insert("__env".into(), env.clone());
        let mut context = Map::new();
        context.insert("__execution".into(), json!({"id": id}));
        let exec = self.executions.len();
        let target_task = params
            .get("task_name")
            .and_then(Json::as_str)
            .map(str::to_string);
        self.executions.push(WorkflowEx {
            id: id.clone(),
            workflow: w,
            name: full.clone(),
            state: State::Running,
            state_info: None,
            input,
            context,
            env: env_layer,
            params,
            output: None,
            tasks: Vec::with_capacity(self.program.workflows[w].tasks.len()),
            parent,
            target_task: target_task.clone(),
        });
        // Evaluate env (root only, `evaluate_env` default true).
        if root {
            let evaluate_env = self.executions[exec]
                .params
                .get("evaluate_env")
                .map(truthy)
                .unwrap_or(true);
            if evaluate_env && env.is_object() {
                let wf = &self.executions[exec];
                let ctx = wf.context.clone();
                let inp = wf.input.clone();
                let envl = wf.env.clone();
                let tpl = self
                    .env_template
                    .clone()
                    .unwrap_or_else(|| json_template(&env));
                if let Ok(v) = self.eval_layers(exec, None, &tpl, vec![&envl, &ctx, &inp]) {
                    self.executions[exec].env.insert("__env".into(), v.clone());
                    self.executions[exec].params.insert("env".into(), v);
                }
            }
        }
        if let Some(vars) = &spec.vars {
            let wf = &self.executions[exec];
            let (envl, ctx, inp) = (self.env_layer(exec), wf.context.clone(), wf.input.clone());
            match self.eval_layers(exec, None, vars, vec![&envl, &ctx, &inp]) {
                Ok(v) => {
                    let v = obj(v);
                    merge_dicts(&mut self.executions[exec].context, &v, true);
                }
                Err(e) => {
                    self.executions.pop();
                    return Err(format!("YaqlEvaluationException: {}", e.message));
                }
            }
        }
        if spec.kind == WorkflowKind::Reverse {
            match &target_task {
                Some(t) if spec.task(t).is_some() => {}
                _ => {
                    self.executions.pop();
                    let t = target_task.unwrap_or_default();
                    return Err(format!(
                        "WorkflowException: Invalid task name [wf_spec={full}, task_name={t}]"
                    ));
                }
            }
        }
        if self.journal.enabled() {
            self.journal.commit(&[Change::Workflow {
                id,
                state: "RUNNING".into(),
                state_info: None,
            }]);
        }
        let cmds = self.start_commands(exec);
        self.dispatch(exec, cmds);
        Ok(exec)
    }

    fn start_commands(&self, exec: usize) -> Vec<Cmd> {
        let spec = self.wf_spec(exec);
        match spec.kind {
            WorkflowKind::Direct => spec
                .start_tasks
                .iter()
                .map(|t| Cmd::Run {
                    task: *t,
                    ctx: Map::new(),
                    triggered_by: None,
                    waiting: spec.tasks[*t as usize].join.is_some(),
                })
                .collect(),
            WorkflowKind::Reverse => self.reverse_ready(exec),
        }
    }

    // ---------------------------------------------------------------- reverse

    fn reverse_needed(&self, exec: usize) -> Vec<usize> {
        let spec = self.wf_spec(exec);
        let Some(target) = self.executions[exec]
            .target_task
            .as_deref()
            .and_then(|t| spec.task(t))
        else {
            return Vec::new();
        };
        let mut need = vec![target];
        let mut i = 0;
        while i < need.len() {
            for r in &spec.tasks[need[i]].requires {
                if let Some(x) = spec.task(r)
                    && !need.contains(&x)
                {
                    need.push(x);
                }
            }
            i += 1;
        }
        need
    }

    fn reverse_ready(&self, exec: usize) -> Vec<Cmd> {
        let spec = self.wf_spec(exec);
        let wf = &self.executions[exec];
        let mut cmds = Vec::new();
        let mut need = self.reverse_needed(exec);
        need.sort_unstable();
        for t in need {
            if wf.tasks.iter().any(|x| x.task as usize == t) {
                continue;
            }
            let reqs: Vec<usize> = spec.tasks[t]
                .requires
                .iter()
                .filter_map(|r| spec.task(r))
                .collect();
            let done: Vec<&TaskEx> = reqs
                .iter()
                .filter_map(|r| {
                    wf.tasks
                        .iter()
                        .find(|x| x.task as usize == *r && x.state == State::Success)
                })
                .collect();
            if done.len() == reqs.len() {
                let mut ctx = Map::new();
                let mut first = true;
                for d in done {
                    let out = self.outbound(d);
                    if first {
                        ctx = out;
                        first = false;
                    } else {
                        merge_context(&mut ctx, &out);
                    }
                }
                cmds.push(Cmd::Run {
                    task: t as u32,
                    ctx,
                    triggered_by: None,
                    waiting: false,
                });
            }
        }
        cmds
    }

    // ---------------------------------------------------------------- dispatch

    fn dispatch(&mut self, exec: usize, mut cmds: Vec<Cmd>) {
        cmds.retain(|c| {
            !matches!(
                c,
                Cmd::Engine {
                    cmd: EngineCommand::Noop,
                    ..
                }
            )
        });
        let state_idx = cmds.iter().position(|c| matches!(c, Cmd::Engine { .. }));
        let ordered: Vec<Cmd> = match state_idx {
            None => rearrange(cmds),
            Some(0)
                if !matches!(
                    cmds[0],
                    Cmd::Engine {
                        cmd: EngineCommand::Pause,
                        ..
                    }
                ) =>
            {
                cmds.into_iter().take(1).collect()
            }
            Some(i) => {
                let mut cmds = cmds;
                let rest = cmds.split_off(i);
                let mut res = rearrange(cmds);
                let mut rest = rest.into_iter();
                if let Some(state_cmd) = rest.next() {
                    let pause = matches!(
                        state_cmd,
                        Cmd::Engine {
                            cmd: EngineCommand::Pause,
                            ..
                        }
                    );
                    res.push(state_cmd);
                    if pause {
                        res.extend(rest);
                    }
                }
                res
            }
        };
        for cmd in ordered {
            let st = self.executions[exec].state;
            if st.is_completed() {
                break;
            }
            if st == State::Paused {
                continue;
            }
            match cmd {
                Cmd::Run {
                    task,
                    ctx,
                    triggered_by,
                    waiting,
                } => self.create_task(exec, task, ctx, triggered_by, waiting),
                Cmd::Engine { cmd, msg } => {
                    let msg = msg.map(|m| match m {
                        Json::String(s) => s,
                        other => py_str(&other),
                    });
                    match cmd {
                        EngineCommand::Fail => self.fail_workflow(exec, msg),
                        EngineCommand::Succeed => {
                            if let Err(e) = self.succeed_workflow(exec, msg) {
                                self.pending_error = Some(e);
                            }
                        }
                        EngineCommand::Pause => self.pause_workflow(exec, msg),
                        EngineCommand::Noop => {}
                    }
                }
            }
        }
    }

    fn new_task_ex(
        &self,
        exec: usize,
        task: u32,
        ctx: Map<String, Json>,
        state: State,
        info: Option<String>,
    ) -> TaskEx {
        let spec = &self.wf_spec(exec).tasks[task as usize];
        TaskEx {
            id: uuid(),
            task,
            name: spec.name.clone(),
            state,
            state_info: info,
            in_context: ctx,
            published: json!({}),
            actions: Vec::new(),
            next_tasks: Vec::new(),
            has_next_tasks: false,
            processed: false,
            error_handled: false,
            triggered_by: Vec::new(),
            unique_key: None,
            retry_no: 0,
            wait_after_done: false,
            items_count: None,
            items_next: 0,
            items_done: 0,
            items_failed: false,
            arrived: 0,
            generation: 0,
            items_inline: Vec::new(),
            items_inline_cleared: false,
        }
    }

    fn create_task(
        &mut self,
        exec: usize,
        task: u32,
        ctx: Map<String, Json>,
        triggered_by: Option<(usize, String)>,
        waiting: bool,
    ) {
        if waiting {
            let key = format!("join-task-{}-{}", self.executions[exec].id, task);
            // A join has one task execution per workflow execution: the latest one.
            let existing = self.latest(exec, task).filter(|&te| {
                self.executions[exec].tasks[te].unique_key.as_deref() == Some(key.as_str())
            });
            let te = match existing {
                Some(te) => {
                    let t = &mut self.executions[exec].tasks[te];
                    if t.state != State::Waiting {
                        t.state = State::Waiting;
                        t.state_info = Some("Task is waiting.".into());
                    }
                    te
                }
                None => {
                    let mut t = self.new_task_ex(
                        exec,
                        task,
                        ctx,
                        State::Waiting,
                        Some("Task is waiting.".into()),
                    );
                    t.unique_key = Some(key);
                    self.push_task(exec, t);
                    self.executions[exec].tasks.len() - 1
                }
            };
            if let Some(tb) = triggered_by {
                let t = &mut self.executions[exec].tasks[te];
                t.triggered_by.push(tb);
                t.arrived += 1;
            }
            // Arrival counter: the full join check (all inbound tasks, impossible
            // routes) runs at once when enough inbound tasks arrived, otherwise when
            // the engine is idle (Mistral also refreshes joins asynchronously).
            let spec = self.task_spec(exec, te);
            let need = match spec.join {
                Some(Join::Count(n)) => n as usize,
                _ => spec.inbound.len(),
            };
            if self.executions[exec].tasks[te].arrived >= need {
                self.queue.push_back(Event::RefreshJoin(exec, te));
            } else {
                self.queue_join_refresh(exec);
            }
            return;
        }
        let mut t = self.new_task_ex(exec, task, ctx, State::Idle, None);
        if let Some(tb) = triggered_by {
            t.triggered_by.push(tb);
        }
        if self.journal.enabled() {
            self.journal.commit(&[Change::Task {
                execution: self.executions[exec].id.clone(),
                id: t.id.clone(),
                name: t.name.clone(),
                state: "IDLE".into(),
            }]);
        }
        self.push_task(exec, t);
        let te = self.executions[exec].tasks.len() - 1;
        self.queue.push_back(Event::RunTask(exec, te));
    }

    // ---------------------------------------------------------------- joins

    fn join_state(&self, exec: usize, te: usize) -> (State, Option<String>) {
        let spec = self.task_spec(exec, te);
        let wf = &self.executions[exec];
        let wspec = self.wf_spec(exec);
        let inbound = &spec.inbound;
        let mut induced: Vec<(String, State)> = Vec::new();
        for &i in inbound {
            let in_spec = &wspec.tasks[i as usize];
            let ex = self.latest(exec, i).map(|x| &wf.tasks[x]);
            let st = match ex {
                None => {
                    if self.possible_route(exec, i as usize, &mut Vec::new()) {
                        State::Waiting
                    } else {
                        State::Error
                    }
                }
                Some(t) if !t.state.is_completed() => State::Waiting,
                Some(t) => {
                    if t.next_tasks.iter().any(|(n, _)| *n == spec.name) {
                        State::Running
                    } else {
                        State::Error
                    }
                }
            };
            induced.push((in_spec.name.clone(), st));
        }
        let total = induced.len();
        let count = |s: State| induced.iter().filter(|(_, x)| *x == s).count();
        let failed = || {
            let names: Vec<String> = induced
                .iter()
                .filter(|(_, s)| *s == State::Error)
                .map(|(n, _)| format!("'{n}'"))
                .collect();
            format!("Failed by tasks: [{}]", names.join(", "))
        };
        if total == 0 {
            return (State::Running, None);
        }
        let (runs, errs) = (count(State::Running), count(State::Error));
        match spec.join {
            Some(Join::Count(n)) => {
                let n = n as usize;
                if runs >= n {
                    (State::Running, None)
                } else if errs > total.saturating_sub(n) {
                    (State::Error, Some(failed()))
                } else {
                    (State::Waiting, None)
                }
            }
            _ => {
                if runs == total {
                    (State::Running, None)
                } else if errs > 0 {
                    (State::Error, Some(failed()))
                } else {
                    (State::Waiting, None)
                }
            }
        }
    }

    fn possible_route(&self, exec: usize, task: usize, seen: &mut Vec<usize>) -> bool {
        if seen.contains(&task) {
            return false;
        }
        seen.push(task);
        let wspec = self.wf_spec(exec);
        let wf = &self.executions[exec];
        let inbound = &wspec.tasks[task].inbound;
        if inbound.is_empty() {
            return true;
        }
        let name = &wspec.tasks[task].name;
        for &i in inbound {
            match self.latest(exec, i).map(|x| &wf.tasks[x]) {
                None => {
                    if self.possible_route(exec, i as usize, seen) {
                        return true;
                    }
                }
                Some(t) => {
                    if !t.state.is_completed() || t.next_tasks.iter().any(|(n, _)| n == name) {
                        return true;
                    }
                }
            }
        }
        false
    }

    /// Queues one full join check at the end of the event queue (once: further
    /// requests are absorbed until it runs; it refreshes every execution). Every
    /// run loop processes it, durable or not.
    fn queue_join_refresh(&mut self, exec: usize) {
        if !self.joins_dirty {
            self.joins_dirty = true;
            self.queue.push_back(Event::RefreshJoins(exec));
        }
    }

    /// Appends a task execution, keeping the latest-execution index.
    fn push_task(&mut self, exec: usize, t: TaskEx) {
        let task = t.task;
        self.executions[exec].tasks.push(t);
        let te = self.executions[exec].tasks.len() - 1;
        if self.latest.len() <= exec {
            self.latest.resize_with(exec + 1, Vec::new);
        }
        let per = &mut self.latest[exec];
        if per.len() <= task as usize {
            per.resize(task as usize + 1, usize::MAX);
        }
        per[task as usize] = te;
    }

    /// The latest execution of task `task` in `exec`.
    fn latest(&self, exec: usize, task: u32) -> Option<usize> {
        self.latest
            .get(exec)
            .and_then(|p| p.get(task as usize))
            .copied()
            .filter(|x| *x != usize::MAX)
    }

    fn refresh_joins(&mut self, exec: usize) {
        if self.executions[exec].state.is_completed() {
            return;
        }
        if !self.has_join[self.executions[exec].workflow] {
            return;
        }
        let n = self.executions[exec].tasks.len();
        for te in 0..n {
            if self.executions[exec].tasks[te].state != State::Waiting {
                continue;
            }
            self.refresh_join(exec, te);
        }
    }

    fn refresh_join(&mut self, exec: usize, te: usize) {
        {
            if self.executions[exec].tasks[te].state != State::Waiting {
                return;
            }
            let (st, info) = self.join_state(exec, te);
            match st {
                State::Running => {
                    // Inbound context: every upstream that triggered this join.
                    let prog = self.program.clone();
                    let spec = &prog.workflows[self.executions[exec].workflow].tasks
                        [self.executions[exec].tasks[te].task as usize];
                    let wf = &self.executions[exec];
                    let ups: Vec<&TaskEx> = wf
                        .tasks
                        .iter()
                        .filter(|t| {
                            spec.inbound.contains(&t.task)
                                && t.state.is_completed()
                                && t.next_tasks.iter().any(|(n, _)| *n == spec.name)
                        })
                        .collect();
                    let ctx = self.upstream_context(&ups);
                    let t = &mut self.executions[exec].tasks[te];
                    t.in_context = ctx;
                    t.state = State::Running;
                    t.state_info = None;
                    // Re-run: previous failed executions are no longer accepted.
                    for a in &mut t.actions {
                        if a.state == State::Error {
                            a.accepted = false;
                        }
                    }
                    let name = t.name.clone();
                    self.emit(|| TraceEvent::TaskStarted { task: name });
                    self.schedule_actions_guarded(exec, te);
                }
                State::Error => {
                    self.complete(exec, te, State::Error, info);
                }
                _ => {}
            }
        }
    }

    fn upstream_context(&self, ups: &[&TaskEx]) -> Map<String, Json> {
        let Some((last, rest)) = ups.split_last() else {
            return Map::new();
        };
        let mut ctx = self.outbound(last);
        for t in rest {
            let out = self.outbound(t);
            merge_context(&mut ctx, &out);
        }
        ctx
    }

    /// `evaluate_task_outbound_context`: in_context (+ versions of published keys)
    /// updated with published.
    fn outbound(&self, t: &TaskEx) -> Map<String, Json> {
        let unpublished = match &t.published {
            Json::Object(p) => p.is_empty(),
            _ => true,
        };
        if unpublished && t.in_context.contains_key("__versions") {
            return t.in_context.clone();
        }
        let mut ctx = t.in_context.clone();
        let mut keys = Vec::new();
        versions_of(&t.published, "", &mut keys);
        let mut vers = versions(&ctx);
        for k in keys {
            let v = vers.get(&k).and_then(Json::as_u64).unwrap_or(0);
            vers.insert(k, json!(v + 1));
        }
        ctx.insert("__versions".into(), Json::Object(vers));
        if let Json::Object(p) = &t.published {
            for (k, v) in p {
                ctx.insert(k.clone(), v.clone());
            }
        }
        ctx
    }

    // ---------------------------------------------------------------- running tasks

    /// The position of a template's (first) expression.
    fn template_position(&self, t: &Template) -> Option<(u32, u32)> {
        match t {
            Template::Yaql(i) => self
                .program
                .exprs
                .get(*i as usize)
                .map(|e| (e.line, e.column)),
            Template::Jinja(i) => self
                .program
                .jinja
                .get(*i as usize)
                .map(|e| (e.line, e.column)),
            _ => None,
        }
    }

    /// Mistral's forced failure for a policy value of the wrong type: the jsonschema
    /// `ValidationError` text, raised again as `InvalidModelException` (the chained
    /// tracebacks are replaced by the expression's position).
    fn policy_type_error(
        &self,
        exec: usize,
        te: usize,
        class: &str,
        prop: &str,
        v: &Json,
        position: Option<(u32, u32)>,
    ) -> String {
        let detail = format!(
            "Failed validating 'type' in schema['properties']['{prop}']:\n    {{'type': 'integer', 'minimum': 0}}\n\nOn instance['{prop}']:\n    {}",
            repr(v)
        );
        let hint = ". Value(s) can be shown after YAQL evaluating. If you use YAQL here, please correct it.";
        let error = format!(
            "Invalid data type in {class}: {} is not of type 'integer'\n\n{detail}{hint}",
            repr(v)
        );
        let wf = &self.executions[exec].name;
        let task = &self.executions[exec].tasks[te].name;
        let tb = traceback(position);
        format!(
            "Failed to run task [error={error}, wf={wf}, task={task}]:\n{tb}\n\n{detail}\n\nDuring handling of the above exception, another exception occurred:\n\n{tb}\n\n{detail}{hint}\n"
        )
    }

    fn forced_run_error(&mut self, exec: usize, te: usize, e: &str, position: Option<(u32, u32)>) {
        let wf = self.executions[exec].name.clone();
        let task = self.executions[exec].tasks[te].name.clone();
        let msg = format!(
            "Failed to run task [error={e}, wf={wf}, task={task}]:\n{}\n",
            traceback(position)
        );
        self.force_fail(exec, te, msg);
    }

    fn force_fail(&mut self, exec: usize, te: usize, msg: String) {
        {
            let t = &mut self.executions[exec].tasks[te];
            t.state = State::Error;
            t.state_info = Some(msg.clone());
        }
        let name = self.executions[exec].tasks[te].name.clone();
        self.emit(|| TraceEvent::TaskCompleted {
            task: name,
            state: State::Error,
        });
        self.fail_workflow(exec, Some(msg));
    }

    fn run_task(&mut self, exec: usize, te: usize) {
        // Mistral's start_task runs even in a PAUSED workflow; only a completed
        // workflow stops it.
        if self.executions[exec].state.is_completed() {
            return;
        }
        if self.executions[exec].tasks[te].state != State::Idle {
            return;
        }
        self.executions[exec].tasks[te].state = State::Running;
        if self.trace.is_some() {
            let name = self.executions[exec].tasks[te].name.clone();
            self.emit(|| TraceEvent::TaskStarted { task: name });
        }
        // Policies before start: wait-before, pause-before, timeout.
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[exec].workflow].tasks
            [self.executions[exec].tasks[te].task as usize];
        let pol = &spec.policies;
        if let Some(pb) = &pol.pause_before {
            match self.eval_task(exec, te, pb, None) {
                Ok(v) if truthy(&v) => {
                    let t = &mut self.executions[exec].tasks[te];
                    t.state = State::Idle;
                    t.state_info = Some("Set by 'pause-before' policy".into());
                    self.pause_workflow(exec, None);
                    return;
                }
                Ok(_) => {}
                Err(e) => return self.forced_run_error(exec, te, &e.message, e.position),
            }
        }
        if let Some(t) = &pol.timeout {
            match self.eval_task(exec, te, t, None).map(|v| v.as_f64()) {
                Ok(Some(secs)) if secs > 0.0 => {
                    let gen_ = self.executions[exec].tasks[te].generation;
                    self.add_timer(secs, Event::Timeout(exec, te, gen_, secs as u64));
                }
                Ok(_) => {}
                Err(e) => return self.forced_run_error(exec, te, &e.message, e.position),
            }
        }
        if let Some(r) = &pol.retry {
            for (prop, t) in [("count", &r.count), ("delay", &r.delay)] {
                match self.eval_task(exec, te, t, None) {
                    Ok(v) if !is_int(&v) => {
                        let pos = self.template_position(t);
                        let msg = self.policy_type_error(exec, te, "RetryPolicy", prop, &v, pos);
                        return self.force_fail(exec, te, msg);
                    }
                    Ok(_) => {}
                    Err(e) => return self.forced_run_error(exec, te, &e.message, e.position),
                }
            }
        }
        if let Some(wb) = &pol.wait_before {
            match self.eval_task(exec, te, wb, None) {
                Ok(v) => match v.as_f64() {
                    Some(secs) if secs > 0.0 => {
                        self.executions[exec].tasks[te].state = State::RunningDelayed;
                        self.add_timer(secs, Event::Continue(exec, te));
                        return;
                    }
                    Some(_) => {}
                    None => {
                        let pos = self.template_position(wb);
                        let msg =
                            self.policy_type_error(exec, te, "WaitBeforePolicy", "delay", &v, pos);
                        return self.force_fail(exec, te, msg);
                    }
                },
                Err(e) => return self.forced_run_error(exec, te, &e.message, e.position),
            }
        }
        self.schedule_actions_guarded(exec, te);
    }

    fn add_timer(&mut self, secs: f64, e: Event) {
        let d = Duration::from_secs_f64((secs * self.time_scale).max(0.0));
        self.timers.push((Instant::now() + d, e));
    }

    fn schedule_actions_guarded(&mut self, exec: usize, te: usize) {
        if let Err((msg, pos)) = self.schedule_actions(exec, te) {
            self.forced_run_error(exec, te, &msg, pos);
        }
    }

    fn action_input(
        &self,
        exec: usize,
        te: usize,
        spec: &Task,
        extra: Option<&Map<String, Json>>,
    ) -> Result<Map<String, Json>, RunError> {
        let input = match &spec.input {
            TaskInput::None => json!({}),
            TaskInput::Map(t) | TaskInput::Expr(t) => self
                .eval_task(exec, te, t, extra)
                .map_err(|e| (e.message, e.position))?,
        };
        let Json::Object(mut input) = input else {
            return Err((
                format!(
                    "Wrong dynamic input for task: {}. Dict type is expected. Actual type: {}. Actual value: {}",
                    spec.name,
                    py_type(&input),
                    py_str(&input)
                ),
                None,
            ));
        };
        // env.__actions defaults.
        if let Some(name) = &spec.action_literal
            && spec.call_kind == CallKind::Action
        {
            let root = self.root_of(exec);
            if let Some(defaults) = self.executions[root]
                .params
                .get("env")
                .and_then(|e| e.get("__actions"))
                .and_then(|a| a.get(name))
                .and_then(Json::as_object)
            {
                merge_dicts(&mut input, defaults, false);
            }
        }
        Ok(input)
    }

    fn schedule_actions(&mut self, exec: usize, te: usize) -> Result<(), RunError> {
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[exec].workflow].tasks
            [self.executions[exec].tasks[te].task as usize];
        if spec.with_items.is_empty() {
            let input = self.action_input(exec, te, spec, None)?;
            return self.launch(exec, te, spec, input, 0);
        }
        // with-items
        let mut names: Vec<String> = Vec::new();
        let mut evaluated = Map::new();
        for (var, coll) in &spec.with_items {
            let v = self
                .eval_task(exec, te, coll, None)
                .map_err(|e| (e.message, e.position))?;
            evaluated.insert(var.clone(), v);
        }
        let mut required: Option<usize> = None;
        for (var, v) in &evaluated {
            let items = match v {
                Json::Array(a) => a.len(),
                Json::Object(o) => o.len(),
                Json::String(s) => s.chars().count(),
                _ => {
                    // The collections converted so far, as Mistral shows them.
                    let so_far: Map<String, Json> = names
                        .iter()
                        .map(|k| {
                            let items: Vec<Json> = match evaluated.get(k) {
                                Some(Json::Array(a)) => a.clone(),
                                Some(Json::Object(o)) => o.keys().map(|k| json!(k)).collect(),
                                Some(Json::String(s)) => {
                                    s.chars().map(|c| json!(c.to_string())).collect()
                                }
                                _ => Vec::new(),
                            };
                            (k.clone(), Json::Array(items))
                        })
                        .collect();
                    return Err((
                        format!(
                            "Wrong input format for: {}. Iterable type is expected for each value.",
                            py_str(&Json::Object(so_far))
                        ),
                        None,
                    ));
                }
            };
            match required {
                None => required = Some(items),
                Some(n) if n != items => {
                    return Err((
                        format!(
                            "Wrong input format for: {}. All arrays must have the same length.",
                            py_str(&Json::Object(evaluated.clone()))
                        ),
                        None,
                    ));
                }
                _ => {}
            }
            names.push(var.clone());
        }
        // Take the collections, each item in 16 bytes (`Compact`) instead of 80.
        let values: Vec<(String, Vec<Compact>)> = evaluated
            .into_iter()
            .map(|(var, v)| {
                let items = match v {
                    Json::Array(a) => a.into_iter().map(Compact::from).collect(),
                    Json::Object(o) => o
                        .into_iter()
                        .map(|(k, _)| Compact::from(Json::String(k)))
                        .collect(),
                    Json::String(s) => s
                        .chars()
                        .map(|c| Compact::from(Json::String(c.to_string())))
                        .collect(),
                    _ => Vec::new(),
                };
                (var, items)
            })
            .collect();
        let count = required.unwrap_or(0);
        if self.executions[exec].tasks[te].items_count.is_none() {
            // Room for the iterations: kept inline when they can be (see `launch`).
            let inline = spec.policies.concurrency.is_none()
                && self.durable.is_none()
                && !self.journal.enabled();
            let t = &mut self.executions[exec].tasks[te];
            t.items_count = Some(count);
            t.items_next = 0;
            if inline && t.actions.is_empty() {
                t.items_inline.reserve(count);
            } else {
                t.actions.reserve(count);
            }
        }
        if count == 0 {
            self.complete(exec, te, State::Success, None);
            return Ok(());
        }
        let concurrency = match &spec.policies.concurrency {
            Some(c) => self
                .eval_task(exec, te, c, None)
                .map_err(|e| (e.message, e.position))?
                .as_u64()
                .unwrap_or(0) as usize,
            None => 0,
        };
        // Every new index handed out: iterations a rerun without reset gave back
        // run again first (`WithItemsTask._get_next_indexes`), within `concurrency`.
        let (pending, running) = {
            let t = &self.executions[exec].tasks[te];
            if t.items_next >= count {
                items_to_rerun(t, count)
            } else {
                (Vec::new(), t.items_next.saturating_sub(t.items_done))
            }
        };
        let mut pending = pending.into_iter();
        let mut slots = if concurrency == 0 {
            usize::MAX
        } else {
            concurrency.saturating_sub(running)
        };
        while slots > 0 {
            let i = match pending.next() {
                Some(i) => i,
                None => {
                    let i = self.executions[exec].tasks[te].items_next;
                    if i >= count {
                        break;
                    }
                    self.executions[exec].tasks[te].items_next = i + 1;
                    i
                }
            };
            slots -= 1;
            let mut ctx = Map::new();
            for (var, items) in &values {
                ctx.insert(
                    var.clone(),
                    items.get(i).map_or(Json::Null, Compact::to_json),
                );
            }
            // `merge_dicts(item vars, in_context, overwrite)`: when no item variable
            // is also a context key, that merge equals the item variables layered
            // above in_context, which the evaluation view already does (no copy).
            let in_ctx = &self.executions[exec].tasks[te].in_context;
            if ctx.keys().any(|k| in_ctx.contains_key(k)) {
                let in_ctx = in_ctx.clone();
                merge_dicts(&mut ctx, &in_ctx, true);
            }
            self.ev.for_item(i);
            let input = self.action_input(exec, te, spec, Some(&ctx))?;
            self.launch(exec, te, spec, input, i)?;
            if self.executions[exec].tasks[te].state.is_completed() {
                break;
            }
        }
        Ok(())
    }

    fn launch(
        &mut self,
        exec: usize,
        te: usize,
        spec: &Task,
        input: Map<String, Json>,
        index: usize,
    ) -> Result<(), RunError> {
        let name = self
            .eval_task(exec, te, &spec.call, None)
            .map_err(|e| (e.message, e.position))?;
        let name = match name {
            Json::Null => "std.noop".to_string(),
            Json::String(s) if s.is_empty() => "std.noop".to_string(),
            Json::String(s) => s,
            other => py_str(&other),
        };
        if spec.call_kind == CallKind::Workflow {
            return self.launch_subworkflow(exec, te, &name, input, index);
        }
        // Resolve ad-hoc chain.
        let mut input = input;
        let mut outputs: Vec<Template> = Vec::new();
        let mut action_name = name.clone();
        let program = self.program.clone();
        let mut depth = 0;
        let mut base_of: Option<(String, String)> = None;
        loop {
            depth += 1;
            // The task's action name is looked up with the workbook prefix first,
            // then as written; an ad-hoc action's `base` only by its full name.
            let adhoc = if depth == 1 {
                program
                    .workbook
                    .as_ref()
                    .and_then(|_| {
                        program
                            .actions
                            .iter()
                            .find(|a| program.full_name(&a.name) == program.full_name(&action_name))
                    })
                    .or_else(|| {
                        program
                            .actions
                            .iter()
                            .find(|a| program.full_name(&a.name) == action_name)
                    })
            } else {
                program
                    .actions
                    .iter()
                    .find(|a| program.full_name(&a.name) == action_name)
            };
            if adhoc.is_none()
                && depth > 1
                && crate::std_actions::std_action(&action_name).is_none()
                && let Some(def) = base_of.take()
            {
                let msg = format!(
                    "Failed to instantiate an action [action_desc=AdHoc action [name={}, definition={}]]",
                    def.0, def.1
                );
                self.complete(exec, te, State::Error, Some(msg));
                return Ok(());
            }
            let Some(a) = adhoc else { break };
            if depth > 20 {
                break;
            }
            let full = program.full_name(&a.name);
            // Check declared input.
            let missing: Vec<String> = a
                .input
                .iter()
                .filter(|p| p.default.is_none() && !input.contains_key(&p.name))
                .map(|p| format!("'{}'", p.name))
                .collect();
            let unexpected: Vec<String> = input
                .keys()
                .filter(|k| !a.input.iter().any(|p| &p.name == *k))
                .map(|k| format!("'{k}'"))
                .collect();
            if !missing.is_empty() || !unexpected.is_empty() {
                let mut s =
                    format!("Invalid input [name={full}, class=mistral.actions.adhoc.AdHocAction");
                if !missing.is_empty() {
                    s.push_str(&format!(", missing=[{}]", missing.join(", ")));
                }
                if !unexpected.is_empty() {
                    s.push_str(&format!(", unexpected=[{}]", unexpected.join(", ")));
                }
                s.push(']');
                return Err((s, None));
            }
            let mut full_input = Map::new();
            for p in &a.input {
                match input.get(&p.name) {
                    Some(v) => full_input.insert(p.name.clone(), v.clone()),
                    None => {
                        full_input.insert(p.name.clone(), p.default.clone().unwrap_or(Json::Null))
                    }
                };
            }
            // base-input sees the action input and the task's branch context.
            let in_ctx = self.executions[exec].tasks[te].in_context.clone();
            let base = match self.eval_layers(
                exec,
                Some(te),
                &a.base_input,
                vec![&full_input, &in_ctx],
            ) {
                Ok(v) => obj(v),
                Err(_) => {
                    let msg = format!(
                        "Failed to instantiate an action [action_desc=AdHoc action [name={full}, definition={}]]",
                        a.definition
                    );
                    self.complete(exec, te, State::Error, Some(msg));
                    return Ok(());
                }
            };
            if let Some(o) = &a.output {
                outputs.push(o.clone());
            }
            input = base;
            base_of = Some((full.clone(), a.definition.clone()));
            action_name = a.base.clone();
        }
        let mut full = Map::new();
        match crate::std_actions::std_action(&action_name) {
            Some(std) => {
                let keys: Vec<&str> = input.keys().map(String::as_str).collect();
                let (missing, unexpected) = std.check(&keys);
                if !missing.is_empty() || !unexpected.is_empty() {
                    return Err((std.invalid_input_message(&missing, &unexpected), None));
                }
                for p in std.params {
                    match input.get(p.name) {
                        Some(v) => full.insert(p.name.to_string(), v.clone()),
                        None => full.insert(
                            p.name.to_string(),
                            p.default
                                .and_then(|d| serde_json::from_str(d).ok())
                                .unwrap_or(Json::Null),
                        ),
                    };
                }
            }
            // A plugin action (gale.toml): it checks its declared parameters itself.
            None if self.registry.contains(&action_name) => full = input.clone(),
            None => {
                return Err((
                    format!("Failed to find action [action_name={name}, namespace=]"),
                    None,
                ));
            }
        }
        // Inline fast path: `std.noop` and `std.echo` without delay finish at once with
        // a known result; no request, registry lookup or id copies are needed (unless
        // a custom registry or the durable store wants the request).
        let quick = if !self.custom_registry
            && self.durable.is_none()
            && spec.policies.timeout.is_none()
            && outputs.is_empty()
        {
            match action_name.as_str() {
                "std.noop" => Some(Json::Null),
                "std.echo"
                    if match full.get("delay") {
                        None | Some(Json::Null) => true,
                        Some(Json::Number(n)) => n.as_f64() == Some(0.0),
                        Some(_) => false,
                    } =>
                {
                    Some(full.get("output").cloned().unwrap_or(Json::Null))
                }
                _ => None,
            }
        } else {
            None
        };
        // A with-items item that is not the last one launched in this round (no
        // concurrency limit): its completion only counts, so it is recorded now
        // instead of queueing an event per item. The last item's event lands where it
        // did before, so the task completes at the same point. Nothing can read such
        // an item's id (no journal, no store, and it succeeded, so no error message
        // names it), so it gets none: 1M items save 1M uuid strings.
        let direct = quick.is_some() && {
            let t = &self.executions[exec].tasks[te];
            !spec.with_items.is_empty()
                && spec.policies.concurrency.is_none()
                && !self.journal.enabled()
                && t.items_next < t.items_count.unwrap_or(0)
        };
        let t = &mut self.executions[exec].tasks[te];
        let ai = t.actions.len();
        if direct && let Some(v) = quick {
            // Iterations 0, 1, 2… before any record keep only their result.
            if ai == 0 && index == t.items_inline.len() {
                t.items_inline.push(Compact::from(v));
            } else {
                t.actions.push(ActionEx {
                    id: String::new(),
                    index,
                    state: State::Success,
                    output: Some(v),
                    cleared: false,
                    accepted: true,
                    sub_execution: None,
                });
            }
            t.items_done += 1;
            return Ok(());
        }
        t.actions.push(running_action(index));
        if self.journal.enabled() {
            self.journal.commit(&[Change::Action {
                task: self.executions[exec].tasks[te].id.clone(),
                id: self.executions[exec].tasks[te].actions[ai].id.clone(),
                action: action_name.clone(),
                input: Json::Object(full.clone()),
            }]);
        }
        if let Some(v) = quick {
            self.queue
                .push_back(Event::ActionDone(exec, te, ai, Outcome::Ok(v)));
            return Ok(());
        }
        let full = full;
        let aid = self.executions[exec].tasks[te].actions[ai].id.clone();
        let outputs = Rc::new(outputs);
        let timeout = match &spec.policies.timeout {
            Some(t) => self
                .eval_task(exec, te, t, None)
                .ok()
                .and_then(|v| v.as_f64())
                .filter(|s| *s > 0.0),
            None => None,
        };
        let request = crate::actions::ActionRequest {
            action: action_name.clone(),
            input: full,
            execution_id: self.executions[exec].id.clone(),
            task_name: spec.name.clone(),
            item_index: (!spec.with_items.is_empty()).then_some(index),
            action_execution_id: aid.clone(),
            timeout: timeout.map(Duration::from_secs_f64),
            cancel: crate::actions::CancelFlag::new(),
        };
        let deadline = timeout.map(|seconds| crate::builtin::Deadline {
            seconds,
            class: crate::std_actions::std_action(&action_name)
                .map_or_else(|| action_name.clone(), |std| std.class.to_string()),
        });
        let replay = self
            .durable
            .as_ref()
            .map(|_| (request.clone(), deadline.clone()));
        match crate::builtin::dispatch(&self.registry, request, deadline) {
            crate::builtin::Run::Now(o) => {
                let o = self.apply_adhoc_outputs(exec, te, &outputs, o);
                self.queue.push_back(Event::ActionDone(exec, te, ai, o));
            }
            crate::builtin::Run::Pending => {}
            crate::builtin::Run::Later(job) => {
                self.spawn_action((exec, te, ai), job, outputs, replay)
            }
        }
        Ok(())
    }

    fn apply_adhoc_outputs(
        &self,
        exec: usize,
        te: usize,
        outputs: &[Template],
        o: Outcome,
    ) -> Outcome {
        let Outcome::Ok(mut v) = o else { return o };
        self.ev.enter(&self.executions[exec], Some(te), false);
        let host = self.host_reading(exec, Some(te), outputs);
        for t in outputs.iter().rev() {
            match self.ev.eval_data(&self.program, t, &v, &host) {
                Ok(x) => v = x,
                Err(e) => return Outcome::Err(json!(e.message)),
            }
        }
        Outcome::Ok(v)
    }

    fn launch_subworkflow(
        &mut self,
        exec: usize,
        te: usize,
        name: &str,
        input: Map<String, Json>,
        index: usize,
    ) -> Result<(), RunError> {
        let Some(w) = self.program.workflow(name) else {
            let msg = format!("Failed to find workflow [name={name}] [namespace=]");
            self.complete(exec, te, State::Error, Some(msg));
            return Ok(());
        };
        let ai = self.executions[exec].tasks[te].actions.len();
        self.executions[exec].tasks[te]
            .actions
            .push(running_action(index));
        let root = self.root_of(exec);
        let env = self.executions[root]
            .params
            .get("env")
            .cloned()
            .unwrap_or(json!({}));
        let mut params = Map::new();
        params.insert("env".into(), env.clone());
        if self.program.workflows[w].kind == WorkflowKind::Reverse
            && let Some(t) = input.get("task_name")
        {
            params.insert("task_name".into(), t.clone());
        }
        match self.create_execution(w, input, env, params, Some((exec, te, ai)), false) {
            Ok(sub) => {
                self.executions[exec].tasks[te].actions[ai].sub_execution = Some(sub);
                self.sub_finished(sub);
            }
            Err(msg) => {
                self.executions[exec].tasks[te].actions.pop();
                self.complete(exec, te, State::Error, Some(msg));
            }
        }
        Ok(())
    }

    /// Reports a finished (or paused) sub-workflow to its parent task.
    fn sub_finished(&mut self, sub: usize) {
        let wf = &self.executions[sub];
        let Some((p, pt, pa)) = wf.parent else { return };
        match wf.state {
            State::Success => {
                let out = wf.output.clone().unwrap_or(json!({}));
                self.queue
                    .push_back(Event::ActionDone(p, pt, pa, Outcome::Ok(out)));
            }
            State::Cancelled => {
                // Mistral's `_cancel_workflow` sets the output to `{'result': msg}`;
                // the parent task completes CANCELLED with `str(result)` (if truthy)
                // as its state info, even when the parent was cancelled first.
                let out = wf.output.clone().unwrap_or(json!({"result": null}));
                let info = out.get("result").filter(|r| truthy(r)).map(py_str);
                self.queue.push_back(Event::ActionDone(
                    p,
                    pt,
                    pa,
                    Outcome::SubCancelled(out, info),
                ));
            }
            State::Error => {
                let msg = wf
                    .state_info
                    .clone()
                    .unwrap_or_else(|| format!("Failed subworkflow [execution_id={}]", wf.id));
                let out = wf.output.clone().unwrap_or(json!(msg.clone()));
                self.queue
                    .push_back(Event::ActionDone(p, pt, pa, Outcome::SubErr(out, msg)));
            }
            State::Paused => {
                let info = wf.state_info.clone();
                self.executions[p].tasks[pt].state = State::Paused;
                self.pause_workflow(p, info);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- completion

    fn action_done(&mut self, exec: usize, te: usize, ai: usize, outcome: Outcome) {
        let Some(a) = self.executions[exec]
            .tasks
            .get_mut(te)
            .and_then(|t| t.actions.get_mut(ai))
        else {
            return;
        };
        // A late result of an attempt that was abandoned (timeout, retry) no longer
        // counts: Mistral keeps that action execution as it was.
        if a.output.is_some() || !a.accepted {
            return;
        }
        let mut sub_info = None;
        let (state, out) = match outcome {
            Outcome::Ok(v) => (State::Success, v),
            Outcome::Err(v) => (State::Error, v),
            Outcome::SubErr(v, info) => {
                sub_info = Some(info);
                (State::Error, v)
            }
            Outcome::SubCancelled(v, info) => {
                sub_info = info;
                (State::Cancelled, v)
            }
            Outcome::Pending => return,
        };
        a.state = state;
        a.output = Some(out.clone());
        if self.journal.enabled() {
            self.journal.commit(&[Change::ActionResult {
                id: a.id.clone(),
                output: out.clone(),
                error: state == State::Error,
            }]);
        }
        let t = &self.executions[exec].tasks[te];
        // A cancelled sub-workflow still completes its task when the parent
        // workflow is already cancelled (Mistral's `stop_workflow` cancels the
        // parent first, then its sub-workflows, each reporting to its task).
        let wf_done = self.executions[exec].state.is_completed() && state != State::Cancelled;
        if t.state.is_completed() || wf_done {
            return;
        }
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[exec].workflow].tasks
            [self.executions[exec].tasks[te].task as usize];
        if !spec.with_items.is_empty() {
            let count = t.items_count.unwrap_or(0);
            let parent_done = self.executions[exec].state.is_completed();
            let t = &mut self.executions[exec].tasks[te];
            t.items_done += 1;
            t.items_failed |= state == State::Error;
            let done = t.items_done;
            if done >= count && t.items_next >= count {
                let failed = t.items_failed;
                // Mistral's `WithItemsTask._get_final_state`: an accepted
                // CANCELLED execution first, then an ERROR one.
                let cancelled = t
                    .actions
                    .iter()
                    .any(|a| a.accepted && a.state == State::Cancelled);
                if cancelled {
                    self.complete_guarded(
                        exec,
                        te,
                        ai,
                        State::Cancelled,
                        Some("One or more actions was cancelled.".into()),
                    );
                } else if failed {
                    self.complete_guarded(
                        exec,
                        te,
                        ai,
                        State::Error,
                        Some("One or more actions had failed.".into()),
                    );
                } else {
                    self.complete_guarded(exec, te, ai, State::Success, None);
                }
            } else if !parent_done
                && (t.items_next < count
                    || (spec.policies.concurrency.is_some()
                        && !items_to_rerun(t, count).0.is_empty()))
            {
                self.schedule_actions_guarded(exec, te);
            }
            return;
        }
        let info = if state == State::Success {
            None
        } else if sub_info.is_some() || state == State::Cancelled {
            sub_info
        } else if truthy(&out) {
            Some(py_str(&out))
        } else {
            None
        };
        self.complete_guarded(exec, te, ai, state, info);
    }

    fn complete_guarded(
        &mut self,
        exec: usize,
        te: usize,
        ai: usize,
        state: State,
        info: Option<String>,
    ) {
        self.completing_action = Some(ai);
        self.complete(exec, te, state, info);
        self.completing_action = None;
    }

    fn action_name_of(&self, exec: usize, te: usize) -> String {
        let spec = self.task_spec(exec, te);
        if spec.call_kind == CallKind::Workflow {
            return match &spec.call {
                Template::Lit(Json::String(s)) => s.clone(),
                _ => String::new(),
            };
        }
        spec.action_literal
            .clone()
            .unwrap_or_else(|| "std.noop".into())
    }

    fn completion_error(&mut self, exec: usize, te: usize, e: &EvalError) {
        let wf = self.executions[exec].name.clone();
        let task = self.executions[exec].tasks[te].name.clone();
        let msg = if self.completing_action.is_some() {
            let action = self.action_name_of(exec, te);
            format!(
                "Failed to handle action completion [error={}, wf={wf}, task={task}, action={action}]:\n{}\n",
                e.message,
                traceback(e.position)
            )
        } else {
            format!(
                "Failed to complete task [error={}, wf={wf}, task={task}]:\n{}\n",
                e.message,
                traceback(e.position)
            )
        };
        self.force_fail(exec, te, msg);
    }

    /// `Task.complete`.
    fn complete(&mut self, exec: usize, te: usize, state: State, info: Option<String>) {
        if self.executions[exec].tasks[te].state.is_completed() {
            return;
        }
        {
            let t = &mut self.executions[exec].tasks[te];
            t.state = state;
            t.state_info = info.clone();
            t.generation += 1;
        }
        let prog = self.program.clone();
        let spec = &prog.workflows[self.executions[exec].workflow].tasks
            [self.executions[exec].tasks[te].task as usize];
        // Publish.
        if let Err(e) = self.publish(exec, te, spec, state) {
            return self.completion_error(exec, te, &e);
        }
        // keep-result
        match self.eval_task(exec, te, &spec.keep_result, None) {
            Ok(v) if !truthy(&v) => {
                let t = &mut self.executions[exec].tasks[te];
                t.items_inline_cleared = !t.items_inline.is_empty();
                for a in &mut t.actions {
                    a.cleared = true;
                }
            }
            Ok(_) => {}
            Err(e) => return self.completion_error(exec, te, &e),
        }
        // Policies after completion: wait-after, retry, fail-on.
        match self.after_task_complete(exec, te, spec) {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => return self.completion_error(exec, te, &e),
        }
        let state = self.executions[exec].tasks[te].state;
        let name = &spec.name;
        self.emit(|| TraceEvent::TaskCompleted {
            task: name.clone(),
            state,
        });
        if self.journal.enabled() {
            let task_name = self.executions[exec].tasks[te].name.clone();
            self.journal.commit(&[Change::Task {
                execution: self.executions[exec].id.clone(),
                id: self.executions[exec].tasks[te].id.clone(),
                name: task_name,
                state: state.name().into(),
            }]);
        }
        // continue_workflow
        let cmds = match self.next_commands(exec, te) {
            Ok(c) => c,
            Err(e) => return self.completion_error(exec, te, &e),
        };
        let mut next = Vec::new();
        let mut handles = false;
        for (c, event) in &cmds {
            if let Cmd::Run { task, .. } = c {
                let n = self.wf_spec(exec).tasks[*task as usize].name.clone();
                next.push((n, event.to_string()));
            }
            if *event == "on-error" {
                handles = true;
            }
        }
        if self.trace.is_some() {
            for (to, event) in &next {
                self.emit(|| TraceEvent::Transition {
                    from: name.clone(),
                    to: to.clone(),
                    event: event.clone(),
                });
            }
        }
        {
            let t = &mut self.executions[exec].tasks[te];
            t.has_next_tasks = !next.is_empty();
            t.next_tasks = next;
            if t.state == State::Error {
                t.error_handled = handles;
            }
        }
        if self.executions[exec].state == State::Paused {
            return;
        }
        self.executions[exec].tasks[te].processed = true;
        let may_complete = !self.executions[exec].tasks[te].has_next_tasks
            || self.wf_spec(exec).kind == WorkflowKind::Reverse;
        if may_complete {
            self.queue.push_back(Event::CheckComplete(exec));
        }
        // A fresh vector: collecting in place would shrink (realloc) the old one.
        let mut run = Vec::with_capacity(cmds.len());
        run.extend(cmds.into_iter().map(|(c, _)| c));
        let cmds = run;
        self.pending_error = None;
        self.dispatch(exec, cmds);
        if let Some(e) = self.pending_error.take() {
            self.completion_error(exec, te, &e);
            return;
        }
        if self.has_join[self.executions[exec].workflow] {
            self.queue_join_refresh(exec);
        }
    }

    fn publish(
        &mut self,
        exec: usize,
        te: usize,
        spec: &Task,
        state: State,
    ) -> Result<(), EvalError> {
        // DirectWorkflowTaskSpec.get_publish
        let mut branch: Option<Vec<(String, Template)>>;
        let mut global: Option<Vec<(String, Template)>>;
        let mut have: bool;
        let own = match state {
            State::Success => spec.publish.clone(),
            State::Error => spec.publish_on_error.clone(),
            _ => None,
        };
        let as_list = |t: Template| match t {
            Template::Dict(items) => items,
            Template::Lit(Json::Object(m)) => {
                m.into_iter().map(|(k, v)| (k, Template::Lit(v))).collect()
            }
            _ => Vec::new(),
        };
        match own {
            Some(t) => {
                branch = Some(as_list(t));
                global = None;
                have = true;
            }
            None => {
                branch = None;
                global = None;
                have = false;
            }
        }
        let merge = |l: &mut Option<Vec<(String, Template)>>,
                     r: &Option<Vec<(String, Template)>>| {
            if let (Some(l), Some(r)) = (l.as_mut(), r) {
                for (k, v) in r {
                    if let Some(slot) = l.iter_mut().find(|(n, _)| n == k) {
                        slot.1 = v.clone();
                    } else {
                        l.push((k.clone(), v.clone()));
                    }
                }
            }
        };
        if let Some(pc) = &spec.on_complete.publish {
            let (b, g) = (
                pc.branch.clone().map(as_list),
                pc.global.clone().map(as_list),
            );
            if have {
                merge(&mut branch, &b);
                merge(&mut global, &g);
            } else {
                branch = b;
                global = g;
                have = true;
            }
        }
        let clause = match state {
            State::Success => Some(&spec.on_success),
            State::Error => Some(&spec.on_error),
            _ => None,
        };
        if let Some(pc) = clause.and_then(|c| c.publish.as_ref()) {
            let mut b = pc.branch.clone().map(as_list);
            let mut g = pc.global.clone().map(as_list);
            if have {
                merge(&mut b, &branch);
                merge(&mut g, &global);
            }
            branch = b;
            global = g;
            have = true;
        }
        if !have {
            return Ok(());
        }
        let wf = &self.executions[exec];
        let t = &wf.tasks[te];
        let td = obj(json!({"__task_execution": {"id": t.id, "name": t.name}}));
        let env = self.env_layer(exec);
        let (branch, global) = (branch.map(Template::Dict), global.map(Template::Dict));
        let host = self.host_reading(exec, Some(te), branch.iter().chain(&global));
        self.ev.enter(wf, Some(te), false);
        let view = View {
            layers: vec![&td, &t.in_context, &env, &wf.context, &wf.input],
        };
        let published = match &branch {
            Some(b) => self.ev.eval(&self.program, b, &view, &host)?,
            None => Json::Null,
        };
        let globals = match &global {
            Some(g) => Some(self.ev.eval(&self.program, g, &view, &host)?),
            None => None,
        };
        self.executions[exec].tasks[te].published = published;
        if let Some(Json::Object(g)) = globals {
            merge_dicts(&mut self.executions[exec].context, &g, true);
        }
        Ok(())
    }

    /// Returns Ok(true) when the task is delayed (RUNNING_DELAYED).
    fn after_task_complete(
        &mut self,
        exec: usize,
        te: usize,
        spec: &Task,
    ) -> Result<bool, EvalError> {
        let pol = &spec.policies;
        // wait-after
        if let Some(wa) = &pol.wait_after {
            if self.executions[exec].tasks[te].wait_after_done {
                self.executions[exec].tasks[te].wait_after_done = false;
            } else {
                let secs = self.eval_task(exec, te, wa, None)?.as_f64().unwrap_or(0.0);
                if secs > 0.0 {
                    let t = &mut self.executions[exec].tasks[te];
                    t.wait_after_done = true;
                    let (st, info) = (t.state, t.state_info.clone());
                    t.state = State::RunningDelayed;
                    self.add_timer(secs, Event::CompleteDelayed(exec, te, st, info));
                    return Ok(true);
                }
            }
        }
        // retry
        if let Some(r) = &pol.retry {
            let wf = &self.executions[exec];
            let t = &wf.tasks[te];
            let out = self.outbound(t);
            let host = self.host_reading(exec, Some(te), r.continue_on.iter().chain(&r.break_on));
            self.ev.enter(wf, Some(te), false);
            let view = View {
                layers: vec![&out, &wf.context, &wf.input],
            };
            let cont = match &r.continue_on {
                Some(c) => Some(self.ev.eval(&self.program, c, &view, &host)?),
                None => None,
            };
            let brk = match &r.break_on {
                Some(c) => Some(self.ev.eval(&self.program, c, &view, &host)?),
                None => None,
            };
            let count = self.eval_task(exec, te, &r.count, None)?;
            let count = count.as_u64().unwrap_or(0);
            let delay = self
                .eval_task(exec, te, &r.delay, None)?
                .as_f64()
                .unwrap_or(0.0);
            let state = t.state;
            let retry_no = t.retry_no;
            let stop_continue = (state == State::Success && r.continue_on.is_none())
                || (r.continue_on.is_some() && !cont.as_ref().is_some_and(truthy));
            let break_triggered = state == State::Error && brk.as_ref().is_some_and(truthy);
            if retry_no < count && !break_triggered && !stop_continue {
                let t = &mut self.executions[exec].tasks[te];
                t.expand_inline_items();
                for a in &mut t.actions {
                    a.accepted = false;
                }
                t.retry_no += 1;
                t.state = State::RunningDelayed;
                t.state_info = None;
                t.items_count = None;
                t.items_next = 0;
                t.items_done = 0;
                t.items_failed = false;
                self.add_timer(delay, Event::Continue(exec, te));
                return Ok(true);
            }
        }
        // fail-on
        if let Some(f) = &pol.fail_on
            && self.executions[exec].tasks[te].state == State::Success
        {
            let wf = &self.executions[exec];
            let t = &wf.tasks[te];
            let host = self.host_for(exec, Some(te), f);
            self.ev.enter(wf, Some(te), false);
            let view = View {
                layers: vec![&t.in_context, &wf.context, &wf.input],
            };
            let v = self.ev.eval(&self.program, f, &view, &host)?;
            if truthy(&v) {
                let t = &mut self.executions[exec].tasks[te];
                t.state = State::Error;
                t.state_info = Some("Failed by 'fail-on' policy".into());
            }
        }
        Ok(false)
    }

    /// The commands of the task's taken transitions, each with its event
    /// (`on-success`, `on-error`, `on-complete`; empty for a reverse workflow).
    fn next_commands(&self, exec: usize, te: usize) -> Result<Vec<(Cmd, &'static str)>, EvalError> {
        // Mistral's `WorkflowController.continue_workflow`: nothing for a
        // completed workflow.
        if self.executions[exec].state.is_completed() {
            return Ok(Vec::new());
        }
        let spec = self.task_spec(exec, te);
        let wspec = self.wf_spec(exec);
        if wspec.kind == WorkflowKind::Reverse {
            return Ok(self
                .reverse_ready(exec)
                .into_iter()
                .map(|c| (c, ""))
                .collect());
        }
        let t = &self.executions[exec].tasks[te];
        let ctx = self.outbound(t);
        let wf = &self.executions[exec];
        let needs_eval = [&spec.on_error, &spec.on_success, &spec.on_complete]
            .iter()
            .any(|c| {
                c.next
                    .iter()
                    .any(|tr| tr.guard.is_some() || !tr.params.is_lit())
            });
        let (td, env) = if needs_eval {
            (
                obj(json!({"__task_execution": {"id": t.id, "name": t.name}})),
                self.env_layer(exec),
            )
        } else {
            (Map::new(), Map::new())
        };
        let host = if needs_eval {
            let clauses = [&spec.on_error, &spec.on_success, &spec.on_complete];
            let ts = clauses
                .into_iter()
                .flat_map(|c| &c.next)
                .flat_map(|tr| tr.guard.iter().chain([&tr.params]));
            Some(self.host_reading(exec, Some(te), ts))
        } else {
            None
        };
        // The layers are built only when an expression reads them.
        let view = host.as_ref().map(|_| View {
            layers: vec![&td, &ctx, &env, &wf.context, &wf.input],
        });
        if host.is_some() {
            self.ev.enter(wf, Some(te), false);
        }
        let eval = |t: &Template| -> Result<Json, EvalError> {
            match (t, &host, &view) {
                (Template::Lit(j), _, _) => Ok(j.clone()),
                (_, Some(h), Some(view)) => self.ev.eval(&self.program, t, view, h),
                _ => Ok(Json::Null),
            }
        };
        let mut out = Vec::new();
        let by_state = match t.state {
            State::Error => Some((&spec.on_error, "on-error")),
            State::Success => Some((&spec.on_success, "on-success")),
            _ => None,
        };
        let on_complete = (t.state.is_completed() && t.state != State::Cancelled)
            .then_some((&spec.on_complete, "on-complete"));
        for (c, event) in by_state.into_iter().chain(on_complete) {
            for tr in &c.next {
                if let Some(g) = &tr.guard {
                    let v = eval(g)?;
                    if !truthy(&v) {
                        continue;
                    }
                }
                let params = eval(&tr.params)?;
                match (tr.command, tr.task) {
                    (Some(cmd), _) => out.push((
                        Cmd::Engine {
                            cmd,
                            msg: params.get("msg").cloned(),
                        },
                        event,
                    )),
                    (None, Some(task)) => {
                        let waiting = wspec.tasks[task as usize].join.is_some();
                        out.push((
                            Cmd::Run {
                                task,
                                // Filled below: clones for all but the last.
                                ctx: Map::new(),
                                triggered_by: Some((te, event.to_string())),
                                waiting,
                            },
                            event,
                        ))
                    }
                    (None, None) => {
                        return Err(EvalError {
                            message: format!("Task '{}' not found.", tr.target),
                            position: None,
                        });
                    }
                }
            }
        }
        let runs = out
            .iter()
            .filter(|(c, _)| matches!(c, Cmd::Run { .. }))
            .count();
        let mut ctx = Some(ctx);
        let mut seen = 0;
        for (c, _) in &mut out {
            if let Cmd::Run { ctx: slot, .. } = c {
                seen += 1;
                *slot = if seen == runs {
                    ctx.take().unwrap_or_default()
                } else {
                    ctx.clone().unwrap_or_default()
                };
            }
        }
        Ok(out)
    }

    // ---------------------------------------------------------------- workflow end

    fn final_context(&self, exec: usize) -> Map<String, Json> {
        let wf = &self.executions[exec];
        if self.wf_spec(exec).kind == WorkflowKind::Reverse {
            let ends: Vec<&TaskEx> = wf.tasks.iter().filter(|t| t.state.is_completed()).collect();
            let target = wf.target_task.as_deref();
            let tgt: Vec<&TaskEx> = ends
                .iter()
                .copied()
                .filter(|t| Some(t.name.as_str()) == target)
                .collect();
            return self.upstream_context(if tgt.is_empty() { &ends } else { &tgt });
        }
        let ends: Vec<&TaskEx> = wf
            .tasks
            .iter()
            .filter(|t| t.state.is_completed() && !t.has_next_tasks)
            .collect();
        self.upstream_context(&ends)
    }

    fn output(
        &self,
        exec: usize,
        spec: Option<&Template>,
        ctx: &Map<String, Json>,
    ) -> Result<Json, EvalError> {
        let wf = &self.executions[exec];
        let env = self.env_layer(exec);
        let out = match spec {
            Some(t) => self.eval_layers(exec, None, t, vec![ctx, &env, &wf.context, &wf.input])?,
            None => Json::Null,
        };
        if truthy(&out) {
            return Ok(out);
        }
        let mut c = ctx.clone();
        c.remove("__versions");
        Ok(Json::Object(c))
    }

    fn succeed_workflow(&mut self, exec: usize, msg: Option<String>) -> Result<(), EvalError> {
        let ctx = self.final_context(exec);
        let spec = self.wf_spec(exec).output.clone();
        let out = self.output(exec, spec.as_ref(), &ctx)?;
        let wf = &mut self.executions[exec];
        if wf.state.is_completed() {
            return Ok(());
        }
        wf.state = State::Success;
        wf.state_info = msg;
        wf.output = Some(out);
        if self.journal.enabled() {
            self.journal.commit(&[Change::Workflow {
                id: self.executions[exec].id.clone(),
                state: "SUCCESS".into(),
                state_info: None,
            }]);
        }
        self.sub_finished(exec);
        Ok(())
    }

    fn fail_workflow(&mut self, exec: usize, msg: Option<String>) {
        if self.executions[exec].state.is_completed() {
            return;
        }
        let ctx = self.final_context(exec);
        let spec = self.wf_spec(exec).output_on_error.clone();
        let mut msg = msg;
        let out = match self.output(exec, spec.as_ref(), &ctx) {
            Ok(o) => o,
            Err(e) => {
                msg = Some(format!(
                    "Failed to evaluate expression in output-on-error! (output-on-error: '{}', exception: '{}' Cause: '{}'",
                    self.output_on_error_text(exec),
                    e.message,
                    msg.clone().unwrap_or_else(|| "None".into())
                ));
                json!({})
            }
        };
        let mut result = Map::new();
        result.insert(
            "result".into(),
            msg.clone().map(Json::String).unwrap_or(Json::Null),
        );
        merge_dicts(&mut result, &obj(out), true);
        let wf = &mut self.executions[exec];
        wf.state = State::Error;
        wf.state_info = msg.clone();
        wf.output = Some(Json::Object(result));
        if self.journal.enabled() {
            self.journal.commit(&[Change::Workflow {
                id: self.executions[exec].id.clone(),
                state: "ERROR".into(),
                state_info: msg,
            }]);
        }
        self.sub_finished(exec);
    }

    fn output_on_error_text(&self, exec: usize) -> String {
        match &self.wf_spec(exec).output_on_error {
            Some(Template::Dict(items)) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("'{k}': {}", template_repr(&self.program, v)))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
            _ => "None".into(),
        }
    }

    fn pause_workflow(&mut self, exec: usize, msg: Option<String>) {
        let wf = &mut self.executions[exec];
        if wf.state == State::Paused || wf.state.is_completed() {
            return;
        }
        wf.state = State::Paused;
        wf.state_info = msg;
        self.sub_finished(exec);
    }

    fn check_and_complete(&mut self, exec: usize) {
        let wf = &self.executions[exec];
        if wf.state == State::Paused || wf.state.is_completed() {
            return;
        }
        if wf.tasks.iter().any(|t| !t.state.is_completed()) {
            return;
        }
        if self.wf_spec(exec).kind == WorkflowKind::Reverse {
            let need = self.reverse_needed(exec);
            let failed = wf.tasks.iter().any(|t| t.state == State::Error);
            let all_started = need
                .iter()
                .all(|n| wf.tasks.iter().any(|t| t.task as usize == *n));
            if !failed && !all_started {
                return;
            }
        }
        let unhandled: Vec<&TaskEx> = {
            let mut v: Vec<&TaskEx> = wf
                .tasks
                .iter()
                .filter(|t| t.state == State::Error && !self.error_handled_for(exec, t))
                .collect();
            v.sort_by(|a, b| a.name.cmp(&b.name));
            v
        };
        let any_error = wf
            .tasks
            .iter()
            .any(|t| t.state == State::Error && !t.error_handled);
        if !any_error {
            if let Err(e) = self.succeed_workflow(exec, None) {
                let wfn = self.executions[exec].name.clone();
                let id = self.executions[exec].id.clone();
                let msg = format!(
                    "Failed to check and complete [wf_ex_id={id}, wf_name={wfn}]: {}\n{}\n",
                    e.message,
                    traceback(e.position)
                );
                self.fail_workflow(exec, Some(msg));
            }
            return;
        }
        let mut msg = format!(
            "Failure caused by error in tasks: {}\n",
            unhandled
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for t in &unhandled {
            msg.push_str(&format!(
                "\n  {} [task_ex_id={}] -> {}\n",
                t.name,
                t.id,
                t.state_info.as_deref().unwrap_or("None")
            ));
            let sub = self.task_spec_of(exec, t).call_kind == CallKind::Workflow;
            // Iterations kept inline come first (and never failed).
            let inline = t.items_inline.len();
            for (i, a) in (inline..).zip(t.actions.iter()) {
                if a.state == State::Error {
                    let out = a
                        .output
                        .as_ref()
                        .map(py_str)
                        .unwrap_or_else(|| "Unknown".into());
                    if sub {
                        let out = a
                            .output
                            .as_ref()
                            .and_then(|o| o.get("result"))
                            .map(py_str)
                            .unwrap_or_else(|| "Unknown".into());
                        let id = a
                            .sub_execution
                            .map(|s| self.executions[s].id.clone())
                            .unwrap_or_else(|| a.id.clone());
                        msg.push_str(&format!("    [wf_ex_id={id}, idx={i}]: {out}\n"));
                    } else {
                        msg.push_str(&format!("    [action_ex_id={}, idx={i}]: {out}\n", a.id));
                    }
                }
            }
        }
        self.fail_workflow(exec, Some(msg));
    }

    fn task_spec_of(&self, exec: usize, t: &TaskEx) -> &Task {
        &self.wf_spec(exec).tasks[t.task as usize]
    }

    fn error_handled_for(&self, exec: usize, t: &TaskEx) -> bool {
        !self.task_spec_of(exec, t).on_error.next.is_empty()
    }

    // ---------------------------------------------------------------- loop

    fn handle(&mut self, e: Event) {
        match e {
            Event::RunTask(x, t) => self.run_task(x, t),
            Event::ActionDone(x, t, a, o) => self.action_done(x, t, a, o),
            Event::Continue(x, t) => {
                if self.executions[x].state.is_completed() {
                    return;
                }
                let task = &mut self.executions[x].tasks[t];
                if task.state != State::RunningDelayed {
                    return;
                }
                task.state = State::Running;
                self.schedule_actions_guarded(x, t);
            }
            Event::CompleteDelayed(x, t, st, info) => {
                if self.executions[x].tasks[t].state != State::RunningDelayed {
                    return;
                }
                self.executions[x].tasks[t].state = State::Running;
                self.complete(x, t, st, info);
            }
            Event::Timeout(x, t, gen_, secs) => {
                let task = &self.executions[x].tasks[t];
                if task.generation != gen_
                    || task.state.is_completed()
                    || self.executions[x].state.is_completed()
                {
                    return;
                }
                self.complete(
                    x,
                    t,
                    State::Error,
                    Some(format!("Task timed out [timeout(s)={secs}].")),
                );
            }
            Event::CheckComplete(x) => self.check_and_complete(x),
            Event::RefreshJoins(x) => {
                self.joins_dirty = false;
                // The flag is engine-wide: refresh every execution (cheap for
                // workflows without joins).
                self.refresh_joins(x);
                for other in 0..self.executions.len() {
                    if other != x {
                        self.refresh_joins(other);
                    }
                }
            }
            Event::RefreshJoin(x, t) => {
                if !self.executions[x].state.is_completed() {
                    self.refresh_join(x, t);
                }
            }
        }
    }

    /// Runs until the root execution is no longer RUNNING (or nothing can happen,
    /// or the deadline passes). Returns whether it gave up on the deadline.
    pub fn run(&mut self, root: usize, deadline: Option<Duration>) -> bool {
        let start = Instant::now();
        loop {
            while let Ok(m) = self.rx.try_recv() {
                self.receive(m);
            }
            // No clock read per event while no timer is armed.
            if !self.timers.is_empty() {
                let now = Instant::now();
                if let Some(i) = self
                    .timers
                    .iter()
                    .enumerate()
                    .filter(|(_, (t, _))| *t <= now)
                    .min_by_key(|(_, (t, _))| *t)
                    .map(|(i, _)| i)
                {
                    let (_, e) = self.timers.remove(i);
                    self.queue.push_back(e);
                }
            }
            if let Some(e) = self.queue.pop_front() {
                self.handle(e);
                continue;
            }
            let now = Instant::now();
            let st = self.executions[root].state;
            if st != State::Running {
                return false;
            }
            if self.in_flight == 0 && self.timers.is_empty() {
                return true;
            }
            let mut wait = self
                .timers
                .iter()
                .map(|(t, _)| t.saturating_duration_since(now))
                .min()
                .unwrap_or(Duration::from_millis(50));
            if let Some(d) = deadline {
                let left = d.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return true;
                }
                wait = wait.min(left);
            }
            if let Ok(m) = self.rx.recv_timeout(wait) {
                self.receive(m);
            }
        }
    }

    /// An action run on a worker thread came back: apply its ad-hoc `output`
    /// transforms, if any, and queue its completion.
    fn receive(&mut self, m: ThreadMsg) {
        self.in_flight = self.in_flight.saturating_sub(1);
        let key = (m.exec, m.task, m.action);
        if let Some(d) = &mut self.durable {
            d.action_returned(key);
        }
        let outs = self
            .adhoc_pending
            .iter()
            .position(|(k, _)| *k == key)
            .map(|i| self.adhoc_pending.remove(i).1);
        let o = match outs {
            Some(outs) => self.apply_adhoc_outputs(m.exec, m.task, &outs, m.outcome),
            None => m.outcome,
        };
        self.queue
            .push_back(Event::ActionDone(m.exec, m.task, m.action, o));
    }

    /// The result object of `gale run` without its tasks: id, workflow, state,
    /// state info and output (exact even when a durable resume left tasks
    /// unread).
    pub fn summary_json(&self, exec: usize) -> Json {
        let wf = &self.executions[exec];
        json!({
            "id": wf.id,
            "workflow": wf.name,
            "state": wf.state.name(),
            "state_info": wf.state_info,
            "output": wf.output.clone().unwrap_or(json!({})),
        })
    }

    /// The result object of `gale run --format json` for execution `exec`: the
    /// [`Engine::summary_json`] and every task. After a durable resume, call
    /// `fault_in_all` first (tasks nothing read are not loaded).
    pub fn result_json(&self, exec: usize) -> Json {
        let wf = &self.executions[exec];
        let spec = self.wf_spec(exec);
        let tasks: Vec<Json> = wf
            .tasks
            .iter()
            .map(|t| {
                let s = &spec.tasks[t.task as usize];
                json!({
                    "name": t.name,
                    "state": t.state.name(),
                    "state_info": t.state_info,
                    "published": t.published,
                    "result": task_result(t, !s.with_items.is_empty()),
                    "action_executions": t.action_count(),
                })
            })
            .collect();
        let mut result = self.summary_json(exec);
        result["tasks"] = Json::Array(tasks);
        result
    }
}

fn traceback(position: Option<(u32, u32)>) -> String {
    match position {
        Some((l, c)) if l > 0 => format!("  at line {l}, column {c}"),
        _ => "<traceback>".into(),
    }
}

/// An integer in jsonschema's sense (booleans are not).
fn is_int(j: &Json) -> bool {
    matches!(j, Json::Number(n) if n.is_i64() || n.is_u64())
}

fn repr(j: &Json) -> String {
    gale_vm::pyfmt::repr(&gale_vm::convert::from_json(j, true))
}

fn py_type(j: &Json) -> &'static str {
    match j {
        Json::Null => "<class 'NoneType'>",
        Json::Bool(_) => "<class 'bool'>",
        Json::Number(n) if n.is_f64() => "<class 'float'>",
        Json::Number(_) => "<class 'int'>",
        Json::String(_) => "<class 'str'>",
        Json::Array(_) => "<class 'list'>",
        Json::Object(_) => "<class 'dict'>",
    }
}

fn template_repr(p: &Program, t: &Template) -> String {
    match t {
        Template::Lit(j) => repr(j),
        Template::Yaql(i) => format!(
            "'<% {} %>'",
            p.exprs
                .get(*i as usize)
                .map(|e| e.text.as_str())
                .unwrap_or("")
        ),
        Template::Jinja(i) => format!(
            "'{}'",
            p.jinja
                .get(*i as usize)
                .map(|e| e.text.as_str())
                .unwrap_or("")
        ),
        _ => "...".into(),
    }
}

/// A JSON value whose strings may hold expressions, as a template (env values).
fn json_template(j: &Json) -> Template {
    match j {
        Json::Object(m) => Template::Dict(
            m.iter()
                .map(|(k, v)| (k.clone(), json_template(v)))
                .collect(),
        ),
        Json::Array(a) => Template::List(a.iter().map(json_template).collect()),
        other => Template::Lit(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    //! with-items iterations kept inline (`TaskEx::items_inline`) against the same
    //! runs with a journal, where every iteration is an action execution record.

    use super::*;

    /// The result of `wf` (ids left out), and the inline iterations of every task.
    fn run(text: &str, journal: bool) -> (Json, Vec<usize>) {
        let program =
            gale_codegen::workflow::compile_source(text, gale_codegen::workflow::OptLevel::O1)
                .unwrap_or_else(|e| panic!("compiles: {e:?}"));
        let mut engine = Engine::new(Rc::new(program));
        if journal {
            engine.set_journal(Box::new(crate::journal::MemoryJournal::default()));
        }
        let root = engine
            .start("wf", &StartOptions::default())
            .unwrap_or_else(|e| panic!("starts: {e:?}"));
        engine.run(root, None);
        let mut r = engine.result_json(root);
        if let Json::Object(m) = &mut r {
            m.remove("id");
        }
        let inline = engine.executions[root]
            .tasks
            .iter()
            .map(|t| t.items_inline.len())
            .collect();
        (Json::String(without_uuids(&r.to_string())), inline)
    }

    /// `text` with every uuid (random) replaced by `<uuid>`.
    fn without_uuids(text: &str) -> String {
        let is_uuid = |w: &[u8]| {
            w.len() == 36
                && w.iter().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => *c == b'-',
                    _ => c.is_ascii_hexdigit(),
                })
        };
        let (bytes, mut out, mut i) = (text.as_bytes(), String::new(), 0);
        while i < bytes.len() {
            if bytes.get(i..i + 36).is_some_and(is_uuid) {
                out.push_str("<uuid>");
                i += 36;
            } else {
                let c = text[i..].chars().next().unwrap_or(' ');
                out.push(c);
                i += c.len_utf8();
            }
        }
        out
    }

    /// Each case: the workflow, and how many iterations of its first task should
    /// be kept inline.
    const CASES: &[(&str, usize)] = &[
        // Results in index order, read by publish and by the next task.
        (
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items: i in <% range(5) %>\n      action: std.echo output=<% $.i * 2 %>\n      publish:\n        r: <% task().result %>\n      on-success: n\n    n:\n      action: std.echo output=<% task(t).result %>\n      publish:\n        again: <% task().result %>\n",
            4,
        ),
        // keep-result: false clears the results after the publish.
        (
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items: i in <% ['a', 'b', dict(k => 1)] %>\n      action: std.echo output=<% $.i %>\n      keep-result: false\n      publish:\n        r: <% task().result %>\n      on-success: n\n    n:\n      action: std.echo output=<% task(t).result %>\n",
            2,
        ),
        // A retry on success (continue-on) re-runs every iteration: the earlier
        // ones are no longer accepted, but still counted.
        (
            "version: '2.0'\nwf:\n  vars:\n    n: 0\n  tasks:\n    t:\n      with-items: i in <% range(3) %>\n      action: std.echo output=<% $.i %>\n      retry:\n        count: 2\n        delay: 0\n        continue-on: <% true %>\n      publish:\n        r: <% task().result %>\n",
            0,
        ),
        // An iteration with a delay runs on a worker: the ones after it are records.
        (
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items:\n        - i in [1, 2, 3, 4]\n        - d in [0, 0, 0.01, 0]\n      action: std.echo output=<% $.i %> delay=<% $.d %>\n      publish:\n        r: <% task().result %>\n",
            2,
        ),
        // No-op iterations, one failing item after them.
        (
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      with-items: i in [1, 2, 3]\n      action: std.noop\n      on-success: f\n    f:\n      with-items: i in [1, 2, 0]\n      action: std.fail error_data=<% $.i %>\n",
            2,
        ),
    ];

    #[test]
    fn inline_iterations_read_like_action_executions() {
        for (text, inline) in CASES {
            let (compact, kept) = run(text, false);
            let (records, none) = run(text, true);
            assert_eq!(compact, records, "{text}");
            assert_eq!(kept.first(), Some(inline), "{text}");
            assert!(none.iter().all(|n| *n == 0), "{text}");
        }
        // The retry ran three attempts of three iterations; the cleared results
        // read as null.
        let (retried, _) = run(CASES[2].0, false);
        assert!(retried.to_string().contains(r#"\"action_executions\":9"#));
        let (cleared, _) = run(CASES[1].0, false);
        assert!(
            cleared
                .to_string()
                .contains(r#"\"result\":[null,null,null]"#)
        );
        assert!(
            cleared
                .to_string()
                .contains(r#"\"r\":[\"a\",\"b\",{\"k\":1}]"#)
        );
    }

    #[test]
    fn compact_values_round_trip() {
        for j in [
            json!(null),
            json!(true),
            json!(-3),
            json!(7),
            json!(u64::MAX),
            json!(0.5),
            json!("s"),
            json!([1, {"a": 2}]),
        ] {
            assert_eq!(Compact::from(j.clone()).to_json(), j);
            let text = serde_json::to_string(&Compact::from(j.clone())).unwrap_or_default();
            assert_eq!(serde_json::from_str::<Json>(&text).ok(), Some(j));
        }
        assert_eq!(std::mem::size_of::<Compact>(), 16);
    }
}
