//! The workflow IR: a whole Mistral document lowered to tables plus expression
//! bytecode.
//!
//! A [`Program`] holds every workflow, task and ad-hoc action of one document as plain
//! tables (names, calls, transitions, joins, policies, publish maps). Every place where
//! Mistral evaluates data is a [`Template`] (Mistral's `evaluate_recursively`): a
//! literal, a whole-string YAQL expression (keeps its type), an interpolated string
//! (Python `str()` of each value), a Jinja template, or a list/mapping of templates.
//! YAQL expressions and Jinja strings are [`Module`]s in [`Program::modules`], run by
//! `gale_vm::interp`; their source text and file position live in the side tables
//! [`Program::exprs`] and [`Program::jinja`] so that errors name the expression, its
//! position and the task.
//!
//! **Invariant:** the engine runs only programs accepted by [`verify_program`]
//! (every index in range, every module verified).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::Module;

#[path = "workflow_encode.rs"]
pub mod artifact;

/// Version of the IR (bumped on every incompatible change of these tables).
pub const PROGRAM_VERSION: u32 = 2;

/// A whole compiled document.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The workbook name (workflows and actions are then named `<wb>.<name>`).
    pub workbook: Option<String>,
    /// Every workflow.
    pub workflows: Vec<Workflow>,
    /// Every ad-hoc action.
    pub actions: Vec<AdhocAction>,
    /// Expression side table: text and position of each compiled expression.
    pub exprs: Vec<ExprInfo>,
    /// Jinja side table: text and position of each Jinja string; its
    /// [`ExprInfo::module`] is the compiled template (Mistral's rule: a whole
    /// `{{ E }}` gives a typed value, anything else renders text).
    pub jinja: Vec<ExprInfo>,
    /// Compiled YAQL and Jinja modules, indexed by [`ExprInfo::module`].
    #[serde(skip)]
    pub modules: Vec<Module>,
}

impl Program {
    /// The workflow called `name` (full name, or the short name inside a workbook).
    pub fn workflow(&self, name: &str) -> Option<usize> {
        self.workflows
            .iter()
            .position(|w| w.name == name)
            .or_else(|| {
                let wb = self.workbook.as_deref()?;
                let short = name.strip_prefix(wb)?.strip_prefix('.')?;
                self.workflows.iter().position(|w| w.name == short)
            })
    }

    /// The full name of workflow `w` (`wb.name` in a workbook).
    pub fn full_name(&self, name: &str) -> String {
        match &self.workbook {
            Some(wb) => format!("{wb}.{name}"),
            None => name.to_string(),
        }
    }
}

/// Text and position of one expression (1-based line and column in the file).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExprInfo {
    /// The expression text as Mistral shows it (inside `<% %>`, trimmed; whole
    /// template for Jinja).
    pub text: String,
    /// Line of the expression in the source file (0 when unknown).
    pub line: u32,
    /// Column (Unicode scalar values, 1-based; 0 when unknown).
    pub column: u32,
    /// Index into [`Program::modules`], or `None` when the expression did not
    /// compile (then `error` says why).
    pub module: Option<u32>,
    /// A compile error, raised when the expression is evaluated.
    pub error: Option<String>,
}

/// Data that Mistral evaluates with `evaluate_recursively`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Template {
    /// A value with no expression in it.
    Lit(Json),
    /// A string that is exactly one `<% E %>`: E's typed value (index into
    /// [`Program::exprs`]).
    Yaql(u32),
    /// A string with YAQL inside text: each piece's Python `str()`, concatenated.
    Interp(Vec<Piece>),
    /// A Jinja string (index into [`Program::jinja`]).
    Jinja(u32),
    /// A list of templates.
    List(Vec<Template>),
    /// A mapping of templates (keys are literal strings, in source order).
    Dict(Vec<(String, Template)>),
}

impl Default for Template {
    fn default() -> Template {
        Template::null()
    }
}

impl Template {
    /// Whether this template is a literal (no expression anywhere).
    pub fn is_lit(&self) -> bool {
        matches!(self, Template::Lit(_))
    }

    /// The literal `null`.
    pub fn null() -> Template {
        Template::Lit(Json::Null)
    }
}

/// One piece of an interpolated string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// An expression (index into [`Program::exprs`]) and the `<% … %>` text it
    /// replaces.
    Yaql(u32),
}

/// `direct` or `reverse`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkflowKind {
    /// Transitions from start tasks.
    #[default]
    Direct,
    /// Requirements of a target task.
    Reverse,
}

