//! Generated documentation cannot drift: `docs/checks.md` must equal what the code
//! tables generate (`GALE_UPDATE_DOCS=1 cargo test -p gale_testsuite --test docs`
//! rewrites it), and every code has a summary and an explanation.

use gale_testsuite::workspace_root;

#[test]
fn checks_md_is_generated_from_the_code_tables() {
    let path = workspace_root().join("docs/checks.md");
    let generated = gale_db::checks_markdown();
    if std::env::var_os("GALE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/checks.md is out of date: run `GALE_UPDATE_DOCS=1 cargo test -p gale_testsuite --test docs`"
    );
}

#[test]
fn every_code_is_documented() {
    for c in gale_db::all_codes() {
        assert!(!c.summary.is_empty(), "{} has no summary", c.code);
        assert!(
            c.explanation.len() > 40,
            "{} has no real explanation",
            c.code
        );
        assert!(
            c.code
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{} is not kebab-case",
            c.code
        );
    }
}
