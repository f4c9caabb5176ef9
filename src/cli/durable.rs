//! Shared plumbing of the durable-execution commands (`gale run` with a store,
//! `resume`, `pause`, `cancel`, `rerun`, `executions`, `why`, `trace`): opening the
//! store, preparing an engine, waiting for another process, printing results.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gale_engine::durable::{self, DurableError, DurableOptions, RunEnd, Started};
use gale_engine::{Engine, StartOptions, TraceEvent};
use gale_store::{State, Store};
use serde_json::Value as Json;

/// Where the store is (`--db PATH`, default: the user's data directory).
pub fn store_path(db: Option<&Path>) -> Option<PathBuf> {
    db.map(Path::to_path_buf).or_else(gale_store::default_path)
}

/// Opens the store for `gale run`: `Ok(None)` means run in memory (`--no-store`, or
/// the default store cannot be opened — with a warning).
pub fn open_for_run(db: Option<&Path>, no_store: bool) -> Result<Option<Store>, ExitCode> {
    if no_store {
        return Ok(None);
    }
    let Some(path) = store_path(db) else {
        eprintln!("gale run: warning: no data directory; running without a store");
        return Ok(None);
    };
    match Store::open(&path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if db.is_some() => Err(fail("run", &format!("{}: {e}", path.display()))),
        Err(e) => {
            eprintln!(
                "gale run: warning: cannot open the store {}: {e}; running without a store",
                path.display()
            );
            Ok(None)
        }
    }
}

/// Opens an existing store (every command but `run`).
pub fn open_existing(cmd: &str, db: Option<&Path>) -> Result<Store, ExitCode> {
    let Some(path) = store_path(db) else {
        return Err(fail(cmd, "no data directory; use --db PATH"));
    };
    if !path.exists() {
        return Err(fail(
            cmd,
            &format!(
                "no store at {} (nothing was run with a store yet)",
                path.display()
            ),
        ));
    }
    Store::open(&path).map_err(|e| fail(cmd, &format!("{}: {e}", path.display())))
}

/// Prints `gale CMD: msg` and returns the usage exit code.
pub fn fail(cmd: &str, msg: &str) -> ExitCode {
    eprintln!("gale {cmd}: {msg}");
    ExitCode::from(super::EXIT_USAGE)
}

/// An error of the engine's durable layer as an exit code (1 for a missing
/// execution or a busy one, 2 for store errors).
pub fn durable_fail(cmd: &str, e: &DurableError) -> ExitCode {
    eprintln!("gale {cmd}: {e}");
    match e {
        DurableError::NotFound(_) | DurableError::Busy(_) | DurableError::Start(_) => {
            ExitCode::from(1)
        }
        _ => ExitCode::from(super::EXIT_USAGE),
    }
}

/// The path of task names that completed (for the human summary of a failure).
pub type TaskPath = Rc<RefCell<Vec<String>>>;

/// Installs Jinja, the YAML loader and the progress printer (human format).
pub fn setup_engine(engine: &mut Engine, human: bool) -> Result<TaskPath, String> {
    super::project::install_actions(engine)?;
    engine.set_yaml_loader(gale_codegen::eval::load_yaml);
    let path: TaskPath = Rc::new(RefCell::new(Vec::new()));
    let p = path.clone();
    engine.set_trace(Box::new(move |e| match e {
        TraceEvent::TaskStarted { task } => {
            if human {
                eprintln!("  ▶ {task}");
            }
        }
        TraceEvent::TaskCompleted { task, state } => {
            p.borrow_mut().push(format!("{task} ({})", state.name()));
            if human {
                let mark = if state.name() == "SUCCESS" {
                    "✓"
                } else {
                    "✗"
                };
                eprintln!("  {mark} {task} {}", state.name());
            }
        }
        TraceEvent::Transition { from, to, event } => {
            if human {
                eprintln!("    {from} --{event}--> {to}");
            }
        }
    }));
    Ok(path)
}

