//! `gale lsp`: the language server over stdin/stdout.

use std::process::ExitCode;

/// Runs the server until the client exits.
pub fn run() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("gale lsp: cannot start the async runtime: {err}");
            return ExitCode::from(super::EXIT_INTERNAL);
        }
    };
    runtime.block_on(gale_lsp::run_stdio());
    ExitCode::SUCCESS
}
