//! User actions as external executables ("plugin actions"), declared in
//! `gale.toml`, so deployments can bring their own actions in any language.
//!
//! # Declaring
//!
//! ```toml
//! [actions."acme.deploy"]
//! command = ["./deploy.py", "--verbose"]   # argv; a relative program path is
//!                                          # resolved against gale.toml's directory
//! input = ["service", { version = "latest" }, { dry_run = false }]
//! description = "Deploys a service"        # optional
//! timeout = 300                            # optional, seconds
//! ```
//!
//! `input` lists the parameters in order, as a Mistral ad-hoc action's `input`
//! does: a bare name is required, a one-entry table gives a default. A
//! `"**kwargs"` entry accepts any other key; omitting `input` accepts anything
//! (nothing is checked). The same string form as Mistral's parameter lists is
//! accepted too (`"version=\"latest\""`).
//!
//! # Protocol
//!
//! Gale starts the command (working directory: gale.toml's directory), writes one
//! JSON object to its standard input and closes it:
//!
//! ```json
//! {"action": "acme.deploy", "input": {"service": "web", "version": "latest", "dry_run": false},
//!  "execution_id": "…", "task": "deploy", "action_execution_id": "…",
//!  "item_index": null, "timeout": 300}
//! ```
//!
//! and reads one JSON object from its standard output:
//! `{"result": <any JSON>}` (success; the task result), `{"error": <any JSON>}`
//! (failure; the task's error result, like `std.fail`'s `error_data`), or
//! `{"pending": true}` (asynchronous: the result is posted later, like
//! `std.async_noop`). Standard error is for logs; its last lines are quoted when
//! the action fails. A non-zero exit status, output that is not one such object,
//! or running past the timeout is an error; on timeout or cancel the whole process
//! group is killed.
//!
//! Failures are reported with Mistral's wording for an action that raised:
//! `The action raised an exception [action=acme.deploy, action_ex_id=…, msg='…']`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json, json};

use super::builtin::cancelled;
use super::{Action, ActionOutcome, ActionRegistry, ActionRequest, python};

/// One declared parameter of a plugin action.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginParam {
    /// The parameter name (a key of the task's `input`).
    pub name: String,
    /// The default; `None` = required.
    pub default: Option<Json>,
}

/// A plugin action as declared in `gale.toml`.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginSpec {
    /// The registered action name (`acme.deploy`).
    pub name: String,
    /// Program and arguments.
    pub command: Vec<String>,
    /// Declared parameters in order; `None` = not declared, any input accepted.
    pub params: Option<Vec<PluginParam>>,
    /// Keys beyond `params` are accepted (`"**kwargs"` in `input`).
    pub kwargs: bool,
    /// Longest run before the process is killed (the task's `timeout` also applies).
    pub timeout: Option<Duration>,
    /// One line for `gale` listings and the language server.
    pub description: Option<String>,
    /// Directory of the declaring `gale.toml`: working directory, and base of a
    /// relative program path.
    pub base_dir: Option<PathBuf>,
}

impl PluginSpec {
    /// A spec with only a name and a command.
    pub fn new(name: impl Into<String>, command: Vec<String>) -> PluginSpec {
        PluginSpec {
            name: name.into(),
            command,
            params: None,
            kwargs: false,
            timeout: None,
            description: None,
            base_dir: None,
        }
    }

