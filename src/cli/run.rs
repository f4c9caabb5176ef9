//! `gale run FILE|ARTIFACT [--workflow W] [--task T] [--input JSON|@FILE]
//! [--env JSON|@FILE] [--format human|json] [-O0|-O1]`: runs a workflow with
//! Mistral 23's semantics. Human format: progress lines, then a summary, and on
//! failure the path of tasks that led there; json: the result object of
//! architecture.md §4. Exit 0 on SUCCESS, 1 otherwise, 2 usage/IO.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Args, ValueEnum};
use gale_codegen::workflow::OptLevel;
use gale_engine::{Engine, StartOptions, TraceEvent};
use serde_json::{Map, Value as Json};

use super::durable::out;

/// Output format of `gale run`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RunFormat {
    /// Progress and a summary.
    Human,
    /// One JSON object.
    Json,
}

/// Arguments of `gale run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// A Mistral document or a compiled artifact (`gale compile -o`).
    #[arg(required_unless_present = "from")]
    file: Option<std::path::PathBuf>,
    /// The workflow to start (default: the only / first workflow).
    #[arg(long)]
    workflow: Option<String>,
    /// Target task of a reverse workflow.
    #[arg(long)]
    task: Option<String>,
    /// Workflow input: JSON text or @FILE.
    #[arg(long)]
    input: Option<String>,
    /// Execution environment: JSON text or @FILE.
    #[arg(long)]
    env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: RunFormat,
    /// Optimisation level: `-O0` or `-O1` (default).
    #[arg(short = 'O', default_value = "1")]
    opt: u8,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<std::path::PathBuf>,
    /// Run in memory only (nothing recorded, no resume).
    #[arg(long, conflicts_with_all = ["db", "id", "from", "trace", "break_before"])]
    no_store: bool,
    /// The execution id; if an execution with this id exists, print it instead of
    /// starting a second one.
    #[arg(long, value_name = "ID")]
    id: Option<String>,
    /// Start a new execution from an existing one (its workflow, input, env and
    /// parameters; `--input`/`--env`/`--workflow`/`--task` override).
    #[arg(long, value_name = "ID", conflicts_with = "file")]
    from: Option<String>,
    /// Record every step — task starts and ends, actions, transitions, each
    /// expression with its value (`gale trace ID` shows it).
    #[arg(long)]
    trace: bool,
    /// Pause before task TASK starts (as `pause-before` does); repeatable.
    #[arg(long, value_name = "TASK")]
    break_before: Vec<String>,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gale run: {msg}");
    ExitCode::from(super::EXIT_USAGE)
}

fn json_arg(arg: &Option<String>) -> Result<Option<Json>, String> {
    let Some(a) = arg else { return Ok(None) };
    let text = match a.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?,
        None => a.clone(),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| format!("invalid JSON: {e}"))
}

/// Loads a program from a document (checked first) or an artifact.
pub fn load_program(
    path: &std::path::Path,
    level: OptLevel,
) -> Result<gale_bytecode::workflow::Program, (u8, String)> {
    let bytes =
        std::fs::read(path).map_err(|e| (super::EXIT_USAGE, format!("{}: {e}", path.display())))?;
    if gale_bytecode::workflow::artifact::is_program_artifact(&bytes) {
        return gale_bytecode::workflow::artifact::decode_program(&bytes)
            .map_err(|e| (super::EXIT_USAGE, format!("{}: {e}", path.display())));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        (
            super::EXIT_USAGE,
            format!("{}: not valid UTF-8", path.display()),
        )
    })?;
    let name = path.display().to_string();
    let db = gale_db::Database::new();
    let file = db.add_file(name.clone(), text.clone());
    let lowered = gale_db::lower(&db, file);
    let errors: Vec<_> = lowered
        .diagnostics
        .iter()
        .filter(|d| d.severity == gale_diagnostics::Severity::Error)
        .collect();
    if !errors.is_empty() || lowered.document.is_none() {
        let index = gale_diagnostics::LineIndex::new(&text);
        let mut msg = String::new();
        for d in &errors {
            let lc = index.line_col(&text, d.primary.span.start);
            msg.push_str(&format!(
                "{name}:{}:{}: error[{}]: {}\n",
                lc.line + 1,
                lc.col + 1,
                d.code,
                d.message
            ));
        }
        if msg.is_empty() {
            msg = format!("{name}: not a Mistral document\n");
        }
        return Err((1, msg));
    }
    let Some(doc) = lowered.document.as_ref() else {
        return Err((1, format!("{name}: not a Mistral document\n")));
    };
    Ok(gale_codegen::workflow::lower_document(
        doc,
        &lowered.source_map,
        &text,
        level,
    ))
}

