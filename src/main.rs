//! `gale`: the command-line front door. Only this crate knows clap; every command
//! is a thin layer over the library crates.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
