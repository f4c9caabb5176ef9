//! The contract between the engine and whatever runs an action.
//!
//! The engine is single-threaded over `gale_vm` values (`Rc`, not `Send`); actions run
//! on worker threads. Everything that crosses that boundary is JSON — exactly what
//! Mistral itself does when it sends an action to an executor over RPC — so an
//! [`ActionRequest`] and an [`ActionOutcome`] hold `serde_json` values only.
//!
//! Who does what:
//! * the **engine** resolves the task's action name (ad-hoc actions are expanded to
//!   their base before this point), evaluates the input, checks it against the
//!   action's parameters (`std_actions` table, or a plugin's declared parameters),
//!   fills defaults, and only then builds an [`ActionRequest`];
//! * an [`Action`] runs it and says how it ended; it must honour
//!   [`ActionRequest::cancel`] and never panic on any input (a panic is caught by the
//!   executor and becomes an error result anyway).
//!
//! The registry maps registered names (`std.echo`, `my.plugin`) to implementations.
//!
//! Implementations: [`builtin`] (the simple `std.*` actions and [`std_registry`]),
//! [`http`] + [`egress`], [`email`], [`ssh`], [`javascript`], [`plugin`] (user
//! executables), [`config`] (the action sections of `gale.toml`), [`completion`]
//! (results posted for asynchronous actions), and [`python`]
//! (Python conversions and Mistral's message templates). User docs: `docs/actions.md`.

pub mod builtin;
pub mod completion;
pub mod config;
pub mod egress;
pub mod email;
pub mod http;
pub mod javascript;
pub mod plugin;
pub mod python;
pub mod ssh;

pub use builtin::{StdActionsConfig, register_std, std_registry};
pub use config::ActionsConfig;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Map, Value as Json};

/// A cooperative cancellation flag shared between the engine and a running action
/// (set on task timeout, execution cancel, or process shutdown).
#[derive(Clone, Debug, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A fresh, unset flag.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Asks the action to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether the action was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// One action execution, as the engine hands it to an [`Action`].
#[derive(Clone, Debug)]
pub struct ActionRequest {
    /// The registered action name, e.g. `std.http`.
    pub action: String,
    /// The checked input, defaults filled, in declaration order.
    pub input: Map<String, Json>,
    /// The workflow execution's id (`execution().id`).
    pub execution_id: String,
    /// The task this action runs for.
    pub task_name: String,
    /// The with-items iteration (item index) this action execution runs for;
    /// `None` for a task without `with-items`.
    pub item_index: Option<usize>,
    /// This action execution's id.
    pub action_execution_id: String,
    /// The task's `timeout` policy, if any (the engine also enforces it; actions that
    /// block on I/O should use it as their own deadline).
    pub timeout: Option<Duration>,
    /// Set when the engine no longer wants the result.
    pub cancel: CancelFlag,
}

/// How an action execution ended.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionOutcome {
    /// The action succeeded with this result (`task(t).result`).
    Success(Json),
    /// The action failed; the payload is what Mistral stores as the error result
    /// (a string message, or `std.fail`'s `error_data`).
    Error(Json),
    /// An asynchronous action: it stays RUNNING until a result is posted to the
    /// engine from outside (e.g. `gale complete`), or its `timeout` fires.
    Pending,
}

/// Something that can run an action. Implementations must be cheap to share.
pub trait Action: Send + Sync {
    /// Runs the action to completion (blocking the worker thread) and reports how it
    /// ended. Must return promptly once `request.cancel` is set.
    fn run(&self, request: &ActionRequest) -> ActionOutcome;
}

/// Registered actions by name.
#[derive(Clone, Default)]
pub struct ActionRegistry {
    actions: HashMap<String, Arc<dyn Action>>,
}

impl ActionRegistry {
    /// An empty registry.
    pub fn new() -> ActionRegistry {
        ActionRegistry::default()
    }

    /// Registers (or replaces) `name`.
    pub fn register(&mut self, name: impl Into<String>, action: Arc<dyn Action>) {
        self.actions.insert(name.into(), action);
    }

    /// The implementation of `name`, if registered.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Action>> {
        self.actions.get(name).cloned()
    }

    /// Whether `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.actions.contains_key(name)
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.actions.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl std::fmt::Debug for ActionRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionRegistry")
            .field("actions", &self.names())
            .finish()
    }
}
