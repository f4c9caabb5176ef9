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
