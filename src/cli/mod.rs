//! Argument parsing and dispatch to one module per command.

mod check;
mod compile;
mod control;
mod durable;
mod eval;
mod executions;
mod explain;
mod graph;
mod lsp;
mod project;
mod rerun;
mod resume;
mod run;
mod test;
mod trace;
mod why;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit code: usage or I/O error.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: internal error (a bug in Gale).
pub const EXIT_INTERNAL: u8 = 101;

/// Gale: a fast toolchain for the Mistral Workflow Language v2.
#[derive(Parser, Debug)]
#[command(name = "gale", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate Mistral documents: the same verdict as real Mistral, and more.
    Check(check::CheckArgs),
    /// Evaluate a YAQL expression or Mistral string (or a batch of cases) to JSON.
    Eval(eval::EvalArgs),
    /// Explain a diagnostic code.
    Explain(explain::ExplainArgs),
    /// Draw the task graph of a workflow (Graphviz DOT or Mermaid) with join verdicts.
    Graph(graph::GraphArgs),
    /// Run the language server over stdin/stdout.
    Lsp,
    /// Run a workflow with Mistral's semantics.
    Run(run::RunArgs),
    /// Continue an execution after a crash or a pause, wait for it, print the result.
    Resume(resume::ResumeArgs),
    /// Pause a running execution (from any process).
    Pause(control::PauseArgs),
    /// Deliver the result of a task's asynchronous action (std.async_noop, …).
    Complete(control::CompleteArgs),
    /// Cancel an execution (from any process).
    Cancel(control::CancelArgs),
    /// Re-run a failed task of an execution, as Mistral does.
    Rerun(rerun::RerunArgs),
    /// List and inspect recorded executions.
    Executions(executions::ExecutionsArgs),
    /// Explain why an execution failed: the path down to the root cause.
    Why(why::WhyArgs),
    /// Show the steps recorded by `gale run --trace`.
    Trace(trace::TraceArgs),
    /// Run workflow tests (`*.test.yaml`) with mocked actions.
    Test(test::TestArgs),
    /// Compile a document to a workflow artifact (or print its IR / disassembly).
    Compile(compile::CompileArgs),
}

/// Parses arguments and runs the command; internal panics become exit code 101.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let result = std::panic::catch_unwind(|| match cli.command {
        Command::Check(args) => check::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Lsp => lsp::run(),
        Command::Run(args) => run::run(args),
        Command::Resume(args) => resume::run(args),
        Command::Pause(args) => control::pause(args),
        Command::Complete(args) => control::complete(args),
        Command::Cancel(args) => control::cancel(args),
        Command::Rerun(args) => rerun::run(args),
        Command::Executions(args) => executions::run(args),
        Command::Why(args) => why::run(args),
        Command::Trace(args) => trace::run(args),
        Command::Test(args) => test::run(args),
        Command::Compile(args) => compile::run(args),
    });
    match result {
        Ok(code) => code,
        Err(_) => {
            eprintln!("gale: internal error (this is a bug in Gale; please report it)");
            ExitCode::from(EXIT_INTERNAL)
        }
    }
}
