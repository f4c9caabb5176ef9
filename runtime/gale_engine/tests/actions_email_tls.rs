//! `std.email` with `smtp_password`: STARTTLS, then AUTH, against an in-test SMTP
//! server on 127.0.0.1 that upgrades the connection with rustls (throw-away
//! self-signed certificate for `localhost` / 127.0.0.1, valid until 2126).
#![cfg(feature = "https")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gale_engine::actions::email::EmailConfig;
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

/// What the server saw after the TLS upgrade.
#[derive(Clone, Debug, Default)]
struct Session {
    plain: Vec<String>,
    tls: Vec<String>,
    data: String,
}

/// Reads one CRLF line byte by byte (no read-ahead, so the TLS upgrade is clean).
fn read_line(s: &mut impl Read) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if s.read(&mut byte)? == 0 {
            return Ok(None);
        }
        line.push(byte[0]);
        if line.ends_with(b"\r\n") {
            line.truncate(line.len() - 2);
            return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

fn serve(mut tcp: TcpStream, session: &mut Session) -> std::io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(5)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(5)))?;
    tcp.write_all(b"220 tls.test ESMTP\r\n")?;
    // Plain phase: EHLO, STARTTLS.
    loop {
        let Some(line) = read_line(&mut tcp)? else {
            return Ok(());
        };
        session.plain.push(line.clone());
        if line.starts_with("ehlo") {
            tcp.write_all(b"250-tls.test\r\n250-STARTTLS\r\n250 SIZE 100000\r\n")?;
        } else if line == "starttls" {
            tcp.write_all(b"220 2.0.0 Ready to start TLS\r\n")?;
            break;
        } else {
            tcp.write_all(b"530 5.7.0 Must issue a STARTTLS command first\r\n")?;
        }
    }
    let cert = CertificateDer::from_pem_slice(CERT.as_bytes()).map_err(std::io::Error::other)?;
    let key = PrivateKeyDer::from_pem_slice(KEY.as_bytes()).map_err(std::io::Error::other)?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(std::io::Error::other)?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .map_err(std::io::Error::other)?;
    let conn = rustls::ServerConnection::new(Arc::new(config)).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    loop {
        let Some(line) = read_line(&mut tls)? else {
            return Ok(());
        };
        session.tls.push(line.clone());
        let reply: &[u8] = if line.starts_with("ehlo") {
            b"250-tls.test\r\n250-AUTH LOGIN PLAIN\r\n250 SIZE 100000\r\n"
        } else if line.starts_with("AUTH PLAIN ") {
            // base64("\0gale@example.com\0s3cret")
            if line == "AUTH PLAIN AGdhbGVAZXhhbXBsZS5jb20AczNjcmV0" {
                b"235 2.7.0 Authentication successful\r\n"
            } else {
                b"535 5.7.8 Authentication credentials invalid\r\n"
            }
        } else if line == "data" {
            tls.write_all(b"354 go ahead\r\n")?;
            while let Some(l) = read_line(&mut tls)? {
                if l == "." {
                    break;
                }
                session.data.push_str(&l);
                session.data.push('\n');
            }
            b"250 2.0.0 queued\r\n"
        } else if line == "quit" {
            tls.write_all(b"221 bye\r\n")?;
            let _ = tls.flush();
            return Ok(());
        } else {
            b"250 ok\r\n"
        };
        tls.write_all(reply)?;
        tls.flush()?;
    }
}

fn start() -> (String, Arc<Mutex<Vec<Session>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("local_addr: {e}"));
    let sessions = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&sessions);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut session = Session::default();
                let _ = serve(stream, &mut session);
                if let Ok(mut l) = log.lock() {
                    l.push(session);
                }
            });
        }
    });
    (addr.to_string(), sessions)
}

fn run(email: EmailConfig, server: &str, password: &str) -> ActionOutcome {
    let registry = std_registry(&StdActionsConfig {
        email,
        ..StdActionsConfig::default()
    });
    let Some(action) = registry.get("std.email") else {
        panic!("std.email is not registered")
    };
    action.run(&ActionRequest {
        action: "std.email".into(),
        input: json!({
            "from_addr": "gale@example.com",
            "to_addrs": ["ops@example.com"],
            "smtp_server": server,
            "smtp_password": password,
            "subject": "over TLS",
            "body": "secret body",
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
        execution_id: "wf".into(),
        task_name: "mail".into(),
        action_execution_id: "ae".into(),
        timeout: Some(Duration::from_secs(5)),
        item_index: None,
        cancel: CancelFlag::new(),
    })
}

fn last(sessions: &Mutex<Vec<Session>>) -> Session {
    for _ in 0..200 {
        if let Some(s) = sessions.lock().ok().and_then(|l| l.last().cloned()) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no SMTP session recorded")
}

#[test]
fn starttls_then_auth_then_send() {
    let (server, sessions) = start();
    let outcome = run(EmailConfig::default(), &server, "s3cret");
    assert_eq!(outcome, ActionOutcome::Success(Json::Null));
    let s = last(&sessions);
    assert_eq!(s.plain, ["ehlo localhost", "starttls"]);
    assert_eq!(
        s.tls
            .iter()
            .map(|l| l.split(' ').next().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["ehlo", "AUTH", "mail", "rcpt", "data", "quit"]
    );
    assert!(
        s.data.contains("Subject: =?utf-8?q?over_TLS?=\n"),
        "{}",
        s.data
    );
    assert!(s.data.contains("c2VjcmV0IGJvZHk=\n"), "{}", s.data);
}

#[test]
fn wrong_password_and_verified_tls_fail() {
    let (server, _) = start();
    let bad = run(EmailConfig::default(), &server, "wrong");
    let ActionOutcome::Error(Json::String(msg)) = &bad else {
        panic!("expected an error, got {bad:?}")
    };
    assert!(
        msg.ends_with(
            "msg='Failed to send an email message: (535, b'5.7.8 Authentication credentials invalid')']"
        ),
        "{msg}"
    );
    // With verification on, the self-signed certificate is refused.
    let verified = run(
        EmailConfig {
            verify_tls: true,
            ..EmailConfig::default()
        },
        &server,
        "s3cret",
    );
    let ActionOutcome::Error(Json::String(msg)) = &verified else {
        panic!("expected an error, got {verified:?}")
    };
    assert!(msg.contains("Failed to send an email message: "), "{msg}");
}
