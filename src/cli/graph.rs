//! `gale graph FILE [--workflow W] [--format dot|mermaid]`: draws the task graph of
//! a workflow (transitions, engine commands, start tasks, join verdicts).

use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Output formats of `gale graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`gale graph wf.yaml | dot -Tsvg > wf.svg`).
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

/// Arguments of `gale graph`.
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// The Mistral document.
    file: PathBuf,
    /// The workflow to draw (default: every workflow of the document).
    #[arg(long)]
    workflow: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "dot")]
    format: GraphFormat,
}

/// Prints the graph(s); exit 2 when the file cannot be read, is not a Mistral
/// document with workflows, or has no such workflow.
pub fn run(args: GraphArgs) -> ExitCode {
    let path = args.file.display().to_string();
    let text = match std::fs::read(&args.file) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                eprintln!("gale graph: {path}: not valid UTF-8");
                return ExitCode::from(super::EXIT_USAGE);
            }
        },
        Err(err) => {
            eprintln!("gale graph: {path}: cannot read: {err}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let db = gale_db::Database::new();
    let file = db.add_file(path.clone(), text);
    let lowered = gale_db::lower(&db, file);
    let (Some(document), Some(analysis)) =
        (lowered.document.as_ref(), gale_db::analysis(&db, file))
    else {
        eprintln!("gale graph: {path}: not a Mistral document with workflows");
        return ExitCode::from(super::EXIT_USAGE);
    };
    let names: Vec<&str> = match &args.workflow {
        Some(w) => vec![w.as_str()],
        None => document.workflows.iter().map(|w| w.name.as_str()).collect(),
    };
    if names.is_empty() {
        eprintln!("gale graph: {path}: the document has no workflows");
        return ExitCode::from(super::EXIT_USAGE);
    }
    let mut out = String::new();
    for (k, name) in names.iter().enumerate() {
        let drawn = match args.format {
            GraphFormat::Dot => gale_db::graph_dot(document, name, analysis),
            GraphFormat::Mermaid => gale_db::graph_mermaid(document, name, analysis),
        };
        let Some(drawn) = drawn else {
            let known: Vec<&str> = document.workflows.iter().map(|w| w.name.as_str()).collect();
            eprint!("gale graph: {path}: no workflow `{name}`");
            match gale_diagnostics::did_you_mean(name, known.iter().copied()) {
                Some(s) => eprintln!("; did you mean `{s}`?"),
                None => eprintln!("; workflows: {}", known.join(", ")),
            }
            return ExitCode::from(super::EXIT_USAGE);
        };
        if k > 0 {
            out.push('\n');
        }
        if args.format == GraphFormat::Mermaid && names.len() > 1 {
            out.push_str(&format!("%% workflow {name}\n"));
        }
        out.push_str(&drawn);
    }
    // A closed pipe (`gale graph … | head`) is not an error.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    ExitCode::SUCCESS
}
