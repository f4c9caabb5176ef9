//! Engine tests beyond the conformance cases: the artifact format (round trip,
//! hostile bytes), the disassembler (snapshot), the journal and trace seams, and
//! `-O0`/`-O1` agreement.

use std::cell::RefCell;
use std::rc::Rc;

use gale_bytecode::workflow::artifact::{decode_program, encode_program, program_asm, program_ir};
use gale_codegen::workflow::{OptLevel, compile_source};
use gale_engine::journal::{Change, Journal};
use gale_engine::{Engine, StartOptions, TraceEvent};
use serde_json::{Value as Json, json};

const DOC: &str = r#"version: '2.0'
wf:
  input:
    - n: 2
  vars:
    base: 10
  tasks:
    t1:
      action: std.echo output=<% $.n + $.base %>
      publish:
        a: <% task().result %>
        label: "n=<% $.n %>"
      on-success:
        - t2: <% $.a > 5 %>
        - t3: <% $.a <= 5 %>
    t2:
      with-items: x in <% range($.n) %>
      action: std.echo output=<% $.x * 2 %>
      publish:
        items: <% task().result %>
      on-success: fail msg="done <% $.a %>"
    t3:
      action: std.noop
"#;

fn run(program: gale_bytecode::workflow::Program) -> Json {
    let mut engine = Engine::new(Rc::new(program));
    let root = engine
        .start("wf", &StartOptions::default())
        .expect("starts");
    engine.run(root, None);
    let mut r = engine.result_json(root);
    // Ids are random.
    if let Json::Object(m) = &mut r {
        m.remove("id");
    }
    r
}

#[test]
fn runs_the_sample_with_mistral_semantics() {
    let r = run(compile_source(DOC, OptLevel::O1).expect("compiles"));
    assert_eq!(r["state"], "ERROR");
    assert_eq!(r["state_info"], "done 12");
    assert_eq!(r["tasks"][0]["published"], json!({"a": 12, "label": "n=2"}));
    assert_eq!(r["tasks"][1]["result"], json!([0, 2]));
    assert_eq!(r["tasks"][1]["action_executions"], 2);
    assert_eq!(r["output"]["result"], "done 12");
}

#[test]
fn o0_and_o1_agree() {
    let a = run(compile_source(DOC, OptLevel::O0).expect("compiles"));
    let b = run(compile_source(DOC, OptLevel::O1).expect("compiles"));
    assert_eq!(a, b);
}

#[test]
fn artifact_round_trip() {
    let p = compile_source(DOC, OptLevel::O1).expect("compiles");
    let bytes = encode_program(&p);
    let q = decode_program(&bytes).expect("decodes");
    assert_eq!(program_ir(&p), program_ir(&q));
    assert_eq!(p.modules, q.modules);
    assert_eq!(run(p), run(q));
}

#[test]
fn hostile_artifacts_are_rejected_without_panic() {
    let p = compile_source(DOC, OptLevel::O1).expect("compiles");
    let bytes = encode_program(&p);
    for n in 0..bytes.len() {
        assert!(
            decode_program(&bytes[..n]).is_err(),
            "truncation at {n} accepted"
        );
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..2_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut b = bytes.clone();
        let i = (seed as usize) % b.len();
        b[i] ^= (seed >> 32) as u8 | 1;
        let _ = decode_program(&b);
    }
}

#[test]
fn disassembly_snapshot() {
    let p = compile_source(DOC, OptLevel::O1).expect("compiles");
    insta::assert_snapshot!("sample_asm", program_asm(&p));
}

struct Recorder(Rc<RefCell<Vec<Change>>>);

impl Journal for Recorder {
    fn commit(&mut self, changes: &[Change]) {
        self.0.borrow_mut().extend_from_slice(changes);
    }
}

#[test]
fn journal_sees_each_action_before_its_result() {
    let changes = Rc::new(RefCell::new(Vec::new()));
    let mut engine = Engine::new(Rc::new(
        compile_source(DOC, OptLevel::O1).expect("compiles"),
    ));
    engine.set_journal(Box::new(Recorder(changes.clone())));
    let root = engine
        .start("wf", &StartOptions::default())
        .expect("starts");
    engine.run(root, None);
    let changes = changes.borrow();
    let mut dispatched = Vec::new();
    for c in changes.iter() {
        match c {
            Change::Action { id, .. } => dispatched.push(id.clone()),
            Change::ActionResult { id, .. } => {
                assert!(
                    dispatched.contains(id),
                    "result of {id} before its dispatch"
                );
            }
            _ => {}
        }
    }
    assert_eq!(dispatched.len(), 3);
}

#[test]
fn trace_reports_tasks_and_transitions() {
    let events = Rc::new(RefCell::new(Vec::new()));
    let mut engine = Engine::new(Rc::new(
        compile_source(DOC, OptLevel::O1).expect("compiles"),
    ));
    let sink = events.clone();
    engine.set_trace(Box::new(move |e: &TraceEvent| {
        sink.borrow_mut().push(e.clone())
    }));
    let root = engine
        .start("wf", &StartOptions::default())
        .expect("starts");
    engine.run(root, None);
    let events = events.borrow();
    assert!(events.contains(&TraceEvent::Transition {
        from: "t1".into(),
        to: "t2".into(),
        event: "on-success".into(),
    }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TraceEvent::TaskCompleted { task, .. } if task == "t2"))
    );
}

#[test]
fn expression_errors_name_the_expression_position_and_task() {
    let doc = "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.echo\n      input:\n        output: <% $.missing %>\n";
    let r = run(compile_source(doc, OptLevel::O1).expect("compiles"));
    assert_eq!(r["state"], "ERROR");
    let info = r["tasks"][0]["state_info"].as_str().unwrap_or("");
    assert!(info.contains("expression=$.missing"), "{info}");
    assert!(info.contains("task=t1"), "{info}");
    assert!(info.contains("at line 7"), "{info}");
}

const JINJA_DOC: &str = r#"version: '2.0'
wf:
  input:
    - n: 2
  tasks:
    t1:
      action: std.echo output="{{ _.n * 3 }}"
      publish:
        typed: "{{ task().result + 1 }}"
        text: "n is {{ _.n }}{% if _.n > 1 %} (many){% endif %}"
      on-success: t2
    t2:
      action: std.echo output="{{ _.missing.x }}"
"#;

#[test]
fn jinja_runs_from_the_artifact_alone() {
    let p = compile_source(JINJA_DOC, OptLevel::O1).expect("compiles");
    assert_eq!(p.jinja.len(), 4);
    assert!(p.jinja.iter().all(|j| j.module.is_some()));
    let bytes = encode_program(&p);
    let q = decode_program(&bytes).expect("decodes");
    assert_eq!(p.modules, q.modules);
    assert!(program_asm(&q).contains("jinja#0"));
    let r = run(q);
    assert_eq!(r["tasks"][0]["result"], json!(6));
    assert_eq!(
        r["tasks"][0]["published"],
        json!({"typed": 7, "text": "n is 2 (many)"})
    );
    assert_eq!(r["state"], "ERROR");
    let info = r["tasks"][1]["state_info"].as_str().unwrap_or_default();
    assert!(
        info.contains(
            "Can not evaluate Jinja expression [expression={{ _.missing.x }}, error='mistral.workflow.data_flow.ContextView object' has no attribute 'missing']"
        ),
        "{info}"
    );
}
