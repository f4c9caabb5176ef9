//! Test reports: the human format (a line per test, then for each failure where
//! the expectation is written, what differs at which path, and a line diff of
//! expected vs actual; colored on a terminal) and the JSON format.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use serde_json::{Value as Json, json};
use similar::{ChangeTag, TextDiff};

use super::spec::FileError;
use super::{Failure, Status, TestOutcome};

/// The results of one test file.
#[derive(Clone, Debug)]
pub struct FileResult {
    /// The file as shown.
    pub file: String,
    /// Why it could not be read.
    pub error: Option<FileError>,
    /// Its tests, in file order.
    pub outcomes: Vec<TestOutcome>,
}

/// Counts over every file.
#[derive(Clone, Debug)]
pub struct Summary {
    /// Tests that passed.
    pub passed: usize,
    /// Tests that failed.
    pub failed: usize,
    /// Tests that could not run.
    pub errors: usize,
    /// Files that could not be read.
    pub file_errors: usize,
    /// Wall time.
    pub duration: Duration,
}

impl Summary {
    /// Counts `results`.
    pub fn of(results: &[FileResult], duration: Duration) -> Summary {
        let count = |s: Status| {
            results
                .iter()
                .flat_map(|f| &f.outcomes)
                .filter(|o| o.status == s)
                .count()
        };
        Summary {
            passed: count(Status::Passed),
            failed: count(Status::Failed),
            errors: count(Status::Error),
            file_errors: results.iter().filter(|f| f.error.is_some()).count(),
            duration,
        }
    }
}

/// Whether to color: stdout is a terminal and `NO_COLOR` is not set.
pub fn use_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn red(&self, s: &str) -> String {
        self.wrap("31", s)
    }
    fn green(&self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
}

fn pretty(j: &Json) -> String {
    serde_json::to_string_pretty(j).unwrap_or_default()
}

/// A scalar for a one-line display: JSON, except matcher descriptions (`<$…>`).
fn scalar(j: &Json) -> String {
    match j.as_str() {
        Some(s) if s.starts_with("<$") && s.ends_with('>') => s.to_string(),
        _ => serde_json::to_string(j).unwrap_or_default(),
    }
}

fn is_collection(j: &Json) -> bool {
    matches!(j, Json::Array(_) | Json::Object(_))
}

fn failure_text(f: &Failure, p: &Paint, out: &mut String) {
    let loc = f
        .loc
        .as_ref()
        .map(|l| format!("  {}", p.dim(&format!("at {l}"))))
        .unwrap_or_default();
    out.push_str(&format!("    {} {}{loc}\n", p.red("✗"), p.bold(&f.check)));
    if let Some(m) = &f.message {
        for line in m.lines() {
            out.push_str(&format!("        {line}\n"));
        }
    }
    let (Some(e), Some(a)) = (&f.expected, &f.actual) else {
        for m in &f.mismatches {
            out.push_str(&format!("        {}: {}\n", p.bold(&m.path), m.message));
        }
        return;
    };
    let single_scalar = f.mismatches.len() == 1 && !is_collection(e) && !is_collection(a);
    if single_scalar {
        let multiline = |j: &Json| j.as_str().is_some_and(|s| s.trim_end().contains('\n'));
        if let (Json::String(es), Json::String(as_)) = (e, a)
            && multiline(e)
            && multiline(a)
        {
            out.push_str(&format!(
                "        {} {}\n",
                p.green("- expected"),
                p.red("+ actual")
            ));
            for change in TextDiff::from_lines(es, as_).iter_all_changes() {
                out.push_str(&diff_line(change.tag(), change.value(), p));
            }
            return;
        }
        out.push_str(&format!(
            "        {} {}\n",
            p.dim("expected:"),
            p.green(&scalar(e))
        ));
        match a.as_str().filter(|_| multiline(a)) {
            Some(text) => {
                out.push_str(&format!("        {}\n", p.dim("actual:")));
                for line in text.trim_end().lines() {
                    out.push_str(&format!("          {} {}\n", p.dim("│"), p.red(line)));
                }
            }
            None => out.push_str(&format!(
                "        {}   {}\n",
                p.dim("actual:"),
                p.red(&scalar(a))
            )),
        }
        return;
    }
    for m in &f.mismatches {
        out.push_str(&format!("        {}: {}\n", p.bold(&m.path), m.message));
    }
    let (es, as_) = (pretty(e), pretty(a));
    let diff = TextDiff::from_lines(&es, &as_);
    out.push_str(&format!(
        "        {} {}\n",
        p.green("- expected"),
        p.red("+ actual")
    ));
    let total = es.lines().count().max(as_.lines().count());
    let mut body = String::new();
    if total <= 40 {
        for change in diff.iter_all_changes() {
            body.push_str(&diff_line(change.tag(), change.value(), p));
        }
    } else {
        for (i, group) in diff.grouped_ops(3).iter().enumerate() {
            if i > 0 {
                body.push_str(&format!("        {}\n", p.dim("  ...")));
            }
            for op in group {
                for change in diff.iter_changes(op) {
                    body.push_str(&diff_line(change.tag(), change.value(), p));
                }
            }
        }
    }
    out.push_str(&body);
}

