//! `gale lsp` as a process, driven over stdio with framed JSON-RPC: diagnostics on
//! open and change, hover, definition, references, document symbols, semantic tokens
//! (decoded, UTF-16 columns), signature help, and survival of garbage input. (The same
//! server is also driven by a real client library, `vscode-languageserver-protocol`, in
//! `editors/vscode/test/lsp.test.ts`.)

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

struct Client {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gale"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gale lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = BufReader::new(child.stdout.take().expect("stdout"));
        Client {
            child,
            stdin,
            stdout,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn read(&mut self) -> Value {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).expect("read header") > 0,
                "server closed stdout"
            );
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        self.stdout.read_exact(&mut body).expect("read body");
        serde_json::from_slice(&body).expect("json body")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.read();
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Reads messages until a `publishDiagnostics` for `version` arrives.
    fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        loop {
            let message = self.read();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["version"] == json!(version)
            {
                return message["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const URI: &str = "file:///work/wf.yaml";
const TEXT: &str = "version: '2.0'\nwf:\n  tasks:\n    first:\n      action: std.noop\n      on-success:\n        - second\n    second:\n      action: std.echo output=\"done\"\n";

fn at(line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}})
}

#[test]
fn language_server_end_to_end() {
    let mut c = Client::start();
    let init = c.request("initialize", json!({"processId": null, "rootUri": null, "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}}));
    assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-8");
    c.notify("initialized", json!({}));

    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": URI, "languageId": "yaml", "version": 1, "text": TEXT}}),
    );
    assert_eq!(
        c.diagnostics(1),
        Vec::<Value>::new(),
        "a valid workflow has no diagnostics"
    );

    let broken = TEXT.replace("on-success", "on-sucess");
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2}, "contentChanges": [{"text": broken}]}),
    );
    let diags = c.diagnostics(2);
    assert!(
        diags.iter().any(|d| d["code"] == "unknown-key"
            && d["range"]["start"] == json!({"line": 5, "character": 6})),
        "{diags:?}"
    );

    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3}, "contentChanges": [{"text": TEXT}]}),
    );
    assert!(c.diagnostics(3).is_empty());

    // `second` in `- second` (line 6) goes to the task definition (line 7).
    let def = c.request("textDocument/definition", at(6, 11));
    assert_eq!(
        def["result"]["range"]["start"],
        json!({"line": 7, "character": 4}),
        "{def}"
    );

    let refs = c.request("textDocument/references", json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": 5}, "context": {"includeDeclaration": true}}));
    assert_eq!(refs["result"].as_array().map(Vec::len), Some(2), "{refs}");

    let hover = c.request("textDocument/hover", at(3, 5));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        text.contains("**task** `first`")
            && text.contains("std.noop")
            && text.contains("→ `second`"),
        "{text}"
    );

    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(symbols["result"][0]["name"], "wf");
    assert_eq!(
        symbols["result"][0]["children"].as_array().map(Vec::len),
        Some(2)
    );

    // Garbage never stops the server.
    let garbage = "\u{0}\u{1}{{[[:::\n\t- - &*@ {{ _.x }}\n%%%";
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 4}, "contentChanges": [{"text": garbage}]}),
    );
    assert!(!c.diagnostics(4).is_empty());
    let hover = c.request("textDocument/hover", at(0, 3));
    assert!(hover.get("error").is_none(), "{hover}");

    // Rename `second` (definition line 7 and the reference on line 6).
    c.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 5}, "contentChanges": [{"text": TEXT}]}),
    );
    c.diagnostics(5);
    let edit = c.request("textDocument/rename", json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": 5}, "newName": "last"}));
    let edits = edit["result"]["changes"][URI]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edits.len(), 2, "{edit}");
    assert!(edits.iter().all(|e| e["newText"] == "last"));
    let refused = c.request("textDocument/rename", json!({"textDocument": {"uri": URI}, "position": {"line": 7, "character": 5}, "newName": "fail"}));
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("reserved"),
        "{refused}"
    );

    let shutdown = c.request("shutdown", Value::Null);
    assert!(shutdown.get("error").is_none());
    c.notify("exit", Value::Null);
}

const JOIN_URI: &str = "file:///work/join.yaml";
const JOIN: &str = "version: '2.0'\nwf:\n  tasks:\n    start:\n      action: std.noop\n      on-success:\n        - left\n      on-error:\n        - right\n    left:\n      action: std.noop\n      on-success:\n        - both\n    right:\n      action: std.noop\n      on-success:\n        - both\n    both:\n      join: all\n      action: std.noop\n";

#[test]
fn join_verdicts_completion_and_quick_fixes() {
    let mut c = Client::start();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": JOIN_URI, "languageId": "yaml", "version": 1, "text": JOIN}}));
    let diags = c.diagnostics(1);
    assert!(
        diags.iter().any(|d| d["code"] == "join-never-fires"),
        "{diags:?}"
    );

    let hints = c.request("textDocument/inlayHint", json!({"textDocument": {"uri": JOIN_URI}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 30, "character": 0}}}));
    assert_eq!(hints["result"][0]["label"], "join never fires", "{hints}");
    assert_eq!(hints["result"][0]["position"]["line"], 18);

    // Completion of task names inside a transition list (line 6: `        - left`).
    let items = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": JOIN_URI}, "position": {"line": 6, "character": 10}}),
    );
    let labels: Vec<&str> = items["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"both") && labels.contains(&"fail"),
        "{labels:?}"
    );

    // A misspelt key gets the "did you mean" fix and a suppression action.
    let typo = JOIN.replace("      join: all", "      jion: all");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": JOIN_URI, "version": 2}, "contentChanges": [{"text": typo}]}));
    let diags = c.diagnostics(2);
    let unknown = diags
        .iter()
        .find(|d| d["code"] == "unknown-key")
        .cloned()
        .unwrap_or_default();
    let actions = c.request("textDocument/codeAction", json!({"textDocument": {"uri": JOIN_URI}, "range": unknown["range"], "context": {"diagnostics": [unknown]}}));
    let titles: Vec<&str> = actions["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert!(titles.iter().any(|t| t.contains("join")), "{titles:?}");
    assert!(
        titles.iter().any(|t| t.contains("gale: ignore")),
        "{titles:?}"
    );
}

