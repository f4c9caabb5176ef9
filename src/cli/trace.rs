//! `gale trace ID [--format json]`: the steps recorded by `gale run --trace` — task
//! starts and ends, actions with their inputs, published values, transitions
//! taken, every expression evaluated (place, `line:col`, text and value or error;
//! transition guards among them), pauses, commands, lost actions — in order, with
//! their times. Human output shortens long values; `--format json` prints every
//! event in full (a value recorded as unchanged is put back). Traces recorded
//! before expression events existed show their `condition` steps.

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
    let mut steps: Vec<Json> = events
        .into_iter()
        .filter(|e| e.kind == durable::KIND_TRACE)
        .map(|e| e.payload)
        .collect();
    restore_unchanged(&mut steps);
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
    // Traces with expression events show each transition condition there already.
    let expressions = steps.iter().any(|s| s["event"] == "expression");
    // The task of the last task line: expressions under it do not repeat its name.
    let mut current: Option<&str> = None;
    for s in &steps {
        let dt = s["at"].as_i64().unwrap_or(t0) - t0;
        let event = s["event"].as_str().unwrap_or("");
        if expressions && event == "condition" {
            continue;
        }
        if matches!(event, "task-started" | "task-completed") {
            current = s["task"].as_str();
        }
        let what = match event {
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
            "expression" => expression_line(s, current, &root),
            other => format!("· {other} {}", serde_json::to_string(s).unwrap_or_default()),
        };
        out(&format!("+{:>8.3}s  {what}", dt as f64 / 1000.0));
    }
    ExitCode::SUCCESS
}

/// Puts back the value of each expression event recorded as `"unchanged": true`
/// (a with-items collection or `concurrency` evaluated again, each scheduling
/// round, to the value last recorded in full for the same expression of the same
/// task execution, item and retry); the marker stays.
fn restore_unchanged(steps: &mut [Json]) {
    type Key = (String, Option<u64>, u64, String, u64, u64);
    let key = |s: &Json| -> Option<Key> {
        Some((
            s["task_execution_id"].as_str()?.to_string(),
            s["item"].as_u64(),
            s["retry"].as_u64().unwrap_or(0),
            s["place"].as_str()?.to_string(),
            s["line"].as_u64()?,
            s["column"].as_u64()?,
        ))
    };
    let mut last: std::collections::HashMap<Key, Json> = std::collections::HashMap::new();
    for s in steps.iter_mut() {
        if s["event"] != "expression" {
            continue;
        }
        let Some(k) = key(s) else { continue };
        if s["unchanged"] == true {
            if let (Some(v), Some(m)) = (last.get(&k), s.as_object_mut()) {
                m.insert("value".into(), v.clone());
            }
        } else if let Some(v) = s.get("value") {
            last.insert(k, v.clone());
        }
    }
}

/// Longest value shown in human output (characters).
const VALUE_WIDTH: usize = 72;

/// Longest error message shown in human output (characters).
const ERROR_WIDTH: usize = 120;

/// One evaluated expression, indented under its task:
/// `12:16  publish.x  <% task().result %> = 6`, with the task's name when it is
/// not `current` (the task of the line above), `[item N]` and `[retry N]`, and the
/// workflow's name in a sub-workflow (an execution other than `root`).
fn expression_line(s: &Json, current: Option<&str>, root: &str) -> String {
    let text = one_line(s["expression"].as_str().unwrap_or(""));
    let shown = if s["language"] == "jinja" {
        text
    } else {
        format!("<% {text} %>")
    };
    let mut at = String::new();
    let sub = s["execution_id"].as_str().is_some_and(|x| x != root);
    if sub {
        at.push_str(s["workflow"].as_str().unwrap_or(""));
        if s["task"].is_string() {
            at.push('/');
        }
    }
    if let Some(task) = s["task"].as_str()
        && (sub || Some(task) != current)
    {
        at.push_str(task);
    }
    if let Some(i) = s["item"].as_u64() {
        at.push_str(&format!("[item {i}]"));
    }
    if let Some(r) = s["retry"].as_u64() {
        at.push_str(&format!("[retry {r}]"));
    }
    if !at.is_empty() {
        at.push(' ');
    }
    let outcome = match s.get("error").and_then(Json::as_str) {
        Some(e) => format!("! {}", shorten(&error_text(e), ERROR_WIDTH)),
        None => format!(
            "= {}",
            shorten(
                &serde_json::to_string(&s["value"]).unwrap_or_default(),
                VALUE_WIDTH
            )
        ),
    };
    // Expressions written outside the file (`--env`) have no position.
    let position = match (s["line"].as_u64(), s["column"].as_u64()) {
        (Some(line), Some(column)) if line > 0 => format!("{line}:{column}  "),
        _ => String::new(),
    };
    format!(
        "      {position}{at}{}  {shown} {outcome}",
        s["place"].as_str().unwrap_or(""),
    )
}

