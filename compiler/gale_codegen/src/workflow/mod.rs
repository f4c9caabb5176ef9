//! Lowering of a whole Mistral document (the `gale_hir` model) to the workflow IR
//! ([`gale_bytecode::workflow::Program`]).
//!
//! Every data position Mistral evaluates becomes a [`Template`]: literals stay JSON,
//! strings are classified exactly as `mistral.expressions.evaluate` does (Jinja first,
//! then YAQL: a string that is exactly one `<% E %>` keeps E's type, otherwise each
//! `<% %>` is replaced by the Python `str()` of its value). YAQL texts are compiled
//! to bytecode modules once here, and so are Jinja strings
//! ([`crate::jinja_compile::compile_mistral`]: typed for a whole `{{ E }}`, rendered
//! text otherwise), so the runtime needs no compiler code. `task-defaults` are merged in (policies per key, clauses by
//! Mistral's rule: the task's own entries, otherwise the defaults minus the task
//! itself; a `task-defaults` clause's `publish` is never applied), start tasks and inbound tasks are computed, and [`opt`] passes run at
//! `-O1`.

pub mod opt;

use std::collections::HashMap;

use gale_bytecode::workflow::{
    AdhocAction, CallKind, Clause, ClausePublish, EngineCommand, ExprInfo, Join, Param, Piece,
    Policies, Program, Retry, Task, TaskInput, Template, Transition, Workflow, WorkflowKind,
};
use gale_diagnostics::LineIndex;
use gale_hir as hir;
use serde_json::Value as Json;

/// Optimisation level (`-O0` / `-O1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OptLevel {
    /// No optimisation: a direct translation.
    O0,
    /// Constant folding, dead transition elimination, join simplification.
    #[default]
    O1,
}

/// Lowers a document to a program (and runs the optimiser at `-O1`).
pub fn lower_document(
    doc: &hir::Document,
    map: &hir::SourceMap,
    text: &str,
    level: OptLevel,
) -> Program {
    let mut sites: HashMap<&str, (u32, &gale_syntax::OffsetMap)> = HashMap::new();
    for s in map.expressions() {
        sites
            .entry(s.text.as_str())
            .or_insert((s.span.start, &s.offsets));
    }
    let mut cx = Lower {
        program: Program {
            workbook: doc.workbook.as_ref().and_then(|w| w.name.clone()),
            ..Program::default()
        },
        sites,
        lines: LineIndex::new(text),
        text,
        yaql_cache: HashMap::new(),
        yaql_modules: HashMap::new(),
        occurrences: HashMap::new(),
        source_map: map,
        item_sites: HashMap::new(),
        current_item: None,
        task_index: HashMap::new(),
    };
    for (i, site) in map.expressions().iter().enumerate() {
        cx.item_sites.entry(site.item).or_default().push(i);
    }
    for w in &doc.workflows {
        let wf = cx.workflow(w);
        cx.program.workflows.push(wf);
    }
    for a in &doc.actions {
        let act = cx.action(a);
        cx.program.actions.push(act);
    }
    let mut program = cx.program;
    if level == OptLevel::O1 {
        opt::run_all(&mut program);
    }
    program
}

struct Lower<'a> {
    program: Program,
    sites: HashMap<&'a str, (u32, &'a gale_syntax::OffsetMap)>,
    lines: LineIndex,
    text: &'a str,
    /// `exprs` entries by (text, line, column): one per place written.
    yaql_cache: HashMap<(String, u32, u32), u32>,
    /// Compiled YAQL modules (or the compile error) by text.
    yaql_modules: HashMap<String, (Option<u32>, Option<String>)>,
    /// How many times each text was lowered in each item (see `position`).
    occurrences: HashMap<(Option<hir::Item>, String), usize>,
    source_map: &'a hir::SourceMap,
    /// Expression sites by item (for inline parameters' positions).
    item_sites: HashMap<hir::Item, Vec<usize>>,
    /// The item being lowered.
    current_item: Option<hir::Item>,
    /// Task name → index in the workflow being lowered.
    task_index: HashMap<String, usize>,
}

