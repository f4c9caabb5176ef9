//! Prints the syntax and HIR diagnostics of the given files (a development aid):
//! `cargo run -p gale_hir --example check -- FILE… [--code CODE]`.

use gale_diagnostics::{Diagnostic, LineIndex};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut parse_time = std::time::Duration::ZERO;
    let mut lower_time = std::time::Duration::ZERO;
    let mut bytes = 0usize;
    let code = args
        .iter()
        .position(|a| a == "--code")
        .and_then(|i| args.get(i + 1))
        .cloned();
    for path in args
        .iter()
        .filter(|a| a.ends_with(".yaml") || a.ends_with(".yml"))
    {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        bytes += text.len();
        let t0 = std::time::Instant::now();
        let parsed = gale_syntax::parse(&text);
        let t1 = std::time::Instant::now();
        let lowered = gale_hir::lower(parsed.root.as_ref(), &text);
        lower_time += t1.elapsed();
        parse_time += t1 - t0;
        let mut all = parsed.diagnostics;
        all.extend(lowered.diagnostics);
        Diagnostic::sort(&mut all);
        let index = LineIndex::new(&text);
        for d in all
            .iter()
            .filter(|d| code.as_deref().is_none_or(|c| c == d.code))
        {
            let lc = index.line_col(&text, d.primary.span.start);
            let snippet = &text[d.primary.span.range()];
            println!(
                "{path}:{}:{}: {} [{}] {} | `{}` | help: {:?}",
                lc.line + 1,
                lc.col + 1,
                d.severity.as_str(),
                d.code,
                d.message,
                snippet.chars().take(60).collect::<String>(),
                d.help
            );
        }
    }
    if args.iter().any(|a| a == "--time") {
        eprintln!(
            "{bytes} bytes: parse {parse_time:?}, lower (with expression checks) {lower_time:?}"
        );
    }
}
