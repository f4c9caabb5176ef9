//! The typed semantic model of a Mistral v2 document.
//!
//! Values here carry no positions: every item that later stages may need to point
//! at has an id ([`WorkflowId`], [`TaskId`], [`ActionId`], [`TransitionId`]) and the
//! [`crate::SourceMap`] maps ids and their fields to spans. Invalid parts of a
//! document are left out of the model (or given Mistral's default) after being
//! reported, so the model of a document with errors is a best effort.

/// Which of the three Mistral document kinds a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// `version`, `name`, `workflows`, `actions`…
    Workbook,
    /// `version` plus `<workflow name>: {…}` items.
    WorkflowList,
    /// `version` plus `<action name>: {base: …}` items.
    ActionList,
    /// A YAML file that is not a Mistral v2 document at all.
    NotMistral,
}

/// A YAML value with Mistral's (PyYAML 1.1) typing; expressions are plain strings.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`, `~` or empty.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits in an i128.
    Int(i128),
    /// An integer too big for i128, as decimal digits.
    BigInt(String),
    /// A float.
    Float(f64),
    /// A string (possibly containing expressions).
    Str(String),
    /// A YAML timestamp, as written.
    Timestamp(String),
    /// A sequence.
    List(Vec<Value>),
    /// A mapping, entries in source order (last duplicate wins, as in Mistral).
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Short name of the value's type as a user would say it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::BigInt(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Timestamp(_) => "a date",
            Value::List(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// `name: value` pairs (`output`, `vars`, `publish`, task `input`, …).
pub type DataMap = Vec<(String, Value)>;

/// Id of a workflow, unique within one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WorkflowId(pub u32);

/// Id of a task, unique within one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u32);

/// Id of an ad-hoc action, unique within one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActionId(pub u32);

/// Id of one transition entry, unique within one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransitionId(pub u32);

/// A whole document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Workbook, workflow list or action list.
    pub kind: DocumentKind,
    /// The `version` value as written (`None` when absent).
    pub version: Option<Value>,
    /// Workbook metadata (workbooks only).
    pub workbook: Option<Workbook>,
    /// Every workflow, in source order (for workbooks: the `workflows` section).
    pub workflows: Vec<Workflow>,
    /// Every ad-hoc action, in source order.
    pub actions: Vec<Action>,
}

impl Document {
    /// The workflow with the given (local) name.
    pub fn workflow(&self, name: &str) -> Option<&Workflow> {
        self.workflows.iter().find(|w| w.name == name)
    }

    /// Every task of every workflow.
    pub fn tasks(&self) -> impl Iterator<Item = (&Workflow, &Task)> {
        self.workflows
            .iter()
            .flat_map(|w| w.tasks.iter().map(move |t| (w, t)))
    }
}

/// Workbook metadata.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Workbook {
    /// `name` (workflows are stored as `<name>.<workflow>`).
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
}

/// `direct` or `reverse`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum WorkflowType {
    /// Tasks follow transitions (`on-success`…) from the start tasks.
    #[default]
    Direct,
    /// Tasks run to satisfy the `requires` of a target task.
    Reverse,
}

/// A declared parameter: workflow or ad-hoc action `input` item.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// The name.
    pub name: String,
    /// The default (`- name: default`); `None` means required. Never evaluated.
    pub default: Option<Value>,
}

/// A workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct Workflow {
    /// Its id.
    pub id: WorkflowId,
    /// Its name as written (workbook-local for workbooks).
    pub name: String,
    /// `type`.
    pub kind: WorkflowType,
    /// `description` (any value: Mistral does not check it).
    pub description: Option<Value>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `input`, in order (a later item with the same name overrides).
    pub input: Vec<Parameter>,
    /// `output`.
    pub output: Option<DataMap>,
    /// `output-on-error`.
    pub output_on_error: Option<DataMap>,
    /// `vars`.
    pub vars: Option<DataMap>,
    /// `task-defaults`.
    pub task_defaults: Option<TaskDefaults>,
    /// The tasks, in source order (a duplicated name keeps only the last).
    pub tasks: Vec<Task>,
    /// Name → position in `tasks`, built on the first [`Workflow::task`] lookup in
    /// a large workflow (so that per-reference lookups stay linear overall).
    pub(crate) task_index: TaskIndex,
}