/// Prints a result object as `gale run` does; exit 0 when the execution is in state
/// `wanted` (SUCCESS for `run`, PAUSED for `pause`, …), 1 otherwise.
pub fn print_result(result: &Json, human: bool, path: &[String], wanted: &str) -> ExitCode {
    let ok = result["state"] == "SUCCESS";
    if human {
        out(&format!(
            "workflow {} {}",
            result["workflow"].as_str().unwrap_or(""),
            result["state"].as_str().unwrap_or("")
        ));
        if let Some(info) = result["state_info"].as_str() {
            out(&format!("state info: {info}"));
        }
        out(&format!(
            "output: {}",
            serde_json::to_string_pretty(&result["output"]).unwrap_or_default()
        ));
        if !ok && !path.is_empty() {
            out(&format!("path: {}", path.join(" -> ")));
        }
        if result["state"] == "PAUSED" {
            out(&format!(
                "paused: inspect with `gale executions show {0}`, continue with `gale resume {0}`",
                result["id"].as_str().unwrap_or("")
            ));
        }
    } else {
        out(&serde_json::to_string_pretty(result).unwrap_or_default());
    }
    if result["state"] == wanted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints a line to stdout, ignoring a closed pipe.
pub fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// Loads execution `id` (read-only) and prints it as `gale run` would (exit status:
/// see [`print_result`]).
pub fn print_stored(cmd: &str, store: &Store, id: &str, human: bool, wanted: &str) -> ExitCode {
    match durable::load(store, id, |_| {}) {
        Ok((loaded, idx)) => print_result(&loaded.engine.result_json(idx), human, &[], wanted),
        Err(e) => durable_fail(cmd, &e),
    }
}

/// Starts a new durable execution and runs it to its end.
pub fn run_new(
    mut engine: Engine,
    store: Store,
    workflow: &str,
    opts: &StartOptions,
    options: &DurableOptions,
    human: bool,
    path: &TaskPath,
) -> ExitCode {
    let store_file = store.path().map(Path::to_path_buf);
    match engine.start_durable(store, workflow, opts, options) {
        Ok(Started::Existing(rec)) => {
            if human {
                eprintln!(
                    "gale run: execution {} already exists ({}); not started again",
                    rec.id,
                    rec.state.as_str()
                );
            }
            let Some(p) = store_file else {
                return fail("run", "in-memory store");
            };
            match Store::open(&p) {
                Ok(s) => print_stored("run", &s, &rec.id, human, "SUCCESS"),
                Err(e) => fail("run", &e.to_string()),
            }
        }
        Ok(Started::Created(root)) => {
            if human {
                eprintln!("execution {}", engine.executions[root].id);
            }
            finish("run", engine, root, human, path, "SUCCESS")
        }
        Err(DurableError::Start(e)) => {
            eprintln!("gale run: cannot start {workflow}: {e}");
            ExitCode::from(1)
        }
        Err(e) => durable_fail("run", &e),
    }
}

/// Runs a taken-over engine to its end and prints the result (exit status: see
/// [`print_result`]).
pub fn finish(
    cmd: &str,
    mut engine: Engine,
    root: usize,
    human: bool,
    path: &TaskPath,
    wanted: &str,
) -> ExitCode {
    match engine.run_durable(root) {
        Ok(end) => {
            if end == RunEnd::Stuck && human {
                eprintln!("gale {cmd}: nothing can happen any more; the execution stays RUNNING");
            }
            // The human result needs no task; the JSON one lists every task, so
            // only it loads the tasks a resume left unread.
            let result = if human {
                engine.summary_json(root)
            } else if let Err(e) = engine.fault_in_all() {
                return durable_fail(cmd, &e);
            } else {
                engine.result_json(root)
            };
            print_result(&result, human, &path.borrow(), wanted)
        }
        Err(e) => durable_fail(cmd, &e),
    }
}

/// Takes over execution `id` (prints the actions that were in flight). `Err` is the
/// exit code to return.
pub fn take_over(
    cmd: &str,
    store: Store,
    id: &str,
    human: bool,
) -> Result<(Engine, usize, TaskPath), ExitCode> {
    let root_id = durable::root_id_of(&store, id).map_err(|e| durable_fail(cmd, &e))?;
    let rec = match store.get_execution(&root_id) {
        Ok(Some(r)) => r,
        Ok(None) => return Err(durable_fail(cmd, &DurableError::NotFound(root_id))),
        Err(e) => return Err(fail(cmd, &e.to_string())),
    };
    let program = durable::program_of(&rec).map_err(|e| durable_fail(cmd, &e))?;
    let mut engine = Engine::new(Rc::new(program));
    let path = setup_engine(&mut engine, human).map_err(|e| fail(cmd, &e))?;
    let root = engine
        .resume_durable(store, &root_id)
        .map_err(|e| durable_fail(cmd, &e))?;
    for lost in engine.lost_actions() {
        if lost.rerun {
            eprintln!(
                "gale {cmd}: action {} of task {} was in flight when the previous run stopped; \
                 running it again (safe-rerun)",
                lost.action, lost.task
            );
        } else {
            eprintln!(
                "gale {cmd}: action {} of task {} was in flight when the previous run stopped; \
                 it is not safe-rerun, so it fails as in Mistral: {}",
                lost.action,
                lost.task,
                durable::HEARTBEAT_LOST
            );
        }
    }
    Ok((engine, root, path))
}

/// Waits until root execution `id` leaves RUNNING (or `until` says stop), polling
/// the store; returns the last record state.
pub fn wait_for(store: &Store, id: &str, until: impl Fn(State) -> bool) -> Option<State> {
    let start = Instant::now();
    loop {
        if let Ok(Some(r)) = store.get_execution(id) {
            let last = Some(r.state);
            if until(r.state) {
                return last;
            }
            // The runner may have died: stop waiting when no live runner is left.
            if !r.state.is_completed()
                && start.elapsed() > Duration::from_secs(1)
                && matches!(durable::live_runner(store, id), Ok(None))
            {
                return last;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `--format` of the inspection commands.
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum Format {
    /// Text for people.
    #[default]
    Human,
    /// JSON.
    Json,
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn timestamp(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