/// A HIR value as JSON (what Mistral's YAML loader gives, JSON-serialised).
pub fn value_json(v: &hir::Value) -> Json {
    match v {
        hir::Value::Null => Json::Null,
        hir::Value::Bool(b) => Json::Bool(*b),
        hir::Value::Int(i) => match i64::try_from(*i) {
            Ok(i) => Json::from(i),
            Err(_) => match u64::try_from(*i) {
                Ok(u) => Json::from(u),
                Err(_) => Json::String(i.to_string()),
            },
        },
        hir::Value::BigInt(d) => Json::String(d.clone()),
        hir::Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        hir::Value::Str(s) | hir::Value::Timestamp(s) => Json::String(s.clone()),
        hir::Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        hir::Value::Map(entries) => {
            let mut m = serde_json::Map::new();
            for (k, v) in entries {
                m.insert(key_text(k), value_json(v));
            }
            Json::Object(m)
        }
    }
}

fn key_text(k: &hir::Value) -> String {
    match k {
        hir::Value::Str(s) | hir::Value::Timestamp(s) => s.clone(),
        hir::Value::Null => "null".into(),
        hir::Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        other => match value_json(other) {
            Json::String(s) => s,
            j => j.to_string(),
        },
    }
}

/// Compiles one YAQL text (already trimmed) to a module.
pub fn compile_yaql_module(text: &str) -> Result<gale_bytecode::Module, String> {
    let parsed = gale_expr::yaql::parse_with(text, gale_expr::yaql::Options::MISTRAL);
    let Some(expr) = parsed.expr.filter(|_| parsed.errors.is_empty()) else {
        return Err(parsed
            .errors
            .first()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "Parse error".into()));
    };
    crate::compile(&expr, crate::Options::MISTRAL).map_err(|e| e.message)
}

