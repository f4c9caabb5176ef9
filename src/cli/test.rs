//! `gale test [PATH…] [--format human|json] [--filter TEXT] [--show-actual]`: runs workflow tests
//! (`*.test.yaml`, format in `docs/testing.md`) on the in-memory engine with mocked
//! actions, and reports each test with a diff of expected and actual values.
//!
//! Tests are hermetic: network actions (`std.http`, `std.email`, `std.ssh`, …)
//! must be mocked, pure std actions (`std.echo`, `std.noop`, `std.fail`, …) run for
//! real. Exit 0 when every test passes, 1 when a test fails, 2 on usage errors and
//! on test files (or workflow files) that cannot be read.
//!
//! Submodules: [`spec`] (the file format), [`mock`] (the mocked actions),
//! [`compare`] (expected vs actual) and [`report`] (human and JSON output).

mod compare;
mod mock;
mod report;
mod spec;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use gale_bytecode::workflow::{CallKind, Program};
use gale_codegen::workflow::OptLevel;
use gale_engine::{Engine, StartOptions, TraceEvent};
use serde_json::{Map, Value as Json};

use compare::{Mismatch, compare};
use spec::{Expected, FileError, Loc, TestCase};

/// Output format of `gale test`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum TestFormat {
    /// One line per test, details and a diff for each failure, a summary.
    Human,
    /// One JSON object.
    Json,
}

/// Arguments of `gale test`.
#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files, or folders searched for `*.test.yaml` (default: `.`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: TestFormat,
    /// Run only the tests whose name contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// After each test, print its actual outcome as an `expect:` block (YAML) to
    /// review and paste into the test file.
    #[arg(long)]
    show_actual: bool,
}

/// How a test ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Every expectation held.
    Passed,
    /// An expectation did not hold.
    Failed,
    /// The test could not run (its workflow or mocks are wrong).
    Error,
}

/// One failed check of a test.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What was checked, e.g. `expect.output` or `mocks`.
    pub check: String,
    /// Where the expectation is written.
    pub loc: Option<Loc>,
    /// A message when the failure is not a value difference.
    pub message: Option<String>,
    /// Value differences.
    pub mismatches: Vec<Mismatch>,
    /// The expectation, aligned with `actual` (for the diff).
    pub expected: Option<Json>,
    /// The actual value (restricted to what was asked).
    pub actual: Option<Json>,
}

impl Failure {
    fn message(check: &str, loc: Option<Loc>, message: String) -> Failure {
        Failure {
            check: check.to_string(),
            loc,
            message: Some(message),
            mismatches: Vec::new(),
            expected: None,
            actual: None,
        }
    }
}

/// The outcome of one test.
#[derive(Clone, Debug)]
pub struct TestOutcome {
    /// The test file.
    pub file: String,
    /// The test name.
    pub name: String,
    /// Where the test is written.
    pub loc: Loc,
    /// How it ended.
    pub status: Status,
    /// What went wrong.
    pub failures: Vec<Failure>,
    /// Completed tasks in order, `name (STATE)`.
    pub tasks_run: Vec<String>,
    /// Tasks of the root execution still RUNNING (or WAITING…) at the end.
    pub still_running: Vec<String>,
    /// The root execution as `gale run --format json` prints it (when it ran).
    pub actual: Option<Json>,
    /// The root execution's final state, when it ran.
    pub state: Option<String>,
    /// Its state info.
    pub state_info: Option<String>,
    /// Wall time.
    pub duration: Duration,
}

