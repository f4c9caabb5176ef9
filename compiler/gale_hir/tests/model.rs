//! The semantic model and source map built by `lower`, on documents covering every
//! form of the language.

use gale_hir::{
    BoolOrExpr, CallKind, ClauseKind, Collection, DocumentKind, EngineCommand, IntOrExpr, Item,
    Join, TaskInput, Value, WorkflowType,
};

fn lower(text: &str) -> gale_hir::Lowered {
    let parsed = gale_syntax::parse(text);
    gale_hir::lower(parsed.root.as_ref(), text)
}

const WORKFLOWS: &str = r#"version: '2.0'

deploy:
  description: Deploys things
  input:
    - hosts
    - retries: 3
  vars:
    started: <% now() %>
  output:
    result: <% $.out %>
  task-defaults:
    on-error:
      - cleanup
    retry: count=2 delay=5
  tasks:
    prepare:
      action: std.echo output="ready" extra=[1, 2]
      input:
        output: overridden
        other: 1
      publish:
        out: <% task().result %>
      on-success:
        - run: <% $.hosts %>
        - fail msg="no hosts": <% not $.hosts %>
    run:
      with-items: host in <% $.hosts %>
      concurrency: 2
      workflow: ping host=<% $.host %>
      on-complete:
        publish:
          branch:
            done: true
          global:
            seen: <% $.hosts %>
        next: finish
    finish:
      join: all
      action: std.noop
      keep-result: false
      timeout: <% $.retries * 10 %>
    cleanup:
      action: std.noop
      on-success:
        - finish
        - fail

ping:
  type: reverse
  input:
    - host
  tasks:
    check:
      action: std.echo output=<% $.host %>
    report:
      requires: check
"#;

#[test]
fn workflow_list_model() {
    let l = lower(WORKFLOWS);
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    let doc = l.document.expect("a document");
    assert_eq!(doc.kind, DocumentKind::WorkflowList);
    assert_eq!(doc.version, Some(Value::Str("2.0".into())));
    let wf = doc.workflow("deploy").expect("deploy");
    assert_eq!(wf.kind, WorkflowType::Direct);
    assert_eq!(wf.input.len(), 2);
    assert_eq!(wf.input[1].default, Some(Value::Int(3)));

    let prepare = wf.task("prepare").expect("prepare");
    assert_eq!(prepare.call.kind, CallKind::Action);
    assert_eq!(prepare.call.name, "std.echo");
    // Inline parameters win over `input` (Mistral's merge).
    let TaskInput::Map(input) = &prepare.input else {
        panic!("input map")
    };
    assert!(input.contains(&("output".into(), Value::Str("ready".into()))));
    assert!(input.contains(&("other".into(), Value::Int(1))));
    assert!(input.contains(&(
        "extra".into(),
        Value::List(vec![Value::Int(1), Value::Int(2)])
    )));
    let on_success = prepare.on_success.as_ref().expect("on-success");
    assert_eq!(on_success.next.len(), 2);
    assert_eq!(on_success.next[0].guard.as_deref(), Some("<% $.hosts %>"));
    assert_eq!(on_success.next[1].command, Some(EngineCommand::Fail));
    assert_eq!(
        on_success.next[1].params,
        vec![("msg".into(), Value::Str("no hosts".into()))]
    );
    // task-defaults apply where the task has no clause of its own.
    let on_error: Vec<&str> = wf
        .effective_clause(prepare, ClauseKind::OnError)
        .map(|t| t.target.as_str())
        .collect();
    assert_eq!(on_error, ["cleanup"]);
    let cleanup = wf.task("cleanup").expect("cleanup");
    assert_eq!(wf.effective_clause(cleanup, ClauseKind::OnError).count(), 0);
    let retry = wf
        .task_defaults
        .as_ref()
        .and_then(|d| d.policies.retry.as_ref())
        .expect("retry");
    assert_eq!(
        (&retry.count, &retry.delay),
        (&IntOrExpr::Int(2), &IntOrExpr::Int(5))
    );

    let run = wf.task("run").expect("run");
    assert_eq!(run.call.kind, CallKind::Workflow);
    assert_eq!(run.call.name, "ping");
    assert_eq!(run.with_items[0].var, "host");
    assert_eq!(
        run.with_items[0].collection,
        Collection::Expression("<% $.hosts %>".into())
    );
    let on_complete = run.on_complete.as_ref().expect("on-complete");
    let publish = on_complete.publish.as_ref().expect("publish");
    assert!(publish.branch.is_some() && publish.global.is_some() && publish.atomic.is_none());
    assert_eq!(on_complete.next[0].target, "finish");

    let finish = wf.task("finish").expect("finish");
    assert_eq!(finish.join, Some(Join::All));
    assert_eq!(finish.keep_result, BoolOrExpr::Bool(false));
    assert_eq!(
        finish.policies.timeout,
        Some(IntOrExpr::Expr("<% $.retries * 10 %>".into()))
    );
    assert!(!finish.call.explicit || finish.call.name == "std.noop");

    let ping = doc.workflow("ping").expect("ping");
    assert_eq!(ping.kind, WorkflowType::Reverse);
    assert_eq!(
        ping.task("report").map(|t| t.requires.clone()),
        Some(vec!["check".to_string()])
    );
    assert_eq!(ping.task("report").map(|t| t.call.explicit), Some(false));

    // Positions live in the source map.
    let join = l
        .source_map
        .field(Item::Task(finish.id), "join")
        .expect("join span");
    assert_eq!(&WORKFLOWS[join.value.range()], "all");
    let target = l
        .source_map
        .item(Item::Transition(on_success.next[0].id))
        .expect("transition span");
    assert_eq!(&WORKFLOWS[target.name.range()], "run");
    assert!(
        l.source_map
            .expressions()
            .iter()
            .any(|e| e.field == "publish" && e.text == "<% task().result %>")
    );
}

