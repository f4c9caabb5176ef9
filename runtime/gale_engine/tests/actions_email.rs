//! `std.email` against a minimal SMTP responder on 127.0.0.1 run inside the test;
//! it records the dialogue and the DATA (every socket has a timeout).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gale_engine::actions::{
    ActionOutcome, ActionRequest, CancelFlag, StdActionsConfig, std_registry,
};
use serde_json::{Value as Json, json};

/// What the server saw: every command line, and the DATA text (CRLF, dot-stuffed).
#[derive(Clone, Debug, Default)]
struct Session {
    commands: Vec<String>,
    data: String,
}

/// How the responder behaves.
#[derive(Clone, Copy)]
struct Behaviour {
    /// `EHLO` advertises STARTTLS / AUTH.
    starttls: bool,
    /// Reply 550 to every `RCPT`.
    refuse_rcpt: bool,
}

fn start_smtp(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<Session>>>) {
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
                let _ = serve(stream, behaviour, &mut session);
                if let Ok(mut l) = log.lock() {
                    l.push(session);
                }
            });
        }
    });
    (addr.to_string(), sessions)
}

fn serve(stream: TcpStream, b: Behaviour, session: &mut Session) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 test.local ESMTP ready\r\n")?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let line = line.trim_end().to_string();
        session.commands.push(line.clone());
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match verb.as_str() {
            "ehlo" => {
                let mut reply = String::from("250-test.local\r\n250-SIZE 1000000\r\n");
                if b.starttls {
                    reply.push_str("250-STARTTLS\r\n");
                }
                reply.push_str("250 8BITMIME\r\n");
                out.write_all(reply.as_bytes())?;
            }
            "rcpt" if b.refuse_rcpt => out.write_all(b"550 5.1.1 no such user\r\n")?,
            "data" => {
                out.write_all(b"354 go ahead\r\n")?;
                loop {
                    let mut l = String::new();
                    if reader.read_line(&mut l)? == 0 {
                        return Ok(());
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    session.data.push_str(&l);
                }
                out.write_all(b"250 2.0.0 queued\r\n")?;
            }
            "quit" => {
                out.write_all(b"221 bye\r\n")?;
                return Ok(());
            }
            "starttls" => out.write_all(b"454 4.7.0 TLS not available\r\n")?,
            _ => out.write_all(b"250 ok\r\n")?,
        }
    }
}

fn run(input: Json) -> ActionOutcome {
    let registry = std_registry(&StdActionsConfig::default());
    let Some(action) = registry.get("std.email") else {
        panic!("std.email is not registered")
    };
    action.run(&ActionRequest {
        action: "std.email".into(),
        input: input.as_object().cloned().unwrap_or_default(),
        execution_id: "wf-1".into(),
        task_name: "mail".into(),
        action_execution_id: "ae-7".into(),
        timeout: Some(Duration::from_secs(5)),
        item_index: None,
        cancel: CancelFlag::new(),
    })
}