/// Runs `gale test`.
pub fn run(args: TestArgs) -> ExitCode {
    let started = Instant::now();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut file_errors: Vec<FileError> = Vec::new();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for p in &paths {
        discover(p, &mut files, &mut file_errors);
    }
    if files.is_empty() && file_errors.is_empty() {
        eprintln!(
            "gale test: no test files (*.test.yaml) under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(super::EXIT_USAGE);
    }
    // The project's actions (std options and plugins from gale.toml): mocks wrap them.
    let actions = match super::project::action_registry(None) {
        Ok(r) => r.unwrap_or_else(|| gale_engine::actions::std_registry(&Default::default())),
        Err(e) => {
            eprintln!("gale test: {e}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let mut programs: HashMap<PathBuf, Result<Rc<Program>, String>> = HashMap::new();
    let mut results: Vec<report::FileResult> = Vec::new();
    let mut selected = 0usize;
    for (path, display) in files {
        match spec::read(&path, &display) {
            Err(e) => results.push(report::FileResult {
                file: display,
                error: Some(e),
                outcomes: Vec::new(),
            }),
            Ok(tf) => {
                let mut outcomes = Vec::new();
                for case in &tf.tests {
                    if let Some(f) = &args.filter
                        && !case.name.contains(f.as_str())
                    {
                        continue;
                    }
                    selected += 1;
                    let run = std::panic::AssertUnwindSafe(|| {
                        run_case(&tf.display, case, &mut programs, &actions)
                    });
                    outcomes.push(match std::panic::catch_unwind(run) {
                        Ok(o) => o,
                        Err(_) => error_outcome(
                            &tf.display,
                            case,
                            Failure::message(
                                "engine",
                                Some(case.loc.clone()),
                                "internal error while running this test (a bug in Gale; please report it)".into(),
                            ),
                        ),
                    });
                }
                results.push(report::FileResult {
                    file: tf.display,
                    error: None,
                    outcomes,
                });
            }
        }
    }
    for e in file_errors {
        results.push(report::FileResult {
            file: e.file.clone(),
            error: Some(e),
            outcomes: Vec::new(),
        });
    }
    let summary = report::Summary::of(&results, started.elapsed());
    match args.format {
        TestFormat::Human => {
            report::human(&results, &summary, report::use_color(), args.show_actual)
        }
        TestFormat::Json => report::json(&results, &summary),
    }
    if let Some(f) = &args.filter
        && selected == 0
    {
        eprintln!("gale test: no test name contains `{f}`");
        return ExitCode::from(super::EXIT_USAGE);
    }
    if summary.file_errors > 0 || summary.errors > 0 {
        ExitCode::from(super::EXIT_USAGE)
    } else if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Adds the test files at `path` (a file, or a folder searched recursively).
fn discover(path: &Path, files: &mut Vec<(PathBuf, String)>, errors: &mut Vec<FileError>) {
    let display = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(FileError {
                loc: None,
                file: display,
                message: e.to_string(),
            });
            return;
        }
    };
    if meta.is_file() {
        files.push((path.to_path_buf(), display));
        return;
    }
    let mut found = Vec::new();
    walk(path, &mut found, 0);
    found.sort();
    for p in found {
        let p = p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p);
        let d = p.display().to_string();
        files.push((p, d));
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 32 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&p, out, depth + 1);
            }
        } else if name.ends_with(".test.yaml") || name.ends_with(".test.yml") {
            out.push(p);
        }
    }
}

fn error_outcome(file: &str, case: &TestCase, failure: Failure) -> TestOutcome {
    TestOutcome {
        file: file.to_string(),
        name: case.name.clone(),
        loc: case.loc.clone(),
        status: Status::Error,
        failures: vec![failure],
        tasks_run: Vec::new(),
        still_running: Vec::new(),
        actual: None,
        state: None,
        state_info: None,
        duration: Duration::ZERO,
    }
}

/// The actions the tasks call by a literal name that is neither a std action
/// nor an ad-hoc one — OpenStack actions such as `nova.servers_create`, which no
/// registry here knows: registered for the test, so that a task mock stands in
/// for whatever action the task calls, and an unmocked one is reported as such
/// instead of as an unknown action. (Ad-hoc actions are expanded by the engine to
/// their base action; a misspelt `std.*` name stays Mistral's "Failed to find
/// action".)
fn custom_task_actions(
    program: &Program,
    known: &gale_engine::actions::ActionRegistry,
) -> Vec<String> {
    program
        .workflows
        .iter()
        .flat_map(|w| &w.tasks)
        .filter(|t| t.call_kind == CallKind::Action)
        .filter_map(|t| t.action_literal.clone())
        .filter(|a| !a.starts_with("std.") && !a.contains("<%") && !a.contains("{{"))
        .filter(|a| !known.contains(a))
        .filter(|a| {
            !program
                .actions
                .iter()
                .any(|x| program.full_name(&x.name) == *a || x.name == *a)
        })
        .collect()
}

