//! Jinja features beyond the shared conformance suite — recursive loops, `{% call %}`,
//! macro `varargs`/`kwargs`, the `urlize`, `wordwrap` and `xmlattr` filters, runaway
//! recursion — against Mistral 23's recorded outcomes (`jinja_gaps.jsonl`, recorded by
//! `jinja_gaps.py` from `jinja_gaps.txt`), through the bytecode and the tree-walker.
//! Both must agree with the recording; the report (pass counts, every difference) is a
//! snapshot. Errors compare by wrapper class and inner cause.

use gale_codegen::eval::{Engine, run_case_with};
use serde_json::Value as J;

fn outcome(case: &J, out: &J) -> Result<(), String> {
    let want = &case["expect"];
    match (want.get("value"), out.get("error")) {
        (Some(w), None) if out["value"] == *w => Ok(()),
        (Some(w), None) => Err(format!("got {} want {w}", out["value"])),
        (Some(w), Some(e)) => Err(format!("raised {}/{} want {w}", e["kind"], e["cause"])),
        (None, None) => Err(format!("got {} want {}", out["value"], want["cause"])),
        (None, Some(e)) if e["kind"] == want["error"] && e["cause"] == want["cause"] => Ok(()),
        (None, Some(e)) => Err(format!(
            "raised {}/{} want {}/{}",
            e["kind"], e["cause"], want["error"], want["cause"]
        )),
    }
}

#[test]
fn recorded_gaps() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jinja_gaps.jsonl");
    let text = std::fs::read_to_string(&path).expect("tests/jinja_gaps.jsonl");
    let mut report = String::new();
    let (mut total, mut passed) = (0, [0usize; 2]);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: J = serde_json::from_str(line).expect("valid JSON line");
        total += 1;
        for (i, (engine, label)) in [
            (Engine::Bytecode, "bytecode"),
            (Engine::Reference, "tree-walker"),
        ]
        .into_iter()
        .enumerate()
        {
            let out = run_case_with(engine, &case);
            match outcome(&case, &out) {
                Ok(()) => passed[i] += 1,
                Err(why) => {
                    let id = case["id"].as_str().unwrap_or("?");
                    report.push_str(&format!("  {id} ({label}): {why}\n"));
                }
            }
        }
    }
    let report = format!(
        "bytecode: {}/{total}\ntree-walker: {}/{total}\ndifferences:\n{report}",
        passed[0], passed[1]
    );
    eprintln!("{report}");
    assert!(passed[0] > 0 && passed[1] > 0, "nothing passes:\n{report}");
    insta::assert_snapshot!("jinja_gaps", report);
}

/// The code of a small template: data, output, a filtered loop with `loop`, a
/// mutator write-back, `with` scope, a macro.
#[test]
fn template_disassembly() {
    let text = "x{% for i in _.l if i %}{{ loop.index }}{% endfor %}\
                {% set l = [] %}{{ l.append(1) }}{% with y = 2 %}{{ y }}{% endwith %}\
                {% macro m(a, b=1) %}{{ a ~ b }}{% endmacro %}{{ m(0) }}";
    let m = gale_codegen::jinja_compile::compile_template(text).expect("compiles");
    insta::assert_snapshot!(
        "template_disassembly",
        gale_bytecode::disasm::disassemble(&m)
    );
}

/// A Mistral host for [`engine_style_run`]: `env()` answers, the database functions
/// fail.
struct Host;

impl gale_vm::mistral::MistralContext for Host {
    fn env(&self) -> gale_vm::Value {
        gale_vm::convert::from_json(&serde_json::json!({"region": "R1"}), true)
    }
    fn execution(&self) -> gale_vm::Result<gale_vm::Value> {
        Err(gale_vm::Error::type_error("no execution"))
    }
    fn executions(&self, _: &[(&str, gale_vm::Value)]) -> gale_vm::Result<gale_vm::Value> {
        Err(gale_vm::Error::type_error("no executions"))
    }
    fn task(&self, _: Option<&str>) -> gale_vm::Result<gale_vm::Value> {
        Ok(gale_vm::Value::str("task-result"))
    }
    fn tasks(
        &self,
        _: Option<&str>,
        _: bool,
        _: Option<&str>,
        _: bool,
    ) -> gale_vm::Result<gale_vm::Value> {
        Err(gale_vm::Error::type_error("no tasks"))
    }
    fn global(&self, _: &str) -> gale_vm::Result<gale_vm::Value> {
        Err(gale_vm::Error::type_error("no globals"))
    }
}

/// What the engine does: compile at workflow-compile time, ship the bytes, and at run
/// time decode + verify + run with `gale_vm` alone against a data context and a host.
#[test]
fn engine_style_run() {
    use gale_vm::interp::{Program, run_jinja};
    let run = |text: &str, data: serde_json::Value| {
        let module = gale_codegen::jinja_compile::compile_mistral(text).expect("compiles");
        let bytes = gale_bytecode::encode::encode(&module);
        let module = gale_bytecode::encode::decode(&bytes).expect("decodes");
        let program = Program::load(module).expect("verifies");
        let mut cx = gale_vm::Ctx::new(gale_vm::Options::mistral(), gale_vm::Budget::default());
        cx.mistral = Some(std::rc::Rc::new(Host));
        let data = gale_vm::convert::from_json(&data, true);
        let r = run_jinja(&program, &mut cx, data)
            .and_then(|v| gale_vm::jinja::ops::materialize(&mut cx, v));
        (r, program.error_span().map(|(_, s)| (s.start, s.end)))
    };
    let data = serde_json::json!({"x": [1, 2, 3], "__env": {"region": "R1"}});
    let (v, _) = run("{{ _.x | map('string') | list }}", data.clone());
    assert_eq!(
        v.expect("typed value"),
        gale_vm::convert::from_json(&serde_json::json!(["1", "2", "3"]), true)
    );
    let (v, _) = run(
        "{{ env().region }}/{% for i in _.x %}{{ i }}{% endfor %}",
        data.clone(),
    );
    assert_eq!(v.expect("text"), gale_vm::Value::str("R1/123"));
    let text = "ok {% for i in _.x %}{{ i.missing }}{% endfor %}";
    let (v, span) = run(text, data);
    let e = v.expect_err("undefined attribute");
    assert_eq!(e.kind().python_name(), "UndefinedError");
    let (start, end) = span.expect("error position");
    assert_eq!(&text[start as usize..end as usize], "i.missing");
}