/// A declared input parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The name.
    pub name: String,
    /// The default (never evaluated); `None` = required.
    pub default: Option<Json>,
}

/// A workflow.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    /// The name as written (workbook-local in a workbook).
    pub name: String,
    /// Direct or reverse.
    pub kind: WorkflowKind,
    /// Declared input.
    pub input: Vec<Param>,
    /// `output` (a mapping template), if any.
    pub output: Option<Template>,
    /// `output-on-error`, if any.
    pub output_on_error: Option<Template>,
    /// `vars`, if any.
    pub vars: Option<Template>,
    /// The tasks, in source order.
    pub tasks: Vec<Task>,
    /// Start tasks of a direct workflow (tasks no transition targets), source order.
    pub start_tasks: Vec<u32>,
}

impl Workflow {
    /// The index of the task called `name`.
    pub fn task(&self, name: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.name == name)
    }
}

/// What a task calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum CallKind {
    /// An action.
    #[default]
    Action,
    /// A sub-workflow.
    Workflow,
}

/// A task's `input`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum TaskInput {
    /// No input.
    #[default]
    None,
    /// A mapping (inline parameters already merged in; they win).
    Map(Template),
    /// One expression that must produce a mapping.
    Expr(Template),
}

/// The join of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Join {
    /// `join: all`.
    All,
    /// `join: N` / `join: one`.
    Count(u64),
}

/// `retry`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    /// `count`.
    pub count: Template,
    /// `delay` (seconds).
    pub delay: Template,
    /// `break-on`.
    pub break_on: Option<Template>,
    /// `continue-on`.
    pub continue_on: Option<Template>,
}

/// Task policies (already merged with `task-defaults`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Policies {
    /// `retry`.
    pub retry: Option<Retry>,
    /// `wait-before` (seconds).
    pub wait_before: Option<Template>,
    /// `wait-after` (seconds).
    pub wait_after: Option<Template>,
    /// `timeout` (seconds).
    pub timeout: Option<Template>,
    /// `pause-before`.
    pub pause_before: Option<Template>,
    /// `concurrency`.
    pub concurrency: Option<Template>,
    /// `fail-on`.
    pub fail_on: Option<Template>,
}

impl Policies {
    /// Whether no policy is set.
    pub fn is_empty(&self) -> bool {
        self == &Policies::default()
    }
}

/// Engine commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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

/// One transition entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The target task name (or command name).
    pub target: String,
    /// Set when the target is an engine command.
    pub command: Option<EngineCommand>,
    /// The target task's index (for task targets that exist).
    pub task: Option<u32>,
    /// The guard.
    pub guard: Option<Template>,
    /// Parameters (`msg`) — a mapping template.
    pub params: Template,
}

/// The advanced publish block of a clause.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClausePublish {
    /// `branch`.
    pub branch: Option<Template>,
    /// `global`.
    pub global: Option<Template>,
    /// `atomic` (accepted, ignored).
    pub atomic: Option<Template>,
}

/// A transition clause.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    /// The advanced form's `publish`.
    pub publish: Option<ClausePublish>,
    /// The entries.
    pub next: Vec<Transition>,
}

/// A task.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// The name.
    pub name: String,
    /// Action or sub-workflow.
    pub call_kind: CallKind,
    /// The action or workflow name (may be an expression).
    pub call: Template,
    /// The action name as written (for `env.__actions` defaults), when literal.
    pub action_literal: Option<String>,
    /// `input` (inline parameters merged in).
    pub input: TaskInput,
    /// `with-items`: `(variable, collection)` pairs.
    pub with_items: Vec<(String, Template)>,
    /// `publish`.
    pub publish: Option<Template>,
    /// `publish-on-error`.
    pub publish_on_error: Option<Template>,
    /// Policies (task-defaults merged).
    pub policies: Policies,
    /// `keep-result`.
    pub keep_result: Template,
    /// `safe-rerun`.
    pub safe_rerun: Option<Template>,
    /// `join`.
    pub join: Option<Join>,
    /// Effective `on-success` (own or task-defaults).
    pub on_success: Clause,
    /// Effective `on-error`.
    pub on_error: Clause,
    /// Effective `on-complete`.
    pub on_complete: Clause,
    /// Indexes of the tasks with a transition to this one (direct workflows).
    pub inbound: Vec<u32>,
    /// `requires` (reverse workflows; task-defaults merged).
    pub requires: Vec<String>,
}

