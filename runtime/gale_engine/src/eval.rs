//! Template evaluation: Mistral's `evaluate_recursively` over the workflow IR, on
//! `gale_vm` values, against a data context built like Mistral's `ContextView`.
//!
//! State is kept as JSON (what Mistral stores in its database); a context view is a
//! list of JSON objects in priority order, materialised into one `gale_vm` dict per
//! evaluation (yaql's input conversion: arrays become tuples). Results are
//! finalised (`#finalize`) and converted back to JSON.
//!
//! Expression tracing (`gale run --trace`): with a hook installed
//! ([`Evaluator::set_trace`]), every YAQL expression and Jinja string evaluated is
//! reported as an [`ExprTrace`] — its place in the workflow (from a side table built
//! once from the program), the task execution it ran for (set by the engine with
//! [`Evaluator::enter`]), its text, position and value or error. Without a hook the
//! only cost is one `Option` test per expression and per [`Evaluator::enter`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gale_bytecode::workflow::{CallKind, Clause, Piece, Program, TaskInput, Template};
use gale_vm::interp::{Env, Program as Loaded};
use gale_vm::mistral::MistralContext;
use gale_vm::{Budget, Ctx, Value};
use serde_json::{Map, Value as Json};

/// An evaluation error, already in Mistral's words
/// (`Can not evaluate YAQL expression [expression=…, error=…]`), with the position
/// of the expression.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// Mistral's message.
    pub message: String,
    /// `line:column` of the expression in the source file, when known.
    pub position: Option<(u32, u32)>,
}

/// Loaded (verified) modules of a program, by expression index.
pub struct Evaluator {
    loaded: Vec<Option<Loaded>>,
    /// Loaded Jinja modules, by index into [`Program::jinja`].
    jinja: Vec<Option<Loaded>>,
    /// YAML loader for `yaml_parse`.
    pub yaml_loader: Option<gale_vm::ctx::YamlLoader>,
    /// The expression trace, when one is recorded.
    tracer: Option<Box<Tracer>>,
}

impl Evaluator {
    /// Loads every module of `p` (modules failing verification become errors).
    pub fn new(p: &Program) -> Evaluator {
        let load = |table: &[gale_bytecode::workflow::ExprInfo]| -> Vec<Option<Loaded>> {
            table
                .iter()
                .map(|e| {
                    e.module
                        .and_then(|m| p.modules.get(m as usize))
                        .and_then(|m| Loaded::load(m.clone()).ok())
                })
                .collect()
        };
        Evaluator {
            loaded: load(&p.exprs),
            jinja: load(&p.jinja),
            yaml_loader: None,
            tracer: None,
        }
    }
}

/// A data context: JSON objects in decreasing priority (Mistral's `ContextView`).
pub struct View<'a> {
    /// The layers.
    pub layers: Vec<&'a Map<String, Json>>,
}