    /// `(missing, unexpected)` for an input with these keys, like
    /// [`crate::StdAction::check`] (nothing is checked when `params` is `None`).
    pub fn check<'k>(&self, keys: &[&'k str]) -> (Vec<String>, Vec<&'k str>) {
        let Some(params) = &self.params else {
            return (Vec::new(), Vec::new());
        };
        let missing = params
            .iter()
            .filter(|p| p.default.is_none() && !keys.contains(&p.name.as_str()))
            .map(|p| p.name.clone())
            .collect();
        let unexpected = if self.kwargs {
            Vec::new()
        } else {
            keys.iter()
                .copied()
                .filter(|k| !params.iter().any(|p| p.name == *k))
                .collect()
        };
        (missing, unexpected)
    }

    /// Mistral-style parameter list (`service, version="latest", **kwargs`);
    /// `**kwargs` alone when parameters are not declared.
    pub fn parameter_list(&self) -> String {
        let Some(params) = &self.params else {
            return "**kwargs".into();
        };
        let mut parts: Vec<String> = params
            .iter()
            .map(|p| match &p.default {
                Some(d) => format!("{}={d}", p.name),
                None => p.name.clone(),
            })
            .collect();
        if self.kwargs {
            parts.push("**kwargs".into());
        }
        parts.join(", ")
    }

    /// `Invalid input [name=acme.deploy, missing=['service']]`, Mistral's wording
    /// without the Python class.
    pub fn invalid_input_message(&self, missing: &[String], unexpected: &[&str]) -> String {
        let list = |names: &mut dyn Iterator<Item = &str>| {
            let quoted: Vec<String> = names.map(|n| format!("'{n}'")).collect();
            format!("[{}]", quoted.join(", "))
        };
        let mut s = format!("Invalid input [name={}", self.name);
        if !missing.is_empty() {
            s.push_str(&format!(
                ", missing={}",
                list(&mut missing.iter().map(String::as_str))
            ));
        }
        if !unexpected.is_empty() {
            s.push_str(&format!(
                ", unexpected={}",
                list(&mut unexpected.iter().copied())
            ));
        }
        s.push(']');
        s
    }

    /// The input with declared defaults filled, in declaration order (extra keys after).
    pub fn fill_defaults(&self, input: &Map<String, Json>) -> Map<String, Json> {
        let Some(params) = &self.params else {
            return input.clone();
        };
        let mut out = Map::new();
        for p in params {
            if let Some(v) = input.get(&p.name).or(p.default.as_ref()) {
                out.insert(p.name.clone(), v.clone());
            }
        }
        for (k, v) in input {
            if !out.contains_key(k) {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }
}

/// Parses one `input` entry: `"name"`, `"name=<JSON>"`, `"**kwargs"` or `{ name = default }`.
fn parse_param(
    value: &toml::Value,
    spec: &mut PluginSpec,
    params: &mut Vec<PluginParam>,
) -> Result<(), String> {
    let bad = || {
        format!(
            "`actions.\"{}\".input` entries must be a name, \"name=<JSON default>\", \"**kwargs\" or {{ name = default }}",
            spec.name
        )
    };
    match value {
        toml::Value::String(s) if s == "**kwargs" => spec.kwargs = true,
        toml::Value::String(s) => match s.split_once('=') {
            Some((name, default)) => {
                let default: Json = serde_json::from_str(default.trim()).map_err(|e| {
                    format!(
                        "`actions.\"{}\".input`: default of `{}` is not JSON: {e}",
                        spec.name,
                        name.trim()
                    )
                })?;
                params.push(PluginParam {
                    name: name.trim().to_string(),
                    default: Some(default),
                });
            }
            None => params.push(PluginParam {
                name: s.trim().to_string(),
                default: None,
            }),
        },
        toml::Value::Table(t) if t.len() == 1 => {
            for (name, default) in t {
                params.push(PluginParam {
                    name: name.clone(),
                    default: Some(toml_to_json(default)),
                });
            }
        }
        _ => return Err(bad()),
    }
    if params.last().is_some_and(|p| p.name.is_empty()) {
        return Err(bad());
    }
    Ok(())
}

/// A TOML value as JSON (dates become their TOML text).
pub fn toml_to_json(value: &toml::Value) -> Json {
    match value {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => Json::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Json::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

/// Reads the `[actions."<name>"]` tables of a parsed `gale.toml` (other sections are
/// ignored). `base_dir` is the directory of the file.
pub fn plugin_specs_from_table(
    table: &toml::Table,
    base_dir: Option<&Path>,
) -> Result<Vec<PluginSpec>, String> {
    let Some(actions) = table.get("actions") else {
        return Ok(Vec::new());
    };
    let Some(actions) = actions.as_table() else {
        return Err("`actions` must be a table of `[actions.\"<name>\"]` sections".into());
    };
    let mut specs = Vec::new();
    for (name, decl) in actions {
        let Some(decl) = decl.as_table() else {
            return Err(format!("`actions.\"{name}\"` must be a table"));
        };
        if name.starts_with("std.") {
            return Err(format!(
                "`actions.\"{name}\"`: the `std.` namespace is reserved for Mistral's standard actions"
            ));
        }
        let mut spec = PluginSpec::new(name.clone(), Vec::new());
        spec.base_dir = base_dir.map(Path::to_path_buf);
        for (key, value) in decl {
            match key.as_str() {
                "command" => {
                    let items = match value {
                        toml::Value::String(s) => vec![s.clone()],
                        toml::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map(str::to_string))
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| {
                                format!("`actions.\"{name}\".command` must be a list of strings")
                            })?,
                        _ => {
                            return Err(format!(
                                "`actions.\"{name}\".command` must be a list of strings"
                            ));
                        }
                    };
                    spec.command = items;
                }
                "input" => {
                    let items = value
                        .as_array()
                        .ok_or_else(|| format!("`actions.\"{name}\".input` must be a list"))?;
                    let mut params = Vec::new();
                    for item in items {
                        parse_param(item, &mut spec, &mut params)?;
                    }
                    spec.params = Some(params);
                }
                "timeout" => {
                    let seconds = match value {
                        toml::Value::Integer(i) if *i > 0 => *i as f64,
                        toml::Value::Float(f) if *f > 0.0 && f.is_finite() => *f,
                        _ => {
                            return Err(format!(
                                "`actions.\"{name}\".timeout` must be a positive number of seconds"
                            ));
                        }
                    };
                    spec.timeout = Some(Duration::from_secs_f64(seconds.min(1e9)));
                }
                "description" => {
                    spec.description = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                format!("`actions.\"{name}\".description` must be a string")
                            })?
                            .to_string(),
                    );
                }
                other => {
                    return Err(format!(
                        "unknown key `actions.\"{name}\".{other}` (expected `command`, `input`, `timeout` or `description`)"
                    ));
                }
            }
        }
        if spec.command.first().is_none_or(String::is_empty) {
            return Err(format!("`actions.\"{name}\".command` is missing or empty"));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// Parses the plugin declarations of a `gale.toml` text (other sections ignored).
pub fn plugin_specs_from_toml(
    text: &str,
    base_dir: Option<&Path>,
) -> Result<Vec<PluginSpec>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
    plugin_specs_from_table(&table, base_dir)
}

