//! Template evaluation: Mistral's `evaluate_recursively` over the workflow IR, on
//! `gale_vm` values, against a data context built like Mistral's `ContextView`.
//!
//! State is kept as JSON (what Mistral stores in its database); a context view is a
//! list of JSON objects in priority order, materialised into one `gale_vm` dict per
//! evaluation (yaql's input conversion: arrays become tuples). Results are
//! finalised (`#finalize`) and converted back to JSON.

use std::rc::Rc;

use gale_bytecode::workflow::{Piece, Program, Template};
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
    let v = gale_vm::convert::output(cx, v)?;
    gale_vm::convert::to_json(&v)
}

impl Evaluator {
    fn ctx(&self, host: &Rc<dyn MistralContext>) -> Ctx {
        let mut cx = Ctx::new(gale_vm::Options::mistral(), Budget::default());
        cx.mistral = Some(host.clone());
        cx.yaml_loader = self.yaml_loader;
        cx
    }

    fn yaql(
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
/// `keys`/`items`/`values`/`get`), not a dict: errors about the root name it so.
fn context_view_message(message: &str, text: &str, context: &Json) -> String {
    const DICT: &str = "'dict object' has no attribute '";
    if let Some(rest) = message.strip_prefix(DICT) {
        let name = rest.trim_end_matches('\'');
        if context.get(name).is_none() {
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
