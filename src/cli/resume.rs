//! `gale resume ID [--db PATH] [--format human|json]`: continues an execution —
//! after its process was killed (no completed task runs again; an action that was
//! in flight runs again only if its task is `safe-rerun`, otherwise it fails with
//! Mistral's "Heartbeat wasn't received."), or after a pause (Mistral's resume).
//! When another live process runs the execution, asks that process to resume it.
//! Like `gale run`, waits for the end and prints the result.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gale_engine::durable;
use gale_store::Command;

use super::durable::{Format, fail, finish, open_existing, print_stored, take_over, wait_for};

/// Arguments of `gale resume`.
#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// The execution id.
    id: String,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format (the `gale run` result object with `json`).
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale resume`.
pub fn run(args: ResumeArgs) -> ExitCode {
    let human = matches!(args.format, Format::Human);
    let mut store = match open_existing("resume", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let root_id = match durable::root_id_of(&store, &args.id) {
        Ok(r) => r,
        Err(e) => return super::durable::durable_fail("resume", &e),
    };
    match durable::live_runner(&store, &root_id) {
        Ok(Some(lease)) => {
            // Another process runs it: ask it to resume (a no-op unless PAUSED).
            if let Err(e) = store.post_command(&root_id, &Command::Resume { env: None }) {
                return fail("resume", &e.to_string());
            }
            if human {
                eprintln!("gale resume: {} runs it; asked it to resume", lease.runner);
            }
            let last = wait_for(&store, &root_id, |s| s.is_completed());
            let runner_gone = matches!(durable::live_runner(&store, &root_id), Ok(None));
            if last.is_some_and(|s| s.is_completed()) || !runner_gone {
                return print_stored("resume", &store, &args.id, human, "SUCCESS");
            }
            // The runner died while we waited: take the execution over (the resume
            // command posted above is delivered to this process then).
            if human {
                eprintln!(
                    "gale resume: {} stopped; taking the execution over",
                    lease.runner
                );
            }
        }
        Ok(None) => {}
        Err(e) => return super::durable::durable_fail("resume", &e),
    }
    let (mut engine, root, path) = match take_over("resume", store, &args.id, human) {
        Ok(t) => t,
        Err(code) => return code,
    };
    if engine.executions[root].state == gale_engine::state::State::Paused {
        engine.apply_command(root, &Command::Resume { env: None });
    }
    if human {
        eprintln!("execution {}", engine.executions[root].id);
    }
    finish("resume", engine, root, human, &path, "SUCCESS")
}
