//! `parse` on small inputs: tree shape, spans, offset maps, comments, recovery.

use gale_syntax::{IntValue, NodeKind, ScalarStyle, ScalarValue, parse};

fn text_at(src: &str, span: gale_diagnostics::Span) -> &str {
    &src[span.range()]
}

#[test]
fn empty_and_comment_only() {
    for src in ["", "\n\n", "# only a comment\n", "---\n"] {
        let p = parse(src);
        assert!(
            p.root.is_none() || p.root.as_ref().is_some_and(|r| r.is_null()),
            "{src:?}"
        );
        assert!(p.diagnostics.is_empty(), "{src:?}: {:?}", p.diagnostics);
    }
    assert_eq!(parse("# only a comment\n").comments.len(), 1);
}

#[test]
fn spans_of_keys_values_and_collections() {
    let src = "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n";
    let p = parse(src);
    let root = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    let version = root.entry("version").expect("version");
    assert_eq!(text_at(src, version.key.span), "version");
    assert_eq!(text_at(src, version.value.span), "'2.0'");
    assert_eq!(version.value.as_str(), Some("2.0"));
    let wf = root.get("wf").expect("wf");
    assert_eq!(
        text_at(src, wf.span),
        "tasks:\n    t1:\n      action: std.noop"
    );
    let action = wf
        .as_mapping()
        .and_then(|m| m.get("tasks"))
        .and_then(|t| t.as_mapping())
        .and_then(|t| t.get("t1"))
        .and_then(|t| t.as_mapping())
        .and_then(|t| t.get("action"))
        .expect("action");
    assert_eq!(text_at(src, action.span), "std.noop");
}

#[test]
fn offsets_point_into_folded_and_escaped_scalars() {
    let src = "a: \"x\\ty <% $.z %>\"\nb: >\n  one\n  two <% $.q %>\n";
    let p = parse(src);
    let m = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    let a = m.get("a").and_then(|n| n.as_scalar()).expect("a");
    assert_eq!(a.text, "x\ty <% $.z %>");
    let d = a.text.find("$.z").expect("expr") as u32;
    assert_eq!(&src[a.offsets.to_source(d) as usize..][..3], "$.z");
    let b = m.get("b").and_then(|n| n.as_scalar()).expect("b");
    assert_eq!(b.style, ScalarStyle::Folded);
    assert_eq!(b.text, "one two <% $.q %>\n");
    let d = b.text.find("$.q").expect("expr") as u32;
    assert_eq!(&src[b.offsets.to_source(d) as usize..][..3], "$.q");
}

#[test]
fn anchors_aliases_and_at_are_text() {
    let src = "a: &x 1\nb: *x\nc: @foo\n";
    let p = parse(src);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let m = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    assert_eq!(m.get("a").and_then(|n| n.as_str()), Some("&x 1"));
    assert_eq!(m.get("b").and_then(|n| n.as_str()), Some("*x"));
    assert_eq!(m.get("c").and_then(|n| n.as_str()), Some("@foo"));
}

#[test]
fn yaml_11_values() {
    let p = parse("a: yes\nb: 017\nc: 1:30\nd: 1e3\ne: 2026-01-02\n");
    let m = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    let v = |k: &str| {
        m.get(k)
            .and_then(|n| n.as_scalar())
            .map(|s| s.value.clone())
    };
    assert_eq!(v("a"), Some(ScalarValue::Bool(true)));
    assert_eq!(v("b"), Some(ScalarValue::Int(IntValue::Small(15))));
    assert_eq!(v("c"), Some(ScalarValue::Int(IntValue::Small(90))));
    assert_eq!(v("d"), Some(ScalarValue::Str));
    assert_eq!(v("e"), Some(ScalarValue::Timestamp("2026-01-02".into())));
}