/// Registers every spec as a [`Plugin`].
pub fn register_plugins(registry: &mut ActionRegistry, specs: &[PluginSpec]) {
    for spec in specs {
        registry.register(spec.name.clone(), Arc::new(Plugin::new(spec.clone())));
    }
}

/// A plugin action: runs [`PluginSpec::command`] with the JSON protocol.
#[derive(Clone, Debug)]
pub struct Plugin {
    spec: PluginSpec,
}

/// The largest stdout accepted from a plugin (bytes).
const MAX_OUTPUT: u64 = 64 << 20;

impl Plugin {
    /// The action for `spec`.
    pub fn new(spec: PluginSpec) -> Plugin {
        Plugin { spec }
    }

    /// Its declaration.
    pub fn spec(&self) -> &PluginSpec {
        &self.spec
    }

    fn fail(&self, request: &ActionRequest, msg: &str) -> ActionOutcome {
        python::raised(request, &self.spec.name, msg)
    }

    fn command(&self) -> Option<Command> {
        let (program, args) = self.spec.command.split_first()?;
        let mut path = PathBuf::from(program);
        if let Some(base) = &self.spec.base_dir
            && path.is_relative()
            && program.contains('/')
        {
            path = base.join(path);
        }
        let mut cmd = Command::new(path);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(base) = &self.spec.base_dir {
            cmd.current_dir(base);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt as _;
            cmd.process_group(0);
        }
        Some(cmd)
    }
}

/// Kills the child and, on Unix, its whole process group.
fn kill(child: &mut Child) {
    kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Sends SIGKILL to the process group `pid` (Unix; a no-op elsewhere).
fn kill_group(pid: u32) {
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // SAFETY: `kill` has no memory-safety preconditions; a negative pid
        // addresses the process group created for the plugin.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// What a pipe reader collected, waiting at most 2 s after the plugin exited
/// (then the leftover process group is killed and the pipe closes).
fn drain(rx: &mpsc::Receiver<Vec<u8>>, pid: u32) -> Vec<u8> {
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(buf) => buf,
        Err(_) => {
            kill_group(pid);
            rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default()
        }
    }
}

/// The last `n` lines of `text`, trimmed.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let start = lines.len().saturating_sub(n);
    lines.get(start..).unwrap_or_default().join("\n")
}