/// The `error=` part of Mistral's `Can not evaluate … [expression=…, error=…]`
/// (the expression is already on the line).
fn error_text(message: &str) -> String {
    let inner = message
        .strip_prefix("Can not evaluate ")
        .and_then(|m| m.split_once(", error="))
        .map(|(_, e)| e.strip_suffix(']').unwrap_or(e));
    one_line(inner.unwrap_or(message))
}

/// `text` on one line (runs of whitespace become one space).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` cut to `width` characters, with `…` when cut.
fn shorten(text: &str, width: usize) -> String {
    match text.char_indices().nth(width) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_values_are_restored_from_the_last_full_one() {
        let ev = |id: &str, v: Option<Json>| {
            let mut e = json!({"event": "expression", "task_execution_id": id,
                "place": "with-items i", "line": 5, "column": 20});
            match v {
                Some(v) => e["value"] = v,
                None => e["unchanged"] = json!(true),
            }
            e
        };
        let mut steps = vec![
            ev("a", Some(json!([1, 2]))),
            ev("b", Some(json!([3]))),
            ev("a", None),
            ev("a", Some(json!([1, 2, 9]))),
            ev("a", None),
            ev("b", None),
        ];
        restore_unchanged(&mut steps);
        let values: Vec<&Json> = steps.iter().map(|s| &s["value"]).collect();
        assert_eq!(
            values,
            [
                &json!([1, 2]),
                &json!([3]),
                &json!([1, 2]),
                &json!([1, 2, 9]),
                &json!([1, 2, 9]),
                &json!([3])
            ]
        );
        assert_eq!(steps[2]["unchanged"], true);
    }

    #[test]
    fn expression_lines() {
        let ok = json!({"event": "expression", "task": "a", "item": 2, "place": "input.x",
            "language": "yaql", "expression": "$.x\n + 1", "line": 7, "column": 16,
            "value": "y".repeat(100)});
        assert_eq!(
            expression_line(&ok, None, "r"),
            format!(
                "      7:16  a[item 2] input.x  <% $.x + 1 %> = \"{}…",
                "y".repeat(71)
            )
        );
        let err = json!({"event": "expression", "place": "output.r", "language": "jinja",
            "task": "b", "expression": "{{ _.nope }}", "line": 3, "column": 8,
            "error": "Can not evaluate Jinja expression [expression={{ _.nope }}, error=boom]"});
        assert_eq!(
            expression_line(&err, None, "r"),
            "      3:8  b output.r  {{ _.nope }} ! boom"
        );
        assert_eq!(
            expression_line(&err, Some("b"), "r"),
            "      3:8  output.r  {{ _.nope }} ! boom"
        );
        let sub = json!({"event": "expression", "workflow": "child", "execution_id": "c",
            "task": "t", "place": "input.x", "language": "yaql", "expression": "1",
            "line": 9, "column": 12, "value": 1});
        assert_eq!(
            expression_line(&sub, Some("t"), "r"),
            "      9:12  child/t input.x  <% 1 %> = 1"
        );
        assert_eq!(
            expression_line(&sub, None, "c"),
            "      9:12  t input.x  <% 1 %> = 1"
        );
        let env = json!({"event": "expression", "workflow": "w", "execution_id": "r",
            "place": "env", "language": "yaql", "expression": "$.n", "line": 0,
            "column": 0, "value": 2});
        assert_eq!(expression_line(&env, None, "r"), "      env  <% $.n %> = 2");
        let out = json!({"event": "expression", "workflow": "child", "execution_id": "c",
            "place": "output.y", "language": "yaql", "expression": "2", "line": 4,
            "column": 8, "value": 2});
        assert_eq!(
            expression_line(&out, None, "r"),
            "      4:8  child output.y  <% 2 %> = 2"
        );
    }
}
