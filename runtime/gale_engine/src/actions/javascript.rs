//! `std.javascript` / `std.js`: runs a script on an embedded QuickJS engine
//! (`rquickjs`), with a time limit, a memory limit and a stack limit
//! (`mistral/actions/std_actions.py JavaScriptAction`, `mistral/utils/javascript.py`).
//!
//! Mistral's semantics: the script is the body of a function that is called at
//! once (`function f() { <script> } f()`), so it must `return` its value; the
//! task's `context` is bound to the global `$`; the result is the returned value
//! as JSON (`undefined`, functions → `null`); any error fails the action with
//! `JavaScriptAction failed: <error>`.
//!
//! Differences: Mistral evaluates `$ = <JSON of context>` as code, so a `null`
//! context becomes the invalid `$ = None` and fails; Gale binds `$` to `null`.
//! Error texts are QuickJS's (`ReferenceError: x is not defined`), not V8's.
//!
//! Without the `javascript` cargo feature the action fails like Mistral without a
//! JavaScript library: `JavaScriptAction failed: … not available …`.

use std::time::Duration;

use serde_json::Value as Json;

use super::builtin::{StdInput, cancelled, std_input};
use super::python;
use super::{Action, ActionOutcome, ActionRequest};

/// Limits of one script run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsConfig {
    /// Longest run (the task's `timeout` also applies); `None` = no limit.
    pub time_limit: Option<Duration>,
    /// Largest heap of the JavaScript runtime, bytes.
    pub memory_limit: usize,
    /// Largest JavaScript stack, bytes (deep recursion fails instead of crashing).
    pub max_stack_size: usize,
}

impl Default for JsConfig {
    /// 30 s, 64 MiB heap, 1 MiB stack.
    fn default() -> JsConfig {
        JsConfig {
            time_limit: Some(Duration::from_secs(30)),
            memory_limit: 64 << 20,
            max_stack_size: 1 << 20,
        }
    }
}

/// `std.javascript` (also registered as `std.js`).
#[derive(Clone, Debug, Default)]
pub struct JavaScript {
    config: JsConfig,
}

impl JavaScript {
    /// The action with `config`.
    pub fn new(config: JsConfig) -> JavaScript {
        JavaScript { config }
    }
}

/// How a script run ended.
#[derive(Debug, PartialEq)]
pub enum JsOutcome {
    /// The returned value as JSON.
    Value(Json),
    /// The script threw, or could not be compiled: the error text.
    Error(String),
    /// Stopped at the time limit.
    TimedOut(Duration),
    /// Stopped because the engine cancelled the action.
    Cancelled,
}

impl Action for JavaScript {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let name = if request.action == "std.js" {
            "std.js"
        } else {
            "std.javascript"
        };
        let input = std_input!(request, name);
        let repr = input.object_repr(request);
        let script = python::py_str(input.get("script"));
        let limit = match (self.config.time_limit, request.timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let config = JsConfig {
            time_limit: limit,
            ..self.config.clone()
        };
        let fail =
            |msg: &str| python::raised(request, &repr, &format!("JavaScriptAction failed: {msg}"));
        match evaluate(&script, input.get("context"), &config, &request.cancel) {
            JsOutcome::Value(v) => ActionOutcome::Success(v),
            JsOutcome::Error(e) => fail(&e),
            JsOutcome::TimedOut(t) => fail(&format!(
                "the script ran longer than {} seconds",
                python::py_float_repr(t.as_secs_f64())
            )),
            JsOutcome::Cancelled => cancelled(request),
        }
    }
}

/// Mistral's wrapping of the script.
fn wrap(script: &str) -> String {
    format!("function f() {{\n{script}\n}}\nf()\n")
}

#[cfg(feature = "javascript")]
/// Runs `script` (a function body) with `context` as `$`, on a dedicated thread
/// with its own QuickJS runtime.
pub fn evaluate(
    script: &str,
    context: &Json,
    config: &JsConfig,
    cancel: &super::CancelFlag,
) -> JsOutcome {
    let source = wrap(script);
    let context = context.to_string();
    let config = config.clone();
    let cancel = cancel.clone();
    let worker = std::thread::Builder::new()
        .name("gale-std-javascript".into())
        // Room for QuickJS's own stack limit plus Rust frames.
        .stack_size(config.max_stack_size + (8 << 20))
        .spawn(move || run_quickjs(&source, &context, &config, &cancel));
    match worker {
        Ok(handle) => handle
            .join()
            .unwrap_or_else(|_| JsOutcome::Error("the JavaScript engine crashed".into())),
        Err(e) => JsOutcome::Error(format!("cannot start the JavaScript engine: {e}")),
    }
}

