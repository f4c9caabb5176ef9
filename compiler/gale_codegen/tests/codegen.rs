//! Codegen and interpreter properties: disassembly of representative expressions
//! (insta), every conformance expression compiles to a module that verifies and
//! survives the byte encoding, and hostile expressions end in an error, never a panic,
//! a hang or a stack overflow.

use gale_bytecode::{disasm::disassemble, encode, verify};
use gale_codegen::eval::{Engine, Settings, eval_yaql_with};
use gale_codegen::{Options, compile};
use gale_vm::{Budget, Value};

fn module(text: &str) -> gale_bytecode::Module {
    let parsed = gale_expr::yaql::parse(text);
    let expr = parsed.expr.expect("parses");
    compile(&expr, Options::MISTRAL).expect("compiles")
}

#[test]
fn disassembly() {
    let mut out = String::new();
    for text in [
        "$.items.where($.state = 'ERROR').select($.id)",
        "$.a?.b and not $.c or [1, {k => 2}][0]",
        "let(x => 1) -> def(sq, $ * $) -> sq($x)",
    ] {
        out.push_str(&format!("== {text}\n{}\n", disassemble(&module(text))));
    }
    insta::assert_snapshot!("disassembly", out);
}

#[test]
fn conformance_expressions_verify_and_round_trip() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/yaql/cases.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        if std::env::var_os("CI").is_some() {
            panic!("../shared not found (required in CI)");
        }
        eprintln!("SKIPPED: ../shared not found");
        return;
    };
    let mut compiled = 0;
    for line in text.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("json");
        let settings = gale_codegen::eval::case_settings(&case);
        let parsed =
            gale_expr::yaql::parse_with(case["expr"].as_str().unwrap_or(""), settings.grammar);
        let Some(expr) = parsed.expr.filter(|_| parsed.errors.is_empty()) else {
            continue;
        };
        let options = Options {
            functions: settings.functions,
            finalize: true,
        };
        let m = compile(&expr, options).expect("compiles");
        verify(&m).expect("verifies");
        assert_eq!(encode::decode(&encode::encode(&m)).as_ref(), Ok(&m));
        compiled += 1;
    }
    assert!(compiled > 800, "{compiled}");
}

fn eval(text: &str) -> Result<Value, gale_codegen::eval::EvalError> {
    eval_with(Engine::Bytecode, text)
}

fn eval_with(engine: Engine, text: &str) -> Result<Value, gale_codegen::eval::EvalError> {
    let settings = Settings {
        budget: Budget {
            steps: 200_000,
            memory: 1 << 24,
        },
        ..Settings::default()
    };
    eval_yaql_with(engine, text, Some(Value::Null), Vec::new(), &settings)
}

#[test]
fn hostile_expressions_fail_cleanly() {
    let cases = [
        // unbounded recursion of a def'd function, direct and through a builtin:
        // Python's RecursionError, as yaql raises it
        ("def(f, f($)) -> f(1)", "RecursionError"),
        ("def(f, [1].select(f($))) -> f(1)", "RecursionError"),
        ("def(f, switch(true => f($))) -> f(1)", "RecursionError"),
        // infinite iteration, huge allocation
        ("sequence().where($ < 0).first()", "StepBudgetExceeded"),
        ("'x' * 10000000000", "MemoryQuotaExceededException"),
        // `->` needs a context; `.` needs a call or a word
        ("[1, 2] -> $", "NoMatchingFunctionException"),
        ("$.(1 + 2)", "NoMatchingFunctionException"),
        ("f(1 => 2)", "MappingTranslationException"),
    ];
    for (text, kind) in cases {
        for engine in [Engine::Bytecode, Engine::Reference] {
            let e = eval_with(engine, text).expect_err(text);
            assert_eq!(e.kind, kind, "{engine:?} {text}: {}", e.message);
        }
    }
}

#[test]
fn deep_recursion_on_a_small_stack() {
    // Rust test threads have 2 MiB stacks; the nesting limit must hold well within.
    let t = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            [Engine::Bytecode, Engine::Reference].map(|engine| {
                let text = "def(f, switch($ > 0 => f($ - 1), true => 0)) -> f(100000)";
                let e = eval_with(engine, text);
                e.map(|v| format!("{v:?}")).map_err(|e| e.kind)
            })
        })
        .expect("spawn");
    let want: Result<String, String> = Err("RecursionError".to_string());
    assert_eq!(t.join().expect("no overflow"), [want.clone(), want]);
}

#[test]
fn semantics() {
    let ok = |text: &str, want: serde_json::Value| {
        let v = eval(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let got = gale_codegen::eval::tagged::encode(&v).expect("encodes");
        assert_eq!(got, want, "{text}");
    };
    use serde_json::json;
    ok(
        "let(x => 2) -> def(sq, $ * $) -> [1, 2, 3].select(sq($) + $x)",
        json!([3, 6, 11]),
    );
    ok(
        "def(f, switch($ > 0 => $ * f($ - 1), true => 1)) -> f(10)",
        json!(3628800),
    );
    ok("null?.x", json!(null));
    ok("1 and 0 or 'd'", json!("d"));
    ok("[1, 2].unpack(a, b) -> $a + $b", json!(3));
    ok("with(1, 2) -> $2", json!(2));
    ok(
        "let(a => 1) -> [$a, let(a => 2) -> $a, $a]",
        json!([1, 2, 1]),
    );
    ok(
        "[[1, 2], [3]].select($.select($ * 10))",
        json!([[10, 20], [30]]),
    );
    ok("{a => 1}.a", json!(1));
}
