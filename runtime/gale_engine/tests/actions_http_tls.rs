//! `std.http` over https against an in-test TLS server on 127.0.0.1 (rustls, the
//! throw-away self-signed certificate for 127.0.0.1 also used by
//! `actions_email_tls.rs`): `verify` true (default roots: refused), false, and a CA
//! bundle path.
#![cfg(feature = "https")]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use gale_engine::actions::egress::EgressPolicy;
use gale_engine::actions::http::HttpConfig;
use gale_engine::actions::{
    ActionOutcome, ActionRequest, CancelFlag, StdActionsConfig, std_registry,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{Value as Json, json};

const CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBwDCCAWWgAwIBAgIUIKKRT2GDQprZCar7PTfiFb/tkU4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODEwMzQyOVoYDzIxMjYxMTA0
MTAzNDI5WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAATsJ/U8iCij9O4eiT0FLcIuWqROW6MeWIFokL9VCjYCi+P8L4td6PJ8
q4VvchqKMRrYmNROZPtzj1M9/3FYnLi4o4GSMIGPMB0GA1UdDgQWBBQU3P2txMQv
HG7T4UMqqdJaCIzE6jAfBgNVHSMEGDAWgBQU3P2txMQvHG7T4UMqqdJaCIzE6jAa
BgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwDAYDVR0TAQH/BAIwADAOBgNVHQ8B
Af8EBAMCB4AwEwYDVR0lBAwwCgYIKwYBBQUHAwEwCgYIKoZIzj0EAwIDSQAwRgIh
AOc2d2wRC8lFKa7L04I4lMutKFU3BKaBlzquQxTXoKGKAiEA2bcIERIaRJ3+LJDk
zB5Zi3I3C7vUiOQvpyci0dOZxG8=
-----END CERTIFICATE-----
";

const KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsJRo9HUrLSiPzYhR
oLFIk0r1TOiJBO5lxOTrgGYM/i2hRANCAATsJ/U8iCij9O4eiT0FLcIuWqROW6Me
WIFokL9VCjYCi+P8L4td6PJ8q4VvchqKMRrYmNROZPtzj1M9/3FYnLi4
-----END PRIVATE KEY-----
";

/// An https server answering every request with `{"secure": true}`.
fn start() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let cert = CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .and_then(|b| b.with_no_client_auth().with_single_cert(vec![cert], key))
    .unwrap_or_else(|e| panic!("{e}"));
    let config = Arc::new(config);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let _ = tcp.set_write_timeout(Some(Duration::from_secs(5)));
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = br#"{"secure": true}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes());
                let _ = tls.write_all(body);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    format!("https://{addr}/")
}

fn run(input: Json) -> ActionOutcome {
    let registry = std_registry(&StdActionsConfig {
        http: HttpConfig {
            egress: EgressPolicy::allow_all(),
            ..HttpConfig::default()
        },
        ..StdActionsConfig::default()
    });
    let Some(action) = registry.get("std.http") else {
        panic!("std.http is not registered")
    };
    action.run(&ActionRequest {
        action: "std.http".into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf".into(),
        task_name: "t".into(),
        action_execution_id: "ae".into(),
        timeout: Some(Duration::from_secs(5)),
        item_index: None,
        cancel: CancelFlag::new(),
    })
}

#[test]
fn verify_modes() {
    let url = start();
    let refused = run(json!({"url": url}));
    let ActionOutcome::Error(Json::String(msg)) = &refused else {
        panic!("a self-signed certificate must be refused by default: {refused:?}")
    };
    assert!(msg.contains("msg='Failed to send HTTP request: "), "{msg}");

    let insecure = run(json!({"url": url, "verify": false}));
    let ActionOutcome::Success(result) = &insecure else {
        panic!("verify=false must connect: {insecure:?}")
    };
    assert_eq!(result["content"], json!({"secure": true}));

    let dir = std::env::temp_dir().join(format!("gale-https-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let bundle = dir.join("ca.pem");
    let _ = std::fs::write(&bundle, CERT);
    let pinned = run(json!({"url": url, "verify": bundle.to_string_lossy()}));
    let _ = std::fs::remove_dir_all(&dir);
    let ActionOutcome::Success(result) = &pinned else {
        panic!("the CA bundle must be trusted: {pinned:?}")
    };
    assert_eq!(result["status"], json!(200));

    let missing = run(json!({"url": url, "verify": "/nonexistent/ca.pem"}));
    let ActionOutcome::Error(Json::String(msg)) = &missing else {
        panic!("expected an error: {missing:?}")
    };
    assert!(
        msg.ends_with(
            "msg='Failed to send HTTP request: Could not find a suitable TLS CA certificate bundle, invalid path: /nonexistent/ca.pem']"
        ),
        "{msg}"
    );
}
