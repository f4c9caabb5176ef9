//! Renderers: one function per output format, all reading the same [`Diagnostic`]
//! values. `full` (ariadne source excerpts), `concise` (one line each), `json` (the
//! stable shape of the architecture doc), `sarif` (SARIF 2.1.0) and `github`
//! (workflow-command annotations).

use crate::{Diagnostic, LineIndex, Severity, SourceFile};
use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use serde_json::{Value, json};

/// A file and its diagnostics, as given to the multi-file renderers.
#[derive(Clone, Copy, Debug)]
pub struct FileReport<'a> {
    /// The file.
    pub file: SourceFile<'a>,
    /// Its diagnostics, already sorted.
    pub diagnostics: &'a [Diagnostic],
}

/// Counts of a whole run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files checked.
    pub files: usize,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
}

impl Summary {
    /// Counts the diagnostics of `reports`.
    pub fn of(reports: &[FileReport<'_>]) -> Summary {
        let mut summary = Summary {
            files: reports.len(),
            ..Summary::default()
        };
        for d in reports.iter().flat_map(|r| r.diagnostics) {
            match d.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => {}
            }
        }
        summary
    }
}

/// A 1-based line and column (in Unicode scalar values), as every text format shows.
fn position(index: &LineIndex, text: &str, offset: u32) -> (u32, u32) {
    let lc = index.line_col(text, offset);
    (lc.line + 1, lc.col + 1)
}

/// Full rendering with source excerpts and labels (ariadne). `color` should be true
/// only when writing to a terminal.
pub fn full(file: SourceFile<'_>, diagnostic: &Diagnostic, color: bool) -> String {
    let kind = match diagnostic.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
        Severity::Info => ReportKind::Advice,
    };
    let clamp = |span: crate::Span| {
        let len = file.text.len();
        let start = (span.start as usize).min(len);
        let end = (span.end as usize).clamp(start, len);
        start..end
    };
    let primary_color = match diagnostic.severity {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Cyan,
    };
    let path = file.path;
    let mut report = Report::build(kind, (path, clamp(diagnostic.primary.span)))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(diagnostic.code)
        .with_message(&diagnostic.message);
    // ariadne underlines only labels that carry a message: an unlabelled primary
    // span repeats the diagnostic's message.
    let label = if diagnostic.primary.message.is_empty() {
        &diagnostic.message
    } else {
        &diagnostic.primary.message
    };
    let primary = Label::new((path, clamp(diagnostic.primary.span)))
        .with_color(primary_color)
        .with_message(label);
    report = report.with_label(primary);
    for label in &diagnostic.secondary {
        report = report.with_label(
            Label::new((path, clamp(label.span)))
                .with_message(&label.message)
                .with_color(Color::Blue),
        );
    }
    for note in &diagnostic.notes {
        report = report.with_note(note);
    }
    if let Some(help) = &diagnostic.help {
        report = report.with_help(help);
    }
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = report
        .finish()
        .write((path, Source::from(file.text)), &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// One line per diagnostic: `file:line:col: severity[code]: message`.
pub fn concise(file: SourceFile<'_>, index: &LineIndex, diagnostic: &Diagnostic) -> String {
    let (line, col) = position(index, file.text, diagnostic.primary.span.start);
    format!(
        "{}:{}:{}: {}[{}]: {}",
        file.path,
        line,
        col,
        diagnostic.severity.as_str(),
        diagnostic.code,
        diagnostic.message
    )
}

/// GitHub Actions workflow command, e.g. `::error file=a.yaml,line=3,col=5,...::msg`.
pub fn github(file: SourceFile<'_>, index: &LineIndex, diagnostic: &Diagnostic) -> String {
    let (line, col) = position(index, file.text, diagnostic.primary.span.start);
    let (end_line, end_col) = position(index, file.text, diagnostic.primary.span.end);
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} file={},line={line},col={col},endLine={end_line},endColumn={end_col},title={}::{}",
        escape_property(file.path),
        escape_property(&format!("gale {}", diagnostic.code)),
        escape_data(&message)
    )
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The JSON value of one diagnostic, in the stable shape.
fn json_diagnostic(file: SourceFile<'_>, index: &LineIndex, d: &Diagnostic) -> Value {
    let (line, column) = position(index, file.text, d.primary.span.start);
    let (end_line, end_column) = position(index, file.text, d.primary.span.end);
    json!({
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "range": {
            "start": {"line": line, "column": column},
            "end": {"line": end_line, "column": end_column},
        },
        "notes": d.notes,
        "help": d.help,
    })
}

