//! The server in process, over its tower `Service` (no stdio): one request per
//! feature on one workflow, each JSON reply under an insta snapshot. Notifications the
//! server sends (published diagnostics) are drained from the client socket.

use futures::StreamExt;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use tower::{Service, ServiceExt};
use tower_lsp_server::LspService;
use tower_lsp_server::jsonrpc::Request;

const URI: &str = "file:///work/wf.yaml";
const TEXT: &str = r#"version: '2.0'
wf:
  input:
    - names
  tasks:
    start:
      action: std.http url=<% $.names.first() %>
      publish:
        n: <% len(task(start).result) %>
      on-success:
        - left
        - rigth
      on-error:
        - right
    left:
      action: std.noop
      on-success: [both]
    right:
      action: std.echo
      input:
        output: "{{ _.names | join(', ') }}"
      on-success: [both]
    both:
      join: all
      action: std.noop
"#;

struct Harness {
    service: LspService<gale_lsp::server::Backend>,
    sent: Arc<Mutex<Vec<Value>>>,
    next_id: i64,
}

impl Harness {
    async fn start() -> Harness {
        let (service, mut socket) = LspService::new(gale_lsp::server::Backend::new);
        let sent = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&sent);
        tokio::spawn(async move {
            while let Some(message) = socket.next().await {
                let value = serde_json::to_value(&message).unwrap_or_default();
                sink.lock().unwrap_or_else(|e| e.into_inner()).push(value);
            }
        });
        let mut h = Harness {
            service,
            sent,
            next_id: 1,
        };
        let init = h
            .request(
                "initialize",
                json!({"capabilities": {"general": {"positionEncodings": ["utf-8"]}}}),
            )
            .await;
        insta::assert_json_snapshot!("initialize", init);
        h.notify("initialized", json!({})).await;
        h
    }

    async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let request = Request::build(method.to_string())
            .params(params)
            .id(id)
            .finish();
        let response = self
            .service
            .ready()
            .await
            .expect("service ready")
            .call(request)
            .await
            .expect("no transport error")
            .expect("a response");
        let (_, body) = response.into_parts();
        body.expect("a result, not an error")
    }

    async fn notify(&mut self, method: &str, params: Value) {
        let request = Request::build(method.to_string()).params(params).finish();
        let reply = self
            .service
            .ready()
            .await
            .expect("service ready")
            .call(request)
            .await
            .expect("no transport error");
        assert!(reply.is_none(), "notifications get no response");
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }

    /// The diagnostics of the last `publishDiagnostics` for `URI`.
    fn diagnostics(&self) -> Value {
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .rev()
            .find(|m| m["method"] == "textDocument/publishDiagnostics")
            .map(|m| m["params"].clone())
            .unwrap_or(Value::Null)
    }
}

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

#[tokio::test(flavor = "current_thread")]
async fn every_feature_in_process() {
    let mut h = Harness::start().await;
    h.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "mistral", "version": 1, "text": TEXT}}),
    )
    .await;
    insta::assert_json_snapshot!("publish_diagnostics", h.diagnostics());

    // Line 14 `    left:`; line 10 `        - left`.
    insta::assert_json_snapshot!("hover", h.request("textDocument/hover", at(14, 5)).await);
    insta::assert_json_snapshot!(
        "definition",
        h.request("textDocument/definition", at(10, 11)).await
    );
    let mut refs = at(14, 5);
    refs["context"] = json!({"includeDeclaration": true});
    insta::assert_json_snapshot!(
        "references",
        h.request("textDocument/references", refs).await
    );
    let mut rename = at(14, 5);
    rename["newName"] = json!("left_branch");
    insta::assert_json_snapshot!("rename", h.request("textDocument/rename", rename).await);
    insta::assert_json_snapshot!(
        "completion",
        h.request("textDocument/completion", at(11, 10)).await
    );
    insta::assert_json_snapshot!(
        "document_symbols",
        h.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": URI}})
        )
        .await
    );
    let typo = h.diagnostics()["diagnostics"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["code"] == "unknown-task").cloned())
        .unwrap_or_default();
    insta::assert_json_snapshot!(
        "code_actions",
        h.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": URI}, "range": typo["range"], "context": {"diagnostics": [typo]}}),
        )
        .await
    );
    insta::assert_json_snapshot!(
        "inlay_hints",
        h.request(
            "textDocument/inlayHint",
            json!({"textDocument": {"uri": URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}}),
        )
        .await
    );
    insta::assert_json_snapshot!(
        "semantic_tokens",
        h.request(
            "textDocument/semanticTokens/full",
            json!({"textDocument": {"uri": URI}})
        )
        .await
    );
    // Inside `len(` (line 8) and on the `output:` key of std.echo (line 20).
    insta::assert_json_snapshot!(
        "signature_help_function",
        h.request("textDocument/signatureHelp", at(8, 18)).await
    );
    insta::assert_json_snapshot!(
        "signature_help_action_input",
        h.request("textDocument/signatureHelp", at(20, 10)).await
    );

    // An edit: the fixed typo clears the diagnostic.
    h.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": TEXT.replace("rigth", "right")}]}),
    )
    .await;
    insta::assert_json_snapshot!("publish_diagnostics_after_edit", h.diagnostics());
}
