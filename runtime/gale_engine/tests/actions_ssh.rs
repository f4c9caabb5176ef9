//! `std.ssh` / `std.ssh_proxied`.
//!
//! * Always: the real `ssh` client against a closed port on 127.0.0.1 (connection
//!   failure → Mistral's message), Gale's clear errors, and a stand-in `ssh`
//!   program (a shell script that runs the command locally) to check the argument
//!   vector and the result shapes.
//! * When `sshd` is installed (package `openssh-server`): a real sshd on a random
//!   loopback port with a throw-away host key and user key. Otherwise the test
//!   prints a loud SKIPPED line.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gale_engine::actions::ssh::SshConfig;
use gale_engine::actions::{
    ActionOutcome, ActionRegistry, ActionRequest, CancelFlag, StdActionsConfig, std_registry,
};
use serde_json::{Value as Json, json};

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let dir =
            std::env::temp_dir().join(format!("gale-ssh-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {dir:?}: {e}"));
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn registry(ssh: SshConfig) -> ActionRegistry {
    std_registry(&StdActionsConfig {
        ssh,
        ..StdActionsConfig::default()
    })
}

fn run(registry: &ActionRegistry, action: &str, input: Json) -> ActionOutcome {
    let Some(a) = registry.get(action) else {
        panic!("{action} is not registered")
    };
    a.run(&ActionRequest {
        action: action.into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf-1".into(),
        task_name: "remote".into(),
        action_execution_id: "ae-3".into(),
        timeout: Some(Duration::from_secs(10)),
        item_index: None,
        cancel: CancelFlag::new(),
    })
}

fn error_text(outcome: &ActionOutcome) -> &str {
    match outcome {
        ActionOutcome::Error(Json::String(s)) => s,
        other => panic!("expected an error message, got {other:?}"),
    }
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A stand-in `ssh`: records its arguments, then runs the last one (the command)
/// with `sh -c`, exiting with its status.
fn fake_ssh(dir: &TempDir) -> SshConfig {
    let script = dir.path().join("ssh");
    let log = dir.path().join("args");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > {}\nfor a in \"$@\"; do last=\"$a\"; done\nexec sh -c \"$last\"\n",
            log.display()
        ),
    )
    .unwrap_or_else(|e| panic!("write fake ssh: {e}"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let _ = std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755));
    }
    SshConfig {
        program: script.to_string_lossy().into_owned(),
        ..SshConfig::default()
    }
}

#[test]
fn results_and_arguments_with_a_stand_in_client() {
    let dir = TempDir::new("fake");
    let r = registry(fake_ssh(&dir));
    assert_eq!(
        run(
            &r,
            "std.ssh",
            json!({"cmd": "echo hi", "host": "h1", "username": "u"})
        ),
        ActionOutcome::Success(json!("hi\n"))
    );
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap_or_default();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(
        args,
        [
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=30",
            "-l",
            "u",
            "--",
            "h1",
            "echo hi",
        ]
    );
    assert_eq!(
        run(
            &r,
            "std.ssh",
            json!({"cmd": "echo hi", "host": ["a", "b"], "username": "u"})
        ),
        ActionOutcome::Success(json!(["hi\n", "hi\n"]))
    );
    assert_eq!(
        run(
            &r,
            "std.ssh",
            json!({"cmd": "echo out; echo err >&2; exit 3", "host": "h", "username": "u",
                   "return_result_on_error": true})
        ),
        ActionOutcome::Success(json!({"stdout": "out\n", "stderr": "err\n", "exit_code": 3}))
    );
    let failed = run(
        &r,
        "std.ssh",
        json!({"cmd": "exit 1", "host": "h", "username": "u"}),
    );
    assert!(
        error_text(&failed).ends_with("msg='Failed to execute ssh cmd 'exit 1' on ['h']']"),
        "{failed:?}"
    );
    // Keys: a file name relative to ~/.ssh, and inline PEM text in a private file.
    let _ = run(
        &r,
        "std.ssh",
        json!({"cmd": "true", "host": "h", "username": "u", "private_key_filename": "id_test"}),
    );
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap_or_default();
    assert!(
        args.contains("/.ssh/id_test\n-o\nIdentitiesOnly=yes\n"),
        "{args}"
    );
    // Proxied: the gateway hop is a ProxyCommand running `nc <host> 22` there.
    let proxied = run(
        &r,
        "std.ssh_proxied",
        json!({"cmd": "echo via", "host": "10.0.0.5", "username": "u",
               "private_key_filename": "/keys/k", "gateway_host": "gw",
               "gateway_username": "g"}),
    );
    assert_eq!(proxied, ActionOutcome::Success(json!("via\n")));
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap_or_default();
    let proxy = args
        .lines()
        .find(|l| l.starts_with("ProxyCommand="))
        .unwrap_or_default()
        .to_string();
    assert!(proxy.contains("-i /keys/k"), "{proxy}");
    assert!(proxy.ends_with("-l g -- gw nc 10.0.0.5 22"), "{proxy}");
}