impl Action for Plugin {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let keys: Vec<&str> = request.input.keys().map(String::as_str).collect();
        let (missing, unexpected) = self.spec.check(&keys);
        if !missing.is_empty() || !unexpected.is_empty() {
            return ActionOutcome::Error(Json::String(
                self.spec.invalid_input_message(&missing, &unexpected),
            ));
        }
        let timeout = match (self.spec.timeout, request.timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let message = json!({
            "action": request.action,
            "input": self.spec.fill_defaults(&request.input),
            "execution_id": request.execution_id,
            "task": request.task_name,
            "action_execution_id": request.action_execution_id,
            "item_index": request.item_index,
            "timeout": timeout.map(|t| t.as_secs_f64()),
        });
        let Some(mut cmd) = self.command() else {
            return self.fail(request, "the plugin has an empty command");
        };
        let program = self.spec.command.first().cloned().unwrap_or_default();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => return self.fail(request, &format!("cannot run `{program}`: {e}")),
        };
        // Feed stdin and drain stdout/stderr on helper threads (no pipe deadlock).
        if let Some(mut stdin) = child.stdin.take() {
            let bytes = message.to_string().into_bytes();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&bytes);
                let _ = stdin.write_all(b"\n");
            });
        }
        let reader = |pipe: Option<Box<dyn Read + Send>>| {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(pipe) = pipe {
                    let _ = pipe.take(MAX_OUTPUT).read_to_end(&mut buf);
                }
                let _ = tx.send(buf);
            });
            rx
        };
        let stdout = reader(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = reader(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let pid = child.id();
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => {
                    kill(&mut child);
                    return self.fail(request, &format!("waiting for `{program}` failed: {e}"));
                }
            }
            if request.cancel.is_cancelled() {
                kill(&mut child);
                return cancelled(request);
            }
            if let Some(t) = timeout
                && start.elapsed() >= t
            {
                kill(&mut child);
                return self.fail(
                    request,
                    &format!(
                        "Timeout after {} seconds",
                        python::py_float_repr(t.as_secs_f64())
                    ),
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        // A background process left behind may still hold the pipes open: give it a
        // moment, then kill the rest of the process group.
        let stdout = drain(&stdout, pid);
        let stderr = String::from_utf8_lossy(&drain(&stderr, pid)).into_owned();
        let stderr_note = if stderr.trim().is_empty() {
            String::new()
        } else {
            format!("; stderr: {}", tail(&stderr, 5))
        };
        if !status.success() {
            return self.fail(
                request,
                &format!("`{program}` exited with {status}{stderr_note}"),
            );
        }
        let text = String::from_utf8_lossy(&stdout);
        let reply: Json = match serde_json::from_str(text.trim()) {
            Ok(v) => v,
            Err(e) => {
                let shown: String = text.trim().chars().take(200).collect();
                return self.fail(
                    request,
                    &format!("`{program}` did not write one JSON object to stdout ({e}): {shown:?}{stderr_note}"),
                );
            }
        };
        match reply {
            Json::Object(mut m) if m.len() == 1 && m.contains_key("result") => {
                ActionOutcome::Success(m.remove("result").unwrap_or(Json::Null))
            }
            Json::Object(mut m) if m.len() == 1 && m.contains_key("error") => {
                ActionOutcome::Error(m.remove("error").unwrap_or(Json::Null))
            }
            Json::Object(m) if m.len() == 1 && m.get("pending") == Some(&Json::Bool(true)) => {
                ActionOutcome::Pending
            }
            other => {
                let shown: String = other.to_string().chars().take(200).collect();
                self.fail(
                    request,
                    &format!(
                        "`{program}` must write {{\"result\": …}}, {{\"error\": …}} or {{\"pending\": true}}, not {shown}"
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_declarations() {
        let text = r#"
[check]
ignore = []

[actions."acme.deploy"]
command = ["./deploy.py", "--verbose"]
input = ["service", { version = "latest" }, "dry_run=false", "**kwargs"]
timeout = 2.5
description = "Deploys"

[actions."acme.ping"]
command = "ping-it"
"#;
        let specs = plugin_specs_from_toml(text, Some(Path::new("/srv/proj")));
        let Ok(specs) = specs else {
            panic!("{specs:?}")
        };
        assert_eq!(specs.len(), 2);
        let deploy = &specs[0];
        assert_eq!(deploy.name, "acme.deploy");
        assert_eq!(deploy.command, ["./deploy.py", "--verbose"]);
        assert_eq!(
            deploy.parameter_list(),
            "service, version=\"latest\", dry_run=false, **kwargs"
        );
        assert_eq!(deploy.timeout, Some(Duration::from_millis(2500)));
        assert_eq!(deploy.base_dir.as_deref(), Some(Path::new("/srv/proj")));
        assert_eq!(specs[1].parameter_list(), "**kwargs");
        let (missing, unexpected) = deploy.check(&["other"]);
        assert_eq!(missing, ["service"]);
        assert!(unexpected.is_empty());
    }

    #[test]
    fn rejects_bad_declarations() {
        let cases = [
            (
                "[actions.\"a.b\"]\ninput = []",
                "`actions.\"a.b\".command` is missing or empty",
            ),
            (
                "[actions.\"a.b\"]\ncommand = [1]",
                "`actions.\"a.b\".command` must be a list of strings",
            ),
            (
                "[actions.\"a.b\"]\ncommand = [\"x\"]\nbogus = 1",
                "unknown key `actions.\"a.b\".bogus`",
            ),
            ("[actions.\"std.echo\"]\ncommand = [\"x\"]", "reserved"),
            (
                "[actions.\"a.b\"]\ncommand = [\"x\"]\ntimeout = -1",
                "positive number",
            ),
            (
                "[actions.\"a.b\"]\ncommand = [\"x\"]\ninput = [\"v=nope\"]",
                "is not JSON",
            ),
        ];
        for (text, expected) in cases {
            match plugin_specs_from_toml(text, None) {
                Err(e) => assert!(e.contains(expected), "{text}: {e}"),
                Ok(s) => panic!("{text}: accepted {s:?}"),
            }
        }
    }
}