/// An ad-hoc action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdhocAction {
    /// The name (workbook-local in a workbook).
    pub name: String,
    /// `base` (without inline parameters).
    pub base: String,
    /// `base-input` (inline parameters of `base` merged), a mapping template.
    pub base_input: Template,
    /// Declared input.
    pub input: Vec<Param>,
    /// `output`, evaluated against the base result.
    pub output: Option<Template>,
    /// The definition as Mistral prints it in errors (`name:\n  base: …`).
    pub definition: String,
}

/// Why a [`Program`] is rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramError(pub String);

impl std::fmt::Display for ProgramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ProgramError {}

fn check_template(p: &Program, t: &Template, at: &str) -> Result<(), ProgramError> {
    let bad = |what: &str| Err(ProgramError(format!("{at}: {what} out of range")));
    match t {
        Template::Lit(_) => Ok(()),
        Template::Yaql(i) => {
            if (*i as usize) < p.exprs.len() {
                Ok(())
            } else {
                bad("expression")
            }
        }
        Template::Jinja(i) => {
            if (*i as usize) < p.jinja.len() {
                Ok(())
            } else {
                bad("jinja template")
            }
        }
        Template::Interp(parts) => {
            for part in parts {
                if let Piece::Yaql(i) = part
                    && *i as usize >= p.exprs.len()
                {
                    return bad("expression");
                }
            }
            Ok(())
        }
        Template::List(items) => items.iter().try_for_each(|i| check_template(p, i, at)),
        Template::Dict(items) => items.iter().try_for_each(|(_, i)| check_template(p, i, at)),
    }
}

/// Checks every index of a program and verifies every module.
pub fn verify_program(p: &Program) -> Result<(), ProgramError> {
    for (what, table) in [("expression", &p.exprs), ("jinja template", &p.jinja)] {
        for (i, e) in table.iter().enumerate() {
            if let Some(m) = e.module {
                let Some(module) = p.modules.get(m as usize) else {
                    return Err(ProgramError(format!("{what} {i}: module out of range")));
                };
                crate::verify(module).map_err(|e| ProgramError(format!("module {m}: {e}")))?;
            }
        }
    }
    for w in &p.workflows {
        let opt = |t: &Option<Template>, at: &str| match t {
            Some(t) => check_template(p, t, at),
            None => Ok(()),
        };
        opt(&w.output, &w.name)?;
        opt(&w.output_on_error, &w.name)?;
        opt(&w.vars, &w.name)?;
        for s in &w.start_tasks {
            if *s as usize >= w.tasks.len() {
                return Err(ProgramError(format!("{}: start task out of range", w.name)));
            }
        }
        for t in &w.tasks {
            let at = format!("{}.{}", w.name, t.name);
            check_template(p, &t.call, &at)?;
            match &t.input {
                TaskInput::None => {}
                TaskInput::Map(x) | TaskInput::Expr(x) => check_template(p, x, &at)?,
            }
            for (_, c) in &t.with_items {
                check_template(p, c, &at)?;
            }
            opt(&t.publish, &at)?;
            opt(&t.publish_on_error, &at)?;
            check_template(p, &t.keep_result, &at)?;
            opt(&t.safe_rerun, &at)?;
            let pol = &t.policies;
            for x in [
                &pol.wait_before,
                &pol.wait_after,
                &pol.timeout,
                &pol.pause_before,
                &pol.concurrency,
                &pol.fail_on,
            ] {
                opt(x, &at)?;
            }
            if let Some(r) = &pol.retry {
                check_template(p, &r.count, &at)?;
                check_template(p, &r.delay, &at)?;
                opt(&r.break_on, &at)?;
                opt(&r.continue_on, &at)?;
            }
            for c in [&t.on_success, &t.on_error, &t.on_complete] {
                if let Some(pb) = &c.publish {
                    opt(&pb.branch, &at)?;
                    opt(&pb.global, &at)?;
                    opt(&pb.atomic, &at)?;
                }
                for tr in &c.next {
                    opt(&tr.guard, &at)?;
                    check_template(p, &tr.params, &at)?;
                    if let Some(x) = tr.task
                        && x as usize >= w.tasks.len()
                    {
                        return Err(ProgramError(format!(
                            "{at}: transition target out of range"
                        )));
                    }
                }
            }
            for x in &t.inbound {
                if *x as usize >= w.tasks.len() {
                    return Err(ProgramError(format!("{at}: inbound task out of range")));
                }
            }
        }
    }
    for a in &p.actions {
        check_template(p, &a.base_input, &a.name)?;
        if let Some(o) = &a.output {
            check_template(p, o, &a.name)?;
        }
    }
    Ok(())
}
