//! The simple standard actions — `std.noop`, `std.async_noop`, `std.echo`,
//! `std.fail`, `std.sleep`, `std.test_dict` — and [`std_registry`], which registers
//! every `std.*` action under the names Mistral 23 registers (entry-point group
//! `mistral.actions` of the `mistral` distribution).
//!
//! Each action reads its parameters through [`StdInput`], which checks them against
//! the one signature table ([`crate::std_actions`]) and fills defaults from it, so an
//! engine that forgot a default still gets Mistral's behaviour. Results and error
//! payloads are byte-for-byte what Mistral stores (see [`super::python`] for the
//! message templates).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

use super::python::{self, ConversionError};
use super::{Action, ActionOutcome, ActionRegistry, ActionRequest, CancelFlag};
use crate::std_actions::{StdAction, std_action};

/// Settings of the standard actions that Mistral takes from its configuration file
/// (`[action_std_http]`, `js_implementation`…). `Default` is Mistral's defaults.
#[derive(Clone, Debug, Default)]
pub struct StdActionsConfig {
    /// `std.http` / `std.mistral_http`: egress policy, default timeout, size limit.
    pub http: super::http::HttpConfig,
    /// `std.email`: TLS verification, timeout, `ehlo` name.
    pub email: super::email::EmailConfig,
    /// `std.ssh` / `std.ssh_proxied`: the ssh client and its options.
    pub ssh: super::ssh::SshConfig,
    /// `std.javascript` / `std.js`: time, memory and stack limits.
    pub javascript: super::javascript::JsConfig,
}

/// Registers every standard action of Mistral 23 (13 names, `std.js` being an alias
/// of `std.javascript`) with `config`.
pub fn std_registry(config: &StdActionsConfig) -> ActionRegistry {
    let mut registry = ActionRegistry::new();
    register_std(&mut registry, config);
    registry
}

/// Adds every standard action to an existing registry (e.g. one already holding
/// plugin actions; a plugin with a `std.*` name is replaced).
pub fn register_std(registry: &mut ActionRegistry, config: &StdActionsConfig) {
    registry.register("std.noop", Arc::new(NoOp));
    registry.register("std.async_noop", Arc::new(AsyncNoOp));
    registry.register("std.echo", Arc::new(Echo));
    registry.register("std.fail", Arc::new(Fail));
    registry.register("std.sleep", Arc::new(Sleep));
    registry.register("std.test_dict", Arc::new(TestDict));
    let http = Arc::new(super::http::Http::new(config.http.clone(), false));
    registry.register("std.http", http);
    let mistral_http = Arc::new(super::http::Http::new(config.http.clone(), true));
    registry.register("std.mistral_http", mistral_http);
    let email = Arc::new(super::email::Email::new(config.email.clone()));
    registry.register("std.email", email);
    let ssh = Arc::new(super::ssh::Ssh::new(config.ssh.clone(), false));
    registry.register("std.ssh", ssh);
    let ssh_proxied = Arc::new(super::ssh::Ssh::new(config.ssh.clone(), true));
    registry.register("std.ssh_proxied", ssh_proxied);
    let js = Arc::new(super::javascript::JavaScript::new(
        config.javascript.clone(),
    ));
    registry.register("std.javascript", js.clone());
    registry.register("std.js", js);
}

/// An action's input checked against its [`StdAction`] entry, with defaults filled.
#[derive(Debug)]
pub struct StdInput {
    /// The table entry of the action that runs.
    pub action: &'static StdAction,
    /// Every declared parameter, in declaration order (defaults filled).
    pub values: Map<String, Json>,
}

