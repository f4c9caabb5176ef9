//! `cargo bench --bench jinja`: Jinja strings through Gale's bytecode path — compile +
//! verify + run ("full"), run only ("eval", compiled once) — and through the
//! tree-walker (`gale_codegen::jinja`, parse + run), printing medians.
//! `scripts/bench_jinja.py` runs the same strings on Python Jinja2 3.1.6 in Mistral's
//! configuration for the side-by-side ratio (no timing assertions).

#[path = "common/mod.rs"]
mod common;

use common::measure;

use gale_codegen::eval::tagged;
use gale_codegen::jinja_compile::{compile_mistral, first_jinja_variable};
use gale_vm::interp::{Program, run_jinja};
use gale_vm::{Budget, Ctx, Options, Value};

/// The strings and their data (kept in sync with scripts/bench_jinja.py).
fn cases() -> Vec<(&'static str, &'static str, serde_json::Value)> {
    let items: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            serde_json::json!({"id": i, "state": if i % 10 == 0 { "ERROR" } else { "SUCCESS" }})
        })
        .collect();
    let small = serde_json::json!({"x": 42, "name": "vm-1", "n": 7});
    let big = serde_json::json!({ "rows": items });
    vec![
        ("member", "{{ _.x }}", small.clone()),
        (
            "format",
            "{{ _.name ~ ' has ' ~ _.n ~ ' items' }}",
            small.clone(),
        ),
        (
            "template",
            "Hello {{ _.name }}, you have {{ _.n }} items{% if _.n > 5 %} (many){% endif %}.",
            small,
        ),
        (
            "for-10k",
            "{% for i in _.rows if i.state == 'ERROR' %}{{ i.id }},{% endfor %}",
            big.clone(),
        ),
        (
            "filters-10k",
            "{{ _.rows | selectattr('state', 'equalto', 'ERROR') | map(attribute='id') | list | length }}",
            big,
        ),
    ]
}

fn cx() -> Ctx {
    Ctx::new(Options::mistral(), Budget::default())
}

fn main() {
    println!(
        "{:<14} {:>14} {:>14} {:>16}",
        "case", "full (median)", "eval (median)", "tree-walker"
    );
    // `cargo bench --bench jinja -- NAME` runs only the cases whose name contains NAME.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for (name, text, data) in cases() {
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        let Some(value) = tagged::decode(&data, false) else {
            eprintln!("{name}: bad data");
            continue;
        };
        let run = |p: &Program| run_jinja(p, &mut cx(), value.clone()).ok();
        let full = measure(|| {
            if let Ok(Ok(p)) = compile_mistral(text).map(Program::load) {
                std::hint::black_box(run(&p));
            }
        });
        let Ok(Ok(program)) = compile_mistral(text).map(Program::load) else {
            eprintln!("{name}: does not compile");
            continue;
        };
        if run(&program).is_none() {
            eprintln!("{name}: evaluation failed");
        }
        let eval = measure(|| {
            std::hint::black_box(run(&program));
        });
        let whole = first_jinja_variable(text).filter(|(outer, _)| outer.len() == text.len());
        let walker = measure(|| {
            let mut c = cx();
            let r: Result<Value, _> = match &whole {
                Some((_, inner)) => {
                    gale_codegen::jinja::evaluate_expression(&mut c, &text[inner.clone()], &value)
                }
                None => gale_codegen::jinja::render(&mut c, text, &value).map(Value::str),
            };
            std::hint::black_box(r.ok());
        });
        println!(
            "{name:<14} {:>11.2} µs {:>11.2} µs {:>13.2} µs",
            full.as_secs_f64() * 1e6,
            eval.as_secs_f64() * 1e6,
            walker.as_secs_f64() * 1e6
        );
    }
}
