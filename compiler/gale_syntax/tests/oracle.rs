//! Fidelity against Mistral's real loader: every corpus file's canonical value (and
//! error / no error) must match `testsuite/data/yaml_oracle.jsonl`, written by
//! `scripts/yaml_oracle.py` with Mistral 23.0.0's `safe_yaml`.

mod common;

use gale_diagnostics::Severity;
use sha2::{Digest, Sha256};

#[test]
fn corpus_matches_mistral_loader() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let oracle_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testsuite/data/yaml_oracle.jsonl");
    let oracle = std::fs::read_to_string(&oracle_path)
        .unwrap_or_else(|e| panic!("{}: {e}", oracle_path.display()));
    let mut agree = 0usize;
    let mut disagreements = Vec::new();
    let mut total = 0usize;
    for line in oracle.lines().filter(|l| !l.is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("oracle line is JSON");
        let path = v["path"].as_str().expect("path").to_string();
        let text =
            std::fs::read_to_string(dir.join(&path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        total += 1;
        let parsed = gale_syntax::parse(&text);
        let error = parsed
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error);
        let want_error = v["error"].as_str();
        match (error, want_error) {
            (None, None) => {
                let canon = parsed
                    .root
                    .as_ref()
                    .map_or_else(|| "null".to_string(), gale_syntax::canonical_json);
                let hash = format!("{:x}", Sha256::digest(canon.as_bytes()));
                if Some(hash.as_str()) == v["sha256"].as_str() {
                    agree += 1;
                } else {
                    disagreements.push(format!("{path}: value differs"));
                }
            }
            (Some(_), Some(_)) => agree += 1,
            (Some(d), None) => disagreements.push(format!(
                "{path}: Gale error `{}` at {}, Mistral loads it",
                d.message, d.primary.span.start
            )),
            (None, Some(e)) => {
                disagreements.push(format!("{path}: Mistral fails ({e}), Gale loads it"))
            }
        }
    }
    assert_eq!(
        total,
        common::corpus_paths(&dir).len(),
        "oracle is stale: regenerate with scripts/yaml_oracle.py"
    );
    let report =
        serde_json::json!({ "files": total, "agree": agree, "disagreements": disagreements });
    insta::assert_json_snapshot!("oracle_agreement", report);
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}
