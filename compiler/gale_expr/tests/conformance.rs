//! Data-driven conformance tests against the recorded behaviour of yaql 3.2.0,
//! Mistral 23.0.0 and Jinja2 3.1.6 (`shared/conformance/yaql`) and against the
//! real-world corpus (`shared/corpus`), whose Mistral verdicts are recorded.

use std::path::{Path, PathBuf};

use gale_expr::yaql::{Options, ParseErrorKind};
use gale_expr::{ExprErrorKind, check_string, jinja, yaql};
use serde_json::Value;

/// `<workspace root>/../shared`, or `None` (after a loud message) when absent.
fn shared() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("../shared not found at {}", p.display());
    }
    eprintln!("SKIPPED: ../shared not found");
    None
}

fn jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

#[test]
fn yaql_suite_parses_as_recorded() {
    let Some(shared) = shared() else { return };
    let cases = jsonl(&shared.join("conformance/yaql/cases.jsonl"));
    let (mut passed, mut messages_equal, mut parse_errors) = (0, 0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        let expr = s(c, "expr");
        let options = Options {
            legacy: s(c, "engine") == "legacy",
            allow_delegates: c
                .get("allow_delegates")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        };
        let r = yaql::parse_with(expr, options);
        let expect = &c["expect"];
        let ok = if s(expect, "phase") == "parse" {
            parse_errors += 1;
            let want = match s(expect, "error") {
                "YaqlLexicalException" => ParseErrorKind::Lexical,
                _ => ParseErrorKind::Grammar,
            };
            let got = r.errors.first();
            if got.is_some_and(|e| e.message == s(expect, "message")) {
                messages_equal += 1;
            }
            got.is_some_and(|e| e.kind == want)
        } else {
            r.errors.is_empty() && r.expr.is_some()
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{} {expr:?}: {:?}",
                s(c, "id"),
                r.errors.first().map(|e| &e.message)
            ));
        }
    }
    let summary = format!(
        "cases: {}\npassed: {passed}\nparse-error cases: {parse_errors}, identical messages: {messages_equal}\nfailures:\n{}",
        cases.len(),
        failures.join("\n")
    );
    insta::assert_snapshot!(summary);
    assert!(failures.is_empty());
}

/// The inner error text of `Can not evaluate … [expression=…, error=<inner>]`.
fn inner_error(message: &str) -> &str {
    let start = message.find(", error=").map_or(0, |i| i + 8);
    message[start..].trim_end_matches(']')
}

#[test]
fn mistral_suite_validates_as_recorded() {
    let Some(shared) = shared() else { return };
    let cases = jsonl(&shared.join("conformance/yaql/mistral_cases.jsonl"));
    let (mut checked, mut passed) = (0, 0);
    let mut failures = Vec::new();
    for c in &cases {
        let mode = s(c, "mode");
        let Some(expr) = c.get("expr").and_then(Value::as_str) else {
            continue;
        };
        let expect = &c["expect"];
        let errors = check_string(expr);
        let first = errors.first();
        let (ok, detail) = match (mode, s(expect, "error"), s(expect, "cause")) {
            ("validate", "", _) => (errors.is_empty(), "expected no error".to_owned()),
            ("validate", class, _) => {
                let kind = match class {
                    "YaqlGrammarException" => ExprErrorKind::YaqlSyntax,
                    "JinjaGrammarException" => ExprErrorKind::JinjaSyntax,
                    _ => ExprErrorKind::MixedLanguages,
                };
                (
                    first.is_some_and(|e| e.kind == kind && e.message == s(expect, "message")),
                    format!("expected {class}: {}", s(expect, "message")),
                )
            }
            ("evaluate", _, "YaqlGrammarException" | "YaqlLexicalException") => {
                // Evaluation strips the text; compare yaql's own message on it.
                let inner = gale_expr::segments::yaql_expressions(expr)
                    .into_iter()
                    .map(|(_, i)| expr[i].trim().to_owned())
                    .map(|t| yaql::parse(&t).errors.into_iter().next().map(|e| e.message))
                    .find_map(|m| m);
                (
                    first.is_some_and(|e| e.kind == ExprErrorKind::YaqlSyntax)
                        && inner.as_deref() == Some(inner_error(s(expect, "message"))),
                    format!("expected yaql error {}", inner_error(s(expect, "message"))),
                )
            }
            ("evaluate", _, "TemplateSyntaxError") => {
                let whole = gale_expr::segments::jinja_whole_expression(expr);
                let msg = match whole {
                    Some(w) => {
                        jinja::parse_expression(&expr[w.inner.start as usize..w.inner.end as usize])
                            .err()
                    }
                    None => jinja::parse_template(expr).err(),
                }
                .map(|e| e.message);
                let want = inner_error(s(expect, "message"));
                let want = want.split("\n  line").next().unwrap_or(want);
                (
                    first.is_some_and(|e| e.kind == ExprErrorKind::JinjaSyntax)
                        && msg.as_deref() == Some(want),
                    format!("expected jinja error {want}, got {msg:?}"),
                )
            }
            ("evaluate", "", _) if s(c, "language") != "mixed" => {
                (errors.is_empty(), "expected no error".to_owned())
            }
            _ => continue,
        };
        checked += 1;
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{} {expr:?}: {detail}; got {:?}",
                s(c, "id"),
                first
            ));
        }
    }
    let summary = format!(
        "checked: {checked}\npassed: {passed}\nfailures:\n{}",
        failures.join("\n")
    );
    insta::assert_snapshot!(summary);
    assert!(failures.is_empty());
}

