//! `gale compile FILE [-o OUT] [--emit ir|asm] [-O0|-O1]`: checks and lowers a
//! document to the workflow IR and writes the versioned artifact (`-o`), or prints
//! the IR tables (`--emit ir`) or the disassembly (`--emit asm`).

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use gale_codegen::workflow::OptLevel;

/// What `gale compile` prints.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The IR tables as JSON.
    Ir,
    /// The disassembly.
    Asm,
}

/// Arguments of `gale compile`.
#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The Mistral document.
    file: std::path::PathBuf,
    /// Write the artifact here.
    #[arg(short = 'o')]
    out: Option<std::path::PathBuf>,
    /// Print the IR or the disassembly.
    #[arg(long, value_enum)]
    emit: Option<Emit>,
    /// Optimisation level: `-O0` or `-O1` (default).
    #[arg(short = 'O', default_value = "1")]
    opt: u8,
}

/// Runs `gale compile`.
pub fn run(args: CompileArgs) -> ExitCode {
    let level = if args.opt == 0 {
        OptLevel::O0
    } else {
        OptLevel::O1
    };
    let program = match super::run::load_program(&args.file, level) {
        Ok(p) => p,
        Err((code, msg)) => {
            eprint!("{msg}");
            return ExitCode::from(code);
        }
    };
    use gale_bytecode::workflow::artifact;
    use std::io::Write;
    match args.emit {
        Some(Emit::Ir) => {
            let _ = writeln!(std::io::stdout(), "{}", artifact::program_ir(&program));
        }
        Some(Emit::Asm) => {
            let _ = write!(std::io::stdout(), "{}", artifact::program_asm(&program));
        }
        None => {}
    }
    if let Some(out) = &args.out {
        if let Err(e) = std::fs::write(out, artifact::encode_program(&program)) {
            eprintln!("gale compile: {}: {e}", out.display());
            return ExitCode::from(super::EXIT_USAGE);
        }
    } else if args.emit.is_none() {
        eprintln!("gale compile: nothing to do (use -o OUT or --emit ir|asm)");
        return ExitCode::from(super::EXIT_USAGE);
    }
    ExitCode::SUCCESS
}