/// The actual outcome as an `expect:` block: YAML whose values are JSON (flow
/// style, which YAML reads as is), ready to paste into the test file.
fn actual_block(actual: &Json, p: &Paint) -> String {
    let j = |v: &Json| serde_json::to_string(v).unwrap_or_default();
    let mut out = format!(
        "    {}\n",
        p.dim("# actual outcome (paste into the test to accept):")
    );
    out.push_str("    expect:\n");
    out.push_str(&format!(
        "      state: {}\n",
        actual["state"].as_str().unwrap_or("")
    ));
    if !actual["state_info"].is_null() {
        out.push_str(&format!("      state_info: {}\n", j(&actual["state_info"])));
    }
    out.push_str(&format!("      output: {}\n", j(&actual["output"])));
    let mut tasks: Vec<(&str, &Json)> = Vec::new();
    for t in actual["tasks"].as_array().into_iter().flatten() {
        let name = t["name"].as_str().unwrap_or("");
        match tasks.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = t,
            None => tasks.push((name, t)),
        }
    }
    if !tasks.is_empty() {
        out.push_str("      tasks:\n");
        for (name, t) in tasks {
            let mut m = serde_json::Map::new();
            for key in ["state", "published", "action_executions"] {
                m.insert(key.to_string(), t[key].clone());
            }
            out.push_str(&format!(
                "        {}: {}\n",
                yaml_key(name),
                j(&Json::Object(m))
            ));
        }
    }
    out
}

/// A mapping key: plain when YAML 1.1 reads it back as the same string.
fn yaml_key(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !matches!(
            name.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        name.to_string()
    } else {
        serde_json::to_string(name).unwrap_or_default()
    }
}

/// ` (1.25 s)` for a test that took a second or more, else nothing.
fn slow(o: &TestOutcome, p: &Paint) -> String {
    if o.duration.as_secs_f64() >= 1.0 {
        p.yellow(&format!(" ({:.2} s)", o.duration.as_secs_f64()))
    } else {
        String::new()
    }
}

fn diff_line(tag: ChangeTag, value: &str, p: &Paint) -> String {
    let text = value.trim_end_matches('\n');
    match tag {
        ChangeTag::Equal => format!("          {text}\n"),
        ChangeTag::Delete => format!("        {}\n", p.green(&format!("- {text}"))),
        ChangeTag::Insert => format!("        {}\n", p.red(&format!("+ {text}"))),
    }
}