impl View<'_> {
    /// The merged object (first layer holding a key wins).
    pub fn merged(&self) -> Map<String, Json> {
        let mut out = Map::new();
        for l in &self.layers {
            for (k, v) in l.iter() {
                if !out.contains_key(k) {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out
    }
}

/// Whether a template holds a Jinja string.
fn has_jinja(t: &Template) -> bool {
    match t {
        Template::Jinja(_) => true,
        Template::List(items) => items.iter().any(has_jinja),
        Template::Dict(items) => items.iter().any(|(_, x)| has_jinja(x)),
        _ => false,
    }
}

/// Python truthiness of JSON data.
pub fn truthy(j: &Json) -> bool {
    match j {
        Json::Null => false,
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Json::String(s) => !s.is_empty(),
        Json::Array(a) => !a.is_empty(),
        Json::Object(o) => !o.is_empty(),
    }
}

/// Python `str()` of JSON data.
pub fn py_str(j: &Json) -> String {
    match j {
        Json::String(s) => s.clone(),
        other => gale_vm::pyfmt::py_str(&gale_vm::convert::from_json(other, true)),
    }
}

fn to_json(cx: &mut Ctx, v: &Value) -> Result<Json, gale_vm::Error> {
    gale_vm::convert::output_json(cx, v)
}

impl Evaluator {
    fn ctx(&self, host: &Rc<dyn MistralContext>) -> Ctx {
        let mut cx = Ctx::new(gale_vm::Options::mistral(), Budget::default());
        cx.mistral = Some(host.clone());
        cx.yaml_loader = self.yaml_loader;
        cx
    }

    /// YAQL expression `i` (traced).
    fn yaql(
        &self,
        p: &Program,
        i: u32,
        data: &Value,
        vars: &[(String, Value)],
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        let r = self.yaql_untraced(p, i, data, vars, host);
        self.traced(p, Language::Yaql, i, &r);
        r
    }

    fn yaql_untraced(
        &self,
        p: &Program,
        i: u32,
        data: &Value,
        vars: &[(String, Value)],
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        let info = p.exprs.get(i as usize);
        let text = info.map(|e| e.text.as_str()).unwrap_or("");
        let position = info.map(|e| (e.line, e.column));
        let fail = |msg: String| EvalError {
            message: format!("Can not evaluate YAQL expression [expression={text}, error={msg}]"),
            position,
        };
        let Some(Some(prog)) = self.loaded.get(i as usize) else {
            let msg = info
                .and_then(|e| e.error.clone())
                .unwrap_or_else(|| "expression not compiled".into());
            return Err(fail(msg));
        };
        let mut cx = self.ctx(host);
        let v = prog
            .run(&mut cx, Env::root(Some(data.clone()), vars.to_vec()))
            .map_err(|e| fail(yaql_error_text(&e)))?;
        to_json(&mut cx, &v).map_err(|e| fail(yaql_error_text(&e)))
    }

    /// Mistral's `InlineJinjaEvaluator.evaluate` of Jinja string `i` over the data
    /// context `merged` (JSON arrays are Python lists there).
    fn jinja(
        &self,
        p: &Program,
        i: u32,
        merged: &Json,
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        let r = self.jinja_untraced(p, i, merged, host);
        self.traced(p, Language::Jinja, i, &r);
        r
    }

    fn jinja_untraced(
        &self,
        p: &Program,
        i: u32,
        merged: &Json,
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        let info = p.jinja.get(i as usize);
        let text = info.map(|e| e.text.as_str()).unwrap_or("");
        let position = info.map(|e| (e.line, e.column));
        let fail = |msg: &str| EvalError {
            message: format!(
                "Can not evaluate Jinja expression [expression={text}, error={}]",
                context_view_message(msg, text, merged)
            ),
            position,
        };
        let Some(Some(prog)) = self.jinja.get(i as usize) else {
            let msg = info
                .and_then(|e| e.error.clone())
                .unwrap_or_else(|| "template not compiled".into());
            return Err(fail(&msg));
        };
        let mut cx = self.ctx(host);
        let data = gale_vm::convert::from_json(merged, true);
        gale_vm::interp::run_jinja(prog, &mut cx, data)
            .and_then(|v| gale_vm::jinja::ops::materialize(&mut cx, v))
            .and_then(|v| to_json(&mut cx, &v))
            .map_err(|e| fail(e.message()))
    }

    /// Evaluates a template against a context view.
    pub fn eval(
        &self,
        p: &Program,
        t: &Template,
        view: &View<'_>,
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        if let Template::Lit(j) = t {
            return Ok(j.clone());
        }
        // Jinja reads the merged JSON; YAQL reads a `gale_vm` dict built straight
        // from the layers (no intermediate merged copy).
        let merged = if has_jinja(t) {
            Json::Object(view.merged())
        } else {
            Json::Null
        };
        let mut dict = gale_vm::value::Dict::new();
        for l in &view.layers {
            for (k, v) in l.iter() {
                let key = gale_vm::value::Key(Value::str(k.as_str()));
                if !dict.map.contains_key(&key) {
                    dict.map.insert(key, gale_vm::convert::from_json(v, false));
                }
            }
        }
        let vars: Vec<(String, Value)> = ["__env", "__execution", "__task_execution"]
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    dict.get_str(k).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        let data = Value::dict(dict);
        self.eval_in(p, t, &merged, &data, &vars, host)
    }

    /// Evaluates a template with `$` bound to `data` itself (ad-hoc action output).
    pub fn eval_data(
        &self,
        p: &Program,
        t: &Template,
        data: &Json,
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        let v = gale_vm::convert::from_json(data, false);
        self.eval_in(p, t, data, &v, &[], host)
    }

    fn eval_in(
        &self,
        p: &Program,
        t: &Template,
        merged: &Json,
        data: &Value,
        vars: &[(String, Value)],
        host: &Rc<dyn MistralContext>,
    ) -> Result<Json, EvalError> {
        Ok(match t {
            Template::Lit(j) => j.clone(),
            Template::Yaql(i) => self.yaql(p, *i, data, vars, host)?,
            Template::Interp(parts) => {
                let mut s = String::new();
                for part in parts {
                    match part {
                        Piece::Text(t) => s.push_str(t),
                        Piece::Yaql(i) => s.push_str(&py_str(&self.yaql(p, *i, data, vars, host)?)),
                    }
                }
                Json::String(s)
            }
            Template::Jinja(i) => self.jinja(p, *i, merged, host)?,
            Template::List(items) => Json::Array(
                items
                    .iter()
                    .map(|i| self.eval_in(p, i, merged, data, vars, host))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Dict(items) => {
                let mut m = Map::new();
                for (k, v) in items {
                    m.insert(k.clone(), self.eval_in(p, v, merged, data, vars, host)?);
                }
                Json::Object(m)
            }
        })
    }
}

/// The `error=` part of Mistral's YAQL error message: Python `str()` of the
/// exception (a `KeyError` shows its key quoted).
fn yaql_error_text(e: &gale_vm::Error) -> String {
    match e.kind() {
        gale_vm::ErrorKind::KeyError => {
            let m = e.message();
            if m.starts_with('\'') {
                m.to_string()
            } else {
                format!("'{m}'")
            }
        }
        _ => e.message().to_string(),
    }
}

/// Mistral's Jinja data root is a `ContextView` (a dict subclass with Python-level
/// `keys`/`items`/`values`/`get`), not a dict: errors about a lookup on the root
/// (`_.missing`, `_['missing']`) name it so, while a lookup on a dict reached
/// through it (`_.data.missing`) still names a `'dict object'`.
fn context_view_message(message: &str, text: &str, context: &Json) -> String {
    const DICT: &str = "'dict object' has no attribute '";
    if let Some(rest) = message.strip_prefix(DICT) {
        let name = rest.trim_end_matches('\'');
        if context.get(name).is_none() && looks_up_on_root(text, name) {
            return format!(
                "'mistral.workflow.data_flow.ContextView object' has no attribute '{rest}"
            );
        }
    }
    let root_method = ["_.items", "_.keys", "_.values", "_.get"]
        .iter()
        .any(|m| text.contains(m));
    if root_method {
        return message.replace("'builtin_function_or_method'", "'method'");
    }
    message.to_string()
}

/// True when `text` looks `name` up on the Jinja data root `_` itself: `_.name`,
/// `(_).name`, `_['name']` or `_["name"]` (spaces allowed around the operators).
fn looks_up_on_root(text: &str, name: &str) -> bool {
    let is_ident = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    let bytes = text.as_bytes();
    let skip = |mut i: usize, also: &[u8]| {
        while bytes
            .get(i)
            .is_some_and(|c| c.is_ascii_whitespace() || also.contains(c))
        {
            i += 1;
        }
        i
    };
    (0..bytes.len()).any(|at| {
        let standalone = bytes[at] == b'_'
            && (at == 0 || !is_ident(bytes[at - 1]))
            && !bytes.get(at + 1).copied().is_some_and(is_ident);
        if !standalone {
            return false;
        }
        let i = skip(at + 1, b")");
        match bytes.get(i) {
            Some(b'.') => {
                let i = skip(i + 1, b"");
                text.get(i..).is_some_and(|r| {
                    r.starts_with(name)
                        && !r.as_bytes().get(name.len()).copied().is_some_and(is_ident)
                })
            }
            Some(b'[') => {
                let i = skip(i + 1, b"");
                ['\'', '"'].iter().any(|q| {
                    text.get(i..).is_some_and(|r| {
                        r.strip_prefix(*q)
                            .and_then(|r| r.strip_prefix(name))
                            .is_some_and(|r| r.starts_with(*q))
                    })
                })
            }
            _ => false,
        }
    })
}

// ------------------------------------------------------------------ tracing

/// The expression language of a traced expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    /// A YAQL expression (`<% … %>`).
    Yaql,
    /// A Jinja string (`{{ … }}` / `{% … %}`).
    Jinja,
}

/// One expression evaluation, as `gale run --trace` records it.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprTrace {
    /// Name of the workflow the expression belongs to.
    pub workflow: String,
    /// Id of the workflow execution it was evaluated in.
    pub execution_id: String,
    /// The task it was evaluated for (`None`: workflow level — `vars`, `output`,
    /// `env`).
    pub task: Option<String>,
    /// The task execution's id.
    pub task_execution_id: Option<String>,
    /// The with-items iteration (task input and action name of one item).
    pub item: Option<usize>,
    /// The retry attempt (0: first run).
    pub retry: u64,
    /// Where the expression is written: `input.x`, `publish.y`, `on-success → t2`,
    /// `with-items i`, `retry.count`, `output.total`, `action`… (empty when unknown).
    pub place: Rc<str>,
    /// YAQL or Jinja.
    pub language: Language,
    /// The expression text (inside `<% %>` for YAQL, the whole string for Jinja).
    pub text: String,
    /// Line in the source file (1-based; 0 when unknown).
    pub line: u32,
    /// Column in the source file (1-based; 0 when unknown).
    pub column: u32,
    /// The value (JSON, as the engine uses it) or Mistral's error message.
    pub result: Result<Json, String>,
}

impl ExprTrace {
    /// The trace event as stored (`{"event": "expression", …}`), stamped `at`
    /// (milliseconds since the epoch).
    pub fn to_json(&self, at: i64) -> Json {
        let mut m = Map::new();
        m.insert("event".into(), Json::from("expression"));
        m.insert("workflow".into(), Json::from(self.workflow.as_str()));
        m.insert(
            "execution_id".into(),
            Json::from(self.execution_id.as_str()),
        );
        if let Some(t) = &self.task {
            m.insert("task".into(), Json::from(t.as_str()));
        }
        if let Some(t) = &self.task_execution_id {
            m.insert("task_execution_id".into(), Json::from(t.as_str()));
        }
        if let Some(i) = self.item {
            m.insert("item".into(), Json::from(i));
        }
        if self.retry > 0 {
            m.insert("retry".into(), Json::from(self.retry));
        }
        m.insert("place".into(), Json::from(&*self.place));
        let language = match self.language {
            Language::Yaql => "yaql",
            Language::Jinja => "jinja",
        };
        m.insert("language".into(), Json::from(language));
        m.insert("expression".into(), Json::from(self.text.as_str()));
        m.insert("line".into(), Json::from(self.line));
        m.insert("column".into(), Json::from(self.column));
        match &self.result {
            Ok(v) => m.insert("value".into(), v.clone()),
            Err(e) => m.insert("error".into(), Json::from(e.as_str())),
        };
        m.insert("at".into(), Json::from(at));
        Json::Object(m)
    }
}

/// Receives every traced expression evaluation.
pub type ExprTraceHook = Box<dyn FnMut(&ExprTrace)>;

/// The task execution expressions are being evaluated for.
#[derive(Clone, Debug, Default)]
struct Scope {
    workflow: String,
    execution_id: String,
    task: Option<String>,
    task_execution_id: Option<String>,
    item: Option<usize>,
    retry: u64,
}

/// The expression trace: the hook, the place of every expression, the scope.
struct Tracer {
    hook: RefCell<ExprTraceHook>,
    /// Place of each YAQL expression (by index into [`Program::exprs`]).
    yaql: Vec<Rc<str>>,
    /// Place of each Jinja string (by index into [`Program::jinja`]).
    jinja: Vec<Rc<str>>,
    scope: RefCell<Scope>,
    muted: Cell<bool>,
    /// The with-items iteration being launched ([`Evaluator::for_item`]).
    item: Cell<Option<usize>>,
}

impl Evaluator {
    /// Installs an expression trace hook: from now on every expression evaluated is
    /// reported to `hook` (places are computed once from `p`).
    pub fn set_trace(&mut self, p: &Program, hook: ExprTraceHook) {
        let (yaql, jinja) = places(p);
        self.tracer = Some(Box::new(Tracer {
            hook: RefCell::new(hook),
            yaql,
            jinja,
            scope: RefCell::new(Scope::default()),
            muted: Cell::new(false),
            item: Cell::new(None),
        }));
    }

    /// Whether an expression trace hook is installed.
    pub fn tracing(&self) -> bool {
        self.tracer.is_some()
    }

    /// Sets the task execution the next evaluations are for (`task`: index into
    /// `wf.tasks`, `None` at workflow level; `item`: the evaluation is for the
    /// with-items iteration named by [`Evaluator::for_item`]). A no-op unless tracing.
    #[inline]
    pub fn enter(&self, wf: &crate::state::WorkflowEx, task: Option<usize>, item: bool) {
        if let Some(tr) = &self.tracer {
            tr.enter(wf, task, item);
        }
    }

    /// Names the with-items iteration the next item evaluations (`item: true` in
    /// [`Evaluator::enter`]) are for. A no-op unless tracing.
    #[inline]
    pub fn for_item(&self, index: usize) {
        if let Some(tr) = &self.tracer {
            tr.item.set(Some(index));
        }
    }

    /// Runs `f` without tracing the evaluations it makes (re-evaluations for
    /// display, not steps of the execution).
    pub fn untraced<R>(&self, f: impl FnOnce() -> R) -> R {
        let Some(tr) = &self.tracer else { return f() };
        let was = tr.muted.replace(true);
        let r = f();
        tr.muted.set(was);
        r
    }

    /// Reports one evaluation to the trace hook, if any.
    #[inline]
    fn traced(&self, p: &Program, language: Language, i: u32, r: &Result<Json, EvalError>) {
        if let Some(tr) = &self.tracer {
            tr.record(p, language, i, r);
        }
    }
}

impl Tracer {
    #[cold]
    fn enter(&self, wf: &crate::state::WorkflowEx, task: Option<usize>, item: bool) {
        let t = task.and_then(|i| wf.tasks.get(i));
        let mut s = self.scope.borrow_mut();
        if s.execution_id != wf.id {
            s.execution_id.clone_from(&wf.id);
            s.workflow.clone_from(&wf.name);
        }
        s.task = t.map(|t| t.name.clone());
        s.task_execution_id = t.map(|t| t.id.clone());
        s.item = if item && t.is_some() {
            self.item.get()
        } else {
            None
        };
        s.retry = t.map_or(0, |t| t.retry_no);
    }

    #[cold]
    fn record(&self, p: &Program, language: Language, i: u32, r: &Result<Json, EvalError>) {
        if self.muted.get() {
            return;
        }
        let (table, places) = match language {
            Language::Yaql => (&p.exprs, &self.yaql),
            Language::Jinja => (&p.jinja, &self.jinja),
        };
        let info = table.get(i as usize);
        let s = self.scope.borrow();
        let e = ExprTrace {
            workflow: s.workflow.clone(),
            execution_id: s.execution_id.clone(),
            task: s.task.clone(),
            task_execution_id: s.task_execution_id.clone(),
            item: s.item,
            retry: s.retry,
            place: places
                .get(i as usize)
                .cloned()
                .unwrap_or_else(|| Rc::from("")),
            language,
            text: info.map(|e| e.text.clone()).unwrap_or_default(),
            line: info.map_or(0, |e| e.line),
            column: info.map_or(0, |e| e.column),
            result: match r {
                Ok(v) => Ok(v.clone()),
                Err(e) => Err(e.message.clone()),
            },
        };
        drop(s);
        if let Ok(mut hook) = self.hook.try_borrow_mut() {
            hook(&e);
        }
    }
}

/// The place of every YAQL expression and Jinja string of `p`, as users write it:
/// `input.x`, `publish.y`, `on-success → t2`, `retry.count`, `output.total`…
/// (first occurrence wins: `task-defaults` policies are shared by tasks).
fn places(p: &Program) -> (Vec<Rc<str>>, Vec<Rc<str>>) {
    let mut out = Places {
        yaql: vec![None; p.exprs.len()],
        jinja: vec![None; p.jinja.len()],
    };
    for w in &p.workflows {
        out.walk(w.vars.as_ref(), "vars");
        out.walk(w.output.as_ref(), "output");
        out.walk(w.output_on_error.as_ref(), "output-on-error");
        for t in &w.tasks {
            let call = match t.call_kind {
                CallKind::Action => "action",
                CallKind::Workflow => "workflow",
            };
            out.walk(Some(&t.call), call);
            match &t.input {
                TaskInput::None => {}
                TaskInput::Map(x) | TaskInput::Expr(x) => out.walk(Some(x), "input"),
            }
            for (var, coll) in &t.with_items {
                out.walk(Some(coll), &format!("with-items {var}"));
            }
            out.walk(t.publish.as_ref(), "publish");
            out.walk(t.publish_on_error.as_ref(), "publish-on-error");
            let pol = &t.policies;
            if let Some(r) = &pol.retry {
                out.walk(Some(&r.count), "retry.count");
                out.walk(Some(&r.delay), "retry.delay");
                out.walk(r.break_on.as_ref(), "retry.break-on");
                out.walk(r.continue_on.as_ref(), "retry.continue-on");
            }
            out.walk(pol.wait_before.as_ref(), "wait-before");
            out.walk(pol.wait_after.as_ref(), "wait-after");
            out.walk(pol.timeout.as_ref(), "timeout");
            out.walk(pol.pause_before.as_ref(), "pause-before");
            out.walk(pol.concurrency.as_ref(), "concurrency");
            out.walk(pol.fail_on.as_ref(), "fail-on");
            out.walk(Some(&t.keep_result), "keep-result");
            out.walk(t.safe_rerun.as_ref(), "safe-rerun");
            for (c, event) in [
                (&t.on_success, "on-success"),
                (&t.on_error, "on-error"),
                (&t.on_complete, "on-complete"),
            ] {
                out.clause(c, event);
            }
        }
    }
    for a in &p.actions {
        out.walk(Some(&a.base_input), &format!("{} base-input", a.name));
        out.walk(a.output.as_ref(), &format!("{} output", a.name));
    }
    let done = |v: Vec<Option<Rc<str>>>| -> Vec<Rc<str>> {
        let env: Rc<str> = Rc::from("env");
        v.into_iter()
            .map(|x| x.unwrap_or_else(|| env.clone()))
            .collect()
    };
    (done(out.yaql), done(out.jinja))
}

/// The places found so far.
struct Places {
    yaql: Vec<Option<Rc<str>>>,
    jinja: Vec<Option<Rc<str>>>,
}

impl Places {
    fn clause(&mut self, c: &Clause, event: &str) {
        if let Some(pb) = &c.publish {
            self.walk(pb.branch.as_ref(), &format!("{event}.publish.branch"));
            self.walk(pb.global.as_ref(), &format!("{event}.publish.global"));
            self.walk(pb.atomic.as_ref(), &format!("{event}.publish.atomic"));
        }
        for tr in &c.next {
            self.walk(tr.guard.as_ref(), &format!("{event} → {}", tr.target));
            self.walk(Some(&tr.params), &format!("{event} → {} params", tr.target));
        }
    }

    fn walk(&mut self, t: Option<&Template>, path: &str) {
        let Some(t) = t else { return };
        let set = |slot: Option<&mut Option<Rc<str>>>| {
            if let Some(s) = slot
                && s.is_none()
            {
                *s = Some(Rc::from(path));
            }
        };
        match t {
            Template::Lit(_) => {}
            Template::Yaql(i) => set(self.yaql.get_mut(*i as usize)),
            Template::Jinja(i) => set(self.jinja.get_mut(*i as usize)),
            Template::Interp(parts) => {
                for part in parts {
                    if let Piece::Yaql(i) = part
                        && let Some(s) = self.yaql.get_mut(*i as usize)
                        && s.is_none()
                    {
                        *s = Some(Rc::from(path));
                    }
                }
            }
            Template::List(items) => {
                for (n, x) in items.iter().enumerate() {
                    self.walk(Some(x), &format!("{path}[{n}]"));
                }
            }
            Template::Dict(items) => {
                for (k, x) in items {
                    self.walk(Some(x), &format!("{path}.{k}"));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use gale_codegen::workflow::{OptLevel, compile_source};
    use serde_json::json;

    use super::{ExprTrace, Language, context_view_message};
    use crate::engine::{Engine, StartOptions};

    /// Which failed lookups name Mistral's `ContextView` (a lookup on `_` itself)
    /// and which a `'dict object'` (a dict reached through `_`), as Mistral 23's
    /// Jinja evaluator reports them for the context `{data: {a: 1}}`.
    #[test]
    fn only_a_lookup_on_the_root_names_the_context_view() {
        let context = json!({"data": {"a": 1}});
        let view = |n: &str| {
            format!("'mistral.workflow.data_flow.ContextView object' has no attribute '{n}'")
        };
        let dict = |n: &str| format!("'dict object' has no attribute '{n}'");
        let cases = [
            ("{{ _.missing }}", "missing", view("missing")),
            ("{{ _.missing.deeper }}", "missing", view("missing")),
            ("{{ _['missing'] }}", "missing", view("missing")),
            ("{{ _[ \"missing\" ] }}", "missing", view("missing")),
            ("{{ (_).missing }}", "missing", view("missing")),
            ("{{ _ . missing }}", "missing", view("missing")),
            ("{{ _.data.b.c }}", "b", dict("b")),
            ("{{ _.data.b }}", "b", dict("b")),
            ("{{ _.get('data').b }}", "b", dict("b")),
            ("{{ _.bb }}{{ _.data.b }}", "b", dict("b")),
            ("{{ x_.b }}", "b", dict("b")),
            // A key the root has cannot fail on the root.
            ("{{ _.data.data }}", "data", dict("data")),
        ];
        for (text, name, expected) in cases {
            assert_eq!(
                context_view_message(&dict(name), text, &context),
                expected,
                "{text}"
            );
        }
    }

    const DOC: &str = r#"version: '2.0'
wf:
  input:
    - n: 2
  vars:
    base: <% $.n * 10 %>
  tasks:
    t1:
      with-items: x in <% range($.n) %>
      action: std.echo output=<% $.x + $.base %>
      publish:
        total: "{{ _.base + 1 }}"
      on-success:
        - t2: <% $.total > 100 %>
        - t3: <% $.total <= 100 %>
    t2:
      action: std.noop
    t3:
      action: std.fail
      retry:
        count: 1
        delay: <% 0 %>
      on-error:
        - t4
    t4:
      action: std.echo output=<% int('x') %>
"#;

    /// Runs `doc` with an expression trace: (task, item, retry, place, text,
    /// line:col, value or error) of every evaluation.
    fn traced(doc: &str) -> Vec<ExprTrace> {
        let program = compile_source(doc, OptLevel::O1).expect("compiles");
        let mut engine = Engine::new(Rc::new(program));
        let events = Rc::new(RefCell::new(Vec::new()));
        let sink = events.clone();
        engine.set_expression_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
        let root = engine
            .start("wf", &StartOptions::default())
            .expect("starts");
        engine.run(root, None);
        events.take()
    }

    fn show(e: &ExprTrace) -> String {
        let value = match &e.result {
            Ok(v) => format!("= {v}"),
            Err(m) => format!("! {m}"),
        };
        format!(
            "{}{}{} {} {}:{} {} {value}",
            e.task.as_deref().unwrap_or("-"),
            e.item.map(|i| format!("[{i}]")).unwrap_or_default(),
            if e.retry > 0 {
                format!("(retry {})", e.retry)
            } else {
                String::new()
            },
            e.place,
            e.line,
            e.column,
            e.text,
        )
    }

    #[test]
    fn every_expression_is_traced_with_its_place_and_value() {
        let events = traced(DOC);
        let lines: Vec<String> = events.iter().map(show).collect();
        let expected = [
            "- vars.base 6:11 $.n * 10 = 20",
            "t1 with-items x 9:24 range($.n) = [0,1]",
            "t1[0] input.output 10:31 $.x + $.base = 20",
            "t1[1] input.output 10:31 $.x + $.base = 21",
            "t1 publish.total 12:17 {{ _.base + 1 }} = 21",
            "t1 on-success → t2 14:15 $.total > 100 = false",
            "t1 on-success → t3 15:15 $.total <= 100 = true",
            // Checked when t3 starts, then read after each run.
            "t3 retry.delay 22:16 0 = 0",
            "t3 retry.delay 22:16 0 = 0",
            "t3(retry 1) retry.delay 22:16 0 = 0",
            "t4 input.output 26:31 int('x') ! Can not evaluate YAQL expression \
             [expression=int('x'), error=invalid literal for int() with base 10: 'x']",
        ];
        assert_eq!(lines, expected);
        assert!(
            events
                .iter()
                .all(|e| e.execution_id == events[0].execution_id)
        );
        assert_eq!(events[4].language, Language::Jinja);
        assert_eq!(
            events[4].to_json(7)["value"],
            json!(21),
            "the stored event holds the value"
        );
        assert_eq!(
            events[10].to_json(7)["error"]
                .as_str()
                .map(|e| e.contains("int('x')")),
            Some(true)
        );
    }

    #[test]
    fn untraced_evaluations_are_not_reported() {
        let program = compile_source(DOC, OptLevel::O1).expect("compiles");
        let mut ev = super::Evaluator::new(&program);
        assert!(!ev.tracing());
        let seen = Rc::new(RefCell::new(0));
        let sink = seen.clone();
        ev.set_trace(&program, Box::new(move |_| *sink.borrow_mut() += 1));
        assert!(ev.tracing());
        let t = &program.workflows[0].tasks[0].with_items[0].1;
        let layer = serde_json::Map::from_iter([("n".to_string(), json!(3))]);
        let view = super::View {
            layers: vec![&layer],
        };
        let host: Rc<dyn gale_vm::mistral::MistralContext> = Rc::new(crate::host::Host {
            env: json!({}),
            execution: json!(null),
            tasks: Vec::new(),
            current: None,
            globals: serde_json::Map::new(),
        });
        let v = ev.untraced(|| ev.eval(&program, t, &view, &host));
        assert_eq!(v, Ok(json!([0, 1, 2])));
        assert_eq!(*seen.borrow(), 0);
        let v = ev.eval(&program, t, &view, &host);
        assert_eq!(v, Ok(json!([0, 1, 2])));
        assert_eq!(*seen.borrow(), 1);
    }
}
