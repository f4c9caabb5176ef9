//! YAQL / Mistral expression conformance: every case of
//! `../shared/conformance/yaql/cases.jsonl` and `mistral_cases.jsonl` runs through the
//! bytecode path (`gale_codegen::eval::run_case`: parse → compile → verify →
//! interpret, exactly what `gale eval --batch` prints) and is compared with what
//! Python yaql 3.2.0 / Mistral 23 recorded: values with the README's tag encoding
//! (ints and floats kept apart, sets and `$list_from_set` as multisets,
//! `compare: unordered`), errors by exception class (Mistral: wrapper class and inner
//! cause). The tree-walkers (YAQL `reference`, Jinja `gale_codegen::jinja`) run every
//! case too: for yaql cases they must agree with the bytecode, for Mistral and
//! `jinja_extra` cases they are scored against the recordings like the bytecode
//! (`tree-walker: …` groups). Pass counts and every failure (id + short reason) are an
//! insta snapshot: an improvement or a regression is a visible snapshot diff.
//!
//! Also: a never-panic run of every conformance expression against random data.

use gale_codegen::eval::{Engine, run_case, run_case_with};
use gale_testsuite::shared_dir;
use serde_json::Value as J;
use std::collections::BTreeMap;

fn read_cases(name: &str) -> Option<Vec<J>> {
    let dir = shared_dir()?.join("conformance/yaql");
    let text = std::fs::read_to_string(dir.join(name))
        .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line in {name}: {e}")))
            .collect(),
    )
}

fn multiset_eq(got: &[J], want: &[J]) -> bool {
    if got.len() != want.len() {
        return false;
    }
    let mut used = vec![false; want.len()];
    got.iter().all(|g| {
        (0..want.len()).any(|j| {
            if !used[j] && same(g, &want[j]) {
                used[j] = true;
                true
            } else {
                false
            }
        })
    })
}