impl<'a> Lower<'a> {
    /// Where the expression at byte `at` of string `whole` is in the source. The
    /// same text may be written at several places: the sites of the item being
    /// lowered come first, the n-th lowering of a text in an item taking its n-th
    /// site (lowering follows the source order within an item), so that the
    /// trace and error positions name the place each one was written.
    fn position(&mut self, whole: &str, at: usize) -> (u32, u32) {
        let sites = self.source_map.expressions();
        let local: Vec<usize> = self
            .current_item
            .and_then(|item| self.item_sites.get(&item))
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|&i| sites.get(i).is_some_and(|s| s.text == whole))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(&last) = local.last() {
            let seen = self
                .occurrences
                .entry((self.current_item, whole.to_string()))
                .or_insert(0);
            let site = local.get(*seen).copied().unwrap_or(last);
            *seen += 1;
            if let Some(s) = sites.get(site) {
                let src = s.offsets.to_source(at as u32);
                let lc = self.lines.line_col(self.text, src);
                return (lc.line + 1, lc.col + 1);
            }
        }
        let found = self.sites.get(whole).map(|(_, o)| (*o, 0)).or_else(|| {
            // Inline parameters (`action: std.echo output=<% … %>`): the value is a
            // part of the scalar.
            let sites = self.source_map.expressions();
            self.item_sites
                .get(&self.current_item?)?
                .iter()
                .filter_map(|i| sites.get(*i))
                .find_map(|s| s.text.find(whole).map(|i| (&s.offsets, i)))
        });
        match found {
            Some((offsets, base)) => {
                let src = offsets.to_source((base + at) as u32);
                let lc = self.lines.line_col(self.text, src);
                (lc.line + 1, lc.col + 1)
            }
            None => (0, 0),
        }
    }

    /// One YAQL expression: an entry of `exprs` per place it is written (its
    /// position, and its place in the trace), the compiled module shared by
    /// every place with the same text.
    fn yaql(&mut self, whole: &str, outer_start: usize, inner: &str) -> u32 {
        let trimmed = inner.trim();
        let (line, column) = self.position(whole, outer_start);
        let key = (trimmed.to_string(), line, column);
        if let Some(i) = self.yaql_cache.get(&key) {
            return *i;
        }
        let (module, error) = match self.yaql_modules.get(trimmed) {
            Some(compiled) => compiled.clone(),
            None => {
                let compiled = match compile_yaql_module(trimmed) {
                    Ok(m) => {
                        self.program.modules.push(m);
                        (Some((self.program.modules.len() - 1) as u32), None)
                    }
                    Err(e) => (None, Some(e)),
                };
                self.yaql_modules
                    .insert(trimmed.to_string(), compiled.clone());
                compiled
            }
        };
        self.program.exprs.push(ExprInfo {
            text: trimmed.to_string(),
            line,
            column,
            module,
            error,
        });
        let id = (self.program.exprs.len() - 1) as u32;
        self.yaql_cache.insert(key, id);
        id
    }

    /// A string as Mistral evaluates it.
    fn string(&mut self, s: &str) -> Template {
        match gale_expr::detect(s) {
            None => Template::Lit(Json::String(s.to_string())),
            Some(gale_expr::Lang::Jinja) => {
                let (line, column) = self.position(s, 0);
                let (module, error) = match crate::jinja_compile::compile_mistral(s) {
                    Ok(m) => {
                        self.program.modules.push(m);
                        (Some((self.program.modules.len() - 1) as u32), None)
                    }
                    Err(e) => (None, Some(e.message)),
                };
                self.program.jinja.push(ExprInfo {
                    text: s.to_string(),
                    line,
                    column,
                    module,
                    error,
                });
                Template::Jinja((self.program.jinja.len() - 1) as u32)
            }
            Some(gale_expr::Lang::Yaql) => {
                let segs = gale_expr::segments::yaql_expressions(s);
                if let [(outer, inner)] = segs.as_slice()
                    && outer.start == 0
                    && outer.end == s.len()
                {
                    let inner_text = s.get(inner.clone()).unwrap_or("");
                    return Template::Yaql(self.yaql(s, outer.start, inner_text));
                }
                let mut pieces = Vec::new();
                let mut pos = 0;
                for (outer, inner) in segs {
                    if outer.start > pos {
                        pieces.push(Piece::Text(s.get(pos..outer.start).unwrap_or("").into()));
                    }
                    let inner_text = s.get(inner).unwrap_or("");
                    pieces.push(Piece::Yaql(self.yaql(s, outer.start, inner_text)));
                    pos = outer.end;
                }
                if pos < s.len() {
                    pieces.push(Piece::Text(s.get(pos..).unwrap_or("").into()));
                }
                Template::Interp(pieces)
            }
        }
    }

    fn value(&mut self, v: &hir::Value) -> Template {
        match v {
            hir::Value::Str(s) => self.string(s),
            hir::Value::List(items) => {
                let t: Vec<Template> = items.iter().map(|i| self.value(i)).collect();
                Template::List(t)
            }
            hir::Value::Map(entries) => {
                let mut out: Vec<(String, Template)> = Vec::new();
                for (k, v) in entries {
                    let key = key_text(k);
                    let t = self.value(v);
                    if let Some(slot) = out.iter_mut().find(|(n, _)| *n == key) {
                        slot.1 = t;
                    } else {
                        out.push((key, t));
                    }
                }
                Template::Dict(out)
            }
            other => Template::Lit(value_json(other)),
        }
    }

    fn data_map(&mut self, m: &hir::DataMap) -> Template {
        let mut out: Vec<(String, Template)> = Vec::new();
        for (k, v) in m {
            let t = self.value(v);
            if let Some(slot) = out.iter_mut().find(|(n, _)| n == k) {
                slot.1 = t;
            } else {
                out.push((k.clone(), t));
            }
        }
        Template::Dict(out)
    }

    fn int_or_expr(&mut self, v: &hir::IntOrExpr) -> Template {
        match v {
            hir::IntOrExpr::Int(i) => Template::Lit(Json::from(*i)),
            hir::IntOrExpr::Expr(s) => self.string(s),
        }
    }

    fn bool_or_expr(&mut self, v: &hir::BoolOrExpr) -> Template {
        match v {
            hir::BoolOrExpr::Bool(b) => Template::Lit(Json::Bool(*b)),
            hir::BoolOrExpr::Expr(s) => self.string(s),
        }
    }

    fn policies(&mut self, own: &hir::Policies, defaults: Option<&hir::Policies>) -> Policies {
        let d = defaults.cloned().unwrap_or_default();
        let pick_int = |a: &Option<hir::IntOrExpr>, b: &Option<hir::IntOrExpr>| {
            a.clone().or_else(|| b.clone())
        };
        let pick_bool = |a: &Option<hir::BoolOrExpr>, b: &Option<hir::BoolOrExpr>| {
            a.clone().or_else(|| b.clone())
        };
        let retry = own.retry.clone().or(d.retry.clone());
        let wait_before = pick_int(&own.wait_before, &d.wait_before);
        let wait_after = pick_int(&own.wait_after, &d.wait_after);
        let timeout = pick_int(&own.timeout, &d.timeout);
        let concurrency = pick_int(&own.concurrency, &d.concurrency);
        let pause_before = pick_bool(&own.pause_before, &d.pause_before);
        let fail_on = pick_bool(&own.fail_on, &d.fail_on);
        Policies {
            retry: retry.map(|r| Retry {
                count: self.int_or_expr(&r.count),
                delay: self.int_or_expr(&r.delay),
                break_on: r.break_on.as_deref().map(|s| self.string(s)),
                continue_on: r.continue_on.as_deref().map(|s| self.string(s)),
            }),
            wait_before: wait_before.map(|v| self.int_or_expr(&v)),
            wait_after: wait_after.map(|v| self.int_or_expr(&v)),
            timeout: timeout.map(|v| self.int_or_expr(&v)),
            pause_before: pause_before.map(|v| self.bool_or_expr(&v)),
            concurrency: concurrency.map(|v| self.int_or_expr(&v)),
            fail_on: fail_on.map(|v| self.bool_or_expr(&v)),
        }
    }

    fn clause(&mut self, w: &hir::Workflow, t: &hir::Task, kind: hir::ClauseKind) -> Clause {
        // Mistral's `DirectWorkflowTaskSpec.get_publish` reads only the task's own
        // clauses: a `task-defaults` clause lends its entries (`get_on_*_clause`),
        // never its `publish`.
        let publish = t.clause(kind).and_then(|c| c.publish.as_ref());
        let publish = publish.map(|p| ClausePublish {
            branch: p.branch.as_ref().map(|m| self.data_map(m)),
            global: p.global.as_ref().map(|m| self.data_map(m)),
            atomic: p.atomic.as_ref().map(|m| self.data_map(m)),
        });
        // The entries exactly as Mistral reads them (`gale_hir` models it): a clause
        // written as one mapping `{t2: <% … %>}` has none (`Clause::ignored`), so the
        // `task-defaults` entries apply; a guard written as a mapping under `next`
        // is dropped (`Transition::ignored_guard`), so that entry always fires.
        let mut next = Vec::new();
        for e in w.effective_clause(t, kind) {
            let command = e.command.map(|c| match c {
                hir::EngineCommand::Noop => EngineCommand::Noop,
                hir::EngineCommand::Fail => EngineCommand::Fail,
                hir::EngineCommand::Succeed => EngineCommand::Succeed,
                hir::EngineCommand::Pause => EngineCommand::Pause,
            });
            let task = if command.is_none() {
                self.task_index.get(e.target.as_str()).map(|i| *i as u32)
            } else {
                None
            };
            let guard = e.guard.as_deref().map(|g| self.string(g));
            let params = self.data_map(&e.params);
            next.push(Transition {
                target: e.target.clone(),
                command,
                task,
                guard,
                params,
            });
        }
        Clause { publish, next }
    }

    fn task(&mut self, w: &hir::Workflow, t: &hir::Task) -> Task {
        self.current_item = Some(hir::Item::Task(t.id));
        let defaults = w.task_defaults.as_ref();
        let call_kind = match t.call.kind {
            hir::CallKind::Action => CallKind::Action,
            hir::CallKind::Workflow => CallKind::Workflow,
        };
        let call = self.string(&t.call.name);
        let input = match &t.input {
            hir::TaskInput::None if t.call.inline.is_empty() => TaskInput::None,
            hir::TaskInput::None => TaskInput::Map(self.data_map(&t.call.inline)),
            hir::TaskInput::Map(m) => {
                let mut merged = m.clone();
                for (k, v) in &t.call.inline {
                    if let Some(slot) = merged.iter_mut().find(|(n, _)| n == k) {
                        slot.1 = v.clone();
                    } else {
                        merged.push((k.clone(), v.clone()));
                    }
                }
                TaskInput::Map(self.data_map(&merged))
            }
            hir::TaskInput::Expression(s) => TaskInput::Expr(self.string(s)),
        };
        let with_items = t
            .with_items
            .iter()
            .map(|wi| {
                let c = match &wi.collection {
                    hir::Collection::Expression(s) => self.string(s),
                    hir::Collection::List(items) => {
                        let l = hir::Value::List(items.clone());
                        self.value(&l)
                    }
                };
                (wi.var.clone(), c)
            })
            .collect();
        let publish = t.publish.as_ref().map(|m| self.data_map(m));
        let publish_on_error = t.publish_on_error.as_ref().map(|m| self.data_map(m));
        let policies = self.policies(&t.policies, defaults.map(|d| &d.policies));
        let keep_result = self.bool_or_expr(&t.keep_result);
        let safe_rerun = t
            .safe_rerun
            .as_ref()
            .or(defaults.and_then(|d| d.safe_rerun.as_ref()))
            .map(|v| self.bool_or_expr(v));
        let join = t.join.map(|j| match j {
            hir::Join::All => Join::All,
            hir::Join::Count(n) => Join::Count(n),
        });
        let on_success = self.clause(w, t, hir::ClauseKind::OnSuccess);
        let on_error = self.clause(w, t, hir::ClauseKind::OnError);
        let on_complete = self.clause(w, t, hir::ClauseKind::OnComplete);
        let mut requires = t.requires.clone();
        if let Some(d) = defaults {
            for r in &d.requires {
                if !requires.contains(r) && *r != t.name {
                    requires.push(r.clone());
                }
            }
        }
        Task {
            name: t.name.clone(),
            call_kind,
            call,
            action_literal: Some(t.call.name.clone()),
            input,
            with_items,
            publish,
            publish_on_error,
            policies,
            keep_result,
            safe_rerun,
            join,
            on_success,
            on_error,
            on_complete,
            inbound: Vec::new(),
            requires,
        }
    }

    fn params(&mut self, ps: &[hir::Parameter]) -> Vec<Param> {
        let mut out: Vec<Param> = Vec::new();
        for p in ps {
            let param = Param {
                name: p.name.clone(),
                default: p.default.as_ref().map(value_json),
            };
            if let Some(slot) = out.iter_mut().find(|x| x.name == p.name) {
                *slot = param;
            } else {
                out.push(param);
            }
        }
        out
    }

    fn workflow(&mut self, w: &hir::Workflow) -> Workflow {
        self.task_index.clear();
        for (i, t) in w.tasks.iter().enumerate() {
            self.task_index.entry(t.name.clone()).or_insert(i);
        }
        let mut tasks: Vec<Task> = w.tasks.iter().map(|t| self.task(w, t)).collect();
        // Inbound tasks (Mistral's `find_inbound_task_specs`): tasks with a transition
        // (in any clause) to this one.
        let n = tasks.len();
        let mut inbound: Vec<Vec<u32>> = vec![Vec::new(); n];
        let names: Vec<String> = tasks.iter().map(|t| t.name.clone()).collect();
        for (i, t) in tasks.iter().enumerate() {
            let mut seen = Vec::new();
            for c in [&t.on_success, &t.on_error, &t.on_complete] {
                for tr in &c.next {
                    // Mistral finds inbound tasks by name: a task called like an
                    // engine command (`fail`) counts as targeted.
                    let target = tr.task.or_else(|| {
                        names
                            .iter()
                            .position(|n| **n == tr.target)
                            .map(|i| i as u32)
                    });
                    if let Some(x) = target
                        && !seen.contains(&x)
                    {
                        seen.push(x);
                        if let Some(slot) = inbound.get_mut(x as usize) {
                            slot.push(i as u32);
                        }
                    }
                }
            }
        }
        for (t, inb) in tasks.iter_mut().zip(inbound) {
            t.inbound = inb;
        }
        let start_tasks = tasks
            .iter()
            .enumerate()
            .filter(|(_, t)| t.inbound.is_empty())
            .map(|(i, _)| i as u32)
            .collect();
        // `output`, `output-on-error`, `vars` are the workflow's own fields.
        self.current_item = Some(hir::Item::Workflow(w.id));
        Workflow {
            name: w.name.clone(),
            kind: match w.kind {
                hir::WorkflowType::Direct => WorkflowKind::Direct,
                hir::WorkflowType::Reverse => WorkflowKind::Reverse,
            },
            input: self.params(&w.input),
            output: w.output.as_ref().map(|m| self.data_map(m)),
            output_on_error: w.output_on_error.as_ref().map(|m| self.data_map(m)),
            vars: w.vars.as_ref().map(|m| self.data_map(m)),
            tasks,
            start_tasks,
        }
    }

    fn action(&mut self, a: &hir::Action) -> AdhocAction {
        self.current_item = Some(hir::Item::Action(a.id));
        let definition = self.definition_text(a);
        AdhocAction {
            name: a.name.clone(),
            base: a.base.clone(),
            base_input: self.data_map(&a.base_input),
            input: self.params(&a.input),
            output: a.output.as_ref().map(|o| self.value(o)),
            definition,
        }
    }

    /// The action's source text, dedented (what Mistral prints as `definition=`).
    fn definition_text(&self, a: &hir::Action) -> String {
        let fallback = || format!("{}:\n  base: {}\n", a.name, a.base);
        let Some(spans) = self.source_map.item(hir::Item::Action(a.id)) else {
            return fallback();
        };
        let start = spans.name.start;
        let end = spans.body.end as usize;
        let line_start = self.lines.line_start(self.lines.line_of(start)) as usize;
        let indent = start as usize - line_start;
        let Some(src) = self.text.get(line_start..end) else {
            return fallback();
        };
        let mut out = String::new();
        for line in src.trim_end().lines() {
            let cut = line
                .char_indices()
                .nth(indent)
                .map(|(i, _)| i)
                .unwrap_or(line.len());
            let head = &line[..cut];
            if head.trim().is_empty() {
                out.push_str(&line[cut..]);
            } else {
                out.push_str(line.trim_start());
            }
            out.push('\n');
        }
        out
    }
}