/// Workflows with more tasks than this get a name index for [`Workflow::task`].
const TASK_INDEX_MIN: usize = 16;

/// The lazily built task-name index of a [`Workflow`]. It is a cache: it never
/// takes part in comparisons and is not shown by `Debug`.
#[derive(Clone, Default)]
pub(crate) struct TaskIndex(std::sync::OnceLock<crate::fx::FxHashMap<Box<str>, usize>>);

impl PartialEq for TaskIndex {
    fn eq(&self, _: &TaskIndex) -> bool {
        true
    }
}

impl std::fmt::Debug for TaskIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskIndex")
    }
}

impl Workflow {
    /// Every clause as written, in the tasks (in order) and then in `task-defaults`,
    /// with its kind (`effective_clause` gives what Mistral applies to a task).
    pub fn written_clauses(&self) -> impl Iterator<Item = (ClauseKind, &Clause)> {
        let own = self.tasks.iter().flat_map(|t| {
            ClauseKind::ALL
                .into_iter()
                .filter_map(move |k| t.clause(k).map(|c| (k, c)))
        });
        let defaults = self.task_defaults.iter().flat_map(|d| {
            ClauseKind::ALL
                .into_iter()
                .filter_map(move |k| d.clause(k).map(|c| (k, c)))
        });
        own.chain(defaults)
    }

    /// The task with the given name (the first, should names repeat).
    ///
    /// Constant time on large workflows (a name index is built on the first call;
    /// the model is not meant to be edited after lowering, and a hit is verified).
    pub fn task(&self, name: &str) -> Option<&Task> {
        if self.tasks.len() <= TASK_INDEX_MIN {
            return self.tasks.iter().find(|t| t.name == name);
        }
        let index = self.task_index.0.get_or_init(|| {
            let mut index = crate::fx::FxHashMap::with_capacity_and_hasher(
                self.tasks.len(),
                Default::default(),
            );
            for (i, t) in self.tasks.iter().enumerate() {
                index.entry(t.name.as_str().into()).or_insert(i);
            }
            index
        });
        match index.get(name).and_then(|&i| self.tasks.get(i)) {
            Some(t) if t.name == name => Some(t),
            // Only if `tasks` changed after the index was built.
            _ if index.len() != self.tasks.len() => self.tasks.iter().find(|t| t.name == name),
            _ => None,
        }
    }

    /// The effective entries of clause `kind` of task `task`, as Mistral computes
    /// them: the task's own entries if it has any, otherwise the `task-defaults`
    /// entries minus those naming the task itself.
    pub fn effective_clause<'a>(
        &'a self,
        task: &'a Task,
        kind: ClauseKind,
    ) -> impl Iterator<Item = &'a Transition> {
        let own = task.clause(kind).map(|c| c.next.as_slice()).unwrap_or(&[]);
        let (list, filter_self) = if own.is_empty() {
            let defaults = self
                .task_defaults
                .as_ref()
                .and_then(|d| d.clause(kind))
                .map(|c| c.next.as_slice())
                .unwrap_or(&[]);
            (defaults, true)
        } else {
            (own, false)
        };
        list.iter()
            .filter(move |t| !filter_self || t.target != task.name)
    }
}

/// `task-defaults`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TaskDefaults {
    /// Default policies.
    pub policies: Policies,
    /// `on-success`.
    pub on_success: Option<Clause>,
    /// `on-error`.
    pub on_error: Option<Clause>,
    /// `on-complete`.
    pub on_complete: Option<Clause>,
    /// `on-skip`.
    pub on_skip: Option<Clause>,
    /// `safe-rerun`.
    pub safe_rerun: Option<BoolOrExpr>,
    /// `requires` (used by reverse workflows only).
    pub requires: Vec<String>,
}

impl TaskDefaults {
    /// The clause of the given kind.
    pub fn clause(&self, kind: ClauseKind) -> Option<&Clause> {
        match kind {
            ClauseKind::OnSuccess => self.on_success.as_ref(),
            ClauseKind::OnError => self.on_error.as_ref(),
            ClauseKind::OnComplete => self.on_complete.as_ref(),
            ClauseKind::OnSkip => self.on_skip.as_ref(),
        }
    }
}

