//! `gale executions list|show|tree`: what the store knows about executions.
//!
//! * `list [--state S] [--workflow W] [--all] [--limit N]` — newest first; top-level
//!   executions unless `--all`.
//! * `show ID` — tasks (state, timing, published data, result), input, output;
//!   `--format json` prints the same object as `gale run --format json`.
//! * `tree ID` — the execution and its nested sub-workflow executions.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use gale_engine::durable;
use gale_store::{ExecutionFilter, State};
use serde_json::{Value as Json, json};

use super::durable::{Format, durable_fail, fail, open_existing, out, timestamp};

/// Arguments of `gale executions`.
#[derive(Args, Debug)]
pub struct ExecutionsArgs {
    #[command(subcommand)]
    command: ExecutionsCommand,
}

#[derive(Subcommand, Debug)]
enum ExecutionsCommand {
    /// List executions, newest first.
    List(ListArgs),
    /// Show one execution: tasks, timings, inputs, published data, results.
    Show(ShowArgs),
    /// Show an execution and its nested sub-workflow executions.
    Tree(ShowArgs),
}

#[derive(Args, Debug)]
struct ListArgs {
    /// Only executions in this state (IDLE, RUNNING, PAUSED, SUCCESS, ERROR, CANCELLED).
    #[arg(long)]
    state: Option<String>,
    /// Only executions of this workflow.
    #[arg(long)]
    workflow: Option<String>,
    /// Include sub-workflow executions.
    #[arg(long)]
    all: bool,
    /// At most this many.
    #[arg(long, default_value = "50")]
    limit: u32,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

#[derive(Args, Debug)]
struct ShowArgs {
    /// The execution id.
    id: String,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale executions`.
pub fn run(args: ExecutionsArgs) -> ExitCode {
    match args.command {
        ExecutionsCommand::List(a) => list(a),
        ExecutionsCommand::Show(a) => show(a),
        ExecutionsCommand::Tree(a) => tree(a),
    }
}

fn list(args: ListArgs) -> ExitCode {
    let store = match open_existing("executions list", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let state = match &args.state {
        Some(s) => match s.parse::<State>() {
            Ok(st) => Some(st),
            Err(_) => return fail("executions list", &format!("unknown state {s}")),
        },
        None => None,
    };
    let filter = ExecutionFilter {
        state,
        workflow_name: args.workflow.clone(),
        top_level_only: !args.all,
        limit: Some(args.limit),
    };
    let recs = match store.list_executions(&filter) {
        Ok(r) => r,
        Err(e) => return fail("executions list", &e.to_string()),
    };
    if matches!(args.format, Format::Json) {
        let v: Vec<Json> = recs
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "workflow": r.workflow_name,
                    "state": r.state.as_str(),
                    "state_info": r.state_info,
                    "description": r.description,
                    "parent_execution_id": r.parent_execution_id,
                    "root_execution_id": r.root_execution_id,
                    "source_execution_id": r.source_execution_id,
                    "created_at": timestamp(r.created_at),
                    "updated_at": timestamp(r.updated_at),
                })
            })
            .collect();
        out(&serde_json::to_string_pretty(&v).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if recs.is_empty() {
        out("no executions");
        return ExitCode::SUCCESS;
    }
    out(&format!(
        "{:<36}  {:<9}  {:<19}  WORKFLOW",
        "ID", "STATE", "CREATED (UTC)"
    ));
    for r in &recs {
        out(&format!(
            "{:<36}  {:<9}  {:<19}  {}",
            r.id,
            r.state.as_str(),
            timestamp(r.created_at),
            r.workflow_name
        ));
    }
    ExitCode::SUCCESS
}

fn show(args: ShowArgs) -> ExitCode {
    let store = match open_existing("executions show", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (loaded, idx) = match durable::load(&store, &args.id, |_| {}) {
        Ok(l) => l,
        Err(e) => return durable_fail("executions show", &e),
    };
    let engine = &loaded.engine;
    let result = engine.result_json(idx);
    if matches!(args.format, Format::Json) {
        out(&serde_json::to_string_pretty(&result).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    let rec = store.get_execution(&args.id).ok().flatten();
    let root_id = engine.executions[0].id.clone();
    let inputs = durable::action_inputs(&store, &root_id).unwrap_or_default();
    let wf = &engine.executions[idx];
    let pretty = |v: &Json| serde_json::to_string(v).unwrap_or_default();
    out(&format!("execution {}", wf.id));
    out(&format!("  workflow:   {}", wf.name));
    out(&format!("  state:      {}", wf.state.name()));
    if let Some(info) = &wf.state_info {
        out(&format!("  state info: {}", info.trim_end()));
    }
    if let Some(r) = &rec {
        out(&format!(
            "  created:    {}   updated: {}",
            timestamp(r.created_at),
            timestamp(r.updated_at)
        ));
        if let Some(d) = &r.description {
            out(&format!("  description: {d}"));
        }
        if let Some(p) = &r.parent_execution_id {
            out(&format!("  parent:     {p}"));
        }
    }
    out(&format!(
        "  input:      {}",
        pretty(&Json::Object(wf.input.clone()))
    ));
    out("  tasks:");
    let tasks = result["tasks"].as_array().cloned().unwrap_or_default();
    for (t, task) in tasks.iter().enumerate() {
        let timing = match loaded.timings.get(&(idx, t)) {
            Some((start, Some(end))) => format!(
                "{}  {:.3}s",
                timestamp(*start),
                (end - start) as f64 / 1000.0
            ),
            Some((start, None)) => format!("{}  …", timestamp(*start)),
            None => String::new(),
        };
        out(&format!(
            "    {:<24} {:<15} {}  actions: {}",
            task["name"].as_str().unwrap_or(""),
            task["state"].as_str().unwrap_or(""),
            timing,
            task["action_executions"]
        ));
        if let Some(info) = task["state_info"].as_str() {
            out(&format!("        state info: {}", info.trim_end()));
        }
        let actions = &wf.tasks[t].actions;
        for a in actions.iter().take(3) {
            if let Some((name, input)) = inputs.get(&a.id) {
                out(&format!("        action:     {name} {}", pretty(input)));
            }
        }
        if actions.len() > 3 {
            out(&format!(
                "        …and {} more action executions",
                actions.len() - 3
            ));
        }
        if task["published"].as_object().is_some_and(|m| !m.is_empty()) {
            out(&format!(
                "        published:  {}",
                pretty(&task["published"])
            ));
        }
        if !task["result"].is_null() {
            out(&format!("        result:     {}", pretty(&task["result"])));
        }
    }
    out(&format!("  output:     {}", pretty(&result["output"])));
    ExitCode::SUCCESS
}

fn tree(args: ShowArgs) -> ExitCode {
    let store = match open_existing("executions tree", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (loaded, idx) = match durable::load(&store, &args.id, |_| {}) {
        Ok(l) => l,
        Err(e) => return durable_fail("executions tree", &e),
    };
    let engine = &loaded.engine;
    let node = node_of(engine, idx);
    if matches!(args.format, Format::Json) {
        out(&serde_json::to_string_pretty(&node).unwrap_or_default());
    } else {
        print_node(&node, "", true, true);
    }
    ExitCode::SUCCESS
}

fn node_of(engine: &gale_engine::Engine, x: usize) -> Json {
    let wf = &engine.executions[x];
    let task = wf
        .parent
        .and_then(|(p, pt, _)| engine.executions[p].tasks.get(pt))
        .map(|t| t.name.clone());
    let children: Vec<Json> = (0..engine.executions.len())
        .filter(|c| engine.executions[*c].parent.is_some_and(|(p, _, _)| p == x))
        .map(|c| node_of(engine, c))
        .collect();
    json!({
        "id": wf.id,
        "workflow": wf.name,
        "state": wf.state.name(),
        "task": task,
        "children": children,
    })
}

fn print_node(n: &Json, prefix: &str, last: bool, top: bool) {
    let label = format!(
        "{} {} {}{}",
        n["workflow"].as_str().unwrap_or(""),
        n["state"].as_str().unwrap_or(""),
        n["id"].as_str().unwrap_or(""),
        n["task"]
            .as_str()
            .map(|t| format!("  (task {t})"))
            .unwrap_or_default()
    );
    if top {
        out(&label);
    } else {
        out(&format!(
            "{prefix}{}{label}",
            if last { "└─ " } else { "├─ " }
        ));
    }
    let children = n["children"].as_array().cloned().unwrap_or_default();
    let next = if top {
        String::new()
    } else {
        format!("{prefix}{}", if last { "   " } else { "│  " })
    };
    for (i, c) in children.iter().enumerate() {
        print_node(c, &next, i + 1 == children.len(), false);
    }
}
