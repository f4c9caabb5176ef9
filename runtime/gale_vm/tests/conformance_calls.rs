//! Conformance cases of `../shared/conformance/yaql/cases.jsonl` that are a SINGLE
//! function call on literal arguments (`name(1, 'a', 2.5, true, null)`), evaluated with
//! a test-only mini-evaluator through `sig::call` — no parser needed. The full suite
//! runs once the parser and interpreter exist.

use std::path::PathBuf;

use gale_vm::sig::{Arg, call};
use gale_vm::{Ctx, Value, convert};

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if p.exists() {
        Some(p)
    } else if std::env::var_os("CI").is_some() {
        panic!("../shared not found (required in CI)");
    } else {
        eprintln!("SKIPPED: ../shared not found");
        None
    }
}

/// Parses `name(lit, ...)` with literals only; `None` for anything else.
fn parse_call(expr: &str) -> Option<(String, Vec<Value>)> {
    let open = expr.find('(')?;
    let name = &expr[..open];
    if name.is_empty()
        || !name.chars().all(|c| c.is_alphanumeric() || c == '_')
        || name.starts_with(|c: char| c.is_ascii_digit())
    {
        return None;
    }
    let inner = expr[open + 1..].strip_suffix(')')?;
    let mut args = Vec::new();
    let b: Vec<char> = inner.chars().collect();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i] == ' ' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let start = i;
        let v = if b[i] == '\'' || b[i] == '"' {
            let q = b[i];
            i += 1;
            let mut s = String::new();
            while i < b.len() && b[i] != q {
                if b[i] == '\\' {
                    return None;
                }
                s.push(b[i]);
                i += 1;
            }
            i += 1;
            Value::str(s)
        } else {
            while i < b.len() && b[i] != ',' {
                i += 1;
            }
            let t: String = b[start..i].iter().collect::<String>().trim().to_string();
            match t.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                _ if t.chars().all(|c| c.is_ascii_digit() || c == '-') && !t.is_empty() => {
                    Value::Int(t.parse().ok()?)
                }
                _ if t
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                    && !t.is_empty() =>
                {
                    Value::Float(t.parse().ok()?)
                }
                _ => return None,
            }
        };
        args.push(v);
        while i < b.len() && b[i] == ' ' {
            i += 1;
        }
        if i < b.len() {
            if b[i] != ',' {
                return None;
            }
            i += 1;
        }
    }
    Some((name.to_string(), args))
}

#[test]
fn single_call_cases() {
    let Some(root) = shared() else { return };
    let text =
        std::fs::read_to_string(root.join("conformance/yaql/cases.jsonl")).expect("read cases");
    let (mut tried, mut passed) = (0, 0);
    let mut failures = Vec::new();
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        let expr = case["expr"].as_str().unwrap_or("");
        if case["engine"] != "standard" || case.get("phase").is_some() {
            continue;
        }
        let Some((name, args)) = parse_call(expr) else {
            continue;
        };
        if ["now", "random", "localtz"].contains(&name.as_str()) {
            continue;
        }
        tried += 1;
        let mut cx = Ctx::default();
        cx.options.convert_sets_to_lists = true;
        cx.options.limit_iterators = 100;
        let got = call(
            &mut cx,
            &name,
            false,
            args.into_iter().map(Arg::Value).collect(),
            vec![],
        )
        .and_then(|v| convert::output(&mut cx, &v));
        let ok = match (&case["expect"].get("value"), got) {
            (Some(want), Ok(v)) => convert::to_json(&v).map(|j| &j == *want).unwrap_or(false),
            (None, Err(e)) => case["expect"]["error"] == e.kind().python_name(),
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(expr.to_string());
        }
    }
    eprintln!("single-call conformance: {passed}/{tried} passed; failing: {failures:?}");
    assert!(tried > 0, "no single-call cases found");
    assert!(passed * 10 >= tried * 8, "too many failures: {failures:?}");
}