#[test]
fn syntax_error_keeps_partial_tree() {
    let src =
        "version: '2.0'\nwf:\n  tasks:\n    t1:\n      action: std.noop\n    t2: &a\n      x: 1\n";
    let p = parse(src);
    let err = p
        .diagnostics
        .iter()
        .find(|d| d.code == "yaml-syntax")
        .expect("error");
    assert_eq!(err.message, "mapping values are not allowed here");
    assert_eq!(&src[err.primary.span.start as usize..][..2], ": ");
    let root = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("partial root");
    assert!(root.truncated);
    assert_eq!(root.get("version").and_then(|v| v.as_str()), Some("2.0"));
    let tasks = root
        .get("wf")
        .and_then(|w| w.as_mapping())
        .and_then(|w| w.get("tasks"))
        .and_then(|t| t.as_mapping())
        .expect("tasks");
    assert!(tasks.get("t1").is_some());
}

#[test]
fn unquoted_jinja_gets_help() {
    let src = "publish:\n  x: {{ _.y }}\n";
    let p = parse(src);
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.message == "found unhashable key")
        .expect("unhashable");
    assert_eq!(
        d.help.as_deref(),
        Some("quote the Jinja expression: `'{{ _.y }}'`")
    );
    let fix = d.fix.as_ref().expect("fix");
    assert_eq!(fix.edits[0].replacement, "'{{ _.y }}'");
    assert_eq!(&src[fix.edits[0].span.range()], "{{ _.y }}");
}

#[test]
fn duplicate_key_points_at_both() {
    let src = "a: 1\nb: 2\na: 3\n";
    let p = parse(src);
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.code == "duplicate-key")
        .expect("dup");
    assert_eq!(d.primary.span.start, 10);
    assert_eq!(d.secondary[0].span.start, 0);
    // Mistral keeps the last.
    let m = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    assert_eq!(
        m.get("a")
            .and_then(|n| n.as_scalar())
            .map(|s| s.text.as_str()),
        Some("3")
    );
}

#[test]
fn too_deep_is_a_diagnostic_not_a_crash() {
    for src in [
        "[".repeat(100_000),
        "- ".repeat(50_000) + "x",
        "{a: ".repeat(20_000),
    ] {
        let p = parse(&src);
        assert!(
            p.diagnostics
                .iter()
                .any(|d| d.code == "yaml-too-deep" || d.code == "yaml-syntax"),
            "{:?}",
            p.diagnostics.first()
        );
    }
    let p = parse(&("[".repeat(200) + &"]".repeat(200)));
    assert!(p.diagnostics.iter().any(|d| d.code == "yaml-too-deep"));
    let mut depth = 0;
    let mut node = p.root.as_ref();
    while let Some(n) = node {
        depth += 1;
        node = n.as_sequence().and_then(|s| s.items.first());
    }
    assert_eq!(depth, gale_syntax::MAX_DEPTH);
}

#[test]
fn comments_are_collected() {
    let src = "# gale: ignore[duplicate-key]\na: 1 # error: [x]\nb: 'not # a comment'\nc: |\n  # not either\n";
    let p = parse(src);
    let texts: Vec<&str> = p.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [" gale: ignore[duplicate-key]", " error: [x]"]);
    assert_eq!(text_at(src, p.comments[1].span), "# error: [x]");
}

#[test]
fn block_scalar_in_sequence_and_unicode_offsets() {
    let src = "é: ü\nl:\n  - |\n    ça va\n  - x\n";
    let p = parse(src);
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
    let m = p
        .root
        .as_ref()
        .and_then(|r| r.as_mapping())
        .expect("mapping");
    assert_eq!(text_at(src, m.entries[0].value.span), "ü");
    let items = &m.get("l").and_then(|l| l.as_sequence()).expect("seq").items;
    let s = items[0].as_scalar().expect("scalar");
    assert_eq!(s.text, "ça va\n");
    assert_eq!(&src[s.offsets.to_source(3) as usize..][..3], " va");
    assert!(matches!(items[1].kind, NodeKind::Scalar(_)));
}

#[test]
fn second_document_is_an_error() {
    let p = parse("a: 1\n---\nb: 2\n");
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.code == "yaml-syntax")
        .expect("error");
    assert_eq!(d.message, "expected a single document in the stream");
    assert_eq!(d.primary.span.start, 5);
}
