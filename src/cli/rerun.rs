//! `gale rerun ID --task NAME [--reset | --no-reset]`: re-runs a failed task as
//! Mistral's `PUT /v2/tasks/<id>` with `state: RUNNING` does — the workflow (and its
//! parents) return to RUNNING; `--reset` (default) discards the task's previous
//! action results, `--no-reset` (with-items tasks only) re-runs just the failed
//! iterations; `--env JSON|@FILE` merges into the execution's environment first
//! (Mistral's rerun `env`). Then waits for the end and prints the result, like
//! `gale run`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gale_engine::durable;

use super::durable::{Format, durable_fail, fail, finish, open_existing, take_over};

/// Arguments of `gale rerun`.
#[derive(Args, Debug)]
pub struct RerunArgs {
    /// The execution id (the root or the sub-workflow execution of the task).
    id: String,
    /// The task to re-run (its last execution must be in ERROR).
    #[arg(long)]
    task: String,
    /// Discard every previous action result of the task (the default).
    #[arg(long, conflicts_with = "no_reset")]
    reset: bool,
    /// Re-run only the failed iterations of a with-items task.
    #[arg(long)]
    no_reset: bool,
    /// Merge into the execution's environment before re-running (a JSON object,
    /// or @FILE), as Mistral's rerun `env`.
    #[arg(long, value_name = "JSON|@FILE")]
    env: Option<String>,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale rerun`.
pub fn run(args: RerunArgs) -> ExitCode {
    let human = matches!(args.format, Format::Human);
    let env = match env_arg(args.env.as_deref()) {
        Ok(e) => e,
        Err(msg) => return fail("rerun", &msg),
    };
    let store = match open_existing("rerun", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let root_id = match durable::root_id_of(&store, &args.id) {
        Ok(r) => r,
        Err(e) => return durable_fail("rerun", &e),
    };
    match durable::live_runner(&store, &root_id) {
        Ok(Some(l)) => return durable_fail("rerun", &durable::DurableError::Busy(l)),
        Ok(None) => {}
        Err(e) => return durable_fail("rerun", &e),
    }
    let (mut engine, root, path) = match take_over("rerun", store, &root_id, human) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if let Err(e) = engine.rerun_task(&args.task, !args.no_reset, env.as_ref()) {
        // Release the lease without running anything.
        let _ = engine.release_durable();
        return durable_fail("rerun", &e);
    }
    finish("rerun", engine, root, human, &path, "SUCCESS")
}

/// `--env`: a JSON object, given inline or as `@FILE`.
fn env_arg(
    arg: Option<&str>,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, String> {
    let Some(a) = arg else { return Ok(None) };
    let text = match a.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("--env {path}: {e}"))?,
        None => a.to_string(),
    };
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err("--env must be a JSON object".into()),
        Err(e) => Err(format!("--env is not JSON: {e}")),
    }
}
