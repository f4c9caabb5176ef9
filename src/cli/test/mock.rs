//! Mocked actions: every registered action is wrapped in a [`TestAction`] that
//! records the call, answers from the test's mocks (by task first, then by action
//! name), runs the real action when it is pure, and refuses to touch the network
//! when it is not.
//!
//! Per-iteration and per-call answers are exact: the iteration is
//! `ActionRequest::item_index`, and calls are counted per (execution, task,
//! iteration), which the engine issues one after another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gale_engine::actions::{Action, ActionOutcome, ActionRegistry, ActionRequest};
use serde_json::{Map, Value as Json, json};

use super::spec::{Mock, MockKind, Mocks};

/// Std actions that reach outside the process: a test must mock them.
pub const NETWORK_ACTIONS: &[&str] = &[
    "std.http",
    "std.mistral_http",
    "std.email",
    "std.ssh",
    "std.ssh_proxied",
];

/// One action call as the engine made it.
#[derive(Clone, Debug)]
pub struct Call {
    /// Workflow execution id.
    pub execution_id: String,
    /// Task name.
    pub task: String,
    /// The checked input.
    pub input: Map<String, Json>,
    /// with-items iteration.
    pub item_index: Option<usize>,
}

/// What the mocks saw during one test run.
#[derive(Debug, Default)]
pub struct Log {
    /// Every call, in the order the actions ran.
    pub calls: Vec<Call>,
    /// Network actions that ran without a mock: (action, task).
    pub unmocked: Vec<(String, String)>,
    /// Mocks that could not answer (wrong iteration, too many calls).
    pub problems: Vec<String>,
    counts: HashMap<(String, String, Option<usize>), usize>,
}

/// The state shared by every wrapped action of one test.
pub struct Shared {
    mocks: Mocks,
    time_scale: f64,
    /// The log (read it after the run).
    pub log: Mutex<Log>,
}

impl Shared {
    /// Shared state for `mocks`.
    pub fn new(mocks: Mocks, time_scale: f64) -> Arc<Shared> {
        Arc::new(Shared {
            mocks,
            time_scale,
            log: Mutex::new(Log::default()),
        })
    }
}

/// A registered action under test.
pub struct TestAction {
    inner: Option<Arc<dyn Action>>,
    shared: Arc<Shared>,
}

/// A registry where every action of `real` is wrapped, plus the mocked action
/// names that `real` lacks and the custom actions tasks call (`custom`: they
/// answer only with a mock).
pub fn registry(
    real: &ActionRegistry,
    shared: &Arc<Shared>,
    custom: Vec<String>,
) -> ActionRegistry {
    let mut out = ActionRegistry::new();
    for name in real.names() {
        out.register(
            name,
            Arc::new(TestAction {
                inner: real.get(name),
                shared: shared.clone(),
            }),
        );
    }
    for name in shared.mocks.actions.keys().chain(&custom) {
        if !out.contains(name) {
            out.register(
                name.clone(),
                Arc::new(TestAction {
                    inner: None,
                    shared: shared.clone(),
                }),
            );
        }
    }
    out
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Log> {
    shared.log.lock().unwrap_or_else(|p| p.into_inner())
}

impl Action for TestAction {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let call_no = {
            let mut log = lock(&self.shared);
            log.calls.push(Call {
                execution_id: request.execution_id.clone(),
                task: request.task_name.clone(),
                input: request.input.clone(),
                item_index: request.item_index,
            });
            let n = log
                .counts
                .entry((
                    request.execution_id.clone(),
                    request.task_name.clone(),
                    request.item_index,
                ))
                .or_insert(0);
            *n += 1;
            *n - 1
        };
        let mock = self
            .shared
            .mocks
            .tasks
            .get(&request.task_name)
            .or_else(|| self.shared.mocks.actions.get(&request.action));
        if let Some(mock) = mock {
            return self.answer(mock, request, call_no);
        }
        // Network std actions and the project's plugin actions (gale.toml) need a mock.
        let needs_mock = NETWORK_ACTIONS.contains(&request.action.as_str())
            || !request.action.starts_with("std.");
        if needs_mock || self.inner.is_none() {
            lock(&self.shared)
                .unmocked
                .push((request.action.clone(), request.task_name.clone()));
            return ActionOutcome::Error(json!(format!(
                "gale test: unmocked action {} in task {}",
                request.action, request.task_name
            )));
        }
        match &self.inner {
            Some(a) => a.run(request),
            None => ActionOutcome::Error(json!("gale test: no implementation")),
        }
    }
}

impl TestAction {
    fn answer(&self, mock: &Mock, request: &ActionRequest, call_no: usize) -> ActionOutcome {
        let mut mock = mock;
        // Resolve nested `results` / `calls` (at most a few levels).
        for _ in 0..8 {
            let next = match &mock.kind {
                MockKind::Results(list) => {
                    let Some(i) = request.item_index else {
                        return self.problem(format!(
                            "the mock at {} gives per-iteration `results`, but task {} has no with-items",
                            mock.loc, request.task_name
                        ));
                    };
                    match list.get(i) {
                        Some(m) => m,
                        None => {
                            return self.problem(format!(
                                "the mock at {} has {} per-iteration results, but task {} ran iteration {i} (0-based)",
                                mock.loc,
                                list.len(),
                                request.task_name
                            ));
                        }
                    }
                }
                MockKind::Calls(list) => match list.get(call_no) {
                    Some(m) => m,
                    None => {
                        let which = match request.item_index {
                            Some(i) => format!(" (iteration {i})"),
                            None => String::new(),
                        };
                        return self.problem(format!(
                            "the mock at {} answers {} call(s), but task {}{which} made call {}",
                            mock.loc,
                            list.len(),
                            request.task_name,
                            call_no + 1
                        ));
                    }
                },
                _ => break,
            };
            if mock.delay > 0.0 && next.delay == 0.0 {
                self.wait(mock.delay, request);
            }
            mock = next;
        }
        if mock.delay > 0.0 {
            self.wait(mock.delay, request);
        }
        if request.cancel.is_cancelled() {
            return ActionOutcome::Error(json!(format!(
                "Action execution {} was cancelled",
                request.action_execution_id
            )));
        }
        match &mock.kind {
            MockKind::Result(v) => ActionOutcome::Success(v.clone()),
            MockKind::Error(v) => ActionOutcome::Error(v.clone()),
            MockKind::Pending => ActionOutcome::Pending,
            MockKind::Results(_) | MockKind::Calls(_) => {
                self.problem(format!("the mock at {} nests too deeply", mock.loc))
            }
        }
    }

    fn problem(&self, message: String) -> ActionOutcome {
        {
            // One report per mock: the first time it could not answer.
            let mut log = lock(&self.shared);
            let key = message.split(',').next().unwrap_or("").to_string();
            if !log
                .problems
                .iter()
                .any(|p| p.split(',').next() == Some(key.as_str()))
            {
                log.problems.push(message.clone());
            }
        }
        ActionOutcome::Error(json!(format!("gale test: {message}")))
    }

    /// Waits `seconds` × the time scale, returning early on cancel.
    fn wait(&self, seconds: f64, request: &ActionRequest) {
        let total = Duration::from_secs_f64((seconds * self.shared.time_scale).max(0.0));
        let end = Instant::now() + total;
        while !request.cancel.is_cancelled() {
            let now = Instant::now();
            if now >= end {
                break;
            }
            std::thread::sleep((end - now).min(Duration::from_millis(10)));
        }
    }
}