const WORKBOOK: &str = r#"version: '2.0'
name: ops
tags: [infra]

actions:
  greet:
    base: std.echo output="hello {{ _.name }}"
    base-input:
      output: replaced
    input:
      - name
    output: <% $ %>

workflows:
  main:
    tasks:
      hi:
        action: greet name="ops"
"#;

#[test]
fn workbook_model() {
    let l = lower(WORKBOOK);
    assert!(l.diagnostics.is_empty(), "{:#?}", l.diagnostics);
    let doc = l.document.expect("a document");
    assert_eq!(doc.kind, DocumentKind::Workbook);
    let wb = doc.workbook.as_ref().expect("workbook");
    assert_eq!(wb.name.as_deref(), Some("ops"));
    assert_eq!(wb.tags, ["infra"]);
    let greet = &doc.actions[0];
    assert_eq!(greet.base, "std.echo");
    assert_eq!(
        greet.base_input,
        vec![("output".into(), Value::Str("hello {{ _.name }}".into()))]
    );
    assert_eq!(greet.input[0].name, "name");
    assert_eq!(doc.workflows[0].name, "main");
}

#[test]
fn not_mistral_and_empty() {
    let l = lower(
        "heat_template_version: 2015-04-30\nresources:\n  server:\n    type: OS::Nova::Server\n",
    );
    assert!(l.document.is_none());
    assert_eq!(
        l.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["not-a-mistral-document"]
    );
    let l = lower("");
    assert_eq!(
        l.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["empty-document"]
    );
}

#[test]
fn reports_every_problem() {
    let text = "version: '2.0'\nwf:\n  tasks:\n    a:\n      actoin: std.noop\n      on-success: [b, c]\n    b:\n      timeout: soon\n";
    let l = lower(text);
    let codes: Vec<&str> = l.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["unknown-key", "unknown-task", "wrong-type"]);
    assert_eq!(
        l.diagnostics[0].help.as_deref(),
        Some("did you mean `action`?")
    );
}

#[test]
fn task_lookup_small_and_large_workflows() {
    for n in [3usize, 40] {
        let mut text = String::from("version: '2.0'\nwf:\n  tasks:\n");
        for i in 0..n {
            text.push_str(&format!(
                "    t{i}:\n      action: std.noop\n      on-success: t{}\n",
                (i + 1) % n
            ));
        }
        let l = lower(&text);
        let doc = l.document.expect("a document");
        let wf = &doc.workflows[0];
        assert_eq!(wf.tasks.len(), n);
        for i in [0, n / 2, n - 1] {
            let name = format!("t{i}");
            assert_eq!(wf.task(&name).map(|t| t.name.as_str()), Some(name.as_str()));
        }
        assert!(wf.task("nope").is_none());
        assert!(wf.task("").is_none());
        // The index is a cache: a clone looks up the same and compares equal.
        let copy = wf.clone();
        assert_eq!(&copy, wf);
        assert_eq!(copy.task("t1").map(|t| t.id), wf.task("t1").map(|t| t.id));
    }
}
