//! Code actions: apply a diagnostic's fix ("did you mean"), or silence it with a
//! `# gale: ignore[code]` comment on the line above.

use gale_db::{Database, SourceFile};
use gale_diagnostics::{Diagnostic, Edit, LineIndex, Span};

/// One code action as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    /// The title shown in the editor.
    pub title: String,
    /// The diagnostic it addresses.
    pub diagnostic: Diagnostic,
    /// The edits.
    pub edits: Vec<Edit>,
    /// Whether this is the preferred fix.
    pub preferred: bool,
}

/// The actions for diagnostics whose primary span touches `range`.
pub fn code_actions(db: &Database, file: SourceFile, range: Span) -> Vec<CodeAction> {
    let text = file.text(db);
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for d in gale_db::diagnostics(db, file) {
        let span = d.primary.span;
        if span.end < range.start || span.start > range.end {
            continue;
        }
        if let Some(fix) = &d.fix {
            out.push(CodeAction {
                title: fix.title.clone(),
                diagnostic: d.clone(),
                edits: fix.edits.clone(),
                preferred: true,
            });
        }
        let line = index.line_of(span.start);
        let line_start = index.line_start(line);
        let indent: String = text[line_start as usize..]
            .chars()
            .take_while(|c| *c == ' ')
            .collect();
        out.push(CodeAction {
            title: format!("Ignore `{}` here (# gale: ignore)", d.code),
            diagnostic: d.clone(),
            edits: vec![Edit {
                span: Span::empty(line_start),
                replacement: format!("{indent}# gale: ignore[{}]\n", d.code),
            }],
            preferred: false,
        });
    }
    out
}