#[test]
fn clear_errors() {
    let r = registry(SshConfig::default());
    let password = run(
        &r,
        "std.ssh",
        json!({"cmd": "true", "host": "h", "username": "u", "password": "pw"}),
    );
    assert!(
        error_text(&password).contains("password authentication"),
        "{password:?}"
    );
    let dots = run(
        &r,
        "std.ssh",
        json!({"cmd": "true", "host": "h", "username": "u",
               "private_key_filename": "../../etc/shadow"}),
    );
    assert!(
        error_text(&dots).ends_with("msg='Failed to execute ssh cmd 'true' on ['h']']"),
        "{dots:?}"
    );
    let no_client = registry(SshConfig {
        program: "/nonexistent/ssh".into(),
        ..SshConfig::default()
    });
    let missing = run(
        &no_client,
        "std.ssh",
        json!({"cmd": "true", "host": "h", "username": "u"}),
    );
    assert!(
        error_text(&missing).contains("cannot run `/nonexistent/ssh`"),
        "{missing:?}"
    );
}

#[test]
fn real_client_connection_failure() {
    if which("ssh").is_none() {
        eprintln!(
            "SKIPPED: real_client_connection_failure: no `ssh` client (install openssh-client)"
        );
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let r = registry(SshConfig {
        extra_args: vec!["-p".into(), port.to_string()],
        connect_timeout: 3,
        ..SshConfig::default()
    });
    let start = Instant::now();
    let outcome = run(
        &r,
        "std.ssh",
        json!({"cmd": "echo hi", "host": "127.0.0.1", "username": "nobody"}),
    );
    assert!(
        error_text(&outcome)
            .ends_with("msg='Failed to execute ssh cmd 'echo hi' on ['127.0.0.1']']"),
        "{outcome:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// Kills sshd when the test ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn real_sshd_on_loopback() {
    let (Some(sshd), Some(keygen)) = (which("sshd"), which("ssh-keygen")) else {
        eprintln!(
            "SKIPPED: real_sshd_on_loopback: `sshd` not installed (the test command must install openssh-server)"
        );
        return;
    };
    let dir = TempDir::new("sshd");
    let d = dir.path();
    for (file, kind) in [("host_key", "ed25519"), ("user_key", "ed25519")] {
        let ok = Command::new(&keygen)
            .args(["-q", "-t", kind, "-N", "", "-f"])
            .arg(d.join(file))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "ssh-keygen failed");
    }
    let _ = std::fs::copy(d.join("user_key.pub"), d.join("authorized_keys"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(2222);
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPidFile {}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n",
        d.join("host_key").display(),
        d.join("authorized_keys").display(),
        d.join("sshd.pid").display()
    );
    let _ = std::fs::write(d.join("sshd_config"), config);
    let daemon = Command::new(&sshd)
        .args(["-D", "-e", "-f"])
        .arg(d.join("sshd_config"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let Ok(daemon) = daemon else {
        eprintln!("SKIPPED: real_sshd_on_loopback: cannot start sshd");
        return;
    };
    let mut daemon = Daemon(daemon);
    // Wait until it listens (or died, e.g. missing /run/sshd when run as root).
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline || daemon.0.try_wait().ok().flatten().is_some() {
            let mut err = String::new();
            if let Some(mut e) = daemon.0.stderr.take() {
                use std::io::Read as _;
                let _ = e.read_to_string(&mut err);
            }
            eprintln!("SKIPPED: real_sshd_on_loopback: sshd did not start: {err}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let user = std::env::var("USER")
        .ok()
        .or_else(|| {
            Command::new("id")
                .arg("-un")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        })
        .unwrap_or_else(|| "root".into());
    let r = registry(SshConfig {
        extra_args: vec!["-p".into(), port.to_string()],
        connect_timeout: 5,
        ..SshConfig::default()
    });
    let key = d.join("user_key").to_string_lossy().into_owned();
    let outcome = run(
        &r,
        "std.ssh",
        json!({"cmd": "echo hello from sshd", "host": "127.0.0.1", "username": user,
               "private_key_filename": key}),
    );
    assert_eq!(outcome, ActionOutcome::Success(json!("hello from sshd\n")));
    let pem = std::fs::read_to_string(d.join("user_key")).unwrap_or_default();
    let inline = run(
        &r,
        "std.ssh",
        json!({"cmd": "echo out; exit 4", "host": "127.0.0.1", "username": user,
               "private_key": pem, "return_result_on_error": true}),
    );
    assert_eq!(
        inline,
        ActionOutcome::Success(json!({"stdout": "out\n", "stderr": "", "exit_code": 4}))
    );
    drop(daemon);
}