/// Whether a task calls an action or a sub-workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// `action:` (or neither key: `std.noop`).
    Action,
    /// `workflow:`.
    Workflow,
}

/// What a task runs: `action: name p=v` / `workflow: name p=v`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// Action or workflow.
    pub kind: CallKind,
    /// The name (may be an expression); `std.noop` when the task names nothing.
    pub name: String,
    /// Inline parameters, as Mistral parses them (they win over `input`).
    pub inline: DataMap,
    /// `false` when the task has neither `action` nor `workflow` (implicit `std.noop`).
    pub explicit: bool,
}

/// A task's `input`.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum TaskInput {
    /// No `input`.
    #[default]
    None,
    /// A mapping of parameters.
    Map(DataMap),
    /// A string, normally one expression yielding a mapping.
    Expression(String),
}

/// The collection of one `with-items` entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Collection {
    /// `x in <% … %>` / `x in {{ … }}`.
    Expression(String),
    /// `x in [1, 2]` (a JSON array).
    List(Vec<Value>),
}

/// One `with-items` entry: `var in collection`.
#[derive(Clone, Debug, PartialEq)]
pub struct WithItem {
    /// The item variable.
    pub var: String,
    /// What it iterates.
    pub collection: Collection,
}

/// An integer policy value or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum IntOrExpr {
    /// A non-negative integer.
    Int(u64),
    /// A whole expression string.
    Expr(String),
}

/// A boolean policy value or an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum BoolOrExpr {
    /// A boolean.
    Bool(bool),
    /// A whole expression string.
    Expr(String),
}

/// `retry`.
#[derive(Clone, Debug, PartialEq)]
pub struct Retry {
    /// `count`.
    pub count: IntOrExpr,
    /// `delay`.
    pub delay: IntOrExpr,
    /// `break-on`.
    pub break_on: Option<String>,
    /// `continue-on`.
    pub continue_on: Option<String>,
}

/// The policies of a task or of `task-defaults`.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Policies {
    /// `retry`.
    pub retry: Option<Retry>,
    /// `wait-before`.
    pub wait_before: Option<IntOrExpr>,
    /// `wait-after`.
    pub wait_after: Option<IntOrExpr>,
    /// `timeout`.
    pub timeout: Option<IntOrExpr>,
    /// `pause-before`.
    pub pause_before: Option<BoolOrExpr>,
    /// `concurrency`.
    pub concurrency: Option<IntOrExpr>,
    /// `fail-on`.
    pub fail_on: Option<BoolOrExpr>,
}

/// `join`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Join {
    /// `join: all`.
    All,
    /// `join: one` or `join: N` (`one` is 1; `0` means no join and is not kept).
    Count(u64),
}

/// The four transition clauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClauseKind {
    /// `on-success`.
    OnSuccess,
    /// `on-error`.
    OnError,
    /// `on-complete`.
    OnComplete,
    /// `on-skip`.
    OnSkip,
}

impl ClauseKind {
    /// All four, in Mistral's order of evaluation.
    pub const ALL: [ClauseKind; 4] = [
        ClauseKind::OnError,
        ClauseKind::OnSkip,
        ClauseKind::OnSuccess,
        ClauseKind::OnComplete,
    ];

    /// The key as written.
    pub fn key(self) -> &'static str {
        match self {
            ClauseKind::OnSuccess => "on-success",
            ClauseKind::OnError => "on-error",
            ClauseKind::OnComplete => "on-complete",
            ClauseKind::OnSkip => "on-skip",
        }
    }

    /// The clause for a key.
    pub fn from_key(key: &str) -> Option<ClauseKind> {
        Some(match key {
            "on-success" => ClauseKind::OnSuccess,
            "on-error" => ClauseKind::OnError,
            "on-complete" => ClauseKind::OnComplete,
            "on-skip" => ClauseKind::OnSkip,
            _ => return None,
        })
    }
}