/// Checks that the mocks and expectations name things that exist.
fn check_names(
    case: &TestCase,
    program: &Program,
    actions: &gale_engine::actions::ActionRegistry,
) -> Option<Failure> {
    let tasks: Vec<(&str, CallKind)> = program
        .workflows
        .iter()
        .flat_map(|w| w.tasks.iter().map(|t| (t.name.as_str(), t.call_kind)))
        .collect();
    let names: Vec<&str> = tasks.iter().map(|(n, _)| *n).collect();
    let unknown_task = |name: &str, what: &str, loc: &Loc| {
        let hint = spec::did_you_mean(name, &names)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        Failure::message(
            what,
            Some(loc.clone()),
            format!("no task `{name}` in {}{hint}", shown(&case.workflow_file)),
        )
    };
    for (name, mock) in &case.mocks.tasks {
        match tasks.iter().find(|(n, _)| n == name) {
            None => return Some(unknown_task(name, "mocks.tasks", &mock.loc)),
            Some((_, CallKind::Workflow)) => {
                return Some(Failure::message(
                    "mocks.tasks",
                    Some(mock.loc.clone()),
                    format!(
                        "task `{name}` calls a sub-workflow, which has no action to mock; mock the tasks inside that workflow"
                    ),
                ));
            }
            _ => {}
        }
    }
    for t in &case.expect.tasks {
        if !names.contains(&t.name.as_str()) {
            return Some(unknown_task(&t.name, "expect.tasks", &t.loc));
        }
    }
    for (name, mock) in &case.mocks.actions {
        if let Some(a) = program
            .actions
            .iter()
            .find(|a| program.full_name(&a.name) == *name || a.name == *name)
        {
            return Some(Failure::message(
                "mocks.actions",
                Some(mock.loc.clone()),
                format!(
                    "`{name}` is an ad-hoc action; mock its base action `{}` or the tasks that call it",
                    a.base
                ),
            ));
        }
        if gale_engine::std_action(name).is_none() && !actions.contains(name) {
            let std: Vec<&str> = gale_engine::STD_ACTIONS.iter().map(|a| a.name).collect();
            let hint = spec::did_you_mean(name, &std)
                .map(|k| format!(" (did you mean `{k}`?)"))
                .unwrap_or_default();
            return Some(Failure::message(
                "mocks.actions",
                Some(mock.loc.clone()),
                format!(
                    "`{name}` is not a std action{hint} nor a plugin action of gale.toml; to mock a custom action, mock the tasks that call it"
                ),
            ));
        }
    }
    None
}

