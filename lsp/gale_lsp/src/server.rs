//! The LSP server (tower-lsp-server): the only module that knows LSP types.
//!
//! Document changes are applied by a single writer: every notification takes the
//! state lock synchronously before its first `await`, and full-text sync with
//! version checks drops a change older than the text already held. Requests are
//! answered from the same salsa database as `gale check`. A panic inside a handler is
//! caught, logged and turned into an error response; the server keeps serving.

use crate::ide;
use gale_db::{Database, SourceFile};
use gale_diagnostics::{Diagnostic as GaleDiagnostic, LineCol, LineIndex, Severity, Span};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

/// Serves LSP over stdin/stdout until the client exits.
pub async fn run_stdio() {
    let (service, socket) = LspService::new(Backend::new);
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}

/// One open document.
struct Document {
    file: SourceFile,
    version: i32,
}

/// Everything the server holds.
#[derive(Default)]
struct State {
    db: Database,
    documents: HashMap<Uri, Document>,
    utf8: bool,
}

/// The server.
pub struct Backend {
    client: Client,
    state: Mutex<State>,
}

impl Backend {
    /// A server talking to `client`.
    pub fn new(client: Client) -> Backend {
        Backend {
            client,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves consistent data (salsa inputs are
        // replaced whole), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a request handler, turning a panic into an error response.
    fn guarded<T>(&self, name: &str, f: impl FnOnce(&State) -> Option<T>) -> Result<Option<T>> {
        let state = self.lock();
        match std::panic::catch_unwind(AssertUnwindSafe(|| f(&state))) {
            Ok(value) => Ok(value),
            Err(_) => {
                eprintln!("gale lsp: internal error in {name} (please report this bug)");
                Err(Error::internal_error())
            }
        }
    }

    /// Stores a new text (unless older than what is held) and returns the
    /// diagnostics to publish.
    fn update(&self, uri: Uri, text: String, version: i32) -> Option<(Uri, Vec<Diagnostic>, i32)> {
        let mut state = self.lock();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let state = &mut *state;
            match state.documents.get_mut(&uri) {
                Some(doc) if doc.version > version => return None,
                Some(doc) => {
                    use salsa::Setter;
                    doc.file.set_text(&mut state.db).to(text);
                    doc.version = version;
                }
                None => {
                    let file = state.db.add_file(uri.as_str().to_string(), text);
                    state
                        .documents
                        .insert(uri.clone(), Document { file, version });
                }
            }
            let file = state.documents.get(&uri)?.file;
            let diagnostics = to_lsp_diagnostics(&state.db, file, state.utf8, &uri);
            Some((uri, diagnostics, version))
        }));
        result.unwrap_or_else(|_| {
            eprintln!(
                "gale lsp: internal error while checking a document (please report this bug)"
            );
            None
        })
    }

    fn file(state: &State, uri: &Uri) -> Option<SourceFile> {
        state.documents.get(uri).map(|d| d.file)
    }
}

/// Converts a byte offset to an LSP position in the negotiated encoding.
fn position(index: &LineIndex, text: &str, offset: u32, utf8: bool) -> Position {
    let LineCol { line, col } = if utf8 {
        index.line_col_utf8(text, offset)
    } else {
        index.line_col_utf16(text, offset)
    };
    Position::new(line, col)
}

fn range(index: &LineIndex, text: &str, span: Span, utf8: bool) -> Range {
    Range::new(
        position(index, text, span.start, utf8),
        position(index, text, span.end, utf8),
    )
}

/// Converts an LSP position to a byte offset.
fn offset(index: &LineIndex, text: &str, pos: Position, utf8: bool) -> u32 {
    if utf8 {
        let start = index.line_start(pos.line);
        let end = index.line_start(pos.line + 1);
        (start + pos.character).min(end)
    } else {
        index.offset_utf16(
            text,
            LineCol {
                line: pos.line,
                col: pos.character,
            },
        )
    }
}

fn to_lsp_diagnostics(db: &Database, file: SourceFile, utf8: bool, uri: &Uri) -> Vec<Diagnostic> {
    let text = file.text(db);
    let index = LineIndex::new(text);
    gale_db::diagnostics(db, file)
        .iter()
        .map(|d: &GaleDiagnostic| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            for note in &d.notes {
                message.push_str("\nnote: ");
                message.push_str(note);
            }
            Diagnostic {
                range: range(&index, text, d.primary.span, utf8),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                    Severity::Info => DiagnosticSeverity::INFORMATION,
                }),
                code: Some(NumberOrString::String(d.code.to_string())),
                source: Some("gale".into()),
                message,
                related_information: (!d.secondary.is_empty()).then(|| {
                    d.secondary
                        .iter()
                        .map(|l| DiagnosticRelatedInformation {
                            location: Location::new(uri.clone(), range(&index, text, l.span, utf8)),
                            message: l.message.clone(),
                        })
                        .collect()
                }),
                ..Diagnostic::default()
            }
        })
        .collect()
}