fn last(sessions: &Mutex<Vec<Session>>) -> Session {
    // The server thread records the session when the client hangs up.
    for _ in 0..100 {
        if let Some(s) = sessions.lock().ok().and_then(|l| l.last().cloned()) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("no SMTP session recorded")
}

fn error_text(outcome: &ActionOutcome) -> &str {
    match outcome {
        ActionOutcome::Error(Json::String(s)) => s,
        other => panic!("expected an error message, got {other:?}"),
    }
}

const PLAIN: Behaviour = Behaviour {
    starttls: false,
    refuse_rcpt: false,
};

#[test]
fn sends_like_smtplib() {
    let (server, sessions) = start_smtp(PLAIN);
    let outcome = run(json!({
        "from_addr": "Gale <gale@example.com>",
        "to_addrs": ["a@example.com", "b@example.com"],
        "cc_addrs": ["c@example.com"],
        "bcc_addrs": ["d@example.com"],
        "reply_to": ["r@example.com"],
        "smtp_server": server,
        "subject": "Build wörks",
        "body": ".leading dot\nsecond line",
    }));
    assert_eq!(outcome, ActionOutcome::Success(Json::Null));
    let s = last(&sessions);
    let data = "Content-Type: text/plain; charset=\"utf-8\"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\nSubject: =?utf-8?q?Build_w=C3=B6rks?=\r\nFrom: Gale <gale@example.com>\r\nReply-To: r@example.com\r\nTo: a@example.com, b@example.com\r\ncc: c@example.com\r\n\r\nLmxlYWRpbmcgZG90CnNlY29uZCBsaW5l\r\n";
    assert_eq!(s.data, data);
    let size = data.len();
    assert_eq!(
        s.commands,
        [
            "ehlo localhost".to_string(),
            format!("mail FROM:<gale@example.com> size={size}"),
            "rcpt TO:<c@example.com>".into(),
            "rcpt TO:<d@example.com>".into(),
            "rcpt TO:<a@example.com>".into(),
            "rcpt TO:<b@example.com>".into(),
            "data".into(),
            "quit".into(),
        ]
    );
}

#[test]
fn html_body_is_multipart_alternative() {
    let (server, sessions) = start_smtp(PLAIN);
    let outcome = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": ["a@example.com"],
        "smtp_server": server,
        "html_body": "<p>hi</p>",
    }));
    assert_eq!(outcome, ActionOutcome::Success(Json::Null));
    let s = last(&sessions);
    assert!(
        s.data
            .starts_with("Content-Type: multipart/alternative; boundary=\"==============="),
        "{}",
        s.data
    );
    assert!(s.data.contains("Subject: =?utf-8?q?=3CNo_subject=3E?=\r\n"));
    assert!(
        s.data
            .contains("Content-Type: text/html; charset=\"utf-8\"")
    );
    assert!(
        s.data.contains("PE5vIGJvZHk+\r\n"),
        "plain part is '<No body>'"
    );
    assert!(s.data.contains("PHA+aGk8L3A+\r\n"));
}

#[test]
fn smtp_failures_are_wrapped() {
    let (server, _) = start_smtp(Behaviour {
        starttls: false,
        refuse_rcpt: true,
    });
    let refused = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": ["x@example.com"],
        "smtp_server": server,
    }));
    assert!(
        error_text(&refused).ends_with(
            "msg='Failed to send an email message: {'x@example.com': (550, b'5.1.1 no such user')}']"
        ),
        "{refused:?}"
    );
    let (server, _) = start_smtp(PLAIN);
    let no_tls = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": ["x@example.com"],
        "smtp_server": server,
        "smtp_password": "secret",
    }));
    assert!(
        error_text(&no_tls).ends_with(
            "msg='Failed to send an email message: STARTTLS extension not supported by server.']"
        ),
        "{no_tls:?}"
    );
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(9);
    let refused_conn = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": ["x@example.com"],
        "smtp_server": format!("127.0.0.1:{closed}"),
    }));
    assert!(
        error_text(&refused_conn)
            .ends_with("msg='Failed to send an email message: [Errno 111] Connection refused']"),
        "{refused_conn:?}"
    );
    let port = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": ["x@example.com"],
        "smtp_server": "127.0.0.1:smtp",
    }));
    assert!(error_text(&port).ends_with("msg='Failed to send an email message: nonnumeric port']"));
}

#[test]
fn string_recipients_fail_like_python() {
    // `cc + bcc + to` with a string `to_addrs`: list + str.
    let outcome = run(json!({
        "from_addr": "gale@example.com",
        "to_addrs": "x@example.com",
        "smtp_server": "127.0.0.1:1",
    }));
    assert!(
        error_text(&outcome).starts_with(
            "The action raised an exception [action=<mistral.actions.std_actions.SendEmailAction object at 0x"
        ),
        "{outcome:?}"
    );
    assert!(
        error_text(&outcome).ends_with("msg='can only concatenate list (not \"str\") to list']"),
        "{outcome:?}"
    );
}
