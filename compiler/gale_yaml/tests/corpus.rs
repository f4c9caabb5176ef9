//! Differential test against PyYAML over the whole corpus: every real file and
//! every mutant must produce the same canonical event stream (hash and count) and
//! the same error as `scripts/pyyaml_events.py` recorded in
//! `tests/data/corpus_events.jsonl`.

mod common;

use serde_json::{Value, json};

#[test]
fn corpus_matches_pyyaml() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let corpus = shared.join("corpus");
    let expect = std::fs::read_to_string(common::data("corpus_events.jsonl")).expect(
        "tests/data/corpus_events.jsonl (regenerate with scripts/pyyaml_events.py --corpus)",
    );
    let mut total = 0;
    let mut agree = 0;
    let mut errors = 0;
    let mut disagreements = Vec::new();
    for line in expect.lines().filter(|l| !l.trim().is_empty()) {
        let exp: Value = serde_json::from_str(line).expect("valid JSON line");
        let path = exp["path"].as_str().unwrap_or_default().to_owned();
        total += 1;
        let Ok(bytes) = std::fs::read(corpus.join(&path)) else {
            disagreements.push(json!({"path": path, "why": "missing file"}));
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let (lines, err) = common::run(&text, gale_yaml::Options::mistral());
        let got = json!({"sha256": common::digest(&lines), "events": lines.len(), "error": err});
        if err.is_some() {
            errors += 1;
        }
        if got["sha256"] == exp["sha256"]
            && got["events"] == exp["events"]
            && got["error"] == exp["error"]
        {
            agree += 1;
        } else {
            disagreements.push(json!({"path": path, "expected": exp, "got": got}));
        }
    }
    insta::assert_json_snapshot!(json!({
        "files": total,
        "agree": agree,
        "with_errors": errors,
        "disagreements": disagreements,
    }));
}