fn symbol(index: &LineIndex, text: &str, s: &ide::Symbol, utf8: bool) -> DocumentSymbol {
    #[allow(deprecated)]
    DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind: match s.kind {
            ide::SymbolKind::Workflow => SymbolKind::MODULE,
            ide::SymbolKind::Task => SymbolKind::FUNCTION,
            ide::SymbolKind::Action => SymbolKind::CLASS,
        },
        tags: None,
        deprecated: None,
        range: range(index, text, s.range, utf8),
        selection_range: range(index, text, s.selection, utf8),
        children: Some(
            s.children
                .iter()
                .map(|c| symbol(index, text, c, utf8))
                .collect(),
        ),
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
        self.lock().utf8 = utf8;
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "gale".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(if utf8 {
                    PositionEncodingKind::UTF8
                } else {
                    PositionEncodingKind::UTF16
                }),
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec!["-".into(), " ".into()]),
                    ..CompletionOptions::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        if let Some((uri, diagnostics, version)) = self.update(doc.uri, doc.text, doc.version) {
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // Full sync: the last change holds the whole text.
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        let doc = params.text_document;
        if let Some((uri, diagnostics, version)) = self.update(doc.uri, change.text, doc.version) {
            self.client
                .publish_diagnostics(uri, diagnostics, Some(version))
                .await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.lock().documents.remove(&uri);
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.guarded("documentSymbol", |state| {
            let file = Backend::file(state, &params.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let symbols = ide::document_symbols(&state.db, file);
            Some(DocumentSymbolResponse::Nested(
                symbols
                    .iter()
                    .map(|s| symbol(&index, text, s, state.utf8))
                    .collect(),
            ))
        })
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        self.guarded("definition", |state| {
            let file = Backend::file(state, &at.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let span = ide::definition(
                &state.db,
                file,
                offset(&index, text, at.position, state.utf8),
            )?;
            Some(GotoDefinitionResponse::Scalar(Location::new(
                at.text_document.uri.clone(),
                range(&index, text, span, state.utf8),
            )))
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let include = params.context.include_declaration;
        self.guarded("references", |state| {
            let file = Backend::file(state, &at.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let spans = ide::references(
                &state.db,
                file,
                offset(&index, text, at.position, state.utf8),
                include,
            );
            Some(
                spans
                    .into_iter()
                    .map(|s| {
                        Location::new(
                            at.text_document.uri.clone(),
                            range(&index, text, s, state.utf8),
                        )
                    })
                    .collect(),
            )
        })
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        self.guarded("completion", |state| {
            let file = Backend::file(state, &at.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let items = ide::completions(
                &state.db,
                file,
                offset(&index, text, at.position, state.utf8),
            );
            Some(CompletionResponse::Array(
                items
                    .into_iter()
                    .map(|c| CompletionItem {
                        label: c.label,
                        kind: Some(match c.kind {
                            ide::CompletionKind::Task => CompletionItemKind::FUNCTION,
                            ide::CompletionKind::EngineCommand => CompletionItemKind::KEYWORD,
                            ide::CompletionKind::Key => CompletionItemKind::PROPERTY,
                        }),
                        detail: Some(c.detail),
                        ..CompletionItem::default()
                    })
                    .collect(),
            ))
        })
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        self.guarded("codeAction", |state| {
            let file = Backend::file(state, &uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let span = Span::new(
                offset(&index, text, params.range.start, state.utf8),
                offset(&index, text, params.range.end, state.utf8),
            );
            let actions = ide::code_actions(&state.db, file, span);
            Some(
                actions
                    .into_iter()
                    .map(|a| {
                        let edits = a
                            .edits
                            .iter()
                            .map(|e| {
                                TextEdit::new(
                                    range(&index, text, e.span, state.utf8),
                                    e.replacement.clone(),
                                )
                            })
                            .collect();
                        let lsp_diagnostic = Diagnostic {
                            range: range(&index, text, a.diagnostic.primary.span, state.utf8),
                            code: Some(NumberOrString::String(a.diagnostic.code.to_string())),
                            source: Some("gale".into()),
                            message: a.diagnostic.message.clone(),
                            ..Diagnostic::default()
                        };
                        CodeActionOrCommand::CodeAction(CodeAction {
                            title: a.title,
                            kind: Some(CodeActionKind::QUICKFIX),
                            diagnostics: Some(vec![lsp_diagnostic]),
                            edit: Some(WorkspaceEdit {
                                changes: Some(std::iter::once((uri.clone(), edits)).collect()),
                                ..WorkspaceEdit::default()
                            }),
                            is_preferred: Some(a.preferred),
                            ..CodeAction::default()
                        })
                    })
                    .collect(),
            )
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.guarded("inlayHint", |state| {
            let file = Backend::file(state, &params.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            Some(
                ide::inlay_hints(&state.db, file)
                    .into_iter()
                    .map(|h| InlayHint {
                        position: position(&index, text, h.offset, state.utf8),
                        label: InlayHintLabel::String(format!("join {}", h.label)),
                        kind: None,
                        text_edits: None,
                        tooltip: Some(InlayHintTooltip::String(h.tooltip)),
                        padding_left: Some(true),
                        padding_right: None,
                        data: None,
                    })
                    .collect(),
            )
        })
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let at = params.text_document_position;
        let state = self.lock();
        let Some(file) = Backend::file(&state, &at.text_document.uri) else {
            return Ok(None);
        };
        let text = file.text(&state.db);
        let index = LineIndex::new(text);
        let at_offset = offset(&index, text, at.position, state.utf8);
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            ide::rename(&state.db, file, at_offset, &params.new_name)
        }));
        match result {
            Err(_) => Err(Error::internal_error()),
            Ok(Err(reason)) => Err(Error::invalid_params(reason)),
            Ok(Ok(edits)) => {
                let edits = edits
                    .into_iter()
                    .map(|(span, name)| TextEdit::new(range(&index, text, span, state.utf8), name))
                    .collect();
                Ok(Some(WorkspaceEdit {
                    changes: Some(std::iter::once((at.text_document.uri.clone(), edits)).collect()),
                    ..WorkspaceEdit::default()
                }))
            }
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        self.guarded("hover", |state| {
            let file = Backend::file(state, &at.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let (markdown, span) = ide::hover(
                &state.db,
                file,
                offset(&index, text, at.position, state.utf8),
            )?;
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: markdown,
                }),
                range: Some(range(&index, text, span, state.utf8)),
            })
        })
    }
}
