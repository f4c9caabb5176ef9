//! `gale explain CODE`: the documentation of one diagnostic code;
//! `gale explain --list` lists every code; `--markdown` prints `docs/checks.md`.

use clap::Args;
use std::io::Write;
use std::process::ExitCode;

use super::durable::out;

/// Arguments of `gale explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// The diagnostic code, e.g. `unknown-task`.
    #[arg(required_unless_present_any = ["list", "markdown"])]
    code: Option<String>,
    /// List every code with its one-line summary.
    #[arg(long)]
    list: bool,
    /// Print the documentation of every code as Markdown (docs/checks.md).
    #[arg(long)]
    markdown: bool,
}

/// Prints the explanation of a code.
pub fn run(args: ExplainArgs) -> ExitCode {
    if args.markdown {
        let _ = std::io::stdout().write_all(gale_db::checks_markdown().as_bytes());
        return ExitCode::SUCCESS;
    }
    if args.list {
        for c in gale_db::all_codes() {
            out(&format!(
                "{:<36} {:<8} {}",
                c.code,
                c.severity.as_str(),
                c.summary
            ));
        }
        return ExitCode::SUCCESS;
    }
    let code = args.code.unwrap_or_default();
    match gale_db::code_info(&code) {
        Some(info) => {
            out(&format!(
                "{} ({})\n\n{}\n\n{}",
                info.code,
                info.severity.as_str(),
                info.summary,
                info.explanation.trim_end()
            ));
            ExitCode::SUCCESS
        }
        None => {
            let codes = gale_db::all_codes();
            let suggestion = gale_diagnostics::did_you_mean(&code, codes.iter().map(|c| c.code));
            eprint!("gale explain: unknown code `{code}`");
            match suggestion {
                Some(s) => eprintln!("; did you mean `{s}`?"),
                None => eprintln!("; `gale explain --list` shows every code"),
            }
            ExitCode::from(super::EXIT_USAGE)
        }
    }
}
