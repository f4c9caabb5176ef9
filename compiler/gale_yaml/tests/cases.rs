//! Hand-written cases for every error kind and the Mistral dialect.
//!
//! `tests/data/cases.jsonl` holds the inputs; `tests/data/cases_expected.jsonl` is
//! PyYAML's event stream and error for each (`scripts/pyyaml_events.py --cases`).
//! Every case must match exactly; the insta snapshot additionally records the
//! rendered messages (`YamlError::render`, PyYAML's `str(error)` with snippets).

mod common;

use gale_yaml::{Event, Options, ScalarStyle};
use serde_json::{Value, json};

fn options_for(case: &Value) -> Options {
    let mut o = if case["dialect"] == "standard" {
        Options::standard()
    } else {
        Options::mistral()
    };
    o.max_depth = None;
    o
}

#[test]
fn cases_match_pyyaml() {
    let inputs = std::fs::read_to_string(common::data("cases.jsonl")).expect("cases.jsonl");
    let expected = std::fs::read_to_string(common::data("cases_expected.jsonl"))
        .expect("cases_expected.jsonl");
    let mut rendered = serde_json::Map::new();
    let mut mismatches = Vec::new();
    for (input, exp) in inputs.lines().zip(expected.lines()) {
        let case: Value = serde_json::from_str(input).expect("case");
        let exp: Value = serde_json::from_str(exp).expect("expected");
        let name = case["name"].as_str().unwrap_or_default().to_owned();
        assert_eq!(exp["name"], case["name"], "files out of step");
        let text = case["text"].as_str().unwrap_or_default();
        let (lines, err) = common::run(text, options_for(&case));
        if json!(lines) != exp["events"] || json!(err) != exp["error"] {
            mismatches.push(
                json!({"name": name, "expected": exp, "got": {"events": lines, "error": err}}),
            );
        }
        let (_, e) = gale_yaml::parse_partial(text, options_for(&case));
        rendered.insert(name, json!(e.map(|e| e.render(text))));
    }
    assert!(
        mismatches.is_empty(),
        "{}",
        serde_json::to_string_pretty(&mismatches).unwrap_or_default()
    );
    insta::assert_json_snapshot!(Value::Object(rendered));
}

fn scalars(text: &str) -> Vec<(String, ScalarStyle)> {
    gale_yaml::parse(text, Options::mistral())
        .expect("parses")
        .into_iter()
        .filter_map(|e| match e {
            Event::Scalar { value, style, .. } => Some((value.into_owned(), style)),
            _ => None,
        })
        .collect()
}

#[test]
fn mistral_dialect() {
    let s = scalars("a: &x 1\nb: *x\nc: @foo\n");
    let values: Vec<&str> = s.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(values, ["a", "&x 1", "b", "*x", "c", "@foo"]);

    let err = gale_yaml::parse("t1: &a\n  x: 1\n", Options::mistral()).unwrap_err();
    assert_eq!(err.problem, "mapping values are not allowed here");

    let std_err = gale_yaml::parse("a: @foo\n", Options::standard()).unwrap_err();
    assert_eq!(
        std_err.problem,
        "found character '@' that cannot start any token"
    );

    // `{{ _.x }}` is a flow mapping whose only key is another flow mapping.
    let events = gale_yaml::parse("a: {{ _.x }}\n", Options::mistral()).expect("parses");
    let starts = events
        .iter()
        .filter(|e| matches!(e, Event::MappingStart { flow: true, .. }))
        .count();
    assert_eq!(starts, 2);
}

#[test]
fn spans_are_byte_ranges_and_values_borrow() {
    let text = "é: 'ü x'\nk: \"a\\tb\"\nm: |\n  z\n";
    let events = gale_yaml::parse(text, Options::mistral()).expect("parses");
    let got: Vec<(&str, bool, &str)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Scalar { value, span, .. } => Some((
                &text[span.range()],
                matches!(value, std::borrow::Cow::Borrowed(_)),
                value.as_ref(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        got,
        [
            ("é", true, "é"),
            ("'ü x'", true, "ü x"),
            ("k", true, "k"),
            ("\"a\\tb\"", false, "a\tb"),
            ("m", true, "m"),
            ("|\n  z\n", false, "z\n"),
        ]
    );
}

#[test]
fn display_is_pyyaml_str() {
    let text = "a:\n  b: 1\n c: 2\n";
    let err = gale_yaml::parse(text, Options::mistral()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1\n\
         expected <block end>, but found '<block mapping start>'\n  in \"<unicode string>\", line 3, column 2"
    );
    assert_eq!(
        err.render(text),
        "while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1:\n    a:\n    ^\n\
         expected <block end>, but found '<block mapping start>'\n  in \"<unicode string>\", line 3, column 2:\n     c: 2\n     ^"
    );
}
