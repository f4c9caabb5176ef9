//! The evaluation front door: text → parse → compile → verify → run, for `gale eval`
//! and the conformance suite.
//!
//! * [`eval_yaql`]: one YAQL expression with data, variables and engine settings.
//! * [`mistral_evaluate`] / [`mistral_evaluate_recursively`]: Mistral's
//!   `expressions.evaluate` rules (yaql.md §7): Jinja is detected first, a string that
//!   is exactly one `<% %>` keeps its type, otherwise each occurrence is replaced by
//!   Python `str()` of its value. Jinja strings go to [`mistral_jinja`] (typed for a
//!   whole `{{ E }}`, rendered text otherwise): compiled by
//!   [`crate::jinja_compile`] and run by `gale_vm::interp` ([`Engine::Bytecode`]), or
//!   the tree-walker [`crate::jinja`] ([`Engine::Reference`]).
//! * [`eval_jinja_expression`]: one Jinja expression, typed.
//! * [`run_case`]: one line of the conformance format (yaql or Mistral case) → the
//!   `gale eval --batch` output object.
//! * [`tagged`]: the conformance value encoding (`$set`, `$tuple`, `$datetime`, …).

use std::rc::Rc;

use gale_vm::interp::{Env, Program};
use gale_vm::{Budget, Ctx, FunctionSet, Value};
use serde_json::{Value as J, json};

/// An evaluation failure: the Python exception class and message (and, for Mistral's
/// wrapper exceptions, the inner class).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// The exception class yaql or Mistral raises.
    pub kind: String,
    /// The message.
    pub message: String,
    /// For `YaqlEvaluationException` and friends: the inner exception class.
    pub cause: Option<String>,
    /// The failing part of the expression: a byte range of the evaluated text (the
    /// whole Mistral string for [`mistral_evaluate`], the expression for
    /// [`eval_yaql`] and [`eval_jinja_expression`]), when known.
    pub span: Option<(u32, u32)>,
}

impl EvalError {
    fn new(kind: &str, message: impl Into<String>) -> EvalError {
        EvalError {
            kind: kind.to_string(),
            message: message.into(),
            cause: None,
            span: None,
        }
    }

    fn at(mut self, span: Option<(u32, u32)>) -> EvalError {
        self.span = span;
        self
    }

    fn shifted(mut self, by: usize) -> EvalError {
        self.span = self.span.map(|(a, b)| (a + by as u32, b + by as u32));
        self
    }
}

fn span_of(s: gale_bytecode::Span) -> (u32, u32) {
    (s.start, s.end)
}

impl From<gale_vm::Error> for EvalError {
    fn from(e: gale_vm::Error) -> EvalError {
        EvalError::new(e.kind().python_name(), e.message())
    }
}

/// Engine settings of one YAQL evaluation.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Grammar (legacy `=>`, delegates).
    pub grammar: gale_expr::yaql::Options,
    /// Function set.
    pub functions: FunctionSet,
    /// Engine options.
    pub options: gale_vm::Options,
    /// Budget.
    pub budget: Budget,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            grammar: gale_expr::yaql::Options::MISTRAL,
            functions: FunctionSet::Std,
            options: gale_vm::Options::mistral(),
            budget: Budget::default(),
        }
    }
}

/// Parses and compiles `text` into a loaded program.
pub fn compile_yaql(text: &str, settings: &Settings) -> Result<Program, EvalError> {
    let parsed = gale_expr::yaql::parse_with(text, settings.grammar);
    let Some(expr) = parsed.expr.filter(|_| parsed.errors.is_empty()) else {
        let (kind, message) = match parsed.errors.first() {
            Some(e) => (
                match e.kind {
                    gale_expr::yaql::ParseErrorKind::Lexical => "YaqlLexicalException",
                    gale_expr::yaql::ParseErrorKind::Grammar => "YaqlGrammarException",
                },
                e.message.clone(),
            ),
            None => ("YaqlGrammarException", "Parse error".to_string()),
        };
        let span = parsed.errors.first().map(|e| (e.span.start, e.span.end));
        return Err(EvalError::new(kind, message).at(span));
    };
    let module = crate::compile(
        &expr,
        crate::Options {
            functions: settings.functions,
            finalize: true,
        },
    )
    .map_err(|e| EvalError::new("YaqlGrammarException", e.message))?;
    Program::load(module).map_err(|e| EvalError::new("VerifyError", e.to_string()))
}

