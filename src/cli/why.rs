//! `gale why ID [--format json]`: why an execution failed. Walks from the execution
//! down through the failed tasks and nested sub-workflow executions to the root
//! cause — the failing action and its error, or the expression and its source
//! position — and prints the path of tasks that led there.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gale_engine::Engine;
use gale_engine::durable;
use gale_engine::state::{State, TaskEx};
use serde_json::{Value as Json, json};

use super::durable::{Format, durable_fail, open_existing, out};

/// Arguments of `gale why`.
#[derive(Args, Debug)]
pub struct WhyArgs {
    /// The execution id.
    id: String,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale why`.
pub fn run(args: WhyArgs) -> ExitCode {
    let store = match open_existing("why", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (loaded, idx) = match durable::load(&store, &args.id, |_| {}) {
        Ok(l) => l,
        Err(e) => return durable_fail("why", &e),
    };
    let inputs =
        durable::action_inputs(&store, &loaded.engine.executions[0].id.clone()).unwrap_or_default();
    let report = explain(&loaded.engine, idx, &inputs);
    if matches!(args.format, Format::Json) {
        out(&serde_json::to_string_pretty(&report).unwrap_or_default());
    } else {
        print_human(&report);
    }
    if report["state"] == "ERROR" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The failing task of a failed workflow execution: the last unhandled ERROR task.
fn failing_task(engine: &Engine, x: usize) -> Option<usize> {
    let wf = &engine.executions[x];
    wf.tasks
        .iter()
        .rposition(|t| t.state == State::Error && !t.error_handled)
        .or_else(|| wf.tasks.iter().rposition(|t| t.state == State::Error))
}

/// The tasks that led to task `te` (following `triggered_by`), first to last.
fn task_path(engine: &Engine, x: usize, te: usize) -> Vec<Json> {
    let wf = &engine.executions[x];
    let mut chain = vec![te];
    let mut cur = te;
    while let Some((prev, _)) = wf.tasks[cur].triggered_by.first() {
        if chain.contains(prev) || *prev >= wf.tasks.len() {
            break;
        }
        chain.push(*prev);
        cur = *prev;
    }
    chain.reverse();
    chain
        .iter()
        .map(|&t| {
            let task = &wf.tasks[t];
            let via = task.triggered_by.first().map(|(_, e)| e.clone());
            json!({"task": task.name, "state": task.state.name(), "via": via})
        })
        .collect()
}

/// `at line L, column C` in a Mistral-style message.
fn position(info: &str) -> Option<(u32, u32)> {
    let i = info.find("at line ")?;
    let rest = &info[i + 8..];
    let (l, rest) = rest.split_once(", column ")?;
    let c: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((l.trim().parse().ok()?, c.parse().ok()?))
}

fn action_of(engine: &Engine, x: usize, t: &TaskEx) -> String {
    let wf = &engine.executions[x];
    engine
        .program()
        .workflows
        .get(wf.workflow)
        .and_then(|w| w.tasks.get(t.task as usize))
        .and_then(|s| s.action_literal.clone())
        .unwrap_or_else(|| "std.noop".into())
}

/// The report object (`--format json`).
pub fn explain(
    engine: &Engine,
    idx: usize,
    inputs: &std::collections::HashMap<String, (String, Json)>,
) -> Json {
    let root = &engine.executions[idx];
    let mut chain = Vec::new();
    let mut cause = Json::Null;
    let mut x = idx;
    let mut seen = Vec::new();
    while !seen.contains(&x) {
        seen.push(x);
        let wf = &engine.executions[x];
        let Some(te) = failing_task(engine, x) else {
            chain.push(
                json!({"workflow": wf.name, "execution_id": wf.id, "state": wf.state.name(),
                "state_info": wf.state_info}),
            );
            cause = json!({"workflow": wf.name, "execution_id": wf.id, "error": wf.state_info});
            break;
        };
        let t = &wf.tasks[te];
        chain.push(json!({
            "workflow": wf.name, "execution_id": wf.id, "state": wf.state.name(),
            "task": t.name, "task_state": t.state.name(), "path": task_path(engine, x, te),
        }));
        let failed = t
            .actions
            .iter()
            .rev()
            .find(|a| a.accepted && a.state == State::Error);
        if let Some(sub) = failed.and_then(|a| a.sub_execution)
            && sub < engine.executions.len()
        {
            x = sub;
            continue;
        }
        let info = t.state_info.clone().unwrap_or_default();
        let pos = position(&info);
        let expr = pos.and_then(|(l, c)| {
            engine
                .program()
                .exprs
                .iter()
                .find(|e| e.line == l && e.column == c)
                .or_else(|| engine.program().exprs.iter().find(|e| e.line == l))
                .map(|e| e.text.clone())
        });
        cause = json!({
            "workflow": wf.name,
            "execution_id": wf.id,
            "task": t.name,
            "task_execution_id": t.id,
            "action": failed.map(|a| {
                inputs
                    .get(&a.id)
                    .map(|(n, _)| n.clone())
                    .unwrap_or_else(|| action_of(engine, x, t))
            }),
            "input": failed.and_then(|a| inputs.get(&a.id)).map(|(_, i)| i.clone()),
            "action_execution_id": failed.map(|a| a.id.clone()),
            "error": failed.and_then(|a| a.output.clone()).unwrap_or_else(|| json!(info.trim_end())),
            "state_info": info.trim_end(),
            "expression": expr,
            "line": pos.map(|p| p.0),
            "column": pos.map(|p| p.1),
        });
        break;
    }
    json!({
        "execution_id": root.id,
        "workflow": root.name,
        "state": root.state.name(),
        "chain": chain,
        "root_cause": cause,
    })
}

fn print_human(r: &Json) {
    if r["state"] != "ERROR" {
        out(&format!(
            "execution {} ({}) is {}: nothing failed",
            r["execution_id"].as_str().unwrap_or(""),
            r["workflow"].as_str().unwrap_or(""),
            r["state"].as_str().unwrap_or("")
        ));
        return;
    }
    let chain = r["chain"].as_array().cloned().unwrap_or_default();
    for (depth, link) in chain.iter().enumerate() {
        let pad = "  ".repeat(depth);
        out(&format!(
            "{pad}workflow {} {} ({})",
            link["workflow"].as_str().unwrap_or(""),
            link["state"].as_str().unwrap_or(""),
            link["execution_id"].as_str().unwrap_or("")
        ));
        if let Some(path) = link["path"].as_array() {
            let steps: Vec<String> = path
                .iter()
                .map(|p| {
                    let via = p["via"]
                        .as_str()
                        .map(|v| format!("--{v}--> "))
                        .unwrap_or_default();
                    format!(
                        "{via}{} ({})",
                        p["task"].as_str().unwrap_or(""),
                        p["state"].as_str().unwrap_or("")
                    )
                })
                .collect();
            out(&format!("{pad}  path: {}", steps.join(" ")));
        }
    }
    let c = &r["root_cause"];
    out("root cause:");
    if let Some(task) = c["task"].as_str() {
        out(&format!(
            "  task {task} of workflow {}",
            c["workflow"].as_str().unwrap_or("")
        ));
    }
    if let Some(a) = c["action"].as_str() {
        let input = if c["input"].is_null() {
            String::new()
        } else {
            format!(
                " (input {})",
                serde_json::to_string(&c["input"]).unwrap_or_default()
            )
        };
        out(&format!("  action {a}{input} failed"));
    }
    let err = match &c["error"] {
        Json::String(s) => s.trim_end().to_string(),
        Json::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    if !err.is_empty() {
        out(&format!("  error: {err}"));
    }
    if let Some(e) = c["expression"].as_str() {
        out(&format!("  expression: {e}"));
    }
    if let (Some(l), Some(col)) = (c["line"].as_u64(), c["column"].as_u64())
        && !err.contains("at line")
    {
        out(&format!("  at line {l}, column {col}"));
    }
}
