//! Synthetic dialect cases (`tests/data/dialect_cases.jsonl`) against what Mistral's
//! loader does with them (`tests/data/dialect_oracle.jsonl`, written by
//! `scripts/yaml_oracle.py --cases`), plus a snapshot of Gale's diagnostics on them.

use gale_diagnostics::{LineIndex, Severity};

fn lines(name: &str) -> Vec<serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn dialect_cases_match_mistral_loader() {
    let cases = lines("dialect_cases.jsonl");
    let oracle = lines("dialect_oracle.jsonl");
    assert_eq!(cases.len(), oracle.len(), "regenerate dialect_oracle.jsonl");
    let mut failures = Vec::new();
    for (case, want) in cases.iter().zip(&oracle) {
        let name = case["name"].as_str().unwrap_or("?");
        assert_eq!(Some(name), want["name"].as_str());
        let text = case["text"].as_str().unwrap_or("");
        let parsed = gale_syntax::parse(text);
        let error = parsed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error);
        let failure = match (error, want["error"].as_str()) {
            (None, None) => {
                let got = parsed
                    .root
                    .as_ref()
                    .map_or_else(|| "null".into(), gale_syntax::canonical_json);
                (Some(got.as_str()) != want["canonical"].as_str())
                    .then(|| format!("{name}: got {got}, Mistral {}", want["canonical"]))
            }
            (Some(_), Some(_)) => None,
            (Some(d), None) => Some(format!(
                "{name}: Gale error `{}`, Mistral loads it",
                d.message
            )),
            (None, Some(e)) => Some(format!("{name}: Mistral fails ({e}), Gale loads it")),
        };
        if let Some(gap) = case["gap"].as_str() {
            // A documented gap: Gale must not panic, and still disagrees (on the
            // verdict or the value; when it starts agreeing, drop the `gap` field).
            assert!(
                failure.is_some(),
                "{name}: known gap now agrees, remove `gap` ({gap})"
            );
            continue;
        }
        failures.extend(failure);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn dialect_diagnostics() {
    let mut out = String::new();
    for case in lines("dialect_cases.jsonl") {
        let name = case["name"].as_str().unwrap_or("?");
        let text = case["text"].as_str().unwrap_or("");
        let parsed = gale_syntax::parse(text);
        if parsed.diagnostics.is_empty() {
            continue;
        }
        let index = LineIndex::new(text);
        out.push_str(&format!("## {name}\n"));
        for d in &parsed.diagnostics {
            let at = index.line_col(text, d.primary.span.start);
            out.push_str(&format!(
                "{}:{} {} [{}] {}{}\n",
                at.line + 1,
                at.col + 1,
                d.severity.as_str(),
                d.code,
                d.message,
                d.help
                    .as_ref()
                    .map_or(String::new(), |h| format!(" (help: {h})"))
            ));
        }
    }
    insta::assert_snapshot!("dialect_diagnostics", out);
}
