//! `gale check [PATH…] [--format …]`: validates files and folders.
//!
//! Folders are walked for `*.yaml`/`*.yml`; files found by walking that are not
//! Mistral documents (including `gale test` files, `*.test.yaml`) are skipped with a
//! note, files named explicitly are reported.
//! Exit 0 clean (warnings allowed), 1 errors found, 2 usage or I/O error.

use clap::{Args, ValueEnum};
use gale_db::{Database, SourceFile};
use gale_diagnostics::render::{self, FileReport, Summary};
use gale_diagnostics::{Diagnostic, LineIndex, Span};
use gale_hir::DocumentKind;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output formats of `gale check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with labels (colour on a terminal).
    Full,
    /// `file:line:col: severity[code]: message`.
    Concise,
    /// One JSON object (stable shape).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// GitHub Actions annotations.
    Github,
}

/// Arguments of `gale check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check (default: the current folder).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Full)]
    format: Format,
    /// Project settings (default: `gale.toml` in the current folder or the nearest
    /// parent folder that has one).
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

/// Finds and reads the project's `gale.toml`.
fn load_config(explicit: Option<&Path>) -> Result<gale_db::Config, String> {
    super::project::check_config(explicit)
}

/// One input file, read or failed.
struct Input {
    path: String,
    text: Result<String, String>,
    /// Set when the bytes were not UTF-8: the offset of the first bad byte.
    invalid_utf8_at: Option<usize>,
    explicit: bool,
}

/// Runs `gale check`.
pub fn run(args: CheckArgs) -> ExitCode {
    let config = match load_config(args.config.as_deref()) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("gale check: {message}");
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // (path, named explicitly): read by the checking threads, not here.
    let mut inputs: Vec<(PathBuf, bool)> = Vec::new();
    let mut usage_error = false;
    let mut test_files = 0usize;
    for path in &paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found);
            let before = found.len();
            found.retain(|p| !is_test_file(p));
            test_files += before - found.len();
            found.sort();
            inputs.extend(found.into_iter().map(|p| (p, false)));
        } else if path.exists() {
            inputs.push((path.clone(), true));
        } else {
            eprintln!("gale check: {}: no such file or folder", path.display());
            usage_error = true;
        }
    }

    let checked = check_parallel(&inputs);

    let mut reports_owned: Vec<(String, String, Vec<Diagnostic>)> = Vec::new();
    let mut skipped = test_files;
    for (input, result) in checked {
        match (input.text, result) {
            (Err(message), _) => {
                eprintln!("gale check: {}: {message}", input.path);
                usage_error = true;
            }
            (Ok(_), None) => skipped += 1,
            (Ok(text), Some(diags)) => {
                let diags = if config.is_empty() {
                    diags
                } else {
                    config.apply(&diags)
                };
                reports_owned.push((input.path, text, diags))
            }
        }
    }
    let reports: Vec<FileReport<'_>> = reports_owned
        .iter()
        .map(|(path, text, diags)| FileReport {
            file: gale_diagnostics::SourceFile { path, text },
            diagnostics: diags,
        })
        .collect();
    let summary = Summary::of(&reports);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let _ = print_reports(&mut out, args.format, &reports, summary, skipped);
    let _ = out.flush();
    let code = if usage_error {
        ExitCode::from(super::EXIT_USAGE)
    } else if summary.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    // The process is about to exit: the operating system takes the memory back at
    // once, without freeing every text and diagnostic one by one.
    std::mem::forget(reports);
    std::mem::forget(reports_owned);
    code
}

/// Reads and checks every file on all cores, results in input order. `None`: walked
/// file that is not a Mistral document. Each thread takes the next file (files differ
/// in size by 100×, so a fixed split would leave one core idle at the end), and reads
/// it itself, so that reading overlaps checking.
fn check_parallel(inputs: &[(PathBuf, bool)]) -> Vec<(Input, Option<Vec<Diagnostic>>)> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(inputs.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<(Input, Option<Vec<Diagnostic>>)>> =
        std::iter::repeat_with(|| None).take(inputs.len()).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let next = &next;
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut db = Database::new();
                    let mut in_db = 0usize;
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((path, explicit)) = inputs.get(i) else {
                            break;
                        };
                        let input = read(path, *explicit);
                        if in_db == FILES_PER_DATABASE {
                            db = Database::new();
                            in_db = 0;
                        }
                        in_db += 1;
                        let result = check_one(&db, &input);
                        done.push((i, input, result));
                    }
                    done
                })
            })
            .collect();
        for h in handles {
            let done = h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, input, result) in done {
                if let Some(slot) = results.get_mut(i) {
                    *slot = Some((input, result));
                }
            }
        }
    });
    results.into_iter().flatten().collect()
}