fn tag(j: &J) -> Option<(&str, &J)> {
    match j {
        J::Object(o) if o.len() == 1 => o
            .iter()
            .next()
            .filter(|(k, _)| k.starts_with('$'))
            .map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

fn datetime_eq(a: &str, b: &str) -> bool {
    use gale_vm::datetime::DateTime;
    match (DateTime::parse(a), DateTime::parse(b)) {
        (Ok(x), Ok(y)) => x.utc_micros == y.utc_micros && x.offset_secs == y.offset_secs,
        _ => a == b,
    }
}

/// Does our encoded value `got` equal the recorded `want`?
fn same(got: &J, want: &J) -> bool {
    if let Some((t, inner)) = tag(want) {
        let arr = |j: &J| j.as_array().cloned().unwrap_or_default();
        return match t {
            "$set" => matches!(tag(got), Some(("$set", g)) if multiset_eq(&arr(g), &arr(inner))),
            "$list_from_set" | "$iterator" => match got {
                J::Array(g) if t == "$list_from_set" => multiset_eq(g, &arr(inner)),
                J::Array(g) => {
                    g.len() == arr(inner).len()
                        && g.iter().zip(arr(inner)).all(|(a, b)| same(a, &b))
                }
                _ => false,
            },
            "$dict" => matches!(tag(got), Some(("$dict", g)) if multiset_eq(&arr(g), &arr(inner))),
            "$datetime" => match tag(got) {
                Some(("$datetime", J::String(g))) => datetime_eq(g, inner.as_str().unwrap_or("")),
                _ => false,
            },
            "$tuple" => match tag(got) {
                Some(("$tuple", g)) => same(g, inner),
                _ => false,
            },
            _ => got == want,
        };
    }
    match (got, want) {
        (J::Number(g), J::Number(w)) => {
            if w.is_f64() {
                g.is_f64()
                    && match (g.as_f64(), w.as_f64()) {
                        (Some(a), Some(b)) => {
                            a == b || (a - b).abs() <= 2.0 * f64::EPSILON * a.abs().max(b.abs())
                        }
                        _ => false,
                    }
            } else {
                !g.is_f64() && g == w
            }
        }
        (J::Array(g), J::Array(w)) => {
            g.len() == w.len() && g.iter().zip(w).all(|(a, b)| same(a, b))
        }
        (J::Object(g), J::Object(w)) => {
            g.len() == w.len() && w.iter().all(|(k, v)| g.get(k).is_some_and(|x| same(x, v)))
        }
        _ => got == want,
    }
}

fn short(j: &J) -> String {
    let s = j.to_string();
    if s.chars().count() > 90 {
        format!("{}…", s.chars().take(90).collect::<String>())
    } else {
        s
    }
}

/// Compares one outcome; `Err(reason)` on mismatch.
fn check(case: &J, out: &J, mistral: bool) -> Result<(), String> {
    let want = &case["expect"];
    let got_err = out.get("error");
    match (want.get("value"), got_err) {
        (Some(w), None) => {
            let g = &out["value"];
            let ok = if case["compare"] == "unordered" {
                match (g, w) {
                    (J::Array(a), J::Array(b)) => multiset_eq(a, b),
                    _ => same(g, w),
                }
            } else {
                same(g, w)
            };
            if ok {
                Ok(())
            } else {
                Err(format!("got {} want {}", short(g), short(w)))
            }
        }
        (Some(w), Some(e)) => Err(format!(
            "raised {} ({}) want {}",
            e["kind"].as_str().unwrap_or("?"),
            short(&e["message"]),
            short(w)
        )),
        (None, None) => Err(format!(
            "got {} want error {}",
            short(&out["value"]),
            want["error"]
        )),
        (None, Some(e)) => {
            let kind_ok = e["kind"] == want["error"];
            let cause_ok =
                !mistral || want["cause"].is_null() || e.get("cause") == Some(&want["cause"]);
            if kind_ok && cause_ok {
                Ok(())
            } else {
                Err(format!(
                    "raised {}/{} want {}/{}",
                    e["kind"].as_str().unwrap_or("?"),
                    e.get("cause").and_then(J::as_str).unwrap_or("-"),
                    want["error"].as_str().unwrap_or("?"),
                    want["cause"].as_str().unwrap_or("-")
                ))
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    groups: BTreeMap<String, (usize, usize)>,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, group: String, id: &str, result: Result<(), String>) {
        let g = self.groups.entry(group).or_default();
        g.0 += 1;
        match result {
            Ok(()) => g.1 += 1,
            Err(reason) => self.failures.push(format!("{id}: {reason}")),
        }
    }
    fn report(&self) -> String {
        let (total, passed) = self
            .groups
            .values()
            .fold((0, 0), |(t, p), (gt, gp)| (t + gt, p + gp));
        let mut s = format!("total: {passed}/{total} pass\n");
        for (g, (t, p)) in &self.groups {
            s.push_str(&format!("  {g}: {p}/{t}\n"));
        }
        s.push_str("failures:\n");
        for f in &self.failures {
            s.push_str(&format!("  {f}\n"));
        }
        s
    }
}

#[test]
fn yaql_cases() {
    let Some(cases) = read_cases("cases.jsonl") else {
        return;
    };
    let mut tally = Tally::default();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let group = format!(
            "{} engine, {} context",
            case["engine"].as_str().unwrap_or("?"),
            case["context"].as_str().unwrap_or("parse-only")
        );
        let out = run_case(case);
        tally.add(group, id, check(case, &out, false));
        // The reference tree-walker must agree with the bytecode on every case.
        let reference = run_case_with(Engine::Reference, case);
        let same_outcome = match (out.get("error"), reference.get("error")) {
            (Some(a), Some(b)) => a["kind"] == b["kind"],
            (None, None) => out["value"] == reference["value"],
            _ => false,
        };
        tally.add(
            "reference tree-walker agrees with bytecode".into(),
            &format!("{id} (tree-walker)"),
            if same_outcome {
                Ok(())
            } else {
                Err(format!(
                    "bytecode {} / tree-walker {}",
                    short(&out),
                    short(&reference)
                ))
            },
        );
    }
    let report = tally.report();
    eprintln!("{report}");
    let passed: usize = tally.groups.values().map(|g| g.1).sum();
    assert!(
        passed >= 600,
        "YAQL conformance collapsed: {passed} passing"
    );
    insta::assert_snapshot!("yaql_cases", report);
}

#[test]
fn mistral_cases() {
    let Some(cases) = read_cases("mistral_cases.jsonl") else {
        return;
    };
    let mut tally = Tally::default();
    for case in &cases {
        let id = case["id"].as_str().unwrap_or("?");
        let group = format!(
            "{} {}",
            case["source"]
                .as_str()
                .unwrap_or("?")
                .trim_start_matches("mistral::"),
            case["mode"].as_str().unwrap_or("?")
        );
        let out = run_case(case);
        tally.add(group.clone(), id, check(case, &out, true));
        // The tree-walkers (YAQL reference, Jinja `gale_codegen::jinja`) must match the
        // recorded results too.
        let reference = run_case_with(Engine::Reference, case);
        tally.add(
            format!("tree-walker: {group}"),
            &format!("{id} (tree-walker)"),
            check(case, &reference, true),
        );
    }
    let report = tally.report();
    eprintln!("{report}");
    insta::assert_snapshot!("mistral_cases", report);
}

/// Extra Jinja strings with Mistral 23's recorded outcome
/// (`testsuite/data/jinja_extra.jsonl`, regenerated by `gen_jinja_extra.py` there):
/// filters, tests, methods, statements, whitespace control and error kinds beyond
/// the shared suite.
#[test]
fn jinja_extra_cases() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jinja_extra.jsonl");
    let text = std::fs::read_to_string(&path).expect("testsuite/data/jinja_extra.jsonl");
    let mut tally = Tally::default();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: J = serde_json::from_str(line).expect("valid JSON line");
        let id = case["id"].as_str().unwrap_or("?");
        let out = run_case(&case);
        tally.add("jinja_extra evaluate".into(), id, check(&case, &out, true));
        let reference = run_case_with(Engine::Reference, &case);
        tally.add(
            "tree-walker: jinja_extra evaluate".into(),
            &format!("{id} (tree-walker)"),
            check(&case, &reference, true),
        );
    }
    let report = tally.report();
    eprintln!("{report}");
    insta::assert_snapshot!("jinja_extra_cases", report);
}

/// Every conformance expression against random data (small budget): any outcome but
/// a panic or a hang.
#[test]
fn random_data_never_panics() {
    let Some(cases) = read_cases("cases.jsonl") else {
        return;
    };
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    fn random_json(next: &mut dyn FnMut() -> u64, depth: u32) -> J {
        match next() % if depth > 2 { 6 } else { 9 } {
            0 => J::Null,
            1 => J::Bool(next().is_multiple_of(2)),
            2 => J::from((next() % 21) as i64 - 10),
            3 => J::from((next() % 1000) as f64 / 7.0),
            4 => J::from(["", "a", "ERROR", "x y", "2020-01-02"][(next() % 5) as usize]),
            5 => J::from(i64::MAX - (next() % 3) as i64),
            6 | 7 => J::Array(
                (0..next() % 4)
                    .map(|_| random_json(next, depth + 1))
                    .collect(),
            ),
            _ => {
                let mut m = serde_json::Map::new();
                for k in ["a", "id", "state", "items"]
                    .iter()
                    .take((next() % 4) as usize + 1)
                {
                    m.insert(k.to_string(), random_json(next, depth + 1));
                }
                J::Object(m)
            }
        }
    }
    let mut runs = 0;
    for case in &cases {
        for _ in 0..3 {
            let mut c = case.clone();
            c["data"] = random_json(&mut next, 0);
            c["options"]["yaql.limitIterators"] = J::from(50);
            let _ = run_case(&c);
            let _ = run_case_with(Engine::Reference, &c);
            runs += 1;
        }
    }
    assert!(runs >= 2000);
}

/// Every Jinja string of both suites against random data contexts (bytecode and
/// tree-walker), every prefix of each (bytecode), and hostile templates (unbounded
/// loops, recursion, huge strings and widths; both paths): any outcome but a panic or
/// a hang.
#[test]
fn jinja_never_panics() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/jinja_extra.jsonl");
    let text = std::fs::read_to_string(&path).expect("testsuite/data/jinja_extra.jsonl");
    let mut exprs: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        .filter_map(|c| c["expr"].as_str().map(str::to_string))
        .collect();
    if let Some(cases) = read_cases("mistral_cases.jsonl") {
        exprs.extend(
            cases
                .iter()
                .filter(|c| c["language"] == "jinja")
                .filter_map(|c| c["expr"].as_str().map(str::to_string)),
        );
    }
    let contexts = [
        serde_json::json!(null),
        serde_json::json!("text"),
        serde_json::json!([1, "a", null, [2]]),
        serde_json::json!({"a": [], "list": {"x": 1}, "s": 5, "d": "k1", "servers": [1, null]}),
        serde_json::json!({"__env": 3, "n": {"$bigint": "123456789012345678901234567890"}}),
    ];
    let mut runs = 0;
    for e in &exprs {
        for ctx in &contexts {
            let case =
                serde_json::json!({"id": "x", "mode": "evaluate", "expr": e, "context": ctx});
            let _ = run_case(&case);
            let _ = run_case_with(Engine::Reference, &case);
            runs += 1;
        }
        let cut: Vec<usize> = e.char_indices().map(|(i, _)| i).collect();
        for i in cut {
            let case = serde_json::json!({"id": "x", "mode": "evaluate", "expr": &e[..i], "context": contexts[3]});
            let _ = run_case(&case);
            runs += 1;
        }
    }
    let hostile: &[(&str, &str)] = &[
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}{{ 1 }}",
            "StepBudgetExceeded",
        ),
        ("{{ 'x' * 10**10 }}", "MemoryQuotaExceededException"),
        ("{{ [0] * 2000000000 }}", "MemoryQuotaExceededException"),
        ("{{ 2 ** 4000000000 }}", "MemoryQuotaExceededException"),
        (
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
            "RecursionError",
        ),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(100000) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ 1 }}",
            "MemoryQuotaExceededException",
        ),
        (
            "{{ '%999999999999d' | format(1) }}",
            "MemoryQuotaExceededException",
        ),
        (
            "{{ '{:>99999999999}'.format(1) }}",
            "MemoryQuotaExceededException",
        ),
        ("{{ 'a' | center(10**12) }}", "MemoryQuotaExceededException"),
        (
            "{{ [1] | batch(10**12, 0) | list }}",
            "MemoryQuotaExceededException",
        ),
        ("{{ [1] | slice(10**12) | list }}", "StepBudgetExceeded"),
        ("{{ _ | tojson(10**9) }}", "MemoryQuotaExceededException"),
        ("{{ range(10**18) }}", "OverflowError"),
    ];
    for (expr, cause) in hostile {
        let case = serde_json::json!({"id": "x", "mode": "evaluate", "expr": expr, "context": {}});
        let out = run_case(&case);
        assert_eq!(out["error"]["cause"], J::from(*cause), "{expr}: {out}");
        let reference = run_case_with(Engine::Reference, &case);
        assert_eq!(
            reference["error"]["cause"],
            J::from(*cause),
            "tree-walker: {expr}: {reference}"
        );
    }
    assert!(runs > 1000, "only {runs} runs");
}
