//! Every diagnostic code Gale can report, gathered from the crates that emit them,
//! for `gale explain`, SARIF rule descriptions and the generated `docs/checks.md`.

use gale_diagnostics::{CodeInfo, Severity};

/// Codes reported by the driver itself (reading files), not by a compiler stage.
pub const DRIVER_CODES: &[CodeInfo] = &[
    CodeInfo {
        code: "invalid-utf8",
        severity: Severity::Error,
        summary: "the file is not valid UTF-8 text",
        explanation: "Mistral reads definitions as UTF-8 text and rejects anything else.\n\n\
**Fix:** re-save the file as UTF-8.",
    },
    CodeInfo {
        code: "not-a-mistral-document",
        severity: Severity::Error,
        summary: "a file named on the command line is not a Mistral v2 document",
        explanation: "A Mistral v2 document is a workflow list, a workbook or an ad-hoc action list: a \
YAML mapping with `version: '2.0'` and workflows with `tasks`, a workbook's `workflows`/`actions`, \
or actions with `base`. Files found by walking a folder that are not Mistral documents are skipped \
silently (the summary counts them); a file named explicitly is reported.\n\n\
**Fix:** add `version: '2.0'`, or leave the file out of `gale check`.",
    },
];

/// Every code, sorted by name; the first definition of a code wins.
pub fn all_codes() -> Vec<CodeInfo> {
    let mut codes: Vec<CodeInfo> = Vec::new();
    let hir = gale_hir::CODES.iter().map(|c| CodeInfo {
        code: c.code,
        severity: c.severity,
        summary: c.summary,
        explanation: c.explanation,
    });
    let all = gale_syntax::CODES
        .iter()
        .copied()
        .chain(hir)
        .chain(gale_check::CODES.iter().copied())
        .chain(DRIVER_CODES.iter().copied());
    for info in all {
        if !codes.iter().any(|c| c.code == info.code) {
            codes.push(info);
        }
    }
    codes.sort_by_key(|c| c.code);
    codes
}

/// The documentation of one code.
pub fn code_info(code: &str) -> Option<CodeInfo> {
    all_codes().into_iter().find(|c| c.code == code)
}

/// `docs/checks.md`, generated from the code tables (a test keeps the file in sync).
pub fn checks_markdown() -> String {
    let mut out = String::from(
        "# Checks\n\n<!-- Generated from the code tables by `gale explain --markdown`; do not edit. -->\n\n\
Every diagnostic `gale check` reports has a stable code. Suppress one with\n\
`# gale: ignore[code]` on its line or alone on the line above.\n\n\
| code | severity | what it finds |\n|---|---|---|\n",
    );
    let codes = all_codes();
    for c in &codes {
        out.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} |\n",
            c.code,
            c.severity.as_str(),
            c.summary
        ));
    }
    for c in &codes {
        out.push_str(&format!(
            "\n## {}\n\n*{}* — {}\n\n{}\n",
            c.code,
            c.severity.as_str(),
            c.summary,
            c.explanation.trim_end()
        ));
    }
    out
}
