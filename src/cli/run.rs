//! `gale run FILE|ARTIFACT [--workflow W] [--task T] [--input JSON|@FILE]
//! [--env JSON|@FILE] [--format human|json] [-O0|-O1]`: runs a workflow with
//! Mistral 23's semantics. Human format: progress lines, then a summary, and on
//! failure the path of tasks that led there; json: the result object of
//! architecture.md §4. Exit 0 on SUCCESS, 1 otherwise, 2 usage/IO.

use std::cell::RefCell;
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Args, ValueEnum};
use gale_codegen::workflow::{OptLevel, evaluate_jinja};
use gale_engine::{Engine, StartOptions, TraceEvent};
use serde_json::{Map, Value as Json};

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
    file: std::path::PathBuf,
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
    let mut program = match load_program(&args.file, level) {
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
    engine.set_jinja(Rc::new(evaluate_jinja));
    engine.set_yaml_loader(gale_codegen::eval::load_yaml);
    let human = matches!(args.format, RunFormat::Human);
    let path: Rc<RefCell<Vec<String>>> = Rc::new(RefCell::new(Vec::new()));
    {
        let path = path.clone();
        engine.set_trace(Box::new(move |e| match e {
            TraceEvent::TaskStarted { task } => {
                if human {
                    eprintln!("  ▶ {task}");
                }
            }
            TraceEvent::TaskCompleted { task, state } => {
                path.borrow_mut().push(format!("{task} ({})", state.name()));
                if human {
                    eprintln!(
                        "  {} {task} {}",
                        if state.name() == "SUCCESS" {
                            "✓"
                        } else {
                            "✗"
                        },
                        state.name()
                    );
                }
            }
            TraceEvent::Transition { from, to, event } => {
                if human {
                    eprintln!("    {from} --{event}--> {to}");
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
            if !ok {
                out(&format!("path: {}", path.borrow().join(" -> ")));
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints a line to stdout, ignoring a closed pipe.
fn out(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
