//! `cargo bench --bench yaql`: YAQL expressions through Gale's bytecode path —
//! parse + compile + verify + evaluate ("full"), and evaluate only ("eval", the program
//! compiled once) — printing medians. `scripts/bench_yaql.py` runs the same
//! expressions on Python yaql 3.2.0 for the side-by-side ratio (no timing assertions:
//! figures go to docs/performance.md).

#[path = "common/mod.rs"]
mod common;

use common::measure;

use gale_codegen::eval::{Settings, compile_yaql, tagged};
use gale_vm::interp::Env;
use gale_vm::{Ctx, Value};

/// The expressions and their data (kept in sync with scripts/bench_yaql.py).
fn cases() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    let items: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            serde_json::json!({"id": i, "state": if i % 10 == 0 { "ERROR" } else { "SUCCESS" }})
        })
        .collect();
    let small = serde_json::json!({"x": 42, "name": "vm-1", "n": 7});
    vec![
        ("member", "$.x", small.clone()),
        (
            "format",
            "$.name + ' has ' + str($.n) + ' items'",
            small.clone(),
        ),
        (
            "dict",
            "{id => $.x, name => $.name, tags => [1, 2, 3], nested => {n => $.n}}",
            small,
        ),
        (
            "where-select-10k",
            "$.items.where($.state = 'ERROR').select($.id)",
            serde_json::json!({ "items": items }),
        ),
    ]
}

fn main() {
    let settings = Settings::default();
    println!(
        "{:<18} {:>14} {:>14}",
        "expression", "full (median)", "eval (median)"
    );
    for (name, expr, data) in cases() {
        let Some(value) = tagged::decode(&data, true) else {
            eprintln!("{name}: bad data");
            continue;
        };
        let run = |program: &gale_vm::interp::Program| -> Option<Value> {
            let mut cx = Ctx::new(settings.options.clone(), settings.budget);
            program
                .run(&mut cx, Env::root(Some(value.clone()), Vec::new()))
                .ok()
        };
        let full = measure(|| {
            if let Ok(p) = compile_yaql(expr, &settings) {
                std::hint::black_box(run(&p));
            }
        });
        let Ok(program) = compile_yaql(expr, &settings) else {
            eprintln!("{name}: does not compile");
            continue;
        };
        if run(&program).is_none() {
            eprintln!("{name}: evaluation failed");
        }
        let eval = measure(|| {
            std::hint::black_box(run(&program));
        });
        println!(
            "{name:<18} {:>11.2} µs {:>11.2} µs",
            full.as_secs_f64() * 1e6,
            eval.as_secs_f64() * 1e6
        );
    }
}