impl StdInput {
    /// Checks `request.input` against the table entry of `name` (the registered
    /// name, not an alias target) exactly as Mistral's `check_parameters` does;
    /// on failure the outcome carries Mistral's `Invalid input […]` message.
    pub fn new(request: &ActionRequest, name: &str) -> Result<StdInput, ActionOutcome> {
        let Some(action) = std_action(name) else {
            return Err(ActionOutcome::Error(Json::String(format!(
                "Action not found [action_name={name}]"
            ))));
        };
        let keys: Vec<&str> = request.input.keys().map(String::as_str).collect();
        let (missing, unexpected) = action.check(&keys);
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(ActionOutcome::Error(Json::String(
                action.invalid_input_message(&missing, &unexpected),
            )));
        }
        let mut values = Map::new();
        for p in action.params {
            let value = match (request.input.get(p.name), p.default) {
                (Some(v), _) => v.clone(),
                (None, Some(d)) => serde_json::from_str(d).unwrap_or(Json::Null),
                (None, None) => Json::Null,
            };
            values.insert(p.name.to_string(), value);
        }
        Ok(StdInput { action, values })
    }

    /// The value of parameter `name` (`null` if the action has no such parameter).
    pub fn get(&self, name: &str) -> &Json {
        self.values.get(name).unwrap_or(&Json::Null)
    }

    /// The outcome when the constructor raised (`Failed to instantiate an action …`).
    pub fn instantiate_failure(&self) -> ActionOutcome {
        python::instantiate_failure(self.action.name, self.action.class)
    }

    /// `repr()` of the action object (Python's default object repr).
    pub fn object_repr(&self, request: &ActionRequest) -> String {
        python::object_repr(self.action.class, &request.action_execution_id)
    }
}

/// Checks input for the action registered as `name`, returning early on failure.
macro_rules! std_input {
    ($request:expr, $name:expr) => {
        match StdInput::new($request, $name) {
            Ok(input) => input,
            Err(outcome) => return outcome,
        }
    };
}
pub(crate) use std_input;

/// What an action returns when the engine cancelled it: an error the engine is
/// expected to ignore (it already decided the task's fate).
pub fn cancelled(request: &ActionRequest) -> ActionOutcome {
    ActionOutcome::Error(Json::String(format!(
        "Action execution {} was cancelled",
        request.action_execution_id
    )))
}

/// Sleeps `duration` in short slices; returns `false` as soon as `cancel` is set.
pub fn sleep_cancellable(duration: Duration, cancel: &CancelFlag) -> bool {
    const SLICE: Duration = Duration::from_millis(20);
    let start = Instant::now();
    loop {
        if cancel.is_cancelled() {
            return false;
        }
        let elapsed = start.elapsed();
        if elapsed >= duration {
            return true;
        }
        std::thread::sleep(SLICE.min(duration - elapsed));
    }
}

/// Python's `time.sleep(seconds)` for a float, cancellable: `Err` carries the
/// exception text Python raises for NaN / infinite / out-of-range values.
fn py_sleep(seconds: f64, cancel: &CancelFlag) -> Result<bool, &'static str> {
    if seconds.is_nan() {
        return Err("Invalid value NaN (not a number)");
    }
    if seconds.is_infinite() || seconds > 9.2e9 {
        return Err("timestamp out of range for platform time_t");
    }
    Ok(sleep_cancellable(
        Duration::from_secs_f64(seconds.max(0.0)),
        cancel,
    ))
}

/// `std.noop`: returns `null`.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoOp;

impl Action for NoOp {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let _input = std_input!(request, "std.noop");
        ActionOutcome::Success(Json::Null)
    }
}

/// `std.async_noop`: stays RUNNING ([`ActionOutcome::Pending`]) until its result is
/// posted from outside.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncNoOp;

impl Action for AsyncNoOp {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let _input = std_input!(request, "std.async_noop");
        ActionOutcome::Pending
    }
}

/// `std.echo output=<any> delay=0`: sleeps `float(delay)` seconds (negative or
/// non-numeric text = 0) and returns `output` unchanged.
#[derive(Clone, Copy, Debug, Default)]
pub struct Echo;

impl Action for Echo {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let input = std_input!(request, "std.echo");
        let delay = match python::py_float(input.get("delay")) {
            Ok(d) if d < 0.0 => 0.0,
            Ok(d) => d,
            Err(ConversionError::Value(_)) => 0.0,
            Err(ConversionError::Type(_)) => return input.instantiate_failure(),
        };
        match py_sleep(delay, &request.cancel) {
            Ok(true) => ActionOutcome::Success(input.get("output").clone()),
            Ok(false) => cancelled(request),
            Err(msg) => python::raised(request, &input.object_repr(request), msg),
        }
    }
}

/// `std.fail error_data=null`: a truthy `error_data` is the error result; otherwise
/// the action raises `Fail action expected exception.`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Fail;

impl Action for Fail {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let input = std_input!(request, "std.fail");
        let error_data = input.get("error_data");
        if python::truthy(error_data) {
            ActionOutcome::Error(error_data.clone())
        } else {
            // FailAction.__repr__ is 'Fail action'.
            python::raised(request, "Fail action", "Fail action expected exception.")
        }
    }
}

