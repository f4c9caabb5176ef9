//! `std.ssh` and `std.ssh_proxied` through the system OpenSSH client
//! (`mistral/actions/std_actions.py SSHAction`, `mistral/utils/ssh_utils.py`).
//!
//! Mistral uses paramiko; Gale runs `ssh` non-interactively:
//! `ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
//! -o LogLevel=ERROR -o ConnectTimeout=<n> [-i <key> -o IdentitiesOnly=yes]
//! -l <username> -- <host> <cmd>` — unknown host keys are accepted, as paramiko's
//! `AutoAddPolicy` does. Keys come from `private_key_filename` (absolute, or
//! relative to `~/.ssh/`; `..` refused) or `private_key` (PEM text, written to a
//! private temporary file for the run); without either, the ssh agent and the
//! default keys are tried (paramiko does the same).
//!
//! Differences, reported as clear errors: a non-empty `password` (login password or
//! key passphrase) is not supported — BatchMode cannot type it. `std.ssh_proxied`
//! reaches `host` through `ssh … gateway_host nc <host> 22` as a `ProxyCommand`,
//! like Mistral's `nc` channel. An exit status of 255 is taken as an SSH
//! (connection) failure, as OpenSSH reports it.
//!
//! Results as Mistral: the standard output (a list for a list of hosts); with
//! `return_result_on_error`, `{stdout, stderr, exit_code}` per host. Failures give
//! Mistral's only message: `Failed to execute ssh cmd '<cmd>' on ['<host>', …]`.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};

use super::builtin::{StdInput, cancelled, std_input};
use super::python::{self, py_repr, py_str};
use super::{Action, ActionOutcome, ActionRequest};

/// Settings of `std.ssh` / `std.ssh_proxied`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshConfig {
    /// The ssh client program.
    pub program: String,
    /// Extra arguments placed before the destination (e.g. `["-p", "2222"]`,
    /// `["-F", "/etc/gale/ssh_config"]`).
    pub extra_args: Vec<String>,
    /// `ConnectTimeout` in seconds.
    pub connect_timeout: u64,
    /// Longest run of one command when the task has no `timeout` (seconds; 0 = none).
    pub default_timeout: u64,
}

impl Default for SshConfig {
    /// `ssh` from `PATH`, 30 s connect timeout, no overall limit.
    fn default() -> SshConfig {
        SshConfig {
            program: "ssh".into(),
            extra_args: Vec::new(),
            connect_timeout: 30,
            default_timeout: 0,
        }
    }
}

/// `std.ssh` (or, with `proxied`, `std.ssh_proxied`).
#[derive(Clone, Debug)]
pub struct Ssh {
    config: SshConfig,
    proxied: bool,
}

impl Ssh {
    /// The action with `config`.
    pub fn new(config: SshConfig, proxied: bool) -> Ssh {
        Ssh { config, proxied }
    }
}

/// Why a run failed.
enum Failure {
    /// Mistral's generic message (details only logged in Mistral).
    Generic,
    /// A Gale limitation or an environment problem, said plainly.
    Clear(String),
    /// Cancelled by the engine.
    Cancelled,
}

/// One finished ssh run.
struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

/// A private key written for one action run, removed afterwards.
struct TempKey(PathBuf);

impl Drop for TempKey {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// POSIX shell single-quoting.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Ssh {
    fn base_args(&self, key: Option<&PathBuf>) -> Vec<String> {
        let mut args: Vec<String> = [
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
        ]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
        args.push("-o".into());
        args.push(format!(
            "ConnectTimeout={}",
            self.config.connect_timeout.max(1)
        ));
        if let Some(key) = key {
            args.push("-i".into());
            args.push(key.to_string_lossy().into_owned());
            args.push("-o".into());
            args.push("IdentitiesOnly=yes".into());
        }
        args
    }

    /// The argument vector for one host (without the program).
    fn args(&self, input: &StdInput, host: &str, key: Option<&PathBuf>) -> Vec<String> {
        let mut args = self.base_args(key);
        if self.proxied {
            let gateway = py_str(input.get("gateway_host"));
            let gateway_user = match input.get("gateway_username") {
                v if python::truthy(v) => py_str(v),
                _ => py_str(input.get("username")),
            };
            let mut inner = vec![self.config.program.clone()];
            inner.extend(self.base_args(key));
            if let Json::String(proxy) = input.get("proxy_command")
                && !proxy.is_empty()
            {
                inner.push("-o".into());
                inner.push(format!("ProxyCommand={proxy}"));
            }
            inner.extend(self.config.extra_args.iter().cloned());
            inner.extend([
                "-l".into(),
                gateway_user,
                "--".into(),
                gateway,
                "nc".into(),
                host.to_string(),
                "22".into(),
            ]);
            let inner: Vec<String> = inner.iter().map(|a| shell_quote(a)).collect();
            args.push("-o".into());
            args.push(format!("ProxyCommand={}", inner.join(" ")));
        }
        args.extend(self.config.extra_args.iter().cloned());
        args.extend([
            "-l".into(),
            py_str(input.get("username")),
            "--".into(),
            host.to_string(),
            py_str(input.get("cmd")),
        ]);
        args
    }

