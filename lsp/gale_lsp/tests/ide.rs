//! Semantic tokens and signature help as plain data, under insta snapshots: each case
//! is a small Mistral file; `|` marks the cursor for signature help.

use gale_db::Database;
use gale_diagnostics::LineIndex;
use gale_lsp::ide;

const WORKFLOW: &str = r#"version: '2.0'
wf:
  input:
    - names
  vars:
    limit: 3
  tasks:
    first:
      action: std.echo output="<% $.names.where($ != null).len() + 1 %>"
      publish:
        done: <% task(first).result and not $.limit in [1, 2.5] %>
        again: "<% task('first').state = 'SUCCESS' %>"
        text: "{{ _.names | join(', ') | upper }} {{ task('first').result }}"
      on-success:
        - second: <% len($.names) > $.limit %>
    second:
      action: std.noop
    third:
      action: std.echo
      input:
        output: |
          {% for n in _.names %}{{ n.upper() }}{% endfor %}
"#;

/// One token per line: `line:col kind "text"`.
fn render_tokens(text: &str) -> String {
    let db = Database::new();
    let file = db.add_file("wf.yaml", text);
    let index = LineIndex::new(text);
    ide::semantic_tokens(&db, file)
        .iter()
        .map(|t| {
            let lc = index.line_col_utf8(text, t.span.start);
            format!(
                "{}:{} {:?} {:?}",
                lc.line + 1,
                lc.col + 1,
                t.kind,
                &text[t.span.start as usize..t.span.end as usize]
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn semantic_tokens_of_yaql_and_jinja() {
    insta::assert_snapshot!(render_tokens(WORKFLOW));
}

#[test]
fn semantic_tokens_follow_escapes_in_double_quoted_strings() {
    // `\t` takes two source bytes for one decoded character: the tokens after it
    // must still cover exactly `$.b` and `len`.
    let text = "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.noop\n      publish:\n        x: \"a\\t<% $.b.len() %>\"\n";
    let rendered = render_tokens(text);
    assert!(rendered.contains("Variable \"$\""), "{rendered}");
    assert!(rendered.contains("Property \"b\""), "{rendered}");
    assert!(rendered.contains("Method \"len\""), "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn not_mistral_has_no_tokens() {
    assert_eq!(render_tokens("a: <% $.x %>\n"), "");
}

/// Signature help at the `|` in `text` (the marker removed), rendered as text.
fn help_at(text_with_cursor: &str) -> String {
    let offset = text_with_cursor.find('|').expect("cursor marker") as u32;
    let text = text_with_cursor.replacen('|', "", 1);
    let db = Database::new();
    let file = db.add_file("wf.yaml", text);
    match ide::signature_help(&db, file, offset) {
        None => "no signature help".into(),
        Some(help) => {
            let mut out = format!("active parameter: {:?}\n", help.active_parameter);
            for s in help.signatures {
                out.push_str(&format!(
                    "{}\n  doc: {}\n  parameters: {:?}\n",
                    s.label, s.documentation, s.parameters
                ));
            }
            out
        }
    }
}

fn wf(publish: &str) -> String {
    format!(
        "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.noop\n      publish:\n        x: {publish}\n"
    )
}

#[test]
fn signature_help_cases() {
    let cases = [
        ("yaql function, first argument", wf("<% len(|$.x) %>")),
        ("yaql method: receiver not counted", wf("<% $.x.where(|$ > 1) %>")),
        ("yaql nested call, second argument", wf("<% $.x.join(', ', str(|)) %>")),
        ("yaql second argument", wf("<% regex('a').replace($.s, |) %>")),
        ("yaql after the call closed", wf("<% len($.x) |%>")),
        ("jinja function", wf("\"{{ task(|) }}\"")),
        ("unknown function", wf("<% nosuch(|) %>")),
        (
            "std action input key",
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.http\n      input:\n        url: http://x\n        meth|od: POST\n".to_string(),
        ),
        (
            "std action inline parameter",
            "version: '2.0'\nwf:\n  tasks:\n    t:\n      action: std.echo out|put=1\n".to_string(),
        ),
        (
            "ad-hoc action input",
            "version: '2.0'\nname: wb\nactions:\n  greet:\n    base: std.echo\n    base-input:\n      output: <% $.name %>\n    input:\n      - name\n      - punct: '!'\n\nworkflows:\n  wf:\n    tasks:\n      t:\n        action: greet\n        input:\n          na|me: x\n".to_string(),
        ),
    ];
    let rendered: Vec<String> = cases
        .iter()
        .map(|(name, text)| format!("## {name}\n{}", help_at(text)))
        .collect();
    insta::assert_snapshot!(rendered.join("\n"));
}

/// Every fixture of the checker's test suite, and every truncation of a small
/// workflow: semantic tokens are sorted, disjoint, single-line and inside the text,
/// and signature help answers at every offset without panicking.
#[test]
fn tokens_and_signature_help_never_panic_on_fixtures() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testsuite/fixtures");
    let mut texts: Vec<String> = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                texts.push(text);
            }
        }
    }
    assert!(texts.len() > 50, "fixtures not found");
    for end in (0..WORKFLOW.len()).filter(|i| WORKFLOW.is_char_boundary(*i)) {
        texts.push(WORKFLOW[..end].to_string());
    }
    for text in &texts {
        let db = Database::new();
        let file = db.add_file("f.yaml", text.clone());
        let tokens = ide::semantic_tokens(&db, file);
        let mut last_end = 0;
        for t in &tokens {
            assert!(t.span.start >= last_end && t.span.end > t.span.start);
            let s = text
                .get(t.span.start as usize..t.span.end as usize)
                .expect("token inside the text on char boundaries");
            assert!(!s.contains('\n'), "multi-line token {s:?}");
            last_end = t.span.end;
        }
        for offset in (0..=text.len() as u32).step_by(3) {
            let _ = ide::signature_help(&db, file, offset);
        }
    }
}
