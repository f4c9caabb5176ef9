//! `gale explain CODE`: the documentation of one diagnostic code.

use clap::Args;
use std::process::ExitCode;

/// Arguments of `gale explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The diagnostic code, e.g. `unknown-task`.
    code: String,
}

/// Prints the explanation of a code.
pub fn run(args: ExplainArgs) -> ExitCode {
    eprintln!("gale explain: no documentation for `{}` yet", args.code);
    ExitCode::from(super::EXIT_USAGE)
}
