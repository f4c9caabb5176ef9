//! `std.http` / `std.mistral_http` against a real HTTP/1.1 server on 127.0.0.1,
//! started inside the test (a `TcpListener` thread; every socket has a timeout).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gale_engine::actions::egress::EgressPolicy;
use gale_engine::actions::http::HttpConfig;
use gale_engine::actions::{
    ActionOutcome, ActionRegistry, ActionRequest, CancelFlag, StdActionsConfig, std_registry,
};
use serde_json::{Value as Json, json};

/// One request as the server received it.
#[derive(Clone, Debug, Default)]
struct Received {
    method: String,
    target: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// A tiny HTTP server; returns its base URL and the log of received requests.
fn start_server() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let log = Arc::new(Mutex::new(Vec::new()));
    let server_log = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = Arc::clone(&server_log);
            std::thread::spawn(move || {
                let _ = handle(stream, &log);
            });
        }
    });
    (format!("http://{addr}"), log)
}

fn handle(stream: TcpStream, log: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let received = Received {
        method,
        target: target.clone(),
        headers,
        body,
    };
    if let Ok(mut log) = log.lock() {
        log.push(received.clone());
    }
    let path = target.split('?').next().unwrap_or_default();
    let (status, extra, content): (&str, Vec<String>, Vec<u8>) = match path {
        "/json" => (
            "200 OK",
            vec!["Content-Type: application/json".into()],
            br#"{"a": 1, "b": [true, null]}"#.to_vec(),
        ),
        "/text" => (
            "200 OK",
            vec![
                "Content-Type: text/plain".into(),
                "Set-Cookie: sid=abc; Path=/".into(),
            ],
            b"caf\xe9".to_vec(),
        ),
        "/notfound" => (
            "404 Not Found",
            vec!["Content-Type: application/json".into()],
            br#"{"error": "no such thing"}"#.to_vec(),
        ),
        "/redirect" => ("302 Found", vec!["Location: /json".into()], Vec::new()),
        "/huge" => (
            "200 OK",
            vec!["Content-Length: 99999999".into()],
            Vec::new(),
        ),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            ("200 OK", Vec::new(), b"late".to_vec())
        }
        _ => {
            let echo = json!({
                "method": received.method,
                "target": received.target,
                "body": String::from_utf8_lossy(&received.body),
            });
            (
                "200 OK",
                vec!["Content-Type: application/json".into()],
                echo.to_string().into_bytes(),
            )
        }
    };
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    if !extra.iter().any(|h| h.starts_with("Content-Length")) {
        out.push_str(&format!("Content-Length: {}\r\n", content.len()));
    }
    for h in extra {
        out.push_str(&h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut stream = stream;
    stream.write_all(out.as_bytes())?;
    stream.write_all(&content)?;
    stream.flush()
}

fn registry() -> ActionRegistry {
    std_registry(&StdActionsConfig {
        http: HttpConfig {
            egress: EgressPolicy::allow_all(),
            ..HttpConfig::default()
        },
        ..StdActionsConfig::default()
    })
}

fn request(action: &str, input: Json) -> ActionRequest {
    ActionRequest {
        action: action.into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf-ex-1".into(),
        task_name: "call".into(),
        action_execution_id: "action-ex-1".into(),
        timeout: None,
        item_index: None,
        cancel: CancelFlag::new(),
    }
}

fn run(registry: &ActionRegistry, action: &str, input: Json) -> ActionOutcome {
    let Some(a) = registry.get(action) else {
        panic!("{action} is not registered")
    };
    a.run(&request(action, input))
}

fn mapping(outcome: &ActionOutcome) -> &serde_json::Map<String, Json> {
    match outcome {
        ActionOutcome::Success(Json::Object(m)) | ActionOutcome::Error(Json::Object(m)) => m,
        other => panic!("expected a result mapping, got {other:?}"),
    }
}

fn error_text(outcome: &ActionOutcome) -> &str {
    match outcome {
        ActionOutcome::Error(Json::String(s)) => s,
        other => panic!("expected an error message, got {other:?}"),
    }
}

#[test]
fn get_json_result_shape() {
    let (base, _) = start_server();
    let outcome = run(
        &registry(),
        "std.http",
        json!({"url": format!("{base}/json")}),
    );
    assert!(matches!(outcome, ActionOutcome::Success(_)), "{outcome:?}");
    let m = mapping(&outcome);
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    assert_eq!(keys, gale_engine::std_actions::HTTP_RESULT_KEYS);
    assert_eq!(m["content"], json!({"a": 1, "b": [true, null]}));
    assert_eq!(m["status"], json!(200));
    assert_eq!(m["reason"], json!("OK"));
    assert_eq!(m["encoding"], json!("utf-8"));
    assert_eq!(m["url"], json!(format!("{base}/json")));
    assert_eq!(m["history"], json!([]));
    assert_eq!(m["headers"]["Content-Type"], json!("application/json"));
    assert!(m["elapsed"].as_f64().is_some_and(|e| e >= 0.0));
}

#[test]
fn text_latin1_and_cookies() {
    let (base, _) = start_server();
    let outcome = run(
        &registry(),
        "std.http",
        json!({"url": format!("{base}/text")}),
    );
    let m = mapping(&outcome);
    assert_eq!(m["content"], json!("café"));
    assert_eq!(m["encoding"], json!("ISO-8859-1"));
    assert_eq!(m["cookies"], json!({"sid": "abc"}));
}

#[test]
fn post_json_auth_headers_params() {
    let (base, log) = start_server();
    let outcome = run(
        &registry(),
        "std.http",
        json!({
            "url": format!("{base}/echo"),
            "method": "post",
            "params": {"q": "a b", "n": 2, "skip": null, "l": [1, 2]},
            "json": {"name": "é", "n": [1, 2.5]},
            "headers": {"X-Count": 3},
            "auth": "user:secret",
            "cookies": {"k": "v"},
        }),
    );
    let m = mapping(&outcome);
    assert_eq!(m["status"], json!(200));
    let got = log
        .lock()
        .map(|l| l.last().cloned().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(got.method, "POST");
    assert_eq!(got.target, "/echo?q=a+b&n=2&l=1&l=2");
    assert_eq!(
        String::from_utf8_lossy(&got.body),
        r#"{"name": "\u00e9", "n": [1, 2.5]}"#
    );
    assert_eq!(got.headers["content-type"], "application/json");
    assert_eq!(got.headers["authorization"], "Basic dXNlcjpzZWNyZXQ=");
    assert_eq!(got.headers["x-count"], "3");
    assert_eq!(got.headers["cookie"], "k=v");
}

#[test]
fn mapping_body_is_json_text_without_content_type() {
    let (base, log) = start_server();
    let outcome = run(
        &registry(),
        "std.http",
        json!({"url": format!("{base}/echo"), "method": "PUT", "body": {"a": 1}}),
    );
    assert_eq!(mapping(&outcome)["content"]["body"], json!(r#"{"a": 1}"#));
    let got = log
        .lock()
        .map(|l| l.last().cloned().unwrap_or_default())
        .unwrap_or_default();
    assert!(
        !got.headers.contains_key("content-type"),
        "{:?}",
        got.headers
    );
}

#[test]
fn error_status_is_error_with_same_mapping() {
    let (base, _) = start_server();
    let outcome = run(
        &registry(),
        "std.http",
        json!({"url": format!("{base}/notfound")}),
    );
    assert!(matches!(outcome, ActionOutcome::Error(_)), "{outcome:?}");
    let m = mapping(&outcome);
    assert_eq!(m["status"], json!(404));
    assert_eq!(m["reason"], json!("Not Found"));
    assert_eq!(m["content"], json!({"error": "no such thing"}));
}

#[test]
fn redirects_only_when_allowed() {
    let (base, _) = start_server();
    let r = registry();
    let not_followed = run(&r, "std.http", json!({"url": format!("{base}/redirect")}));
    assert_eq!(mapping(&not_followed)["status"], json!(302));
    assert!(
        matches!(not_followed, ActionOutcome::Success(_)),
        "302 is in 200…306"
    );
    let followed = run(
        &r,
        "std.http",
        json!({"url": format!("{base}/redirect"), "allow_redirects": true}),
    );
    let m = mapping(&followed);
    assert_eq!(m["status"], json!(200));
    assert_eq!(m["url"], json!(format!("{base}/json")));
    assert_eq!(m["history"], json!([format!("{base}/redirect")]));
}

#[test]
fn size_limit_timeout_and_transport_errors() {
    let (base, _) = start_server();
    let r = registry();
    let huge = run(&r, "std.http", json!({"url": format!("{base}/huge")}));
    assert!(
        error_text(&huge).ends_with(
            "msg='HTTP response is too large (Content-Length=99999999, limit=5242880 bytes).']"
        ),
        "{huge:?}"
    );
    let start = Instant::now();
    let slow = run(
        &r,
        "std.http",
        json!({"url": format!("{base}/slow"), "timeout": 0.3}),
    );
    assert!(
        error_text(&slow).contains("msg='Failed to send HTTP request: "),
        "{slow:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let refused = run(
        &r,
        "std.http",
        json!({"url": format!("http://127.0.0.1:{closed}/")}),
    );
    assert!(
        error_text(&refused).starts_with(
            "The action raised an exception [action=<mistral.actions.std_actions.HTTPAction object at 0x"
        ),
        "{refused:?}"
    );
}

#[test]
fn cancel_returns_promptly() {
    let (base, _) = start_server();
    let r = registry();
    let Some(action) = r.get("std.http") else {
        panic!("std.http missing")
    };
    let req = request("std.http", json!({"url": format!("{base}/slow")}));
    let cancel = req.cancel.clone();
    let start = Instant::now();
    let worker = std::thread::spawn(move || action.run(&req));
    std::thread::sleep(Duration::from_millis(100));
    cancel.cancel();
    let outcome = worker.join().unwrap_or(ActionOutcome::Pending);
    assert!(matches!(outcome, ActionOutcome::Error(_)));
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn constructor_errors() {
    let r = registry();
    let both = run(
        &r,
        "std.http",
        json!({"url": "http://127.0.0.1/", "body": "x", "json": {"a": 1}}),
    );
    assert_eq!(
        error_text(&both),
        "Failed to instantiate an action [action_desc=Python action [name=std.http, cls=<class 'mistral.actions.std_actions.HTTPAction'>]]"
    );
}

#[test]
fn default_egress_policy_blocks_loopback() {
    let (base, log) = start_server();
    let r = std_registry(&StdActionsConfig::default());
    let outcome = run(&r, "std.http", json!({"url": format!("{base}/json")}));
    assert!(
        error_text(&outcome)
            .ends_with("msg='URL host '127.0.0.1' resolves to a blocked address (127.0.0.1).']"),
        "{outcome:?}"
    );
    let scheme = run(&r, "std.http", json!({"url": "file:///etc/passwd"}));
    assert!(
        error_text(&scheme)
            .ends_with("msg='URL scheme 'file' is not allowed (only http and https are).']")
    );
    assert!(
        log.lock().map(|l| l.is_empty()).unwrap_or(false),
        "nothing was sent"
    );
}

#[test]
fn mistral_http_sends_headers_and_stays_pending() {
    let (base, log) = start_server();
    let r = registry();
    let ok = run(
        &r,
        "std.mistral_http",
        json!({"url": format!("{base}/echo")}),
    );
    assert_eq!(ok, ActionOutcome::Pending);
    let got = log
        .lock()
        .map(|l| l.last().cloned().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(got.headers["mistral-workflow-execution-id"], "wf-ex-1");
    assert_eq!(got.headers["mistral-action-execution-id"], "action-ex-1");
    assert_eq!(
        got.headers["mistral-callback-url"],
        "/v2/action_executions/action-ex-1"
    );
    let failed = run(
        &r,
        "std.mistral_http",
        json!({"url": format!("{base}/notfound")}),
    );
    assert_eq!(mapping(&failed)["status"], json!(404));
    assert!(matches!(failed, ActionOutcome::Error(_)));
}