/// An advanced `publish: {branch, global, atomic}` block.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Publish {
    /// `branch`.
    pub branch: Option<DataMap>,
    /// `global`.
    pub global: Option<DataMap>,
    /// `atomic` (accepted, ignored at run time).
    pub atomic: Option<DataMap>,
}

/// A transition clause.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Clause {
    /// The advanced form's `publish`.
    pub publish: Option<Publish>,
    /// The entries (the advanced form's `next`).
    pub next: Vec<Transition>,
    /// Entries Mistral accepts but never uses: a clause written as a one-key
    /// mapping (`on-success: {t2: <% … %>}`) is read as the advanced form without
    /// `next`, so it has no entries (and `task-defaults` applies instead).
    pub ignored: Vec<Transition>,
}

/// Engine commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineCommand {
    /// `noop`.
    Noop,
    /// `fail`.
    Fail,
    /// `succeed`.
    Succeed,
    /// `pause`.
    Pause,
}

impl EngineCommand {
    /// The command a target name stands for (chosen before task names, as Mistral does).
    pub fn from_name(name: &str) -> Option<EngineCommand> {
        Some(match name {
            "noop" => EngineCommand::Noop,
            "fail" => EngineCommand::Fail,
            "succeed" => EngineCommand::Succeed,
            "pause" => EngineCommand::Pause,
            _ => return None,
        })
    }
}

/// One transition entry: `target`, `target p=v`, `{target: <% guard %>}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    /// Its id.
    pub id: TransitionId,
    /// The target task or engine command name.
    pub target: String,
    /// Set when the target is an engine command.
    pub command: Option<EngineCommand>,
    /// Parameters (`msg` of engine commands).
    pub params: DataMap,
    /// The guard expression.
    pub guard: Option<String>,
    /// A condition Mistral drops: `next: {t2: <% … %>}` is read as its keys, so
    /// the entry fires unconditionally (`guard` is then `None`).
    pub ignored_guard: Option<String>,
}

/// A task.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// Its id.
    pub id: TaskId,
    /// The name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// What it runs.
    pub call: Call,
    /// `input`.
    pub input: TaskInput,
    /// `with-items`.
    pub with_items: Vec<WithItem>,
    /// `publish`.
    pub publish: Option<DataMap>,
    /// `publish-on-error`.
    pub publish_on_error: Option<DataMap>,
    /// `publish-on-skip`.
    pub publish_on_skip: Option<DataMap>,
    /// Policies.
    pub policies: Policies,
    /// `target`.
    pub target: Option<String>,
    /// `keep-result` (default true).
    pub keep_result: BoolOrExpr,
    /// `safe-rerun`.
    pub safe_rerun: Option<BoolOrExpr>,
    /// `join` (direct workflows).
    pub join: Option<Join>,
    /// `on-success`.
    pub on_success: Option<Clause>,
    /// `on-error`.
    pub on_error: Option<Clause>,
    /// `on-complete`.
    pub on_complete: Option<Clause>,
    /// `on-skip`.
    pub on_skip: Option<Clause>,
    /// `requires` (reverse workflows).
    pub requires: Vec<String>,
    /// Keys both `input` and an inline parameter of `action`/`workflow` set, in
    /// inline order, with the value `input` wrote. `input` above holds the merged
    /// values: the inline one wins, and two mappings are merged key by key
    /// (`TaskSpec._process_action_and_workflow`, `merge_dicts`).
    pub inline_overrides: DataMap,
}

impl Task {
    /// The clause of the given kind.
    pub fn clause(&self, kind: ClauseKind) -> Option<&Clause> {
        match kind {
            ClauseKind::OnSuccess => self.on_success.as_ref(),
            ClauseKind::OnError => self.on_error.as_ref(),
            ClauseKind::OnComplete => self.on_complete.as_ref(),
            ClauseKind::OnSkip => self.on_skip.as_ref(),
        }
    }
}

/// An ad-hoc action.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// Its id.
    pub id: ActionId,
    /// The name (workbook-local for workbooks).
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `base` without inline parameters.
    pub base: String,
    /// `base-input` merged with the inline parameters of `base` (inline wins).
    pub base_input: DataMap,
    /// `input`: the declared parameters.
    pub input: Vec<Parameter>,
    /// `output`.
    pub output: Option<Value>,
}
