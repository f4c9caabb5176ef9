//! Comparing an [`Expected`] value with what the run produced: the list of
//! mismatches (each at a path such as `output.servers[1].status`) and, for the
//! report, an "expected" rendering aligned with the actual value so that a line
//! diff shows only what differs.

use serde_json::{Map, Value as Json};

use super::spec::Expected;

/// One difference.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    /// Where, e.g. `output.vm.id` or `tasks.create_vm.result[2]`.
    pub path: String,
    /// What is wrong, in one line.
    pub message: String,
}

/// The result of one comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Every difference (empty: it matches).
    pub mismatches: Vec<Mismatch>,
    /// The expectation rendered as JSON next to the actual value: matchers that
    /// hold show the actual value, others a `"<$matcher …>"` string.
    pub expected_view: Json,
    /// The actual value, restricted to the keys a `$subset` asks about.
    pub actual_view: Json,
    /// Whether there was an actual value at all.
    pub actual_present: bool,
}

/// Compares `actual` (`None`: absent) with `expected`; `path` names the value.
pub fn compare(expected: &Expected, actual: Option<&Json>, path: &str) -> Comparison {
    let mut mismatches = Vec::new();
    let (expected_view, actual_view) = walk(expected, actual, path, &mut mismatches);
    Comparison {
        mismatches,
        expected_view,
        actual_view: actual_view.unwrap_or(Json::Null),
        actual_present: actual.is_some(),
    }
}