/// A Mistral host answering `env()` from the data context; the database functions
/// fail (no engine behind `gale eval`).
struct DataHost(Value);

fn no_db() -> gale_vm::Error {
    gale_vm::Error::new(
        gale_vm::ErrorKind::MistralError,
        "no workflow execution (gale eval has no database)",
    )
}

impl gale_vm::mistral::MistralContext for DataHost {
    fn env(&self) -> Value {
        self.0.clone()
    }
    fn execution(&self) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn executions(&self, _: &[(&str, Value)]) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn task(&self, _: Option<&str>) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn tasks(&self, _: Option<&str>, _: bool, _: Option<&str>, _: bool) -> gale_vm::Result<Value> {
        Err(no_db())
    }
    fn global(&self, _: &str) -> gale_vm::Result<Value> {
        Err(no_db())
    }
}

/// Mistral's `yaml_parse` loader (`mistral.utils.safe_yaml`: PyYAML's SafeLoader with
/// `&`, `*` and a leading `@` read as plain text), through `gale_syntax`, which ports
/// that loader. Installed in every [`Ctx`] this module creates.
pub fn load_yaml(text: &str) -> gale_vm::Result<Value> {
    let parsed = gale_syntax::parse(text);
    if let Some(d) = parsed
        .diagnostics
        .iter()
        .find(|d| d.severity == gale_diagnostics::Severity::Error)
    {
        let kind = if d.message.contains("while scanning") || d.code != "yaml-syntax" {
            gale_vm::ErrorKind::YamlScannerError
        } else {
            gale_vm::ErrorKind::YamlParserError
        };
        return Err(gale_vm::Error::new(kind, d.message.clone()));
    }
    Ok(match &parsed.root {
        Some(root) => yaml_value(root),
        None => Value::Null,
    })
}

fn yaml_value(node: &gale_syntax::Node) -> Value {
    use gale_syntax::{IntValue, NodeKind, ScalarValue};
    match &node.kind {
        NodeKind::Scalar(s) => match &s.value {
            ScalarValue::Null => Value::Null,
            ScalarValue::Bool(b) => Value::Bool(*b),
            ScalarValue::Int(IntValue::Small(i)) => match i64::try_from(*i) {
                Ok(i) => Value::Int(i),
                Err(_) => Value::from_bigint(num_bigint::BigInt::from(*i)),
            },
            ScalarValue::Int(IntValue::Big(digits)) => digits
                .parse::<num_bigint::BigInt>()
                .map(Value::from_bigint)
                .unwrap_or_else(|_| Value::str(digits.as_str())),
            ScalarValue::Float(f) => Value::Float(*f),
            ScalarValue::Timestamp(t) => Value::str(t.as_str()),
            ScalarValue::Str => Value::str(s.text.as_str()),
        },
        NodeKind::Sequence(seq) => Value::list(seq.items.iter().map(yaml_value).collect()),
        NodeKind::Mapping(m) => {
            let mut d = gale_vm::value::Dict::new();
            for e in &m.entries {
                let k = yaml_value(&e.key);
                // An unhashable key is a ConstructorError in PyYAML; keep its text.
                let k = if gale_vm::value::check_hashable(&k).is_ok() {
                    k
                } else {
                    Value::str(gale_vm::pyfmt::repr(&k))
                };
                let _ = d.insert(k, yaml_value(&e.value));
            }
            Value::dict(d)
        }
    }
}

