//! Random-edit tests.
//!
//! * `fuzz_matches_pyyaml`: 2,000 seeded single edits of corpus files (recorded with
//!   PyYAML's verdicts by `scripts/pyyaml_events.py --fuzz`) must give the same
//!   events and the same error (problem, context, positions) as PyYAML.
//! * `never_panics`: many more random edits, random bytes included, in both dialects
//!   and with deep nesting; parsing must terminate without panicking.

mod common;

use gale_yaml::{Dialect, Options};
use serde_json::{Value, json};

#[test]
fn fuzz_matches_pyyaml() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let corpus = shared.join("corpus");
    let expect = std::fs::read_to_string(common::data("fuzz_events.jsonl")).expect(
        "tests/data/fuzz_events.jsonl (regenerate with scripts/pyyaml_events.py --fuzz 2000 …)",
    );
    let mut total = 0;
    let mut agree = 0;
    let mut errors = 0;
    let mut disagreements = Vec::new();
    for line in expect.lines().filter(|l| !l.trim().is_empty()) {
        let exp: Value = serde_json::from_str(line).expect("valid JSON line");
        total += 1;
        let path = exp["path"].as_str().unwrap_or_default();
        let text = std::fs::read_to_string(corpus.join(path)).unwrap_or_default();
        let offset = exp["offset"].as_u64().unwrap_or(0) as usize;
        let delete = exp["delete"].as_u64().unwrap_or(0) as usize;
        let insert = exp["insert"].as_str().unwrap_or_default();
        let mutated = format!("{}{}{}", &text[..offset], insert, &text[offset + delete..]);
        let mut options = Options::mistral();
        if exp["dialect"] == "standard" {
            options = Options::standard();
        }
        options.max_depth = None;
        let (lines, err) = common::run(&mutated, options);
        if err.is_some() {
            errors += 1;
        }
        let got = json!({"sha256": common::digest(&lines), "events": lines.len(), "error": err});
        if got["sha256"] == exp["sha256"]
            && got["events"] == exp["events"]
            && got["error"] == exp["error"]
        {
            agree += 1;
        } else {
            let mut exp = exp.clone();
            if let Some(o) = exp.as_object_mut() {
                o.remove("sha256");
            }
            disagreements
                .push(json!({"case": exp, "got_error": got["error"], "got_events": got["events"]}));
        }
    }
    insta::assert_json_snapshot!(json!({
        "cases": total,
        "agree": agree,
        "with_errors": errors,
        "disagreements": disagreements,
    }));
}

/// xorshift64*: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const PIECES: &[&str] = &[
    ":",
    " ",
    "\t",
    "-",
    "[",
    "]",
    "{",
    "}",
    "\n",
    "'",
    "\"",
    "#",
    "&",
    "*",
    "@",
    "!",
    "|",
    ">",
    "?",
    "%",
    "---",
    "...",
    "\\",
    "\r",
    "é",
    "\u{2028}",
    "\u{85}",
    ",",
    "\u{feff}",
    "!<",
    "%TAG",
    "\\U",
    "\"\\x",
    "|9-",
    ">+",
    "`",
    "\u{10348}",
    "\0",
    "\u{1}",
    "!!",
    "%YAML 2.0\n",
    "\"\\\n",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_owned();
    for _ in 0..1 + rng.below(4) {
        let mut pos = rng.below(s.len() + 1);
        while !s.is_char_boundary(pos) {
            pos -= 1;
        }
        let mut end = (pos + rng.below(4)).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        let piece = if rng.below(5) == 0 {
            char::from_u32(rng.below(0x3000) as u32)
                .unwrap_or('x')
                .to_string()
        } else {
            PIECES[rng.below(PIECES.len())].to_owned()
        };
        s.replace_range(pos..end, &piece);
    }
    s
}

fn drain(text: &str, options: Options) -> usize {
    let mut p = gale_yaml::Parser::new(text, options);
    let mut n = 0;
    while let Ok(Some(_)) = p.next_event() {
        n += 1;
        assert!(n < 10 * text.len() + 100, "runaway event stream");
    }
    n
}

#[test]
fn never_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<String> = match common::shared_dir() {
        Some(shared) => {
            let corpus = shared.join("corpus");
            let manifest =
                std::fs::read_to_string(corpus.join("manifest.jsonl")).unwrap_or_default();
            manifest
                .lines()
                .step_by(7)
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter_map(|v| std::fs::read_to_string(corpus.join(v["path"].as_str()?)).ok())
                .collect()
        }
        None => vec!["a: 1\nb:\n  - [x, {y: z}]\n  - |\n    t\n".to_owned()],
    };
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..40 {
            let m = mutate(&mut rng, seed);
            for dialect in [Dialect::Mistral, Dialect::Standard] {
                let options = Options {
                    dialect,
                    max_depth: Some(64),
                    single_document: false,
                };
                drain(&m, options);
                runs += 1;
            }
        }
    }
    assert!(runs >= 80);
}

#[test]
fn deep_nesting_is_bounded() {
    let nested_block: String = (0..100_000)
        .map(|i| format!("{}a:\n", " ".repeat(i % 2000)))
        .collect();
    let texts = [
        "[".repeat(100_000),
        "{".repeat(100_000),
        "- ".repeat(100_000),
        "{a: ".repeat(100_000),
        nested_block,
    ];
    for text in &texts {
        let what = &text[..8];
        match gale_yaml::parse(text, Options::mistral()) {
            Err(err) => assert_eq!(
                err.kind,
                gale_yaml::ErrorKind::DepthLimit,
                "{what:?}: {err}"
            ),
            Ok(_) => panic!("{what:?}: no depth error"),
        }
        // Without a limit it must still terminate (no recursion anywhere).
        let unlimited = Options {
            max_depth: None,
            ..Options::mistral()
        };
        let (events, _) = gale_yaml::parse_partial(text, unlimited);
        assert!(events.len() > 1000, "{what:?}: {}", events.len());
    }
}