/// Every scalar of a YAML document, decoded (keys included), with the key of the
/// mapping entry it is the value of.
fn scalars(text: &str) -> Result<Vec<(Option<String>, String)>, String> {
    enum C {
        Map {
            expect_key: bool,
            key: Option<String>,
        },
        Seq,
    }
    let mut stack: Vec<C> = Vec::new();
    let mut out = Vec::new();
    // A value (scalar or collection) was consumed in the current container.
    fn consumed(stack: &mut [C]) {
        if let Some(C::Map { expect_key, .. }) = stack.last_mut() {
            *expect_key = true;
        }
    }
    for ev in saphyr_parser::Parser::new_from_str(text) {
        let (ev, _) = ev.map_err(|e| e.to_string())?;
        match ev {
            saphyr_parser::Event::Scalar(v, ..) => {
                let v = v.into_owned();
                match stack.last_mut() {
                    Some(C::Map { expect_key, key }) if *expect_key => {
                        *key = Some(v.clone());
                        *expect_key = false;
                        out.push((None, v));
                    }
                    Some(C::Map { key, .. }) => {
                        out.push((key.clone(), v));
                        consumed(&mut stack);
                    }
                    _ => out.push((None, v)),
                }
            }
            saphyr_parser::Event::MappingStart(..) => stack.push(C::Map {
                expect_key: true,
                key: None,
            }),
            saphyr_parser::Event::SequenceStart(..) => stack.push(C::Seq),
            saphyr_parser::Event::MappingEnd | saphyr_parser::Event::SequenceEnd => {
                stack.pop();
                consumed(&mut stack);
            }
            _ => {}
        }
    }
    Ok(out)
}

/// What the checker must check for one scalar: the inline parameter values of an
/// `action`/`workflow`/`base` string (Mistral validates those, not the line), else the
/// string itself.
fn checked_strings(key: Option<&str>, v: &str) -> Vec<String> {
    if matches!(key, Some("action" | "workflow" | "base")) {
        return gale_expr::inline::inline_params(v)
            .into_iter()
            .map(|p| v[p.value.start as usize..p.value.end as usize].to_owned())
            .collect();
    }
    vec![v.to_owned()]
}

/// The value of a `key: value` or `- value` YAML line, quotes removed (crude).
fn crude_scalar(line: &str) -> (Option<String>, String) {
    let t = line.trim().trim_start_matches("- ");
    let (key, v) = match t.split_once(": ") {
        Some((k, v)) if !k.contains(['{', '<', '"', '\'']) => (Some(k.trim().to_owned()), v.trim()),
        _ => (None, t),
    };
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(v);
    (key, v.to_owned())
}

#[test]
fn corpus_has_no_false_errors() {
    let Some(shared) = shared() else { return };
    let corpus = shared.join("corpus");
    let mut manifest = jsonl(&corpus.join("manifest.jsonl"));
    // Mutants: same rules, except that nested malformed YAQL (accepted by Mistral,
    // which does not check nested values) must be detected.
    manifest.extend(
        jsonl(&corpus.join("mutants/manifest.jsonl"))
            .into_iter()
            .map(|mut m| {
                if s(&m, "mutation_kind") == "malformed_yaql_nested" {
                    m["mistral_verdict"] = Value::String("rejected".into());
                    m["mistral_error"] =
                        serde_json::json!({"class": "YaqlGrammarException", "message": "(nested)"});
                }
                m
            }),
    );
    let (
        mut accepted_files,
        mut strings,
        mut rejected_checked,
        mut rejected_found,
        mut same_message,
    ) = (0, 0, 0, 0, 0);
    let mut failures = Vec::new();
    let mut unreadable = Vec::new();
    for m in &manifest {
        let path = s(m, "path");
        let Ok(text) = std::fs::read_to_string(corpus.join(path)) else {
            unreadable.push(path.to_owned());
            continue;
        };
        let values = match scalars(&text) {
            Ok(v) => v,
            Err(_) => {
                // saphyr-parser rejects a few files PyYAML reads: fall back to the
                // plain scalars after `key:` / `- ` on each line.
                unreadable.push(path.to_owned());
                text.lines().map(crude_scalar).collect()
            }
        };
        let class = m
            .get("mistral_error")
            .and_then(|e| e.get("class"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if s(m, "mistral_verdict") == "accepted" {
            accepted_files += 1;
            for (k, v) in &values {
                for v in checked_strings(k.as_deref(), v) {
                    strings += 1;
                    if let Some(e) = check_string(&v).first() {
                        failures.push(format!("false error in {path}: {v:?}: {}", e.message));
                    }
                }
            }
        } else if matches!(
            class,
            "YaqlGrammarException" | "JinjaGrammarException" | "ExpressionGrammarException"
        ) {
            rejected_checked += 1;
            let want = m["mistral_error"]["message"].as_str().unwrap_or("");
            let errs: Vec<_> = values
                .iter()
                .flat_map(|(k, v)| checked_strings(k.as_deref(), v))
                .flat_map(|v| check_string(&v))
                .collect();
            if errs.is_empty() {
                failures.push(format!("missed error in {path}: {class}: {want}"));
            } else {
                rejected_found += 1;
            }
            if errs.iter().any(|e| e.message == want) {
                same_message += 1;
            }
        }
    }
    let summary = format!(
        "accepted files: {accepted_files}, strings checked: {strings}\nrejected for expression syntax: {rejected_checked}, detected: {rejected_found}, with Mistral's exact message: {same_message}\nread line by line (saphyr-parser failed): {}\nfailures:\n{}",
        unreadable.join(", "),
        failures.join("\n")
    );
    insta::assert_snapshot!(summary);
    assert!(failures.is_empty());
}