const EXPR_URI: &str = "file:///work/expr.yaml";
// `é` before the expression: one UTF-16 unit but two UTF-8 bytes, so columns differ
// between the encodings.
const EXPR: &str = "version: '2.0'\nwf:\n  tasks:\n    first:\n      action: std.http\n      input:\n        url: \"é<% $.host %>\"\n      publish:\n        n: <% len(task(first).result) %>\n";

#[test]
fn semantic_tokens_and_signature_help() {
    let mut c = Client::start();
    // No `positionEncodings`: UTF-16, LSP's default.
    let init = c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let caps = &init["result"]["capabilities"];
    let legend: Vec<&str> = caps["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(legend.first(), Some(&"function"), "{caps}");
    assert!(caps["signatureHelpProvider"]["triggerCharacters"].is_array());
    c.notify("initialized", json!({}));
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": EXPR_URI, "languageId": "mistral", "version": 1, "text": EXPR}}));
    let _ = c.diagnostics(1);

    let tokens = c.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": EXPR_URI}}),
    );
    let data: Vec<u64> = tokens["result"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    assert_eq!(data.len() % 5, 0, "{tokens}");
    // Decode to (line, column, length, type name).
    let mut decoded = Vec::new();
    let (mut line, mut col) = (0, 0);
    for t in data.chunks(5) {
        if t[0] > 0 {
            col = 0;
        }
        line += t[0];
        col += t[1];
        decoded.push((line, col, t[2], legend[t[3] as usize]));
    }
    // Line 6: `        url: "é<% $.host %>"`: `<%` at UTF-16 column 15 (16 in UTF-8).
    assert!(decoded.contains(&(6, 15, 2, "macro")), "{decoded:?}");
    assert!(decoded.contains(&(6, 18, 1, "variable")), "{decoded:?}");
    assert!(decoded.contains(&(6, 20, 4, "property")), "{decoded:?}");
    // Line 8: `        n: <% len(task(first).result) %>`.
    assert!(decoded.contains(&(8, 14, 3, "function")), "{decoded:?}");
    assert!(decoded.contains(&(8, 23, 5, "enumMember")), "{decoded:?}");

    // Inside `len(` on line 8.
    let help = c.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": EXPR_URI}, "position": {"line": 8, "character": 18}}),
    );
    let labels: Vec<&str> = help["result"]["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["label"].as_str())
        .collect();
    assert!(labels.contains(&"len(string: str)"), "{help}");
    // On the `url:` key of the std.http input.
    let help = c.request(
        "textDocument/signatureHelp",
        json!({"textDocument": {"uri": EXPR_URI}, "position": {"line": 6, "character": 9}}),
    );
    assert!(
        help["result"]["signatures"][0]["label"]
            .as_str()
            .unwrap_or_default()
            .starts_with("std.http(url"),
        "{help}"
    );
    assert_eq!(help["result"]["activeParameter"], 0, "{help}");
}

#[test]
fn sub_workflows_resolve_across_open_files_and_the_workspace_folder() {
    // The folder holds `lib.yaml` (never opened); `main.yaml` calls its workflow.
    let folder = std::env::temp_dir().join(format!("gale-lsp-ws-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("temp folder");
    let lib = "version: '2.0'\nname: lib\nworkflows:\n  sub:\n    input:\n      - host\n    tasks:\n      t:\n        action: std.noop\n";
    std::fs::write(folder.join("lib.yaml"), lib).expect("write lib.yaml");
    let folder_uri = format!("file://{}", folder.display());
    let main_uri = format!("{folder_uri}/main.yaml");
    let main = "version: '2.0'\nmain:\n  tasks:\n    call:\n      workflow: lib.sub\n";

    let mut c = Client::start();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": folder_uri, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": main_uri, "languageId": "mistral", "version": 1, "text": main}}));
    let codes: Vec<Value> = c.diagnostics(1).iter().map(|d| d["code"].clone()).collect();
    assert_eq!(
        codes,
        [json!("missing-workflow-input")],
        "lib.sub needs `host`"
    );

    // Go to definition of `lib.sub` (line 4) lands in the unopened lib.yaml, line 3.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": main_uri}, "position": {"line": 4, "character": 18}}),
    );
    assert!(
        def["result"]["uri"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/lib.yaml"),
        "{def}"
    );
    assert_eq!(
        def["result"]["range"]["start"],
        json!({"line": 3, "character": 2})
    );

    // Open lib.yaml and give `host` a default: main.yaml is re-published, clean.
    let lib_uri = format!("{folder_uri}/lib.yaml");
    c.notify("textDocument/didOpen", json!({"textDocument": {"uri": lib_uri, "languageId": "mistral", "version": 1, "text": lib}}));
    let _ = c.diagnostics(1);
    let fixed = lib.replace("- host", "- host: localhost");
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": lib_uri, "version": 2}, "contentChanges": [{"text": fixed}]}));
    // Diagnostics for lib (version 2) first, then main (still version 1).
    let _ = c.diagnostics(2);
    let republished = c.diagnostics(1);
    assert!(republished.is_empty(), "{republished:?}");
    let _ = std::fs::remove_dir_all(&folder);
}