/// Prints the human report on stdout.
pub fn human(results: &[FileResult], summary: &Summary, color: bool, show_actual: bool) {
    let p = Paint(color);
    let mut out = String::new();
    for f in results {
        out.push_str(&format!("{}\n", p.bold(&f.file)));
        if let Some(e) = &f.error {
            let at = match &e.loc {
                Some(l) => l.to_string(),
                None => e.file.clone(),
            };
            out.push_str(&format!("  {at}: {} {}\n", p.red("error:"), e.message));
            continue;
        }
        for o in &f.outcomes {
            let status = o.status;
            match status {
                Status::Passed => {
                    out.push_str(&format!("  {} {}{}\n", p.green("✓"), o.name, slow(o, &p)));
                }
                Status::Failed | Status::Error => {
                    let tag = if o.status == Status::Failed {
                        p.red("✗")
                    } else {
                        p.yellow("!")
                    };
                    let kind = if o.status == Status::Failed {
                        p.red("FAILED")
                    } else {
                        p.yellow("ERROR")
                    };
                    out.push_str(&format!(
                        "  {tag} {}  {kind} {}{}\n",
                        o.name,
                        p.dim(&format!("({})", o.loc)),
                        slow(o, &p)
                    ));
                    for fl in &o.failures {
                        failure_text(fl, &p, &mut out);
                    }
                    if let Some(s) = &o.state {
                        out.push_str(&format!("    {} {s}\n", p.dim("workflow:")));
                    }
                    if let Some(info) = &o.state_info {
                        let first = info.lines().next().unwrap_or("");
                        out.push_str(&format!("    {} {first}\n", p.dim("state info:")));
                    }
                    if !o.tasks_run.is_empty() {
                        out.push_str(&format!(
                            "    {} {}\n",
                            p.dim("tasks run:"),
                            o.tasks_run.join(" → ")
                        ));
                    }
                    if !o.still_running.is_empty() {
                        out.push_str(&format!(
                            "    {} {}\n",
                            p.dim("not finished:"),
                            o.still_running.join(", ")
                        ));
                    }
                }
            }
            if show_actual && let Some(actual) = &o.actual {
                out.push_str(&actual_block(actual, &p));
            }
        }
    }
    out.push('\n');
    let verdict = if summary.failed + summary.errors + summary.file_errors == 0 {
        p.green(&p.bold("ok"))
    } else {
        p.red(&p.bold("FAILED"))
    };
    let mut parts = vec![format!("{} passed", summary.passed)];
    parts.push(format!("{} failed", summary.failed));
    if summary.errors > 0 {
        parts.push(format!("{} errors", summary.errors));
    }
    if summary.file_errors > 0 {
        parts.push(format!("{} unreadable files", summary.file_errors));
    }
    out.push_str(&format!(
        "test result: {verdict}. {} in {:.2}s\n",
        parts.join(", "),
        summary.duration.as_secs_f64()
    ));
    let _ = std::io::stdout().write_all(out.as_bytes());
}

fn failure_json(f: &Failure) -> Json {
    json!({
        "check": f.check,
        "location": f.loc.as_ref().map(|l| l.to_string()),
        "message": f.message,
        "mismatches": f.mismatches.iter().map(|m| json!({"path": m.path, "message": m.message})).collect::<Vec<_>>(),
        "expected": f.expected,
        "actual": f.actual,
    })
}

/// Prints the JSON report on stdout.
pub fn json(results: &[FileResult], summary: &Summary) {
    let mut tests = Vec::new();
    let mut errors = Vec::new();
    for f in results {
        if let Some(e) = &f.error {
            errors.push(json!({
                "file": e.file,
                "location": e.loc.as_ref().map(|l| l.to_string()),
                "message": e.message,
            }));
        }
        for o in &f.outcomes {
            tests.push(json!({
                "file": o.file,
                "name": o.name,
                "location": o.loc.to_string(),
                "status": match o.status {
                    Status::Passed => "passed",
                    Status::Failed => "failed",
                    Status::Error => "error",
                },
                "state": o.state,
                "state_info": o.state_info,
                "tasks_run": o.tasks_run,
                "still_running": o.still_running,
                "failures": o.failures.iter().map(failure_json).collect::<Vec<_>>(),
                "duration_ms": o.duration.as_millis() as u64,
            }));
        }
    }
    let doc = json!({
        "tests": tests,
        "file_errors": errors,
        "summary": {
            "passed": summary.passed,
            "failed": summary.failed,
            "errors": summary.errors,
            "file_errors": summary.file_errors,
            "duration_ms": summary.duration.as_millis() as u64,
        }
    });
    let _ = writeln!(std::io::stdout(), "{}", pretty(&doc));
}