    fn key(
        &self,
        input: &StdInput,
        request: &ActionRequest,
    ) -> Result<(Option<PathBuf>, Option<TempKey>), Failure> {
        if let Json::String(pem) = input.get("private_key")
            && !pem.is_empty()
        {
            let path = std::env::temp_dir().join(format!(
                "gale-ssh-key-{}-{}",
                std::process::id(),
                request.action_execution_id.replace(['/', '\\'], "_")
            ));
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                options.mode(0o600);
            }
            let mut text = pem.clone();
            if !text.ends_with('\n') {
                text.push('\n');
            }
            options
                .open(&path)
                .and_then(|mut f| f.write_all(text.as_bytes()))
                .map_err(|e| {
                    Failure::Clear(format!(
                        "cannot write the private key to {}: {e}",
                        path.display()
                    ))
                })?;
            return Ok((Some(path.clone()), Some(TempKey(path))));
        }
        match input.get("private_key_filename") {
            Json::String(name) if !name.is_empty() => {
                if name.contains("../") || name.contains("..\\") {
                    // Mistral only logs the reason and reports the generic failure.
                    return Err(Failure::Generic);
                }
                let path = if name.starts_with('/') {
                    PathBuf::from(name)
                } else {
                    let home = std::env::var_os("HOME")
                        .map(PathBuf::from)
                        .unwrap_or_default();
                    home.join(".ssh").join(name)
                };
                Ok((Some(path), None))
            }
            _ => Ok((None, None)),
        }
    }

    fn run_one(&self, args: &[String], request: &ActionRequest) -> Result<Run, Failure> {
        let mut child = Command::new(&self.config.program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Failure::Clear(format!("cannot run `{}`: {e}", self.config.program)))?;
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(p) = pipe {
                    let _ = p.take(64 << 20).read_to_end(&mut buf);
                }
                buf
            })
        };
        let out = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let err = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let limit = request.timeout.or_else(|| {
            (self.config.default_timeout > 0)
                .then(|| Duration::from_secs(self.config.default_timeout))
        });
        let start = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) => {}
                Err(_) => return Err(Failure::Generic),
            }
            if request.cancel.is_cancelled() {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Cancelled);
            }
            if limit.is_some_and(|l| start.elapsed() >= l) {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::Generic);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let stdout =
            String::from_utf8(out.join().unwrap_or_default()).map_err(|_| Failure::Generic)?;
        let stderr = String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned();
        Ok(Run {
            stdout,
            stderr,
            // Killed by a signal: no exit code; treat like an SSH failure.
            code: status.code().unwrap_or(255),
        })
    }

    fn execute(&self, input: &StdInput, request: &ActionRequest) -> Result<Json, Failure> {
        if python::truthy(input.get("password")) {
            return Err(Failure::Clear(
                "password authentication (or a key passphrase) is not supported: Gale runs the system ssh client in BatchMode; use private_key_filename, private_key (unencrypted) or an ssh agent".into(),
            ));
        }
        let hosts: Vec<String> = match input.get("host") {
            Json::Array(items) => items.iter().map(py_str).collect(),
            other => vec![py_str(other)],
        };
        let (key, _temp) = self.key(input, request)?;
        let keep_going = !self.proxied && python::truthy(input.get("return_result_on_error"));
        let mut results = Vec::new();
        for host in &hosts {
            let run = self.run_one(&self.args(input, host, key.as_ref()), request)?;
            if keep_going {
                if run.code == 255 {
                    return Err(Failure::Generic);
                }
                let mut m = Map::new();
                m.insert("stdout".into(), Json::String(run.stdout));
                m.insert("stderr".into(), Json::String(run.stderr));
                m.insert("exit_code".into(), Json::from(run.code));
                results.push(Json::Object(m));
            } else if run.code != 0 {
                return Err(Failure::Generic);
            } else {
                results.push(Json::String(run.stdout));
            }
        }
        if results.len() == 1 {
            Ok(results.pop().unwrap_or(Json::Null))
        } else if results.is_empty() {
            // `return result` with no host ran: Python's NameError.
            Err(Failure::Clear(
                "cannot access local variable 'result' where it is not associated with a value"
                    .into(),
            ))
        } else {
            Ok(Json::Array(results))
        }
    }
}

impl Action for Ssh {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let name = if self.proxied {
            "std.ssh_proxied"
        } else {
            "std.ssh"
        };
        let input = std_input!(request, name);
        let repr = input.object_repr(request);
        match self.execute(&input, request) {
            Ok(result) => ActionOutcome::Success(result),
            Err(Failure::Cancelled) => cancelled(request),
            Err(Failure::Clear(msg)) => python::raised(request, &repr, &msg),
            Err(Failure::Generic) => {
                // Mistral turns `self.host` into a list before anything can fail.
                let hosts = match input.get("host") {
                    Json::Array(items) => Json::Array(items.clone()),
                    other => Json::Array(vec![other.clone()]),
                };
                let msg = format!(
                    "Failed to execute ssh cmd '{}' on {}",
                    py_str(input.get("cmd")),
                    py_repr(&hosts)
                );
                python::raised(request, &repr, &msg)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("abc-1.2"), "abc-1.2");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
