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

fn failed(e: &EvalError) -> ExitCode {
    let mut err = serde_json::json!({"kind": e.kind, "message": e.message});
    if let Some(c) = &e.cause {
        err["cause"] = serde_json::Value::String(c.clone());
    }
    println!("{}", serde_json::json!({ "error": err }));
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
        Lang::Auto => eval::mistral_evaluate(&serde_json::Value::String(expr), &data),
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
            println!("{v}");
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
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
