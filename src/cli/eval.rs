//! `gale eval`: evaluate one expression, or a batch of conformance cases.
//!
//! * `gale eval [--lang yaql|jinja|auto] EXPR [--data JSON|@FILE]` prints the value as
//!   JSON (tagged like the conformance files: `$set`, `$tuple`, `$datetime`…). `yaql`
//!   (the default) evaluates EXPR as one YAQL expression with `$` = the data; `jinja`
//!   evaluates EXPR as one Jinja expression with `_` = the data (typed, as Mistral
//!   evaluates `"{{ EXPR }}"`); `auto` treats EXPR as a Mistral string (`"<% $.x %>"`
//!   and `"{{ _.x }}"` keep their type, `"n=<% $.n %>"` is interpolated with Python
//!   `str()`, other Jinja strings are rendered as templates, Jinja is detected first,
//!   other text unchanged).
//! * `gale eval --batch FILE.jsonl` reads one case per line (the format of
//!   `../shared/conformance/yaql/README.md`) and writes one line per case:
//!   `{"id":…,"value":…}` or `{"id":…,"error":{"kind":…,"message":…}}`.
//!
//! An error prints `{"error":{"kind":…,"message":…,"cause":…,"position":{…}}}`; the
//! position (`line`, `column`, 1-based, columns in characters; `end_line`,
//! `end_column`; byte `start`/`end`) is the failing part of EXPR, and stderr shows it
//! under the expression with carets.
//!
//! Exit codes: 0 value printed (or batch done), 1 evaluation error, 2 usage or I/O.

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use gale_codegen::eval::{self, EvalError, Settings};

/// Expression language of `gale eval`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Lang {
    /// One YAQL expression.
    Yaql,
    /// One Jinja expression (as the body of a whole-string `{{ … }}`: typed result).
    Jinja,
    /// A Mistral string, detected and evaluated as Mistral does.
    Auto,
}

/// Arguments of `gale eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The expression (or Mistral string with `--lang auto`).
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    expr: Option<String>,
    /// Expression language.
    #[arg(long, value_enum, default_value = "yaql")]
    lang: Lang,
    /// The data context: JSON text, or @FILE to read it from a file.
    #[arg(long)]
    data: Option<String>,
    /// Evaluate every case of a JSON Lines file and print one result per line.
    #[arg(long, value_name = "FILE.jsonl")]
    batch: Option<String>,
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("gale eval: {msg}");
    ExitCode::from(super::EXIT_USAGE)
}

/// 1-based line and column (in characters) of byte `at` of `text`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, col)
}

fn failed(expr: &str, e: &EvalError) -> ExitCode {
    let mut err = serde_json::json!({"kind": e.kind, "message": e.message});
    if let Some(c) = &e.cause {
        err["cause"] = serde_json::Value::String(c.clone());
    }
    if let Some((start, end)) = e.span {
        let (start, end) = (start as usize, (end as usize).max(start as usize));
        let (line, column) = line_col(expr, start);
        let (end_line, end_column) = line_col(expr, end);
        err["position"] = serde_json::json!({
            "line": line, "column": column, "end_line": end_line, "end_column": end_column,
            "start": start, "end": end,
        });
        let shown = e.cause.as_deref().unwrap_or(&e.kind);
        eprintln!("gale eval: {shown} at {line}:{column}");
        if let Some(text) = expr.lines().nth(line - 1) {
            let width = if end_line == line {
                end_column.saturating_sub(column).max(1)
            } else {
                text.chars().count().saturating_sub(column - 1).max(1)
            };
            eprintln!("  {text}");
            eprintln!("  {}{}", " ".repeat(column - 1), "^".repeat(width));
        }
    }
    super::durable::out(&serde_json::json!({ "error": err }).to_string());
    ExitCode::from(1)
}

/// Runs `gale eval`.
pub fn run(args: EvalArgs) -> ExitCode {
    if let Some(path) = args.batch {
        return batch(&path);
    }
    let expr = args.expr.unwrap_or_default();
    let data = match args.data.as_deref() {
        None => serde_json::Value::Null,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(path) => match std::fs::read_to_string(path) {
                    Ok(t) => t,
                    Err(e) => return usage(&format!("cannot read {path}: {e}")),
                },
                None => text.to_string(),
            };
            match serde_json::from_str(&text) {
                Ok(j) => j,
                Err(e) => return usage(&format!("--data is not valid JSON: {e}")),
            }
        }
    };
    let result = match args.lang {
        Lang::Auto => eval::mistral_evaluate(&serde_json::Value::String(expr.clone()), &data),
        Lang::Jinja => eval::eval_jinja_expression(&expr, &data),
        Lang::Yaql => {
            let value = eval::tagged::decode(&data, true);
            if value.is_none() {
                return usage("--data has an unknown `$` tag");
            }
            eval::eval_yaql(&expr, value, Vec::new(), &Settings::default())
                .and_then(|v| eval::tagged::encode(&v).map_err(EvalError::from))
        }
    };
    match result {
        Ok(v) => {
            super::durable::out(&v.to_string());
            ExitCode::SUCCESS
        }
        Err(e) => failed(&expr, &e),
    }
}

fn batch(path: &str) -> ExitCode {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => return usage(&format!("cannot read {path}: {e}")),
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let result = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(case) => eval::run_case(&case),
            Err(e) => {
                serde_json::json!({"id": null, "error": {"kind": "JSONDecodeError", "message": e.to_string()}})
            }
        };
        if writeln!(out, "{result}").is_err() {
            return ExitCode::from(super::EXIT_USAGE);
        }
    }
    if out.flush().is_err() {
        return ExitCode::from(super::EXIT_USAGE);
    }
    ExitCode::SUCCESS
}
