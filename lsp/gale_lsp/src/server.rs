//! The LSP server (tower-lsp-server): the only module that knows LSP types.
//!
//! Document changes are applied by a single writer: every notification takes the
//! state lock synchronously before its first `await`, and full-text sync with
//! version checks drops a change older than the text already held; the memory of the
//! texts an edit replaced is freed after its diagnostics are published. Requests are
//! answered from the same salsa database as `gale check`. A panic inside a handler is
//! caught, logged and turned into an error response; the server keeps serving.
//!
//! Multi-file: the open documents and the Mistral-looking YAML files of the workspace
//! folders (read once at `initialize`, bounded scan) form `gale_db`'s [`Workspace`], so
//! sub-workflows and ad-hoc actions of other files resolve. When an edit changes what a
//! file exports, the other open documents whose diagnostics changed are re-published.

use crate::ide;
use gale_db::{Database, SourceFile, Workspace};
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
    /// The file-level values its last diagnostics were computed from, and those of
    /// the text before (see [`gale_db::retain`]). salsa frees a value replaced
    /// while checking one text when the text after it is set: holding the two
    /// latest generations, an edit drops the older one after publishing, when salsa
    /// no longer frees anything on `set_text`.
    retained: [Option<gale_db::Retained>; 2],
}

/// What an edit publishes: per document, its diagnostics and version.
type Publish = Vec<(Uri, Vec<Diagnostic>, Option<i32>)>;

/// Everything the server holds.
struct State {
    db: Database,
    documents: HashMap<Uri, Document>,
    /// Mistral files of the workspace folders that are not open (read once at start).
    folder_files: HashMap<Uri, SourceFile>,
    /// Every file sub-workflows and ad-hoc actions resolve across.
    workspace: Workspace,
    /// The diagnostics last published per open document, and the Gale diagnostics
    /// they were converted from (an unchanged list needs no conversion to compare).
    published: HashMap<Uri, (Vec<GaleDiagnostic>, Vec<Diagnostic>)>,
    utf8: bool,
}

impl State {
    fn new() -> State {
        let db = Database::new();
        // Created before any query runs, so every query sees (and tracks) it.
        let workspace = Workspace::new(&db, Vec::new());
        State {
            db,
            documents: HashMap::new(),
            folder_files: HashMap::new(),
            workspace,
            published: HashMap::new(),
            utf8: false,
        }
    }

    /// Sets the workspace's file list from the open documents and folder files.
    fn sync_workspace(&mut self) {
        use salsa::Setter;
        let mut files: Vec<SourceFile> = self.documents.values().map(|d| d.file).collect();
        files.extend(
            self.folder_files
                .iter()
                .filter(|(uri, _)| !self.documents.contains_key(*uri))
                .map(|(_, f)| *f),
        );
        files.sort_by_key(salsa::plumbing::AsId::as_id);
        if self.workspace.files(&self.db) != &files {
            self.workspace.set_files(&mut self.db).to(files);
        }
    }
}

/// Limits of the workspace-folder scan.
const MAX_FOLDER_FILES: usize = 2000;
const MAX_FILE_BYTES: u64 = 1 << 20;
const MAX_DEPTH: usize = 8;