/// Parses, validates (Mistral's definition-time checks) and lowers a document.
/// `Err` carries the first definition error.
pub fn compile_source(text: &str, level: OptLevel) -> Result<Program, String> {
    let parsed = gale_syntax::parse(text);
    if let Some(d) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == gale_diagnostics::Severity::Error)
    {
        return Err(d.message.clone());
    }
    let lowered = hir::lower(parsed.root.as_ref(), text);
    if let Some(d) = lowered
        .diagnostics
        .iter()
        .find(|d| d.severity == gale_diagnostics::Severity::Error)
    {
        return Err(d.message.clone());
    }
    let Some(doc) = lowered.document else {
        return Err("not a Mistral document".into());
    };
    Ok(lower_document(&doc, &lowered.source_map, text, level))
}

/// Lowers a JSON value given at run time (the `env` start parameter) to a template
/// of `program`, compiling its expressions into the program's tables.
pub fn add_json_template(program: &mut Program, value: &Json) -> Template {
    let map = hir::SourceMap::default();
    let mut cx = Lower {
        program: std::mem::take(program),
        sites: HashMap::new(),
        lines: LineIndex::new(""),
        text: "",
        yaql_cache: HashMap::new(),
        yaql_modules: HashMap::new(),
        occurrences: HashMap::new(),
        source_map: &map,
        item_sites: HashMap::new(),
        current_item: None,
        task_index: HashMap::new(),
    };
    let t = cx.json(value);
    *program = cx.program;
    t
}