/// Which evaluator runs YAQL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Compiled to bytecode, run by `gale_vm::interp` (the runtime).
    #[default]
    Bytecode,
    /// The reference tree-walker ([`crate::reference`]).
    Reference,
}

/// Evaluates one YAQL expression: `$` = `data` (already input-converted), plus `vars`.
pub fn eval_yaql(
    text: &str,
    data: Option<Value>,
    vars: Vec<(String, Value)>,
    settings: &Settings,
) -> Result<Value, EvalError> {
    eval_yaql_with(Engine::Bytecode, text, data, vars, settings)
}

/// [`eval_yaql`] with a choice of evaluator.
pub fn eval_yaql_with(
    engine: Engine,
    text: &str,
    data: Option<Value>,
    vars: Vec<(String, Value)>,
    settings: &Settings,
) -> Result<Value, EvalError> {
    let program = compile_yaql(text, settings)?;
    let mut cx = Ctx::new(settings.options.clone(), settings.budget);
    cx.functions = settings.functions;
    cx.yaml_loader = Some(load_yaml);
    let env_of = |d: &Option<Value>, k: &str| match d {
        Some(Value::Dict(m)) => m.get_str(k).cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    cx.mistral = Some(Rc::new(DataHost(env_of(&data, "__env"))));
    match engine {
        Engine::Bytecode => program
            .run(&mut cx, Env::root(data, vars))
            .map_err(|e| EvalError::from(e).at(program.error_span().map(|(_, s)| span_of(s)))),
        Engine::Reference => {
            let parsed = gale_expr::yaql::parse_with(text, settings.grammar);
            let Some(expr) = parsed.expr else {
                return Err(EvalError::new("YaqlGrammarException", "Parse error"));
            };
            let scope = crate::reference::Scope::root(data, vars);
            Ok(crate::reference::evaluate(&mut cx, &scope, &expr)?)
        }
    }
}

/// Mistral's YAQL evaluation of one expression text against a data context.
fn mistral_yaql(engine: Engine, text: &str, context: &J) -> Result<Value, EvalError> {
    let data = tagged::decode(context, true).unwrap_or(Value::Null);
    let mut vars = Vec::new();
    if let Value::Dict(d) = &data {
        for k in ["__env", "__execution", "__task_execution"] {
            vars.push((k.to_string(), d.get_str(k).cloned().unwrap_or(Value::Null)));
        }
    }
    let lead = text.len() - text.trim_start().len();
    eval_yaql_with(engine, text.trim(), Some(data), vars, &Settings::default()).map_err(|e| {
        EvalError {
            kind: "YaqlEvaluationException".into(),
            message: format!(
                "Can not evaluate YAQL expression [expression={}, error={}]",
                text.trim(),
                e.message
            ),
            cause: Some(e.kind),
            span: e.span,
        }
        .shifted(lead)
    })
}

/// `mistral.expressions.evaluate(expr, context)`: Jinja (typed or rendered), typed or
/// interpolated YAQL; other strings unchanged.
pub fn mistral_evaluate(expr: &J, context: &J) -> Result<J, EvalError> {
    mistral_evaluate_with(Engine::Bytecode, expr, context)
}

/// [`mistral_evaluate`] with a choice of evaluator (for YAQL and Jinja alike).
pub fn mistral_evaluate_with(engine: Engine, expr: &J, context: &J) -> Result<J, EvalError> {
    let Some(text) = expr.as_str() else {
        return Ok(expr.clone());
    };
    match gale_expr::detect(text) {
        None => Ok(expr.clone()),
        Some(gale_expr::Lang::Jinja) => mistral_jinja_with(engine, text, context),
        Some(gale_expr::Lang::Yaql) => {
            let mut result = text.to_string();
            for (outer, inner) in gale_expr::segments::yaql_expressions(text) {
                let outer_text = text.get(outer.clone()).unwrap_or("");
                let inner_text = text.get(inner.clone()).unwrap_or("");
                let v = mistral_yaql(engine, inner_text, context)
                    .map_err(|e| e.shifted(inner.start))?;
                if outer_text.len() == text.len() {
                    return tagged::encode(&v).map_err(EvalError::from);
                }
                result = result.replace(outer_text, &gale_vm::pyfmt::py_str(&v));
            }
            Ok(J::String(result))
        }
    }
}

use crate::jinja_compile::first_jinja_variable;

/// One Jinja expression (the body of `{{ … }}`), typed, as Mistral evaluates a
/// whole-string `{{ expr }}` (`gale eval --lang jinja`).
pub fn eval_jinja_expression(expr: &str, context: &J) -> Result<J, EvalError> {
    let span = std::cell::Cell::new(None);
    jinja_with(&format!("{{{{ {expr} }}}}"), context, |cx, data| {
        let module = crate::jinja_compile::compile_expression(expr)
            .map_err(|e| gale_vm::Error::new(gale_vm::ErrorKind::MemoryQuotaExceeded, e.message))?;
        run_jinja_module(cx, module, data, &span)
    })
    .map_err(|e| e.at(span.get()))
}

/// Loads and runs a compiled Jinja module against `data`; the typed result is
/// materialised and encoded.
fn run_jinja_module(
    cx: &mut Ctx,
    module: gale_bytecode::Module,
    data: &Value,
    span: &std::cell::Cell<Option<(u32, u32)>>,
) -> Result<J, gale_vm::Error> {
    let program = Program::load(module)
        .map_err(|e| gale_vm::Error::new(gale_vm::ErrorKind::ValueError, e.to_string()))?;
    let v = gale_vm::interp::run_jinja(&program, cx, data.clone()).inspect_err(|_| {
        span.set(program.error_span().map(|(_, s)| span_of(s)));
    })?;
    let v = gale_vm::jinja::ops::materialize(cx, v)?;
    tagged::encode(&v)
}

fn jinja_with(
    shown: &str,
    context: &J,
    run: impl FnOnce(&mut Ctx, &Value) -> Result<J, gale_vm::Error>,
) -> Result<J, EvalError> {
    let data = tagged::decode(context, false).unwrap_or(Value::Null);
    let mut cx = Ctx::new(gale_vm::Options::mistral(), Budget::default());
    cx.yaml_loader = Some(load_yaml);
    let env = match &data {
        Value::Dict(d) => d.get_str("__env").cloned().unwrap_or(Value::Null),
        _ => Value::Null,
    };
    cx.mistral = Some(Rc::new(DataHost(env)));
    run(&mut cx, &data).map_err(|e| EvalError {
        kind: "JinjaEvaluationException".into(),
        message: format!(
            "Can not evaluate Jinja expression [expression={shown}, error={}]",
            e.message()
        ),
        cause: Some(e.kind().python_name().to_string()),
        span: None,
    })
}

/// Mistral's `InlineJinjaEvaluator.evaluate`: a string that is exactly one `{{ E }}`
/// gives E's typed value; any other string is rendered as a template (text).
pub fn mistral_jinja(text: &str, context: &J) -> Result<J, EvalError> {
    mistral_jinja_with(Engine::Bytecode, text, context)
}

/// [`mistral_jinja`] on the compiled bytecode ([`Engine::Bytecode`],
/// [`crate::jinja_compile::compile_mistral`] run by `gale_vm::interp`) or the
/// tree-walker ([`Engine::Reference`], [`crate::jinja`]).
pub fn mistral_jinja_with(engine: Engine, text: &str, context: &J) -> Result<J, EvalError> {
    if engine == Engine::Bytecode {
        let span = std::cell::Cell::new(None);
        return jinja_with(text, context, |cx, data| {
            let module = crate::jinja_compile::compile_mistral(text).map_err(|e| {
                gale_vm::Error::new(gale_vm::ErrorKind::MemoryQuotaExceeded, e.message)
            })?;
            run_jinja_module(cx, module, data, &span)
        })
        .map_err(|e| e.at(span.get()));
    }
    jinja_with(text, context, |cx, data| match first_jinja_variable(text) {
        // `patterns[0]` on an empty list: a string with only `{% %}` blocks.
        None => Err(gale_vm::Error::index_error("list index out of range")),
        Some((outer, inner)) if outer.len() == text.len() => {
            crate::jinja::evaluate_expression(cx, text.get(inner).unwrap_or(""), data)
                .and_then(|v| materialize(cx, v))
                .and_then(|v| tagged::encode(&v))
        }
        Some(_) => crate::jinja::render(cx, text, data).map(J::String),
    })
}

/// Turns the lazy objects a Jinja expression may return (generators, `range`) into
/// lists and named tuples into tuples, for encoding.
fn materialize(cx: &mut Ctx, v: Value) -> Result<Value, gale_vm::Error> {
    gale_vm::jinja::ops::materialize(cx, v)
}

/// `mistral.expressions.evaluate_recursively(data, context)`.
pub fn mistral_evaluate_recursively(data: &J, context: &J) -> Result<J, EvalError> {
    mistral_evaluate_recursively_with(Engine::Bytecode, data, context)
}

/// [`mistral_evaluate_recursively`] with a choice of evaluator.
pub fn mistral_evaluate_recursively_with(
    engine: Engine,
    data: &J,
    context: &J,
) -> Result<J, EvalError> {
    let empty = match context {
        J::Null => true,
        J::Object(o) => o.is_empty(),
        J::Array(a) => a.is_empty(),
        J::String(s) => s.is_empty(),
        _ => false,
    };
    if empty {
        return Ok(data.clone());
    }
    Ok(match data {
        J::String(_) => mistral_evaluate_with(engine, data, context)?,
        J::Array(items) => J::Array(
            items
                .iter()
                .map(|i| mistral_evaluate_recursively_with(engine, i, context))
                .collect::<Result<_, _>>()?,
        ),
        J::Object(o) => {
            let mut out = serde_json::Map::new();
            for (k, v) in o {
                out.insert(
                    k.clone(),
                    mistral_evaluate_recursively_with(engine, v, context)?,
                );
            }
            J::Object(out)
        }
        other => other.clone(),
    })
}

/// `mistral.expressions.validate(expr)`: null when accepted.
pub fn mistral_validate(expr: &J) -> Result<J, EvalError> {
    let Some(text) = expr.as_str() else {
        return Ok(J::Null);
    };
    match gale_expr::check_string(text).into_iter().next() {
        None => Ok(J::Null),
        Some(e) => {
            let (kind, cause) = match e.kind {
                gale_expr::ExprErrorKind::YaqlSyntax => (
                    "YaqlGrammarException",
                    if e.message.starts_with("Lexical error") {
                        Some("YaqlLexicalException")
                    } else {
                        Some("YaqlGrammarException")
                    },
                ),
                gale_expr::ExprErrorKind::JinjaSyntax => {
                    ("JinjaGrammarException", Some("TemplateSyntaxError"))
                }
                gale_expr::ExprErrorKind::MixedLanguages => ("ExpressionGrammarException", None),
            };
            Err(EvalError {
                kind: kind.into(),
                message: e.message,
                cause: cause.map(str::to_string),
                span: Some((e.range.start, e.range.end)),
            })
        }
    }
}

/// The settings of a yaql conformance case (`engine`, `allow_delegates`, `context`,
/// `options`).
pub fn case_settings(case: &J) -> Settings {
    let mut s = Settings {
        budget: Budget {
            steps: 20_000_000,
            memory: 256 * 1024 * 1024,
        },
        ..Settings::default()
    };
    s.grammar.legacy = case["engine"] == "legacy";
    s.grammar.allow_delegates = case["allow_delegates"].as_bool().unwrap_or(false);
    s.functions = case["context"]
        .as_str()
        .and_then(FunctionSet::from_name)
        .unwrap_or(FunctionSet::Std);
    let o = &case["options"];
    s.options = gale_vm::Options {
        limit_iterators: o["yaql.limitIterators"].as_i64().unwrap_or(-1),
        convert_tuples_to_lists: o["yaql.convertTuplesToLists"].as_bool().unwrap_or(true),
        convert_sets_to_lists: o["yaql.convertSetsToLists"].as_bool().unwrap_or(false),
        iterable_dicts: o["yaql.iterableDicts"].as_bool().unwrap_or(false),
    };
    s
}

/// Evaluates a yaql conformance case (its `expr`, `data`, `vars`, `shared_iterators`).
pub fn eval_yaql_case(case: &J) -> Result<Value, EvalError> {
    eval_yaql_case_with(Engine::Bytecode, case)
}

/// [`eval_yaql_case`] with a choice of evaluator.
pub fn eval_yaql_case_with(engine: Engine, case: &J) -> Result<Value, EvalError> {
    let settings = case_settings(case);
    let text = case["expr"].as_str().unwrap_or("");
    let bad = || EvalError::new("ValueError", "undecodable data");
    let data = match case.get("data") {
        Some(d) => Some(tagged::decode(d, true).ok_or_else(bad)?),
        None => None,
    };
    let mut vars: Vec<(String, Value)> = Vec::new();
    if let Some(J::Object(o)) = case.get("vars") {
        for (k, v) in o {
            vars.push((k.clone(), tagged::decode(v, false).ok_or_else(bad)?));
        }
    }
    let mut data = data;
    if let Some(J::Array(groups)) = case.get("shared_iterators") {
        for g in groups {
            let names: Vec<&str> = g
                .as_array()
                .map(|a| a.iter().filter_map(J::as_str).collect())
                .unwrap_or_default();
            let Some(first) = names.first() else { continue };
            let get = |n: &str, data: &Option<Value>, vars: &[(String, Value)]| {
                if n == "1" {
                    data.clone()
                } else {
                    vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
                }
            };
            let Some(shared) = get(first, &data, &vars) else {
                continue;
            };
            for n in &names[1..] {
                if *n == "1" {
                    data = Some(shared.clone());
                } else if let Some(slot) = vars.iter_mut().find(|(k, _)| k == n) {
                    slot.1 = shared.clone();
                }
            }
        }
    }
    eval_yaql_with(engine, text, data, vars, &settings)
}

fn error_json(id: &J, e: &EvalError) -> J {
    let mut err = json!({"kind": e.kind, "message": e.message});
    if let Some(c) = &e.cause {
        err["cause"] = J::String(c.clone());
    }
    json!({"id": id, "error": err})
}

/// Runs one conformance case (either file's format) → the batch output object
/// `{"id":…,"value":…}` or `{"id":…,"error":{"kind":…,"message":…}}`.
pub fn run_case(case: &J) -> J {
    run_case_with(Engine::Bytecode, case)
}

/// [`run_case`] with a choice of evaluator: bytecode or tree-walkers, for YAQL and
/// Jinja alike.
pub fn run_case_with(engine: Engine, case: &J) -> J {
    let id = case.get("id").cloned().unwrap_or(J::Null);
    let result: Result<J, EvalError> = match case.get("mode").and_then(J::as_str) {
        Some("evaluate") => mistral_evaluate_with(engine, &case["expr"], &case["context"]),
        Some("evaluate_recursively") => {
            mistral_evaluate_recursively_with(engine, &case["input"], &case["context"])
        }
        Some("validate") => mistral_validate(&case["expr"]),
        Some(other) => Err(EvalError::new(
            "ValueError",
            format!("unknown mode {other:?}"),
        )),
        None => eval_yaql_case_with(engine, case)
            .and_then(|v| tagged::encode(&v).map_err(EvalError::from)),
    };
    match result {
        Ok(v) => json!({"id": id, "value": v}),
        Err(e) => error_json(&id, &e),
    }
}

/// The conformance value encoding (README "Value encoding"), kept in `gale_vm` so
/// the runtime's own tests decode cases with the same code.
pub use gale_vm::tagged;