/// The Mistral-looking YAML files under `dir` (skips hidden folders, `target`,
/// `node_modules`; bounded in depth, count and size).
fn scan_folder(dir: &std::path::Path, depth: usize, out: &mut Vec<(std::path::PathBuf, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if out.len() >= MAX_FOLDER_FILES {
            return;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if depth < MAX_DEPTH
                && !name.starts_with('.')
                && name != "target"
                && name != "node_modules"
            {
                scan_folder(&path, depth + 1, out);
            }
        } else if kind.is_file()
            && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".mistral"))
            && entry.metadata().is_ok_and(|m| m.len() <= MAX_FILE_BYTES)
            && let Ok(text) = std::fs::read_to_string(&path)
            && text.contains("version")
            && (text.contains("tasks") || text.contains("base"))
        {
            out.push((path, text));
        }
    }
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
            state: Mutex::new(State::new()),
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
    /// diagnostics to publish: for this document, and for other open documents whose
    /// diagnostics changed because this one now defines different sub-workflows or
    /// actions. Also returns the file-level values of the text before the previous one,
    /// which salsa freed its part of in this edit's `set_text`: drop them once published.
    fn update(&self, uri: Uri, text: String, version: i32) -> (Publish, Option<gale_db::Retained>) {
        let mut state = self.lock();
        let mut replaced = None;
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            let state = &mut *state;
            let file = match state.documents.get_mut(&uri) {
                Some(doc) if doc.version > version => return Vec::new(),
                Some(doc) => {
                    use salsa::Setter;
                    doc.version = version;
                    replaced = doc.retained[0].take();
                    let file = doc.file;
                    if file.text(&state.db) != &text {
                        file.set_text(&mut state.db).to(text);
                    }
                    file
                }
                None => {
                    let file = match state.folder_files.get(&uri) {
                        Some(file) => {
                            use salsa::Setter;
                            let file = *file;
                            if file.text(&state.db) != &text {
                                file.set_text(&mut state.db).to(text);
                            }
                            file
                        }
                        None => state.db.add_file(uri.as_str().to_string(), text),
                    };
                    state.documents.insert(
                        uri.clone(),
                        Document {
                            file,
                            version,
                            retained: [None, None],
                        },
                    );
                    state.sync_workspace();
                    file
                }
            };
            let mut out = Vec::new();
            let checked = gale_db::diagnostics(&state.db, file);
            let diagnostics = to_lsp_diagnostics(&state.db, file, checked, state.utf8, &uri);
            state
                .published
                .insert(uri.clone(), (checked.clone(), diagnostics.clone()));
            out.push((uri.clone(), diagnostics, Some(version)));
            // Current since `diagnostics` just read them: no query runs here.
            if let Some(doc) = state.documents.get_mut(&uri) {
                doc.retained[0] = doc.retained[1].take();
                doc.retained[1] = Some(gale_db::retain(&state.db, file));
            }
            // Other open documents: republish only what changed (cheap: their
            // queries are reused unless this file's exports changed).
            let others: Vec<(Uri, SourceFile, i32)> = state
                .documents
                .iter()
                .filter(|(u, _)| **u != uri)
                .map(|(u, d)| (u.clone(), d.file, d.version))
                .collect();
            for (other, file, version) in others {
                // Their texts did not change: equal Gale diagnostics convert to what
                // was published.
                let checked = gale_db::diagnostics(&state.db, file);
                if state
                    .published
                    .get(&other)
                    .is_some_and(|(before, _)| before == checked)
                {
                    continue;
                }
                let diagnostics = to_lsp_diagnostics(&state.db, file, checked, state.utf8, &other);
                if state.published.get(&other).map(|(_, lsp)| lsp) != Some(&diagnostics) {
                    state
                        .published
                        .insert(other.clone(), (checked.clone(), diagnostics.clone()));
                    out.push((other, diagnostics, Some(version)));
                } else if let Some(entry) = state.published.get_mut(&other) {
                    entry.0 = checked.clone();
                }
            }
            out
        }));
        let publish = result.unwrap_or_else(|_| {
            eprintln!(
                "gale lsp: internal error while checking a document (please report this bug)"
            );
            Vec::new()
        });
        (publish, replaced)
    }

    /// Publishes `publish`, then frees `replaced` in a task of its own, which the
    /// runtime polls after the tasks already woken (the one writing the
    /// notifications out among them).
    async fn publish(&self, publish: Publish, replaced: Option<gale_db::Retained>) {
        for (uri, diagnostics, version) in publish {
            self.client
                .publish_diagnostics(uri, diagnostics, version)
                .await;
        }
        if let Some(replaced) = replaced {
            tokio::spawn(async move { drop(replaced) });
        }
    }

    /// Reads the Mistral files of the workspace folders into the workspace.
    fn load_folders(&self, folders: Vec<Uri>) {
        let mut found = Vec::new();
        for folder in &folders {
            if let Some(path) = folder.to_file_path() {
                scan_folder(&path, 0, &mut found);
            }
        }
        let mut state = self.lock();
        let state = &mut *state;
        for (path, text) in found {
            let Some(uri) = Uri::from_file_path(&path) else {
                continue;
            };
            if state.documents.contains_key(&uri) || state.folder_files.contains_key(&uri) {
                continue;
            }
            let file = state.db.add_file(uri.as_str().to_string(), text);
            state.folder_files.insert(uri, file);
        }
        state.sync_workspace();
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

/// The LSP form of `diagnostics`, the diagnostics of `file`.
fn to_lsp_diagnostics(
    db: &Database,
    file: SourceFile,
    diagnostics: &[GaleDiagnostic],
    utf8: bool,
    uri: &Uri,
) -> Vec<Diagnostic> {
    if diagnostics.is_empty() {
        // No position to convert: no line index of the whole text.
        return Vec::new();
    }
    let text = file.text(db);
    let index = LineIndex::new(text);
    diagnostics
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

/// The LSP token types, in the order of [`ide::TokenKind::ALL`]; task names are
/// `enumMember` and the `<% %>`/`{{ }}` delimiters `macro`.
const TOKEN_TYPES: [SemanticTokenType; 10] = [
    SemanticTokenType::FUNCTION,
    SemanticTokenType::METHOD,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::KEYWORD,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::MACRO,
];

/// Semantic tokens in LSP's relative encoding (line and start deltas, length in the
/// negotiated encoding).
fn encode_tokens(
    index: &LineIndex,
    text: &str,
    tokens: &[ide::SemanticToken],
    utf8: bool,
) -> Vec<SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut line, mut col) = (0u32, 0u32);
    for t in tokens {
        let start = position(index, text, t.span.start, utf8);
        let end = position(index, text, t.span.end, utf8);
        if end.line != start.line || end.character <= start.character {
            continue;
        }
        // Tokens come sorted and disjoint, so the deltas never go negative.
        let delta_line = start.line.saturating_sub(line);
        let delta_start = if delta_line == 0 {
            start.character.saturating_sub(col)
        } else {
            start.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length: end.character - start.character,
            token_type: t.kind.index(),
            token_modifiers_bitset: 0,
        });
        line = start.line;
        col = start.character;
    }
    out
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
        #[allow(deprecated)]
        let folders: Vec<Uri> = match params.workspace_folders {
            Some(folders) if !folders.is_empty() => folders.into_iter().map(|f| f.uri).collect(),
            _ => params.root_uri.into_iter().collect(),
        };
        self.load_folders(folders);
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
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: TOKEN_TYPES.to_vec(),
                                token_modifiers: Vec::new(),
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            ..SemanticTokensOptions::default()
                        },
                    ),
                ),
                signature_help_provider: Some(SignatureHelpOptions {
                    trigger_characters: Some(vec!["(".into(), ",".into()]),
                    retrigger_characters: Some(vec![" ".into(), ":".into(), "=".into()]),
                    ..SignatureHelpOptions::default()
                }),
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
        let (publish, replaced) = self.update(doc.uri, doc.text, doc.version);
        self.publish(publish, replaced).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        // Full sync: the last change holds the whole text.
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        let doc = params.text_document;
        let (publish, replaced) = self.update(doc.uri, change.text, doc.version);
        self.publish(publish, replaced).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        {
            let mut state = self.lock();
            state.documents.remove(&uri);
            state.published.remove(&uri);
            state.sync_workspace();
        }
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
            let at_offset = offset(&index, text, at.position, state.utf8);
            if let Some(span) = ide::definition(&state.db, file, at_offset) {
                return Some(GotoDefinitionResponse::Scalar(Location::new(
                    at.text_document.uri.clone(),
                    range(&index, text, span, state.utf8),
                )));
            }
            // A sub-workflow or ad-hoc action, possibly in another workspace file
            // (whose path is its URI).
            let (target, span) = ide::callee_definition(&state.db, file, at_offset)?;
            let target_text = target.text(&state.db);
            let target_index = LineIndex::new(target_text);
            let uri: Uri = target.path(&state.db).parse().ok()?;
            Some(GotoDefinitionResponse::Scalar(Location::new(
                uri,
                range(&target_index, target_text, span, state.utf8),
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

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.guarded("semanticTokens/full", |state| {
            let file = Backend::file(state, &params.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let tokens = ide::semantic_tokens(&state.db, file);
            Some(SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: encode_tokens(&index, text, &tokens, state.utf8),
            }))
        })
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let at = params.text_document_position_params;
        self.guarded("signatureHelp", |state| {
            let file = Backend::file(state, &at.text_document.uri)?;
            let text = file.text(&state.db);
            let index = LineIndex::new(text);
            let help = ide::signature_help(
                &state.db,
                file,
                offset(&index, text, at.position, state.utf8),
            )?;
            Some(SignatureHelp {
                signatures: help
                    .signatures
                    .into_iter()
                    .map(|s| SignatureInformation {
                        label: s.label,
                        documentation: Some(Documentation::String(s.documentation)),
                        parameters: Some(
                            s.parameters
                                .into_iter()
                                .map(|p| ParameterInformation {
                                    label: ParameterLabel::Simple(p),
                                    documentation: None,
                                })
                                .collect(),
                        ),
                        active_parameter: None,
                    })
                    .collect(),
                active_signature: Some(0),
                active_parameter: help.active_parameter,
            })
        })
    }
}