/// How many files a checking thread puts in one database before it starts a new one.
/// `gale check` checks every file on its own, and nothing a database remembers serves
/// the next file: one database per file would cost a database's setup and teardown
/// per file, one for all would grow the process by every file's trees (fresh pages
/// cost the kernel a zeroing each); a fresh database every few dozen files bounds the
/// memory and reuses it while it is still in the cache.
const FILES_PER_DATABASE: usize = 32;

/// Checks one file in `db`: `None` when it could not be read, or is a walked file
/// that is not a Mistral document.
fn check_one(db: &Database, input: &Input) -> Option<Vec<Diagnostic>> {
    let text = input.text.as_ref().ok()?;
    let file = db.add_file(input.path.clone(), text.clone());
    check_file(db, input, file)
}

fn check_file(db: &Database, input: &Input, file: SourceFile) -> Option<Vec<Diagnostic>> {
    if let Some(at) = input.invalid_utf8_at {
        // The lossy text keeps every valid byte before `at` at the same offset.
        let at = at as u32;
        return Some(vec![
            Diagnostic::error(
                "invalid-utf8",
                Span::new(at, at + 1),
                "this file is not valid UTF-8",
            )
            .with_label("invalid byte sequence here")
            .with_note("Mistral reads definitions as UTF-8 text and rejects anything else")
            .with_help("re-save the file as UTF-8"),
        ]);
    }
    if *gale_db::document_kind(db, file) == DocumentKind::NotMistral {
        if !input.explicit {
            return None;
        }
        let mut diags = gale_db::diagnostics(db, file).clone();
        diags.retain(|d| d.code == "yaml-syntax");
        if diags.is_empty() {
            diags.push(
                Diagnostic::error("not-a-mistral-document", Span::empty(0), "this file is not a Mistral v2 document")
                    .with_note("a Mistral document is a mapping with `version: '2.0'` and workflows, a workbook, or ad-hoc actions")
                    .with_help("add `version: '2.0'` at the top, or leave this file out of `gale check`"),
            );
        }
        return Some(diags);
    }
    Some(gale_db::diagnostics(db, file).clone())
}

fn print_reports(
    out: &mut impl Write,
    format: Format,
    reports: &[FileReport<'_>],
    summary: Summary,
    skipped: usize,
) -> std::io::Result<()> {
    match format {
        Format::Full => {
            let color = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            for r in reports {
                for d in r.diagnostics {
                    write!(out, "{}", render::full(r.file, d, color))?;
                }
            }
            print_summary(out, summary, skipped)?;
        }
        Format::Concise => {
            for r in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
                let index = LineIndex::new(r.file.text);
                for d in r.diagnostics {
                    writeln!(out, "{}", render::concise(r.file, &index, d))?;
                }
            }
            print_summary(out, summary, skipped)?;
        }
        Format::Github => {
            for r in reports.iter().filter(|r| !r.diagnostics.is_empty()) {
                let index = LineIndex::new(r.file.text);
                for d in r.diagnostics {
                    writeln!(out, "{}", render::github(r.file, &index, d))?;
                }
            }
        }
        Format::Json => writeln!(out, "{}", render::json(reports))?,
        Format::Sarif => writeln!(
            out,
            "{}",
            render::sarif(reports, &[], env!("CARGO_PKG_VERSION"))
        )?,
    }
    Ok(())
}

fn print_summary(out: &mut impl Write, summary: Summary, skipped: usize) -> std::io::Result<()> {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    write!(
        out,
        "checked {}: {}, {}",
        plural(summary.files, "file"),
        plural(summary.errors, "error"),
        plural(summary.warnings, "warning")
    )?;
    if skipped > 0 {
        write!(
            out,
            " (skipped {} that {} not Mistral documents)",
            plural(skipped, "YAML file"),
            if skipped == 1 { "is" } else { "are" }
        )?;
    }
    writeln!(out)
}

/// A `gale test` file (`*.test.yaml` / `*.test.yml`): YAML, but not a Mistral document.
fn is_test_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yaml") || n.ends_with(".test.yml"))
}

/// Every `*.yaml`/`*.yml` below `dir`, skipping hidden folders and `target`.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                walk(&path, found);
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            found.push(path);
        }
    }
}

/// Reads a file as UTF-8 (a UTF-8 BOM is dropped, as PyYAML does).
fn read(path: &Path, explicit: bool) -> Input {
    let display = path.to_string_lossy().trim_start_matches("./").to_string();
    let text = match std::fs::read(path) {
        Err(err) => Err(format!("cannot read: {err}")),
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(text
                .strip_prefix('\u{feff}')
                .map(str::to_string)
                .unwrap_or(text)),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let text = String::from_utf8_lossy(err.as_bytes()).into_owned();
                return Input {
                    path: display,
                    text: Ok(text),
                    invalid_utf8_at: Some(at),
                    explicit,
                };
            }
        },
    };
    Input {
        path: display,
        text,
        invalid_utf8_at: None,
        explicit,
    }
}