#[cfg(feature = "javascript")]
fn run_quickjs(
    source: &str,
    context: &str,
    config: &JsConfig,
    cancel: &super::CancelFlag,
) -> JsOutcome {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::time::Instant;

    use rquickjs::{Context, Runtime, Value};

    let runtime = match Runtime::new() {
        Ok(r) => r,
        Err(e) => return JsOutcome::Error(e.to_string()),
    };
    runtime.set_memory_limit(config.memory_limit);
    runtime.set_max_stack_size(config.max_stack_size);
    // 0 = running, 1 = timed out, 2 = cancelled.
    let stop = Arc::new(AtomicU8::new(0));
    let deadline = config.time_limit.map(|t| Instant::now() + t);
    {
        let stop = Arc::clone(&stop);
        let cancel = cancel.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            if cancel.is_cancelled() {
                stop.store(2, Ordering::Relaxed);
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                stop.store(1, Ordering::Relaxed);
                return true;
            }
            false
        })));
    }
    let ctx = match Context::full(&runtime) {
        Ok(c) => c,
        Err(e) => return JsOutcome::Error(e.to_string()),
    };
    let memory_limit = config.memory_limit;
    let outcome = ctx.with(|ctx| {
        let error_text = |ctx: &rquickjs::Ctx<'_>, e: rquickjs::Error| -> String {
            if matches!(e, rquickjs::Error::Exception) {
                let thrown = ctx.catch();
                if let Some(ex) = thrown.as_exception() {
                    let name: Option<String> = ex.get("name").ok();
                    let message = ex.message().unwrap_or_default();
                    return match name {
                        Some(n) if !n.is_empty() => format!("{n}: {message}"),
                        _ => message,
                    };
                }
                if thrown.is_null() {
                    // QuickJS throws `null` when it cannot even allocate the error.
                    return format!(
                        "InternalError: out of memory (limit {memory_limit} bytes), or the script threw null"
                    );
                }
                return ctx
                    .json_stringify(thrown)
                    .ok()
                    .flatten()
                    .and_then(|s| s.to_string().ok())
                    .unwrap_or_else(|| "uncaught exception".into());
            }
            e.to_string()
        };
        let value = match ctx.json_parse(context) {
            Ok(v) => v,
            Err(e) => return Err(error_text(&ctx, e)),
        };
        if let Err(e) = ctx.globals().set("$", value) {
            return Err(error_text(&ctx, e));
        }
        let result: Value = match ctx.eval(source) {
            Ok(v) => v,
            Err(e) => return Err(error_text(&ctx, e)),
        };
        if result.is_undefined() || result.is_function() {
            return Ok(Json::Null);
        }
        let text = match ctx.json_stringify(result) {
            Ok(Some(s)) => s.to_string().unwrap_or_default(),
            Ok(None) => return Ok(Json::Null),
            Err(e) => return Err(error_text(&ctx, e)),
        };
        Ok(serde_json::from_str(&text).unwrap_or(Json::Null))
    });
    match (stop.load(Ordering::Relaxed), outcome) {
        (1, Err(_)) => JsOutcome::TimedOut(config.time_limit.unwrap_or_default()),
        (2, Err(_)) => JsOutcome::Cancelled,
        (_, Ok(v)) => JsOutcome::Value(v),
        (_, Err(e)) => JsOutcome::Error(e),
    }
}

#[cfg(not(feature = "javascript"))]
/// Without the `javascript` feature: always the "not available" error.
pub fn evaluate(
    script: &str,
    _context: &Json,
    _config: &JsConfig,
    _cancel: &super::CancelFlag,
) -> JsOutcome {
    let _ = wrap(script);
    JsOutcome::Error(
        "the JavaScript engine is not available: Gale was built without the `javascript` feature."
            .into(),
    )
}

#[cfg(all(test, feature = "javascript"))]
mod tests {
    use super::*;
    use crate::actions::CancelFlag;
    use serde_json::json;

    fn eval(script: &str, context: Json) -> JsOutcome {
        evaluate(script, &context, &JsConfig::default(), &CancelFlag::new())
    }

    #[test]
    fn returns_json_values() {
        assert_eq!(
            eval("return $.a + 1;", json!({"a": 41})),
            JsOutcome::Value(json!(42))
        );
        assert_eq!(
            eval("return {x: [1, 'two', null, true], y: $};", json!("ctx")),
            JsOutcome::Value(json!({"x": [1, "two", null, true], "y": "ctx"}))
        );
        assert_eq!(
            eval("var x = 1;", json!(null)),
            JsOutcome::Value(Json::Null)
        );
        assert_eq!(eval("return $;", json!(null)), JsOutcome::Value(Json::Null));
        assert_eq!(
            eval("return function() {};", json!(null)),
            JsOutcome::Value(Json::Null)
        );
    }

    #[test]
    fn errors() {
        let JsOutcome::Error(e) = eval("return nope + 1;", json!(null)) else {
            panic!("expected an error")
        };
        assert!(e.starts_with("ReferenceError: "), "{e}");
        let JsOutcome::Error(e) = eval("throw new Error('bad thing');", json!(null)) else {
            panic!("expected an error")
        };
        assert_eq!(e, "Error: bad thing");
        let JsOutcome::Error(e) = eval("return (", json!(null)) else {
            panic!("expected an error")
        };
        assert!(e.starts_with("SyntaxError: "), "{e}");
    }

    #[test]
    fn limits() {
        let config = JsConfig {
            time_limit: Some(Duration::from_millis(200)),
            ..JsConfig::default()
        };
        let start = std::time::Instant::now();
        assert_eq!(
            evaluate("while (true) {}", &Json::Null, &config, &CancelFlag::new()),
            JsOutcome::TimedOut(Duration::from_millis(200))
        );
        assert!(start.elapsed() < Duration::from_secs(3));
        let small = JsConfig {
            memory_limit: 8 << 20,
            ..JsConfig::default()
        };
        let out = evaluate(
            "var a = []; while (true) { a.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + a.length); }",
            &Json::Null,
            &small,
            &CancelFlag::new(),
        );
        assert!(
            matches!(&out, JsOutcome::Error(e) if e.contains("out of memory")),
            "{out:?}"
        );
        let deep = eval(
            "function r(n) { return r(n + 1) + 1; } return r(0);",
            json!(null),
        );
        assert!(
            matches!(&deep, JsOutcome::Error(e) if e.contains("stack")),
            "{deep:?}"
        );
        let cancel = CancelFlag::new();
        cancel.cancel();
        assert_eq!(
            evaluate(
                "while (true) {}",
                &Json::Null,
                &JsConfig::default(),
                &cancel
            ),
            JsOutcome::Cancelled
        );
    }
}
