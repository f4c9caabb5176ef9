//! `gale trace ID [--format json]`: the steps recorded by `gale run --trace` — task
//! starts and ends, actions with their inputs, published values, transition
//! conditions with their values, transitions taken, pauses, commands, lost actions —
//! in order, with their times.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use gale_engine::durable;
use serde_json::Value as Json;

use super::durable::{Format, durable_fail, fail, open_existing, out, timestamp};

/// Arguments of `gale trace`.
#[derive(Args, Debug)]
pub struct TraceArgs {
    /// The execution id.
    id: String,
    /// The execution store (default: `gale.db` in the user's data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
}

/// Runs `gale trace`.
pub fn run(args: TraceArgs) -> ExitCode {
    let store = match open_existing("trace", args.db.as_deref()) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let root = match durable::root_id_of(&store, &args.id) {
        Ok(r) => r,
        Err(e) => return durable_fail("trace", &e),
    };
    let events = match store.events(&root, 0, None) {
        Ok(e) => e,
        Err(e) => return fail("trace", &e.to_string()),
    };
    let steps: Vec<Json> = events
        .into_iter()
        .filter(|e| e.kind == durable::KIND_TRACE)
        .map(|e| e.payload)
        .collect();
    if matches!(args.format, Format::Json) {
        out(&serde_json::to_string_pretty(&steps).unwrap_or_default());
        return ExitCode::SUCCESS;
    }
    if steps.is_empty() {
        out(&format!(
            "no trace recorded for {} (run it with `gale run --trace`)",
            args.id
        ));
        return ExitCode::SUCCESS;
    }
    let t0 = steps
        .first()
        .and_then(|s| s["at"].as_i64())
        .unwrap_or_default();
    out(&format!("trace of {root} (started {} UTC)", timestamp(t0)));
    for s in &steps {
        let dt = s["at"].as_i64().unwrap_or(t0) - t0;
        let what = match s["event"].as_str().unwrap_or("") {
            "task-started" => format!("▶ {}", s["task"].as_str().unwrap_or("")),
            "task-completed" => format!(
                "■ {} {}",
                s["task"].as_str().unwrap_or(""),
                s["state"].as_str().unwrap_or("")
            ),
            "transition" => format!(
                "  {} --{}--> {}",
                s["from"].as_str().unwrap_or(""),
                s["on"].as_str().unwrap_or(""),
                s["to"].as_str().unwrap_or("")
            ),
            "condition" => format!(
                "  {} {} {} ? {} = {}{}",
                s["task"].as_str().unwrap_or(""),
                s["on"].as_str().unwrap_or(""),
                s["to"].as_str().unwrap_or(""),
                s["condition"].as_str().unwrap_or(""),
                serde_json::to_string(&s["value"]).unwrap_or_default(),
                if s["taken"] == true { " (taken)" } else { "" }
            ),
            "published" => format!(
                "  {} published {}",
                s["task"].as_str().unwrap_or(""),
                serde_json::to_string(&s["values"]).unwrap_or_default()
            ),
            "action" => format!(
                "  action {} {}",
                s["action"].as_str().unwrap_or(""),
                serde_json::to_string(&s["input"]).unwrap_or_default()
            ),
            other => format!("· {other} {}", serde_json::to_string(s).unwrap_or_default()),
        };
        out(&format!("+{:>8.3}s  {what}", dt as f64 / 1000.0));
    }
    ExitCode::SUCCESS
}