/// Runs `gale run`.
pub fn run(args: RunArgs) -> ExitCode {
    let level = if args.opt == 0 {
        OptLevel::O0
    } else {
        OptLevel::O1
    };
    let Some(file) = args.file.clone() else {
        return run_from(&args);
    };
    let mut program = match load_program(&file, level) {
        Ok(p) => p,
        Err((code, msg)) => {
            eprint!("{msg}");
            if !msg.ends_with('\n') {
                eprintln!();
            }
            return ExitCode::from(code);
        }
    };
    let input = match json_arg(&args.input) {
        Ok(Some(Json::Object(m))) => m,
        Ok(None) => Map::new(),
        Ok(Some(_)) => return usage("--input must be a JSON object"),
        Err(e) => return usage(&e),
    };
    let env = match json_arg(&args.env) {
        Ok(e) => e,
        Err(e) => return usage(&e),
    };
    if let Err(e) = check_break_before(&program, &args.break_before) {
        return usage(&e);
    }
    let workflow = match &args.workflow {
        Some(w) => w.clone(),
        None => match program.workflows.first() {
            Some(w) => program.full_name(&w.name),
            None => return usage("the document has no workflow"),
        },
    };
    let env_template = env
        .as_ref()
        .map(|e| gale_codegen::workflow::add_json_template(&mut program, e));
    let mut engine = Engine::new(Rc::new(program));
    if let Err(e) = super::project::install_actions(&mut engine) {
        return usage(&e);
    }
    engine.set_yaml_loader(gale_codegen::eval::load_yaml);
    let human = matches!(args.format, RunFormat::Human);
    let path: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
    let started_at = std::time::Instant::now();
    let progress = Rc::new(Progress::new());
    {
        let path = path.clone();
        let progress = progress.clone();
        engine.set_trace(Box::new(move |e| match e {
            TraceEvent::TaskStarted { task } => {
                if human {
                    progress.started(task);
                }
            }
            TraceEvent::TaskCompleted { task, state } => {
                path.borrow_mut().push(format!("{task} ({})", state.name()));
                if human {
                    progress.completed(task, state.name());
                }
            }
            TraceEvent::Transition { from, to, event } => {
                if human {
                    progress.transition(from, to, event);
                }
            }
        }));
    }
    let opts = StartOptions {
        input,
        env,
        task: args.task.clone(),
        params: Map::new(),
        deadline: None,
        env_template,
    };
    match super::durable::open_for_run(args.db.as_deref(), args.no_store) {
        Ok(Some(store)) => {
            let options = durable_options(&args);
            return super::durable::run_new(
                engine, store, &workflow, &opts, &options, human, &path,
            );
        }
        Ok(None) => {}
        Err(code) => return code,
    }
    let root = match engine.start(&workflow, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("gale run: cannot start {workflow}: {}", e.error);
            return ExitCode::from(1);
        }
    };
    let _ = engine.run(root, None);
    let result = engine.result_json(root);
    let ok = result["state"] == "SUCCESS";
    match args.format {
        RunFormat::Json => out(&serde_json::to_string_pretty(&result).unwrap_or_default()),
        RunFormat::Human => {
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
            out(&task_summary(&result, started_at.elapsed()));
            if !ok {
                out(&format!("path: {}", path.borrow().join(" -> ")));
                for t in result["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    if let Some(name) = t["name"].as_str()
                        && t["state"] == "ERROR"
                    {
                        out(&format!("failed: {}", progress.route(name).join(" -> ")));
                    }
                }
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Live progress of the human format on stderr: one line per task start, completion
/// (with its state and time since it started) and transition, indented under the task
/// that led there. Colours only when stderr is a terminal.
struct Progress {
    tty: bool,
    /// Start instant and depth of each running task (latest execution by name).
    running: RefCell<std::collections::HashMap<String, (std::time::Instant, usize)>>,
    /// Depth of the tasks that transitions announced (child of the source task).
    depth: RefCell<std::collections::HashMap<String, usize>>,
    /// The task whose transition led to each task (latest).
    parent: RefCell<std::collections::HashMap<String, String>>,
}

impl Progress {
    fn new() -> Progress {
        use std::io::IsTerminal;
        Progress {
            tty: std::io::stderr().is_terminal(),
            running: RefCell::default(),
            depth: RefCell::default(),
            parent: RefCell::default(),
        }
    }

    /// The tasks that led to `task`, start task first, `task` last.
    fn route(&self, task: &str) -> Vec<String> {
        let parent = self.parent.borrow();
        let mut route = vec![task.to_string()];
        let mut at = task;
        while let Some(p) = parent.get(at) {
            if route.iter().any(|r| r == p) || route.len() > 1000 {
                break;
            }
            route.push(p.clone());
            at = p;
        }
        route.reverse();
        route
    }

    fn indent(depth: usize) -> String {
        "  ".repeat(depth.min(20) + 1)
    }

    fn paint(&self, code: &str, text: &str) -> String {
        if self.tty {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn started(&self, task: &str) {
        let depth = self.depth.borrow().get(task).copied().unwrap_or(0);
        self.running
            .borrow_mut()
            .insert(task.to_string(), (std::time::Instant::now(), depth));
        eprintln!("{}▶ {task}", Self::indent(depth));
    }

    fn completed(&self, task: &str, state: &str) {
        let (took, depth) = match self.running.borrow_mut().remove(task) {
            Some((at, depth)) => (Some(at.elapsed()), depth),
            None => (None, self.depth.borrow().get(task).copied().unwrap_or(0)),
        };
        let (mark, colour) = match state {
            "SUCCESS" => ("✓", "32"),
            "ERROR" => ("✗", "31"),
            _ => ("•", "33"),
        };
        let took = took
            .map(|d| format!(" {}", self.paint("2", &format!("({})", human_duration(d)))))
            .unwrap_or_default();
        eprintln!(
            "{}{} {task} {}{took}",
            Self::indent(depth),
            self.paint(colour, mark),
            self.paint(colour, state)
        );
    }

    fn transition(&self, from: &str, to: &str, event: &str) {
        let depth = self.depth.borrow().get(from).copied().unwrap_or(0);
        self.depth.borrow_mut().insert(to.to_string(), depth + 1);
        self.parent
            .borrow_mut()
            .insert(to.to_string(), from.to_string());
        eprintln!(
            "{}{}",
            Self::indent(depth + 1),
            self.paint("2", &format!("{from} --{event}--> {to}"))
        );
    }
}

/// `1.2 ms`, `3.40 s`.
fn human_duration(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 0.001 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// `tasks: 3 (2 SUCCESS, 1 ERROR) in 1.2 ms` from the result object.
fn task_summary(result: &Json, took: std::time::Duration) -> String {
    let tasks = result["tasks"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    let mut counts: Vec<(String, usize)> = Vec::new();
    for t in tasks {
        let st = t["state"].as_str().unwrap_or("?").to_string();
        match counts.iter_mut().find(|(s, _)| *s == st) {
            Some((_, n)) => *n += 1,
            None => counts.push((st, 1)),
        }
    }
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(
        "tasks: {} ({}) in {}",
        tasks.len(),
        parts.join(", "),
        human_duration(took)
    )
}

/// `--break-before` names tasks of the program that can be held: a name no
/// workflow has is a typo, and a join task gets no before-start policy in Mistral
/// (its execution is created WAITING and started by `continue_task`, which skips
/// `pause-before`), so a break there would never happen.
fn check_break_before(
    program: &gale_bytecode::workflow::Program,
    names: &[String],
) -> Result<(), String> {
    let tasks = || program.workflows.iter().flat_map(|w| &w.tasks);
    for name in names {
        let found: Vec<_> = tasks().filter(|t| &t.name == name).collect();
        if found.is_empty() {
            let hint = gale_diagnostics::did_you_mean(name, tasks().map(|t| t.name.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(format!("--break-before: no task `{name}`{hint}"));
        }
        if found.iter().all(|t| t.join.is_some()) {
            return Err(format!(
                "--break-before: `{name}` is a join task; Mistral applies no before-start \
                 policy to a join (pause-before is ignored there), so break before a task \
                 it leads to instead"
            ));
        }
    }
    Ok(())
}

/// The durable options of `gale run`.
fn durable_options(args: &RunArgs) -> gale_engine::durable::DurableOptions {
    gale_engine::durable::DurableOptions {
        id: args.id.clone(),
        source_execution_id: None,
        description: None,
        trace: args.trace,
        break_before: args.break_before.clone(),
    }
}

/// Mistral's recursive `merge_dicts(left, right)` (right wins).
fn deep_merge(left: &mut Map<String, Json>, right: &Map<String, Json>) {
    for (k, v) in right {
        match (left.get_mut(k), v) {
            (Some(Json::Object(l)), Json::Object(r)) => deep_merge(l, r),
            _ => {
                left.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `gale run --from ID`: a new execution from an existing one (Mistral's
/// `source_execution_id`), the request's fields deep-merged over the source's.
fn run_from(args: &RunArgs) -> ExitCode {
    let Some(from) = &args.from else {
        return usage("a FILE or --from ID is required");
    };
    let human = matches!(args.format, RunFormat::Human);
    let store = match super::durable::open_existing("run", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let source = match store.get_execution(from) {
        Ok(Some(r)) => r,
        Ok(None) => {
            eprintln!("gale run: no execution with id {from}");
            return ExitCode::from(1);
        }
        Err(e) => return usage(&e.to_string()),
    };
    let mut program = match gale_engine::durable::program_of(&source) {
        Ok(p) => p,
        Err(e) => return usage(&e.to_string()),
    };
    if let Err(e) = check_break_before(&program, &args.break_before) {
        return usage(&e);
    }
    let mut input = match &source.input {
        Json::Object(m) => m.clone(),
        _ => Map::new(),
    };
    match json_arg(&args.input) {
        Ok(Some(Json::Object(m))) => deep_merge(&mut input, &m),
        Ok(None) => {}
        Ok(Some(_)) => return usage("--input must be a JSON object"),
        Err(e) => return usage(&e),
    }
    let mut env = match &source.env {
        Json::Object(m) => m.clone(),
        _ => Map::new(),
    };
    match json_arg(&args.env) {
        Ok(Some(Json::Object(m))) => deep_merge(&mut env, &m),
        Ok(None) => {}
        Ok(Some(_)) => return usage("--env must be a JSON object"),
        Err(e) => return usage(&e),
    }
    let mut params = match &source.params {
        Json::Object(m) => m.clone(),
        _ => Map::new(),
    };
    params.remove("env");
    let task = args.task.clone().or_else(|| {
        params
            .remove("task_name")
            .and_then(|t| t.as_str().map(str::to_string))
    });
    let env = Json::Object(env);
    let env_template = Some(gale_codegen::workflow::add_json_template(
        &mut program,
        &env,
    ));
    let workflow = args
        .workflow
        .clone()
        .unwrap_or_else(|| source.workflow_name.clone());
    let mut engine = Engine::new(Rc::new(program));
    let path = match super::durable::setup_engine(&mut engine, human) {
        Ok(path) => path,
        Err(e) => return usage(&e),
    };
    let opts = StartOptions {
        input,
        env: Some(env),
        task,
        params,
        deadline: None,
        env_template,
    };
    let mut options = durable_options(args);
    options.source_execution_id = Some(source.id.clone());
    options.description = Some(format!("Based on the execution '{}'", source.id));
    super::durable::run_new(engine, store, &workflow, &opts, &options, human, &path)
}