/// A path for messages, without a leading `./`.
fn shown(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Whether any task of the program has a `timeout` policy.
fn has_timeouts(program: &Program) -> bool {
    program
        .workflows
        .iter()
        .any(|w| w.tasks.iter().any(|t| t.policies.timeout.is_some()))
}

fn run_case(
    file: &str,
    case: &TestCase,
    programs: &mut HashMap<PathBuf, Result<Rc<Program>, String>>,
    actions: &gale_engine::actions::ActionRegistry,
) -> TestOutcome {
    let started = Instant::now();
    let loaded = programs
        .entry(case.workflow_file.clone())
        .or_insert_with(|| {
            super::run::load_program(&case.workflow_file, OptLevel::O1)
                .map(Rc::new)
                .map_err(|(_, msg)| msg.trim_end().to_string())
        })
        .clone();
    let program = match loaded {
        Ok(p) => p,
        Err(msg) => {
            return error_outcome(
                file,
                case,
                Failure::message(
                    "workflow-file",
                    Some(case.workflow_file_loc.clone()),
                    format!("cannot load the workflow:\n{msg}"),
                ),
            );
        }
    };
    if let Some(f) = check_names(case, &program, actions) {
        return error_outcome(file, case, f);
    }
    let workflow = match &case.workflow {
        Some(w) => {
            if program.workflow(w).is_none() {
                let names: Vec<String> = program
                    .workflows
                    .iter()
                    .map(|w| program.full_name(&w.name))
                    .collect();
                return error_outcome(
                    file,
                    case,
                    Failure::message(
                        "workflow",
                        Some(case.loc.clone()),
                        format!(
                            "no workflow `{w}` in {} (workflows: {})",
                            shown(&case.workflow_file),
                            names.join(", ")
                        ),
                    ),
                );
            }
            w.clone()
        }
        None => match program.workflows.first() {
            Some(w) => program.full_name(&w.name),
            None => {
                return error_outcome(
                    file,
                    case,
                    Failure::message(
                        "workflow-file",
                        Some(case.workflow_file_loc.clone()),
                        "the document has no workflow".into(),
                    ),
                );
            }
        },
    };
    let time_scale = case
        .time_scale
        .unwrap_or(if has_timeouts(&program) { 1.0 } else { 0.0 });
    let mut program = (*program).clone();
    let env_template = case
        .env
        .as_ref()
        .map(|e| gale_codegen::workflow::add_json_template(&mut program, e));
    let mut engine = Engine::new(Rc::new(program));
    engine.set_yaml_loader(gale_codegen::eval::load_yaml);
    engine.time_scale = time_scale;
    let shared = mock::Shared::new(case.mocks.clone(), time_scale);
    let custom = custom_task_actions(engine.program(), actions);
    engine.set_registry(mock::registry(actions, &shared, custom));
    let path: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
    {
        let path = path.clone();
        engine.set_trace(Box::new(move |e| {
            if let TraceEvent::TaskCompleted { task, state } = e {
                path.borrow_mut().push(format!("{task} ({})", state.name()));
            }
        }));
    }
    let opts = StartOptions {
        input: case.input.clone(),
        env: case.env.clone(),
        task: case.task.clone(),
        params: Map::new(),
        deadline: None,
        env_template,
    };
    let mut outcome = TestOutcome {
        file: file.to_string(),
        name: case.name.clone(),
        loc: case.loc.clone(),
        status: Status::Passed,
        failures: Vec::new(),
        tasks_run: Vec::new(),
        still_running: Vec::new(),
        actual: None,
        state: None,
        state_info: None,
        duration: Duration::ZERO,
    };
    let root = match (engine.start(&workflow, &opts), &case.expect.start_error) {
        (Ok(r), None) => r,
        (Ok(_), Some((_, loc))) => {
            outcome.status = Status::Failed;
            outcome.failures.push(Failure::message(
                "expect.start_error",
                Some(loc.clone()),
                "the workflow started, but the test expects it not to start".into(),
            ));
            outcome.duration = started.elapsed();
            return outcome;
        }
        (Err(e), None) => {
            outcome.status = Status::Failed;
            outcome.failures.push(Failure::message(
                "start",
                Some(case.loc.clone()),
                format!(
                    "the workflow did not start: {} (expect it with `expect: {{start_error: …}}`)",
                    e.error
                ),
            ));
            outcome.duration = started.elapsed();
            return outcome;
        }
        (Err(e), Some((expected, loc))) => {
            let actual = Json::String(e.error);
            let c = compare(expected, Some(&actual), "start_error");
            if !c.mismatches.is_empty() {
                outcome.status = Status::Failed;
                outcome.failures.push(Failure {
                    check: "expect.start_error".into(),
                    loc: Some(loc.clone()),
                    message: None,
                    mismatches: c.mismatches,
                    expected: Some(c.expected_view),
                    actual: Some(c.actual_view),
                });
            }
            outcome.duration = started.elapsed();
            return outcome;
        }
    };
    let limit = Duration::from_secs_f64(case.timeout);
    let run_started = Instant::now();
    engine.run(root, Some(limit));
    let timed_out = run_started.elapsed() >= limit;
    let result = engine.result_json(root);
    outcome.tasks_run = path.borrow().clone();
    outcome.actual = Some(result.clone());
    outcome.state = result["state"].as_str().map(str::to_string);
    outcome.state_info = result["state_info"].as_str().map(str::to_string);
    if let Some(tasks) = result["tasks"].as_array() {
        outcome.still_running = tasks
            .iter()
            .filter(|t| !matches!(t["state"].as_str(), Some("SUCCESS" | "ERROR" | "CANCELLED")))
            .map(|t| {
                format!(
                    "{} ({})",
                    t["name"].as_str().unwrap_or(""),
                    t["state"].as_str().unwrap_or("")
                )
            })
            .collect();
    }
    let log = shared.log.lock().unwrap_or_else(|p| p.into_inner());
    let mut seen = Vec::new();
    for (action, task) in &log.unmocked {
        if seen.contains(&(action, task)) {
            continue;
        }
        seen.push((action, task));
        outcome.failures.push(Failure::message(
            "mocks",
            Some(case.loc.clone()),
            format!(
                "unmocked action {action} in task {task} (add a mock: `mocks: {{tasks: {{{task}: {{result: …}}}}}}` or `mocks: {{actions: {{{action}: {{result: …}}}}}}`); tests never reach the network"
            ),
        ));
    }
    for p in &log.problems {
        outcome
            .failures
            .push(Failure::message("mocks", Some(case.loc.clone()), p.clone()));
    }
    if timed_out && result["state"] == "RUNNING" {
        outcome.failures.push(Failure::message(
            "timeout",
            Some(case.loc.clone()),
            format!(
                "the workflow was still RUNNING after {} s (raise the test's `timeout`, or mock slow actions)",
                case.timeout
            ),
        ));
    }
    let ex = &case.expect;
    let mut check = |what: &str, exp: &Option<(Expected, Loc)>, actual: Option<&Json>| {
        if let Some((e, loc)) = exp {
            let c = compare(e, actual, what);
            if !c.mismatches.is_empty() {
                outcome.failures.push(Failure {
                    check: format!("expect.{what}"),
                    loc: Some(loc.clone()),
                    message: None,
                    mismatches: c.mismatches,
                    expected: c.actual_present.then_some(c.expected_view),
                    actual: c.actual_present.then_some(c.actual_view),
                });
            }
        }
    };
    check("state", &ex.state, result.get("state"));
    check("state_info", &ex.state_info, result.get("state_info"));
    check("output", &ex.output, result.get("output"));
    // Task executions by name: the root's first, then sub-workflows'.
    let all: Vec<(String, Json)> = (0..engine.executions.len())
        .map(|i| {
            let r = engine.result_json(i);
            (r["id"].as_str().unwrap_or("").to_string(), r)
        })
        .collect();
    for t in &ex.tasks {
        let mut runs: Vec<(&str, &Json)> = Vec::new();
        for (id, r) in &all {
            if let Some(ts) = r["tasks"].as_array() {
                runs.extend(
                    ts.iter()
                        .filter(|x| x["name"] == t.name.as_str())
                        .map(|x| (id.as_str(), x)),
                );
            }
            if !runs.is_empty() {
                break;
            }
        }
        let last = runs.last().copied();
        if last.is_none() && t.checks.iter().any(|(f, _, _)| f != "runs") {
            let runs_ok = t
                .checks
                .iter()
                .filter(|(f, _, _)| f == "runs")
                .all(|(_, e, _)| {
                    compare(e, Some(&Json::from(0)), "runs")
                        .mismatches
                        .is_empty()
                });
            if runs_ok {
                outcome.failures.push(Failure::message(
                    &format!("expect.tasks.{}", t.name),
                    Some(t.loc.clone()),
                    format!("task {} did not run", t.name),
                ));
                continue;
            }
        }
        for (field, e, loc) in &t.checks {
            let path = format!("tasks.{}.{field}", t.name);
            let actual: Option<Json> = match field.as_str() {
                "runs" => Some(Json::from(runs.len())),
                "input" => {
                    last.and_then(|(exec_id, task)| task_input(&log.calls, exec_id, &t.name, task))
                }
                _ => last.and_then(|(_, task)| task.get(field.as_str()).cloned()),
            };
            if actual.is_none() {
                let message = if field == "input" {
                    format!("task {} ran no action, so it has no input", t.name)
                } else {
                    format!("task {} has no `{field}`", t.name)
                };
                outcome.failures.push(Failure::message(
                    &format!("expect.{path}"),
                    Some(loc.clone()),
                    message,
                ));
                continue;
            }
            let c = compare(e, actual.as_ref(), &path);
            if !c.mismatches.is_empty() {
                outcome.failures.push(Failure {
                    check: format!("expect.{path}"),
                    loc: Some(loc.clone()),
                    message: None,
                    mismatches: c.mismatches,
                    expected: c.actual_present.then_some(c.expected_view),
                    actual: c.actual_present.then_some(c.actual_view),
                });
            }
        }
    }
    if !outcome.failures.is_empty() {
        outcome.status = Status::Failed;
    }
    outcome.duration = started.elapsed();
    outcome
}

/// The input of a task's action: the last call, or per iteration for with-items.
fn task_input(calls: &[mock::Call], exec_id: &str, task: &str, _row: &Json) -> Option<Json> {
    let mine: Vec<&mock::Call> = calls
        .iter()
        .filter(|c| c.execution_id == exec_id && c.task == task)
        .collect();
    let last = mine.last()?;
    if last.item_index.is_none() {
        return Some(Json::Object(last.input.clone()));
    }
    let mut by_item: std::collections::BTreeMap<usize, Json> = std::collections::BTreeMap::new();
    for c in &mine {
        if let Some(i) = c.item_index {
            by_item.insert(i, Json::Object(c.input.clone()));
        }
    }
    Some(Json::Array(by_item.into_values().collect()))
}
