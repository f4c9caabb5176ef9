//! Runtime conformance: every case of `testsuite/runtime/cases` (recorded from the
//! real Mistral 23 engine) run through the library at `-O0` and `-O1`, normalised as
//! `testsuite/runtime/README.md` says, compared, and the pass count plus every
//! failure with a one-line reason snapshotted (so the snapshot is honest about what
//! fails). Cases run in parallel threads (several sleep for seconds).

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use gale_codegen::workflow::{OptLevel, compile_source};
use gale_engine::{Engine, StartOptions};
use gale_testsuite::workspace_root;
use serde_json::{Map, Value as Json, json};

struct Case {
    id: String,
    text: String,
    header: Map<String, Json>,
    expected: Json,
}

fn load_cases() -> Vec<Case> {
    let dir = workspace_root().join("testsuite/runtime/cases");
    let mut files: Vec<PathBuf> = Vec::new();
    for feature in std::fs::read_dir(&dir).expect("cases dir").flatten() {
        for f in std::fs::read_dir(feature.path())
            .expect("feature dir")
            .flatten()
        {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "yaml") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("case text");
            let exp_path = p.with_extension("expected.json");
            let expected: Json =
                serde_json::from_str(&std::fs::read_to_string(&exp_path).expect("expected"))
                    .expect("expected json");
            let id = case_id(&dir, &p);
            Case {
                id,
                header: header(&text),
                text,
                expected,
            }
        })
        .collect()
}

fn case_id(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir)
        .unwrap_or(p)
        .with_extension("")
        .to_string_lossy()
        .replace('\\', "/")
}

fn header(text: &str) -> Map<String, Json> {
    let mut m = Map::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            break;
        };
        if let Some((k, v)) = rest.trim().split_once(':') {
            let v = v.trim();
            let val = match k.trim() {
                "input" | "env" | "params" | "timeout" => {
                    serde_json::from_str(v).unwrap_or(Json::String(v.into()))
                }
                _ => Json::String(v.into()),
            };
            m.insert(k.trim().to_string(), val);
        }
    }
    m
}

/// Runs one case and returns the outcome object (expected-file shape).
fn run_case(case: &Case, level: OptLevel) -> Json {
    let wf = case.header["workflow"].as_str().unwrap_or("").to_string();
    let mut program = match compile_source(&case.text, level) {
        Ok(p) => p,
        Err(e) => {
            return json!({"workflow": wf, "state": "DEFINITION_ERROR", "state_info": null,
                          "output": null, "error": e, "tasks": []});
        }
    };
    let env_template = case
        .header
        .get("env")
        .map(|e| gale_codegen::workflow::add_json_template(&mut program, e));
    let mut engine = Engine::new(Rc::new(program));
    engine.set_yaml_loader(gale_codegen::eval::load_yaml);
    let mut opts = StartOptions {
        input: case
            .header
            .get("input")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
        env: case.header.get("env").cloned(),
        task: case
            .header
            .get("task")
            .and_then(Json::as_str)
            .map(str::to_string),
        params: case
            .header
            .get("params")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
        deadline: None,
        env_template,
    };
    let timeout = case
        .header
        .get("timeout")
        .and_then(Json::as_f64)
        .unwrap_or(10.0);
    opts.deadline = Some(Duration::from_secs_f64(timeout));
    let root = match engine.start(&wf, &opts) {
        Ok(r) => r,
        Err(e) => {
            return json!({"workflow": wf, "state": "START_ERROR", "state_info": null,
                          "output": null, "error": e.error, "tasks": []});
        }
    };
    let timed_out = engine.run(root, opts.deadline);
    let mut r = engine.result_json(root);
    if let Json::Object(m) = &mut r {
        m.remove("id");
        if timed_out {
            m.insert("timed_out".into(), json!(true));
        }
        if let Some(o) = case.header.get("task-order") {
            m.insert("task_order".into(), o.clone());
        }
    }
    normalise(&r)
}

fn is_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Replaces uuids with `<uuid>`.
fn normalise_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if i + 36 <= s.len() && s.is_char_boundary(i) && s.is_char_boundary(i + 36) {
            let c = &s[i..i + 36];
            let parts: Vec<&str> = c.split('-').collect();
            if parts.len() == 5
                && parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
                && parts.iter().all(|p| is_hex(p))
            {
                out.push_str("<uuid>");
                i += 36;
                continue;
            }
        }
        let ch = s[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8().max(1);
        let _ = b;
    }
    let out = out.replace("1970-01-01 00:00:00", "<timestamp>");
    // Python object addresses: ` at 0x7f…>` → ` at 0x<addr>>`.
    let mut res = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = rest.find(" at 0x") {
        res.push_str(&rest[..i]);
        let after = &rest[i + 6..];
        let hex = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex > 0 && after[hex..].starts_with('>') {
            res.push_str(" at 0x<addr>>");
            rest = &after[hex + 1..];
        } else {
            res.push_str(" at 0x");
            rest = after;
        }
    }
    res.push_str(rest);
    res
}

fn normalise(j: &Json) -> Json {
    match j {
        Json::String(s) => Json::String(normalise_text(s)),
        Json::Array(a) => Json::Array(a.iter().map(normalise).collect()),
        Json::Object(o) => Json::Object(o.iter().map(|(k, v)| (k.clone(), normalise(v))).collect()),
        other => other.clone(),
    }
}