/// `std.sleep seconds=1`: sleeps `int(seconds)` seconds (negative or non-integer
/// text = 0), returns `null`; stops early when cancelled.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sleep;

impl Action for Sleep {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let input = std_input!(request, "std.sleep");
        let seconds = match python::py_int(input.get("seconds")) {
            Ok(s) => s.max(0),
            Err(ConversionError::Value(_)) => 0,
            Err(ConversionError::Type(_)) => return input.instantiate_failure(),
        };
        let seconds = u64::try_from(seconds).unwrap_or(0);
        if sleep_cancellable(Duration::from_secs(seconds), &request.cancel) {
            ActionOutcome::Success(Json::Null)
        } else {
            cancelled(request)
        }
    }
}

/// `std.test_dict size=0 key_prefix="" val=""`: `{"<key_prefix><i>": val}` for
/// `i` in `0..size`.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestDict;

impl Action for TestDict {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let input = std_input!(request, "std.test_dict");
        // `range(size)` accepts ints and bools only.
        let size = match input.get("size") {
            Json::Bool(b) => i64::from(*b),
            Json::Number(n) if n.is_i64() || n.is_u64() => n.as_i64().unwrap_or(i64::MAX),
            other => {
                let msg = format!(
                    "'{}' object cannot be interpreted as an integer",
                    python::type_name(other)
                );
                return python::raised(request, &input.object_repr(request), &msg);
            }
        };
        let prefix = python::py_str(input.get("key_prefix"));
        let val = input.get("val");
        let mut result = Map::new();
        for i in 0..size.max(0) {
            if i % 4096 == 0 && request.cancel.is_cancelled() {
                return cancelled(request);
            }
            result.insert(format!("{prefix}{i}"), val.clone());
        }
        ActionOutcome::Success(Json::Object(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(action: &str, input: Json) -> ActionRequest {
        ActionRequest {
            action: action.into(),
            input: input.as_object().cloned().unwrap_or_default(),
            execution_id: "wf-1".into(),
            task_name: "t".into(),
            action_execution_id: "ae-1".into(),
            timeout: None,
            item_index: None,
            cancel: CancelFlag::new(),
        }
    }

    fn run(action: &str, input: Json) -> ActionOutcome {
        let registry = std_registry(&StdActionsConfig::default());
        let Some(a) = registry.get(action) else {
            panic!("{action} not registered")
        };
        a.run(&request(action, input))
    }

    #[test]
    fn registers_mistral_names() {
        let registry = std_registry(&StdActionsConfig::default());
        for name in [
            "std.noop",
            "std.async_noop",
            "std.echo",
            "std.fail",
            "std.sleep",
            "std.test_dict",
            "std.http",
            "std.mistral_http",
        ] {
            assert!(registry.contains(name), "{name}");
            assert!(std_action(name).is_some(), "{name} not in the table");
        }
    }

    #[test]
    fn echo_returns_output_unchanged() {
        let out = json!({"a": [1, 2.5, null, "x"], "b": {"c": true}});
        assert_eq!(
            run("std.echo", json!({"output": out.clone()})),
            ActionOutcome::Success(out)
        );
        assert_eq!(
            run("std.echo", json!({"output": "x", "delay": "soon"})),
            ActionOutcome::Success(json!("x"))
        );
        assert_eq!(
            run("std.echo", json!({"output": 1, "delay": -3})),
            ActionOutcome::Success(json!(1))
        );
    }

    #[test]
    fn echo_errors_like_mistral() {
        assert_eq!(
            run("std.echo", json!({})),
            ActionOutcome::Error(json!(
                "Invalid input [name=std.echo, class=mistral.actions.std_actions.EchoAction, missing=['output']]"
            ))
        );
        assert_eq!(
            run("std.echo", json!({"output": 1, "delay": null})),
            ActionOutcome::Error(json!(
                "Failed to instantiate an action [action_desc=Python action [name=std.echo, cls=<class 'mistral.actions.std_actions.EchoAction'>]]"
            ))
        );
        let ActionOutcome::Error(Json::String(msg)) =
            run("std.echo", json!({"output": 1, "delay": "nan"}))
        else {
            panic!("expected an error")
        };
        assert!(msg.starts_with(
            "The action raised an exception [action=<mistral.actions.std_actions.EchoAction object at 0x"
        ));
        assert!(msg.ends_with(", action_ex_id=ae-1, msg='Invalid value NaN (not a number)']"));
    }

    #[test]
    fn echo_delay_sleeps_and_cancels() {
        let start = Instant::now();
        assert_eq!(
            run("std.echo", json!({"output": 1, "delay": 0.1})),
            ActionOutcome::Success(json!(1))
        );
        assert!(start.elapsed() >= Duration::from_millis(100));
        let req = request("std.echo", json!({"output": 1, "delay": 30}));
        req.cancel.cancel();
        assert_eq!(
            Echo.run(&req),
            ActionOutcome::Error(json!("Action execution ae-1 was cancelled"))
        );
    }

    #[test]
    fn fail_payloads() {
        assert_eq!(
            run("std.fail", json!({"error_data": {"code": 500}})),
            ActionOutcome::Error(json!({"code": 500}))
        );
        let raised = ActionOutcome::Error(json!(
            "The action raised an exception [action=Fail action, action_ex_id=ae-1, msg='Fail action expected exception.']"
        ));
        assert_eq!(run("std.fail", json!({})), raised);
        for falsy in [json!(0), json!(""), json!({}), json!([]), json!(null)] {
            assert_eq!(run("std.fail", json!({"error_data": falsy})), raised);
        }
    }

    #[test]
    fn noop_and_async_noop() {
        assert_eq!(
            run("std.noop", json!({})),
            ActionOutcome::Success(Json::Null)
        );
        assert_eq!(run("std.async_noop", json!({})), ActionOutcome::Pending);
        assert_eq!(
            run("std.noop", json!({"x": 1})),
            ActionOutcome::Error(json!(
                "Invalid input [name=std.noop, class=mistral.actions.std_actions.NoOpAction, unexpected=['x']]"
            ))
        );
    }

    #[test]
    fn sleep_converts_with_int_and_cancels() {
        assert_eq!(
            run("std.sleep", json!({"seconds": 0.9})),
            ActionOutcome::Success(Json::Null)
        );
        assert_eq!(
            run("std.sleep", json!({"seconds": "1.5"})),
            ActionOutcome::Success(Json::Null)
        );
        assert_eq!(
            run("std.sleep", json!({"seconds": -4})),
            ActionOutcome::Success(Json::Null)
        );
        assert!(matches!(
            run("std.sleep", json!({"seconds": [1]})),
            ActionOutcome::Error(Json::String(m)) if m.starts_with("Failed to instantiate")
        ));
        let req = request("std.sleep", json!({"seconds": 60}));
        let cancel = req.cancel.clone();
        let start = Instant::now();
        let worker = std::thread::spawn(move || Sleep.run(&req));
        std::thread::sleep(Duration::from_millis(50));
        cancel.cancel();
        let outcome = worker.join().unwrap_or(ActionOutcome::Pending);
        assert!(matches!(outcome, ActionOutcome::Error(_)));
        assert!(start.elapsed() < Duration::from_secs(2));
    }

    #[test]
    fn test_dict_builds_mapping() {
        assert_eq!(
            run(
                "std.test_dict",
                json!({"size": 3, "key_prefix": "k", "val": {"v": 1}})
            ),
            ActionOutcome::Success(json!({"k0": {"v": 1}, "k1": {"v": 1}, "k2": {"v": 1}}))
        );
        assert_eq!(
            run("std.test_dict", json!({})),
            ActionOutcome::Success(json!({}))
        );
        assert_eq!(
            run("std.test_dict", json!({"size": 2, "key_prefix": null})),
            ActionOutcome::Success(json!({"None0": "", "None1": ""}))
        );
        let Some(keys) = (match run("std.test_dict", json!({"size": 10})) {
            ActionOutcome::Success(Json::Object(m)) => Some(m.keys().cloned().collect::<Vec<_>>()),
            _ => None,
        }) else {
            panic!("expected a mapping")
        };
        assert_eq!(keys.get(9).map(String::as_str), Some("9"));
        let ActionOutcome::Error(Json::String(msg)) = run("std.test_dict", json!({"size": 1.5}))
        else {
            panic!("expected an error")
        };
        assert!(msg.ends_with("msg=''float' object cannot be interpreted as an integer']"));
    }
}
