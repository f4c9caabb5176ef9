//! `gale pause ID` and `gale cancel ID [--message M]` from any process (Mistral's
//! `PUT /v2/executions/<id>` with `PAUSED` / `CANCELLED`), and `gale complete ID
//! --task T [--state S] [--output JSON]`, which delivers the result of an asynchronous
//! action (Mistral's `PUT /v2/action_executions/<id>`). When a live process runs
//! the execution, the command goes through the store's command channel and this
//! process waits until it took effect; otherwise this process takes the execution
//! over, applies the command and lets in-flight work settle.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gale_engine::durable;
use gale_store::{Command, State};

use super::durable::{
    Format, durable_fail, fail, finish, open_existing, print_stored, take_over, wait_for,
};

/// Arguments of `gale pause`.
#[derive(Args, Debug)]
pub struct PauseArgs {
    /// The execution id.
    id: String,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Arguments of `gale cancel`.
#[derive(Args, Debug)]
pub struct CancelArgs {
    /// The execution id.
    id: String,
    /// The state info of the cancelled execution.
    #[arg(long, short = 'm')]
    message: Option<String>,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Arguments of `gale complete`.
#[derive(Args, Debug)]
pub struct CompleteArgs {
    /// The execution id.
    id: String,
    /// The task whose running asynchronous action completes (the latest execution of
    /// that task, in the execution or its sub-workflows).
    #[arg(long)]
    task: String,
    /// SUCCESS or ERROR.
    #[arg(long, default_value = "SUCCESS")]
    state: String,
    /// The action's result (SUCCESS) or error payload (ERROR), as JSON.
    #[arg(long, value_name = "JSON")]
    output: Option<String>,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale complete`: waits until the execution leaves the state it was in
/// (or completes) when a live process runs it; otherwise takes it over and runs it on.
pub fn complete(args: CompleteArgs) -> ExitCode {
    let state = match args.state.to_ascii_uppercase().as_str() {
        "SUCCESS" => State::Success,
        "ERROR" => State::Error,
        other => {
            return fail(
                "complete",
                &format!("--state must be SUCCESS or ERROR (got {other})"),
            );
        }
    };
    let output = match args.output.as_deref().map(serde_json::from_str) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => return fail("complete", &format!("--output is not JSON: {e}")),
    };
    control(
        "complete",
        &args.id,
        args.db,
        args.format,
        Command::CompleteAction {
            task: args.task,
            state,
            output,
        },
        |s| s != State::Running,
        State::Success,
    )
}

/// Runs `gale pause`.
pub fn pause(args: PauseArgs) -> ExitCode {
    control(
        "pause",
        &args.id,
        args.db,
        args.format,
        Command::Pause,
        |s| s == State::Paused || s.is_completed(),
        State::Paused,
    )
}

/// Runs `gale cancel`.
pub fn cancel(args: CancelArgs) -> ExitCode {
    control(
        "cancel",
        &args.id,
        args.db,
        args.format,
        Command::cancel(args.message),
        |s| s.is_completed(),
        State::Cancelled,
    )
}

fn control(
    cmd: &str,
    id: &str,
    db: Option<PathBuf>,
    format: Format,
    command: Command,
    done: fn(State) -> bool,
    wanted: State,
) -> ExitCode {
    let human = matches!(format, Format::Human);
    let mut store = match open_existing(cmd, db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let root_id = match durable::root_id_of(&store, id) {
        Ok(r) => r,
        Err(e) => return durable_fail(cmd, &e),
    };
    let rec = match store.get_execution(&root_id) {
        Ok(Some(r)) => r,
        Ok(None) => return durable_fail(cmd, &durable::DurableError::NotFound(root_id)),
        Err(e) => return fail(cmd, &e.to_string()),
    };
    if rec.state.is_completed() {
        eprintln!(
            "gale {cmd}: Can't change workflow execution state from {} (the execution is completed)",
            rec.state.as_str()
        );
        return ExitCode::from(1);
    }
    // Exit 0 when the execution reached `wanted` (PAUSED, CANCELLED; SUCCESS for
    // `complete`, as `gale run`), 1 otherwise (the result printed says how).
    let wanted = wanted.as_str();
    if matches!(command, Command::Pause) && rec.state == State::Paused {
        return print_stored(cmd, &store, &root_id, human, wanted);
    }
    match durable::live_runner(&store, &root_id) {
        Ok(Some(_)) => {
            if let Err(e) = store.post_command(&root_id, &command) {
                return fail(cmd, &e.to_string());
            }
            wait_for(&store, &root_id, done);
            print_stored(cmd, &store, &root_id, human, wanted)
        }
        Ok(None) => {
            let (mut engine, root, path) = match take_over(cmd, store, &root_id, human) {
                Ok(t) => t,
                Err(code) => return code,
            };
            engine.apply_command(root, &command);
            finish(cmd, engine, root, human, &path, wanted)
        }
        Err(e) => durable_fail(cmd, &e),
    }
}