/// The whole run as the stable JSON object:
/// `{"version":1,"files":[{"path","diagnostics":[…]}],"summary":{…}}`.
pub fn json(reports: &[FileReport<'_>]) -> String {
    let summary = Summary::of(reports);
    let files: Vec<Value> = reports
        .iter()
        .map(|r| {
            let index = LineIndex::new(r.file.text);
            json!({
                "path": r.file.path,
                "diagnostics": r.diagnostics.iter().map(|d| json_diagnostic(r.file, &index, d)).collect::<Vec<_>>(),
            })
        })
        .collect();
    let value = json!({
        "version": 1,
        "files": files,
        "summary": {"files": summary.files, "errors": summary.errors, "warnings": summary.warnings},
    });
    value.to_string()
}

/// Describes one rule for SARIF's `tool.driver.rules`.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo<'a> {
    /// The diagnostic code.
    pub code: &'a str,
    /// One-line description.
    pub summary: &'a str,
}

/// The whole run as a SARIF 2.1.0 log. `rules` describes every code that may appear
/// (codes missing from it are still reported, with no description).
pub fn sarif(reports: &[FileReport<'_>], rules: &[RuleInfo<'_>], tool_version: &str) -> String {
    let mut rule_ids: Vec<&str> = rules.iter().map(|r| r.code).collect();
    for d in reports.iter().flat_map(|r| r.diagnostics) {
        if !rule_ids.contains(&d.code) {
            rule_ids.push(d.code);
        }
    }
    let rules_json: Vec<Value> = rule_ids
        .iter()
        .map(|id| {
            let summary = rules
                .iter()
                .find(|r| r.code == *id)
                .map_or("", |r| r.summary);
            json!({
                "id": id,
                "name": id,
                "shortDescription": {"text": if summary.is_empty() { *id } else { summary }},
                "helpUri": format!("https://gale.invalid/checks#{id}"),
            })
        })
        .collect();
    let mut results = Vec::new();
    for report in reports {
        let index = LineIndex::new(report.file.text);
        for d in report.diagnostics {
            let (line, column) = position(&index, report.file.text, d.primary.span.start);
            let (end_line, end_column) = position(&index, report.file.text, d.primary.span.end);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let rule_index = rule_ids.iter().position(|id| *id == d.code).unwrap_or(0);
            results.push(json!({
                "ruleId": d.code,
                "ruleIndex": rule_index,
                "level": level,
                "message": {"text": text},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri_of(report.file.path)},
                        "region": {
                            "startLine": line,
                            "startColumn": column,
                            "endLine": end_line,
                            "endColumn": end_column,
                        }
                    }
                }],
            }));
        }
    }
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gale",
                "version": tool_version,
                "informationUri": "https://gale.invalid/",
                "rules": rules_json,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

/// A relative URI reference for a path (forward slashes, spaces and `%` escaped).
fn uri_of(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '%' => out.push_str("%25"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            _ => out.push(c),
        }
    }
    out.trim_start_matches("./").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Span;

    fn sample() -> (SourceFile<'static>, Vec<Diagnostic>) {
        let text =
            "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n      on-sucess: t2\n";
        let start = text.find("on-sucess").unwrap() as u32;
        let d = Diagnostic::error(
            "unknown-key",
            Span::new(start, start + 9),
            "unknown task key `on-sucess`",
        )
        .with_label("not a task key")
        .with_note("Mistral rejects the whole workflow when a task has an unknown key.")
        .with_help("did you mean `on-success`?");
        (
            SourceFile {
                path: "wf.yaml",
                text,
            },
            vec![d],
        )
    }

    #[test]
    fn renders_every_format() {
        let (file, diags) = sample();
        let index = LineIndex::new(file.text);
        insta::assert_snapshot!("full", full(file, &diags[0], false));
        insta::assert_snapshot!("concise", concise(file, &index, &diags[0]));
        insta::assert_snapshot!("github", github(file, &index, &diags[0]));
        let reports = [FileReport {
            file,
            diagnostics: &diags,
        }];
        insta::assert_snapshot!("json", json(&reports));
        let rules = [RuleInfo {
            code: "unknown-key",
            summary: "a key Mistral does not accept here",
        }];
        insta::assert_snapshot!("sarif", sarif(&reports, &rules, "0.1.0"));
    }
}