impl Lower<'_> {
    fn json(&mut self, j: &Json) -> Template {
        match j {
            Json::String(s) => self.string(s),
            Json::Array(a) => Template::List(a.iter().map(|x| self.json(x)).collect()),
            Json::Object(o) => {
                Template::Dict(o.iter().map(|(k, v)| (k.clone(), self.json(v))).collect())
            }
            other => Template::Lit(other.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{OptLevel, compile_source};

    /// One lowering case: a workflow `wf`, and for each listed task its
    /// `on-success` as `target` / `target?` (guarded) entries, plus whether the
    /// clause keeps a `publish` (`+publish`). Expectations follow Mistral 23
    /// (recorded on the oracle: `testsuite/runtime/cases/transitions/single_mapping_*`,
    /// `next_mapping_guard_dropped`, `task_defaults/default_advanced_publish`).
    /// `(case name, tasks text, [(task, expected on-success)])`.
    type Case = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    const CASES: &[Case] = &[
        (
            "one mapping: no entries",
            "t1:\n      action: std.noop\n      on-success:\n        t2: <% true %>\n    t2:\n      action: std.noop",
            &[("t1", ""), ("t2", "")],
        ),
        (
            "one mapping: task-defaults apply",
            "t1:\n      action: std.noop\n      on-success:\n        t2: <% true %>\n    t2:\n      action: std.noop\n    t3:\n      action: std.noop\n  task-defaults:\n    on-success: [t3, t2]",
            &[("t1", "t3 t2"), ("t2", "t3"), ("t3", "t2")],
        ),
        (
            "guard as a mapping under next is dropped",
            "t1:\n      action: std.noop\n      on-success:\n        next:\n          t2: <% false %>\n    t2:\n      action: std.noop",
            &[("t1", "t2")],
        ),
        (
            "guard in a list is kept",
            "t1:\n      action: std.noop\n      on-success:\n        - t2: <% $.go %>\n    t2:\n      action: std.noop",
            &[("t1", "t2?")],
        ),
        (
            "task-defaults publish is never applied",
            "t1:\n      action: std.noop\n    t2:\n      action: std.noop\n      on-success:\n        publish:\n          branch: {y: 2}\n  task-defaults:\n    on-success:\n      publish:\n        branch: {x: 1}\n      next: [t2]",
            &[("t1", "t2"), ("t2", "+publish")],
        ),
    ];

    #[test]
    fn clause_entries_as_mistral_reads_them() {
        for (name, tasks, expected) in CASES {
            let text = format!("version: '2.0'\nwf:\n  tasks:\n    {tasks}\n");
            for level in [OptLevel::O0, OptLevel::O1] {
                let program = match compile_source(&text, level) {
                    Ok(p) => p,
                    Err(e) => panic!("{name}: {e}\n{text}"),
                };
                let wf = &program.workflows[0];
                for (task, want) in *expected {
                    let Some(t) = wf.tasks.iter().find(|t| t.name == *task) else {
                        panic!("{name}: no task {task}");
                    };
                    let mut got: Vec<String> = t
                        .on_success
                        .next
                        .iter()
                        .map(|e| {
                            format!("{}{}", e.target, if e.guard.is_some() { "?" } else { "" })
                        })
                        .collect();
                    if t.on_success.publish.is_some() {
                        got.push("+publish".into());
                    }
                    assert_eq!(got.join(" "), *want, "{name}: task {task} at {level:?}");
                }
            }
        }
    }
}