/// Short, one-line JSON for messages.
pub fn short(j: &Json) -> String {
    let s = serde_json::to_string(j).unwrap_or_default();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn type_name(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

/// Numbers equal by value (1 == 1.0, as in Python).
fn equal(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| equal(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

fn child(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        format!("{path}.{key}")
    } else {
        format!("{path}[{}]", serde_json::to_string(key).unwrap_or_default())
    }
}

/// Returns (expected view, actual view).
fn walk(
    expected: &Expected,
    actual: Option<&Json>,
    path: &str,
    out: &mut Vec<Mismatch>,
) -> (Json, Option<Json>) {
    let mut fail = |message: String| {
        out.push(Mismatch {
            path: path.to_string(),
            message,
        })
    };
    let Some(actual) = actual else {
        let view = render(expected);
        fail(format!("missing; expected {}", short(&view)));
        return (view, None);
    };
    match expected {
        Expected::Any => (actual.clone(), Some(actual.clone())),
        Expected::Value(v) => {
            if !equal(v, actual) {
                fail(format!("expected {}, got {}", short(v), short(actual)));
                (v.clone(), Some(actual.clone()))
            } else {
                (actual.clone(), Some(actual.clone()))
            }
        }
        Expected::Contains(needle) => {
            let ok = match (actual, needle) {
                (Json::String(s), Json::String(n)) => s.contains(n.as_str()),
                (Json::Array(a), n) => a.iter().any(|x| equal(x, n)),
                (Json::Object(m), Json::String(n)) => m.contains_key(n),
                _ => false,
            };
            if ok {
                (actual.clone(), Some(actual.clone()))
            } else {
                let what = match actual {
                    Json::String(_) => "a string containing",
                    Json::Array(_) => "a list containing",
                    Json::Object(_) => "a mapping with key",
                    _ => "a string, list or mapping containing",
                };
                fail(format!(
                    "expected {what} {}, got {}",
                    short(needle),
                    short(actual)
                ));
                (
                    Json::String(format!("<$contains {}>", short(needle))),
                    Some(actual.clone()),
                )
            }
        }
        Expected::Matches(text, re) => {
            let ok = match actual {
                Json::String(s) => re.is_match(s).unwrap_or(false),
                _ => false,
            };
            if ok {
                (actual.clone(), Some(actual.clone()))
            } else {
                fail(format!(
                    "expected a string matching /{text}/, got {}",
                    short(actual)
                ));
                (
                    Json::String(format!("<$matches /{text}/>")),
                    Some(actual.clone()),
                )
            }
        }
        Expected::List(items) => {
            let Json::Array(a) = actual else {
                fail(format!(
                    "expected a list, got {}: {}",
                    type_name(actual),
                    short(actual)
                ));
                return (render(expected), Some(actual.clone()));
            };
            if a.len() != items.len() {
                fail(format!(
                    "expected a list of {} item(s), got {}",
                    items.len(),
                    a.len()
                ));
            }
            let mut ev = Vec::new();
            let mut av = Vec::new();
            for (i, e) in items.iter().enumerate() {
                let (x, y) = walk(e, a.get(i), &format!("{path}[{i}]"), out);
                ev.push(x);
                if let Some(y) = y {
                    av.push(y);
                }
            }
            av.extend(a.iter().skip(items.len()).cloned());
            (Json::Array(ev), Some(Json::Array(av)))
        }
        Expected::Map { entries, subset } => {
            let Json::Object(m) = actual else {
                fail(format!(
                    "expected a mapping, got {}: {}",
                    type_name(actual),
                    short(actual)
                ));
                return (render(expected), Some(actual.clone()));
            };
            let mut ev = Map::new();
            let mut av = Map::new();
            for (k, e) in entries {
                let (x, y) = walk(e, m.get(k), &child(path, k), out);
                ev.insert(k.clone(), x);
                if let Some(y) = y {
                    av.insert(k.clone(), y);
                }
            }
            if !subset {
                let extra: Vec<&String> = m
                    .keys()
                    .filter(|k| !entries.iter().any(|(e, _)| e == *k))
                    .collect();
                for k in &extra {
                    out.push(Mismatch {
                        path: child(path, k),
                        message: format!(
                            "unexpected key (value {}); use `$subset` to allow other keys",
                            short(&m[k.as_str()])
                        ),
                    });
                    av.insert((*k).clone(), m[k.as_str()].clone());
                }
            }
            (Json::Object(ev), Some(Json::Object(av)))
        }
    }
}

/// The expectation as JSON, matchers as `"<$…>"` strings.
pub fn render(expected: &Expected) -> Json {
    match expected {
        Expected::Value(v) => v.clone(),
        Expected::Any => Json::String("<$any>".into()),
        Expected::Contains(n) => Json::String(format!("<$contains {}>", short(n))),
        Expected::Matches(t, _) => Json::String(format!("<$matches /{t}/>")),
        Expected::List(items) => Json::Array(items.iter().map(render).collect()),
        Expected::Map { entries, .. } => Json::Object(
            entries
                .iter()
                .map(|(k, e)| (k.clone(), render(e)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (expected YAML, actual JSON, mismatch paths).
    #[test]
    fn matchers() {
        let cases: &[(&str, Json, &[&str])] = &[
            ("1", json!(1.0), &[]),
            ("a", json!("b"), &["v"]),
            ("{a: 1}", json!({"a": 1, "b": 2}), &["v.b"]),
            ("{$subset: {a: 1}}", json!({"a": 1, "b": 2}), &[]),
            ("{$subset: {a: 2}}", json!({"a": 1, "b": 2}), &["v.a"]),
            ("{$subset: {c: 1}}", json!({"a": 1}), &["v.c"]),
            ("[1, 2]", json!([1]), &["v", "v[1]"]),
            ("{$contains: ell}", json!("hello"), &[]),
            ("{$contains: 2}", json!([1, 2]), &[]),
            ("{$contains: k}", json!({"k": null}), &[]),
            ("{$contains: x}", json!(3), &["v"]),
            ("{$matches: '^h.*o$'}", json!("hello"), &[]),
            ("{$matches: '^x'}", json!("hello"), &["v"]),
            ("{a: {$any: true}}", json!({"a": [1]}), &[]),
            ("{a: {$any: true}}", json!({}), &["v.a"]),
            ("{'x y': 1}", json!({"x y": 2}), &["v[\"x y\"]"]),
        ];
        for (yaml, actual, paths) in cases {
            let e = match crate::cli::test::spec::expected_from(yaml) {
                Ok(e) => e,
                Err(err) => panic!("{yaml}: {err}"),
            };
            let c = compare(&e, Some(actual), "v");
            let got: Vec<&str> = c.mismatches.iter().map(|m| m.path.as_str()).collect();
            assert_eq!(&got, paths, "{yaml} vs {actual}");
        }
    }

    /// A passing matcher shows the actual value, so the diff only shows the rest.
    #[test]
    fn expected_view_aligns_with_actual() {
        let e = match crate::cli::test::spec::expected_from("{$subset: {a: {$contains: x}, b: 1}}")
        {
            Ok(e) => e,
            Err(err) => panic!("{err}"),
        };
        let c = compare(&e, Some(&json!({"a": "xyz", "b": 2, "c": 3})), "v");
        assert_eq!(c.expected_view, json!({"a": "xyz", "b": 1}));
        assert_eq!(c.actual_view, json!({"a": "xyz", "b": 2}));
    }
}