/// `expected` may hold `<traceback>\n` placeholders standing for any text.
fn text_matches(expected: &str, actual: &str) -> bool {
    if !expected.contains("<traceback>") {
        return expected == actual;
    }
    let parts: Vec<&str> = expected.split("<traceback>\n").collect();
    let mut rest = actual;
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(p) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(p);
        } else {
            let Some(at) = rest.find(p) else { return false };
            rest = &rest[at + p.len()..];
        }
    }
    true
}

fn matches(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::String(e), Json::String(a)) => text_matches(e, a),
        (Json::Array(e), Json::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y))
        }
        (Json::Object(e), Json::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, v)| a.get(k).is_some_and(|w| matches(v, w)))
        }
        (Json::Number(e), Json::Number(a)) => e.as_f64() == a.as_f64(),
        _ => expected == actual,
    }
}

/// Why the outcome differs (one line), or `None` when it matches.
fn compare(expected: &Json, actual: &Json) -> Option<String> {
    let state_e = &expected["state"];
    let state_a = &actual["state"];
    if state_e != state_a {
        return Some(format!("state {state_a} (expected {state_e})"));
    }
    if state_e == "DEFINITION_ERROR" {
        return None;
    }
    if !matches(&expected["error"], &actual["error"]) {
        return Some(format!("error {}", short(&actual["error"])));
    }
    let (te, ta) = (&expected["tasks"], &actual["tasks"]);
    let any = expected["task_order"] == "any";
    let names = |t: &Json| -> Vec<String> {
        t.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x["name"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    let (mut ne, mut na) = (names(te), names(ta));
    if any {
        ne.sort();
        na.sort();
    }
    if ne != na {
        return Some(format!("tasks {na:?} (expected {ne:?})"));
    }
    let (ea, aa) = (
        te.as_array().cloned().unwrap_or_default(),
        ta.as_array().cloned().unwrap_or_default(),
    );
    for e in &ea {
        let found = if any {
            aa.iter().any(|a| matches(e, a))
        } else {
            let i = ea.iter().position(|x| std::ptr::eq(x, e)).unwrap_or(0);
            aa.get(i).is_some_and(|a| matches(e, a))
        };
        if !found {
            let cand = aa
                .iter()
                .find(|a| a["name"] == e["name"])
                .cloned()
                .unwrap_or(Json::Null);
            for k in [
                "state",
                "state_info",
                "published",
                "result",
                "action_executions",
            ] {
                if !matches(&e[k], &cand[k]) {
                    return Some(format!(
                        "task {} {k}: {}",
                        e["name"].as_str().unwrap_or(""),
                        short(&cand[k])
                    ));
                }
            }
            return Some(format!("task {} differs", e["name"]));
        }
    }
    for k in ["state_info", "output"] {
        if !matches(&expected[k], &actual[k]) {
            return Some(format!("{k}: {}", short(&actual[k])));
        }
    }
    if expected.get("timed_out") != actual.get("timed_out") {
        return Some("timed_out differs".into());
    }
    None
}

fn short(j: &Json) -> String {
    let s = j.to_string();
    let s: String = s.chars().take(140).collect();
    s.replace('\n', "\\n")
}

fn run_all(cases: &[Case], level: OptLevel) -> Vec<(String, Option<String>)> {
    let threads = 12;
    let chunks: Vec<Vec<&Case>> = (0..threads)
        .map(|t| cases.iter().skip(t).step_by(threads).collect())
        .collect();
    let mut out: Vec<(String, Option<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|c| {
                            let actual =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    run_case(c, level)
                                }));
                            let why = match actual {
                                Ok(a) => compare(&c.expected, &a),
                                Err(_) => Some("panicked".into()),
                            };
                            (c.id.clone(), why)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    out.sort();
    out
}

fn report(results: &[(String, Option<String>)]) -> String {
    let passed = results.iter().filter(|(_, w)| w.is_none()).count();
    let mut s = format!("passed {passed}/{}\n", results.len());
    for (id, why) in results {
        if let Some(w) = why {
            s.push_str(&format!("FAIL {id}: {w}\n"));
        }
    }
    s
}

#[test]
fn runtime_cases() {
    let cases = load_cases();
    assert!(
        cases.len() >= 200,
        "expected the runtime cases, found {}",
        cases.len()
    );
    if let Ok(only) = std::env::var("GALE_RUNTIME_ONLY") {
        for c in cases.iter().filter(|c| c.id.contains(&only)) {
            let a = run_case(c, OptLevel::O1);
            println!(
                "== {}\n{}\n-- expected\n{}",
                c.id,
                serde_json::to_string_pretty(&a).unwrap_or_default(),
                serde_json::to_string_pretty(&c.expected).unwrap_or_default()
            );
            println!("{:?}", compare(&c.expected, &a));
        }
        return;
    }
    let o0 = run_all(&cases, OptLevel::O0);
    let o1 = run_all(&cases, OptLevel::O1);
    // -O0 and -O1 must agree on every case.
    let differ: Vec<&String> = o0
        .iter()
        .zip(&o1)
        .filter(|(a, b)| a.1.is_none() != b.1.is_none())
        .map(|(a, _)| &a.0)
        .collect();
    insta::assert_snapshot!("runtime_cases_O0", report(&o0));
    insta::assert_snapshot!("runtime_cases_O1", report(&o1));
    assert!(differ.is_empty(), "-O0 and -O1 disagree on {differ:?}");
}
