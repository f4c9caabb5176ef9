//! `std.email`: sends a message through an SMTP server, building it exactly as
//! Mistral 23's `SendEmailAction` does with Python's `email` package and
//! delivering it with the same SMTP dialogue as `smtplib` (`mistral/actions/
//! std_actions.py SendEmailAction`).
//!
//! Why not an SMTP crate: the message must be byte-for-byte what Python builds
//! (base64 UTF-8 parts, a shortest-of-Q/B RFC 2047 `Subject`, Mistral's header
//! order, recipients `cc + bcc + to`), which general builders do not produce, and
//! the maintained SMTP clients pull in large trees (`lettre`'s transport needs
//! `url` → `idna` → ICU). The dialogue used here is small: greeting, `ehlo`
//! (`helo` fallback), optional `starttls` + `ehlo` + `AUTH PLAIN`/`LOGIN` when
//! `smtp_password` is set, `mail FROM:<…> size=N`, `rcpt TO:<…>` per recipient,
//! `data`, dot-stuffed CRLF message, `quit`.
//!
//! Like Python's `smtplib.starttls()` without a context, the server certificate is
//! **not** verified unless [`EmailConfig::verify_tls`] is set. STARTTLS needs the
//! `https` cargo feature (rustls).

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value as Json;

use super::builtin::{StdInput, std_input};
use super::python::{self, py_repr, type_name};
use super::{Action, ActionOutcome, ActionRequest};

/// Settings of `std.email` (not in Mistral's configuration; Gale additions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailConfig {
    /// Verify the SMTP server's TLS certificate after `STARTTLS` (Mistral: no).
    pub verify_tls: bool,
    /// Connect/read/write timeout when the task has no `timeout` (seconds).
    pub default_timeout: u64,
    /// Host name sent with `ehlo`.
    pub local_hostname: String,
}

impl Default for EmailConfig {
    /// No certificate verification (as Mistral), 60 s timeout, `localhost`.
    fn default() -> EmailConfig {
        EmailConfig {
            verify_tls: false,
            default_timeout: 60,
            local_hostname: "localhost".into(),
        }
    }
}

/// `std.email`.
#[derive(Clone, Debug, Default)]
pub struct Email {
    config: EmailConfig,
}

impl Email {
    /// The action with `config`.
    pub fn new(config: EmailConfig) -> Email {
        Email { config }
    }
}

/// A Python exception: `raised` ones escape the action (`The action raised an
/// exception`), `smtp` ones are wrapped as `Failed to send an email message: …`.
enum Failure {
    Raised(String),
    Smtp(String),
}

impl Action for Email {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let input = std_input!(request, "std.email");
        let repr = input.object_repr(request);
        match self.send(&input, request) {
            Ok(()) => ActionOutcome::Success(Json::Null),
            Err(Failure::Raised(msg)) => python::raised(request, &repr, &msg),
            Err(Failure::Smtp(msg)) => python::raised(
                request,
                &repr,
                &format!("Failed to send an email message: {msg}"),
            ),
        }
    }
}

/// Python's `', '.join(value)` (a string joins its characters).
fn join(value: &Json) -> Result<String, Failure> {
    let items: Vec<String> = match value {
        Json::String(s) => s.chars().map(String::from).collect(),
        Json::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match item {
                    Json::String(s) => out.push(s.clone()),
                    other => {
                        return Err(Failure::Raised(format!(
                            "sequence item {i}: expected str instance, {} found",
                            type_name(other)
                        )));
                    }
                }
            }
            out
        }
        Json::Object(map) => map.keys().cloned().collect(),
        other => {
            return Err(Failure::Raised(format!(
                "can only join an iterable, not '{}'",
                type_name(other)
            )));
        }
    };
    Ok(items.join(", "))
}

/// Python's `a + b` for the recipient lists.
fn concat(a: &Json, b: &Json) -> Result<Json, Failure> {
    match (a, b) {
        (Json::Array(x), Json::Array(y)) => Ok(Json::Array(x.iter().chain(y).cloned().collect())),
        (Json::String(x), Json::String(y)) => Ok(Json::String(format!("{x}{y}"))),
        (x, y) => {
            let (tx, ty) = (type_name(x), type_name(y));
            let what = if tx == "list" || tx == "str" {
                format!("can only concatenate {tx} (not \"{ty}\") to {tx}")
            } else {
                format!("unsupported operand type(s) for +: '{tx}' and '{ty}'")
            };
            Err(Failure::Raised(what))
        }
    }
}

/// `x or []`.
fn or_empty(value: &Json) -> Json {
    if python::truthy(value) {
        value.clone()
    } else {
        Json::Array(Vec::new())
    }
}

/// A header value as Python's `email` writes it: ASCII unchanged, otherwise one
/// RFC 2047 encoded word in UTF-8 (Q unless B is strictly shorter).
pub fn encode_header(value: &str, force: bool) -> String {
    if !force && value.is_ascii() {
        return value.to_string();
    }
    let bytes = value.as_bytes();
    let q: String = bytes
        .iter()
        .map(|b| match b {
            b' ' => "_".to_string(),
            b'-' | b'!' | b'*' | b'+' | b'/' => char::from(*b).to_string(),
            b if b.is_ascii_alphanumeric() => char::from(*b).to_string(),
            b => format!("={b:02X}"),
        })
        .collect();
    let b64_len = bytes.len().div_ceil(3) * 4;
    if b64_len < q.len() {
        format!("=?utf-8?b?{}?=", base64(bytes))
    } else {
        format!("=?utf-8?q?{q}?=")
    }
}

/// Base64 body lines of 76 characters, each ending in a newline.
fn base64_body(text: &str) -> String {
    let encoded = base64(text.as_bytes());
    let mut out = String::new();
    let mut rest = encoded.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(76));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out
}

fn text_part(body: &str, subtype: &str) -> String {
    format!(
        "Content-Type: text/{subtype}; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n"
    ) + "\n"
        + &base64_body(body)
}

/// The message parts Mistral puts in an e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// `From`.
    pub from: String,
    /// `To` (already joined).
    pub to: String,
    /// `cc` (already joined; omitted when empty).
    pub cc: String,
    /// `Reply-To` (already joined; written even when empty).
    pub reply_to: String,
    /// `Subject`.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// HTML alternative, if any.
    pub html_body: Option<String>,
    /// MIME boundary for the multipart form (Python: 15 `=`, 19 digits, `==`).
    pub boundary: String,
}

impl Message {
    /// The message text as Python's `Message.as_string()` writes it (`\n` endings).
    pub fn as_string(&self) -> String {
        let mut headers = String::new();
        let subject = format!("Subject: {}\n", encode_header(&self.subject, true));
        let rest = format!(
            "From: {}\nReply-To: {}\nTo: {}\n{}",
            encode_header(&self.from, false),
            encode_header(&self.reply_to, false),
            encode_header(&self.to, false),
            if self.cc.is_empty() {
                String::new()
            } else {
                format!("cc: {}\n", encode_header(&self.cc, false))
            }
        );
        match &self.html_body {
            None => {
                headers.push_str(
                    "Content-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n",
                );
                headers.push_str(&subject);
                headers.push_str(&rest);
                headers.push('\n');
                headers.push_str(&base64_body(&self.body));
                headers
            }
            Some(html) => {
                let b = &self.boundary;
                headers.push_str(&format!(
                    "Content-Type: multipart/alternative; boundary=\"{b}\"\nMIME-Version: 1.0\n"
                ));
                headers.push_str(&subject);
                headers.push_str(&rest);
                headers.push_str(&format!(
                    "\n--{b}\n{}\n--{b}\n{}\n--{b}--\n",
                    text_part(&self.body, "plain"),
                    text_part(html, "html")
                ));
                headers
            }
        }
    }
}

/// A boundary in Python's format, from the clock and the action execution id.
fn boundary(seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    for b in seed.bytes().chain(nanos.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("==============={:019}==", h % 10_000_000_000_000_000_000)
}

impl Email {
    fn send(&self, input: &StdInput, request: &ActionRequest) -> Result<(), Failure> {
        let text = |name: &str, fallback: &str| -> Result<String, Failure> {
            match input.get(name) {
                v if !python::truthy(v) => Ok(fallback.to_string()),
                Json::String(s) => Ok(s.clone()),
                other => Err(Failure::Raised(format!(
                    "'{}' object is not subscriptable",
                    type_name(other)
                ))),
            }
        };
        let body = text("body", "<No body>")?;
        let subject = text("subject", "<No subject>")?;
        let html_body = match input.get("html_body") {
            v if !python::truthy(v) => None,
            Json::String(s) => Some(s.clone()),
            other => Some(python::py_str(other)),
        };
        let from = match input.get("from_addr") {
            Json::String(s) => s.clone(),
            other => python::py_str(other),
        };
        let to = input.get("to_addrs");
        let cc = or_empty(input.get("cc_addrs"));
        let bcc = or_empty(input.get("bcc_addrs"));
        let reply_to = or_empty(input.get("reply_to"));
        let message = Message {
            from: from.clone(),
            reply_to: join(&reply_to)?,
            to: join(to)?,
            cc: if python::truthy(&cc) {
                join(&cc)?
            } else {
                String::new()
            },
            subject,
            body,
            html_body,
            boundary: boundary(&request.action_execution_id),
        };
        let rcpt = concat(&concat(&cc, &bcc)?, to)?;
        let rcpt: Vec<String> = match rcpt {
            Json::String(s) => vec![s],
            Json::Array(items) => items.iter().map(python::py_str).collect(),
            other => vec![python::py_str(&other)],
        };
        let password = match input.get("smtp_password") {
            Json::Null => None,
            other => Some(python::py_str(other)),
        };
        let server = python::py_str(input.get("smtp_server"));
        let timeout = request
            .timeout
            .unwrap_or(Duration::from_secs(self.config.default_timeout.max(1)));
        let mut smtp = Smtp::connect(&server, timeout).map_err(Failure::Smtp)?;
        let result = smtp.deliver(
            &self.config,
            &from,
            &rcpt,
            &message.as_string(),
            password.as_deref(),
        );
        smtp.quit();
        result.map_err(Failure::Smtp)
    }
}

/// Python's `str(OSError)`: `[Errno 111] Connection refused`.
fn os_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            let suffix = format!(" (os error {code})");
            format!(
                "[Errno {code}] {}",
                text.strip_suffix(&suffix).unwrap_or(&text)
            )
        }
        None if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            "timed out".into()
        }
        None => e.to_string(),
    }
}

/// Python's `repr(bytes)` of an ASCII server reply.
fn bytes_repr(text: &str) -> String {
    let s = py_repr(&Json::String(text.to_string()));
    format!("b{s}")
}

/// `smtplib.quoteaddr`: `Name <a@b>` → `<a@b>`, `a@b` → `<a@b>`.
fn quote_addr(addr: &str) -> String {
    match (addr.rfind('<'), addr.rfind('>')) {
        (Some(open), Some(close)) if open < close => format!("<{}>", &addr[open + 1..close]),
        _ => format!("<{}>", addr.trim()),
    }
}

enum Conn {
    Plain(TcpStream),
    #[cfg(feature = "https")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    Closed,
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            #[cfg(feature = "https")]
            Conn::Tls(s) => s.read(buf),
            Conn::Closed => Ok(0),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            #[cfg(feature = "https")]
            Conn::Tls(s) => s.write(buf),
            Conn::Closed => Err(io::Error::from(io::ErrorKind::NotConnected)),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            #[cfg(feature = "https")]
            Conn::Tls(s) => s.flush(),
            Conn::Closed => Ok(()),
        }
    }
}

/// A minimal `smtplib.SMTP`.
struct Smtp {
    conn: Conn,
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    host: String,
    buffer: Vec<u8>,
    esmtp: bool,
    features: Vec<String>,
}

type Reply = (u16, String);

impl Smtp {
    /// `smtplib.SMTP(server)`: `host` or `host:port` (default 25), then the greeting.
    fn connect(server: &str, timeout: Duration) -> Result<Smtp, String> {
        let (host, port) = match server.split_once(':') {
            Some((h, p)) if !p.contains(':') => {
                let port = p
                    .trim()
                    .parse::<u16>()
                    .map_err(|_| "nonnumeric port".to_string())?;
                (h.to_string(), port)
            }
            _ => (server.to_string(), 25),
        };
        let addrs: Vec<_> = (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|_| "[Errno -2] Name or service not known".to_string())?
            .collect();
        let mut last = io::Error::from(io::ErrorKind::AddrNotAvailable);
        let mut stream = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = e,
            }
        }
        let stream = stream.ok_or_else(|| os_error(&last))?;
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|e| os_error(&e))?;
        stream
            .set_write_timeout(Some(timeout))
            .map_err(|e| os_error(&e))?;
        let mut smtp = Smtp {
            conn: Conn::Plain(stream),
            host,
            buffer: Vec::new(),
            esmtp: false,
            features: Vec::new(),
        };
        let (code, msg) = smtp.reply()?;
        if code != 220 {
            return Err(format!("({code}, {})", bytes_repr(&msg)));
        }
        Ok(smtp)
    }

    fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(pos) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                return Ok(text.trim_end_matches(['\r', '\n']).to_string());
            }
            let mut chunk = [0u8; 4096];
            let n = self.conn.read(&mut chunk).map_err(|e| os_error(&e))?;
            if n == 0 {
                return Err("Connection unexpectedly closed".into());
            }
            self.buffer
                .extend_from_slice(chunk.get(..n).unwrap_or_default());
            if self.buffer.len() > 1 << 20 {
                return Err("line too long".into());
            }
        }
    }

    /// `getreply`: multi-line replies joined with `\n`.
    fn reply(&mut self) -> Result<Reply, String> {
        let mut lines = Vec::new();
        loop {
            let line = self.line()?;
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or_default().trim().to_string());
            match code {
                None => return Err("Connection unexpectedly closed".into()),
                Some(code) if !more => return Ok((code, lines.join("\n"))),
                Some(_) => {}
            }
        }
    }

    fn command(&mut self, cmd: &str) -> Result<Reply, String> {
        self.conn
            .write_all(format!("{cmd}\r\n").as_bytes())
            .and_then(|()| self.conn.flush())
            .map_err(|e| os_error(&e))?;
        self.reply()
    }

    fn ehlo(&mut self, name: &str) -> Result<(), String> {
        let (code, msg) = self.command(&format!("ehlo {name}"))?;
        if code == 250 {
            self.esmtp = true;
            self.features = msg
                .lines()
                .skip(1)
                .map(|l| l.to_ascii_lowercase())
                .collect();
            return Ok(());
        }
        let (code, msg) = self.command(&format!("helo {name}"))?;
        if code != 250 {
            return Err(format!("({code}, {})", bytes_repr(&msg)));
        }
        Ok(())
    }

    fn has_extn(&self, name: &str) -> Option<&str> {
        self.features.iter().find_map(|f| {
            let mut parts = f.splitn(2, [' ', '=']);
            (parts.next() == Some(name)).then(|| parts.next().unwrap_or_default())
        })
    }

    fn deliver(
        &mut self,
        config: &EmailConfig,
        from: &str,
        rcpt: &[String],
        message: &str,
        password: Option<&str>,
    ) -> Result<(), String> {
        let name = config.local_hostname.clone();
        if let Some(password) = password {
            self.ehlo(&name)?;
            self.starttls(config)?;
            self.ehlo(&name)?;
            self.login(from, password)?;
        } else {
            self.ehlo(&name)?;
        }
        // _fix_eols + encode('ascii') + _quote_periods.
        let mut data = String::new();
        for line in message.strip_suffix('\n').unwrap_or(message).split('\n') {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
            data.push_str("\r\n");
        }
        let size = if self.esmtp && self.has_extn("size").is_some() {
            format!(" size={}", message.replace('\n', "\r\n").len())
        } else {
            String::new()
        };
        let (code, resp) = self.command(&format!("mail FROM:{}{size}", quote_addr(from)))?;
        if code != 250 {
            let _ = self.command("rset");
            return Err(format!(
                "({code}, {}, {})",
                bytes_repr(&resp),
                py_repr(&Json::String(from.into()))
            ));
        }
        let mut refused = Vec::new();
        for each in rcpt {
            let (code, resp) = self.command(&format!("rcpt TO:{}", quote_addr(each)))?;
            if code != 250 && code != 251 {
                refused.push(format!(
                    "{}: ({code}, {})",
                    py_repr(&Json::String(each.clone())),
                    bytes_repr(&resp)
                ));
            }
        }
        if refused.len() == rcpt.len() {
            let _ = self.command("rset");
            return Err(format!("{{{}}}", refused.join(", ")));
        }
        let (code, resp) = self.command("data")?;
        if code != 354 {
            return Err(format!("({code}, {})", bytes_repr(&resp)));
        }
        self.conn
            .write_all(data.as_bytes())
            .and_then(|()| self.conn.write_all(b".\r\n"))
            .and_then(|()| self.conn.flush())
            .map_err(|e| os_error(&e))?;
        let (code, resp) = self.reply()?;
        if code != 250 {
            return Err(format!("({code}, {})", bytes_repr(&resp)));
        }
        Ok(())
    }

    fn login(&mut self, user: &str, password: &str) -> Result<(), String> {
        let Some(methods) = self.has_extn("auth").map(str::to_ascii_uppercase) else {
            return Err("SMTP AUTH extension not supported by server.".into());
        };
        let methods: Vec<&str> = methods.split_whitespace().collect();
        let (code, resp) = if methods.contains(&"PLAIN") {
            let token = base64(format!("\0{user}\0{password}").as_bytes());
            self.command(&format!("AUTH PLAIN {token}"))?
        } else if methods.contains(&"LOGIN") {
            let (code, resp) = self.command(&format!("AUTH LOGIN {}", base64(user.as_bytes())))?;
            if code == 334 {
                self.command(&base64(password.as_bytes()))?
            } else {
                (code, resp)
            }
        } else {
            return Err("No suitable authentication method found.".into());
        };
        if code == 235 || code == 503 {
            Ok(())
        } else {
            Err(format!("({code}, {})", bytes_repr(&resp)))
        }
    }

    #[cfg(feature = "https")]
    fn starttls(&mut self, config: &EmailConfig) -> Result<(), String> {
        use std::sync::Arc;
        if self.has_extn("starttls").is_none() {
            return Err("STARTTLS extension not supported by server.".into());
        }
        let (code, resp) = self.command("starttls")?;
        if code != 220 {
            return Err(format!("({code}, {})", bytes_repr(&resp)));
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?;
        let tls = if config.verify_tls {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
                .with_no_client_auth()
        };
        let name = rustls::pki_types::ServerName::try_from(self.host.clone())
            .map_err(|e| e.to_string())?;
        let conn = rustls::ClientConnection::new(Arc::new(tls), name).map_err(|e| e.to_string())?;
        let Conn::Plain(tcp) = std::mem::replace(&mut self.conn, Conn::Closed) else {
            return Err("STARTTLS on a TLS connection".into());
        };
        self.conn = Conn::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)));
        self.buffer.clear();
        self.features.clear();
        self.esmtp = false;
        Ok(())
    }

    #[cfg(not(feature = "https"))]
    fn starttls(&mut self, _config: &EmailConfig) -> Result<(), String> {
        if self.has_extn("starttls").is_none() {
            return Err("STARTTLS extension not supported by server.".into());
        }
        Err("STARTTLS needs Gale built with the `https` feature".into())
    }

    fn quit(&mut self) {
        if !matches!(self.conn, Conn::Closed) {
            let _ = self.conn.write_all(b"quit\r\n");
            let _ = self.conn.flush();
        }
    }
}

/// Accepts any server certificate (what Python's `starttls()` does by default).
#[cfg(feature = "https")]
#[derive(Debug)]
struct NoVerify(std::sync::Arc<rustls::crypto::CryptoProvider>);

#[cfg(feature = "https")]
impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = ((n >> (18 - 6 * i)) & 63) as usize;
                out.push(char::from(ALPHABET.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: &str, body: &str) -> Message {
        Message {
            from: "me@a.b".into(),
            to: "x@y.z".into(),
            cc: String::new(),
            reply_to: String::new(),
            subject: subject.into(),
            body: body.into(),
            html_body: None,
            boundary: "===============2539561300344270320==".into(),
        }
    }

    /// Expected texts produced by Python 3.11's `email` package with Mistral's code.
    #[test]
    fn messages_match_python() {
        assert_eq!(
            message("<No subject>", "<No body>").as_string(),
            "Content-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nSubject: =?utf-8?q?=3CNo_subject=3E?=\nFrom: me@a.b\nReply-To: \nTo: x@y.z\n\nPE5vIGJvZHk+\n"
        );
        let mut m = message("Hello wörld", "héllo\nline2");
        m.reply_to = "r@a.b, s@a.b".into();
        m.cc = "c@d.e".into();
        assert_eq!(
            m.as_string(),
            "Content-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\nSubject: =?utf-8?q?Hello_w=C3=B6rld?=\nFrom: me@a.b\nReply-To: r@a.b, s@a.b\nTo: x@y.z\ncc: c@d.e\n\naMOpbGxvCmxpbmUy\n"
        );
        assert_eq!(
            message("A", &"x".repeat(100))
                .as_string()
                .rsplit("\n\n")
                .next(),
            Some(
                "eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4\neHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eA==\n"
            )
        );
        let e100 = message(&"é".repeat(100), "x").as_string();
        assert!(e100.contains("Subject: =?utf-8?b?w6nDqc"), "{e100}");
        let mut html = message("s", "b");
        html.html_body = Some("<b>h</b>".into());
        assert_eq!(
            html.as_string(),
            "Content-Type: multipart/alternative; boundary=\"===============2539561300344270320==\"\nMIME-Version: 1.0\nSubject: =?utf-8?q?s?=\nFrom: me@a.b\nReply-To: \nTo: x@y.z\n\n--===============2539561300344270320==\nContent-Type: text/plain; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\nYg==\n\n--===============2539561300344270320==\nContent-Type: text/html; charset=\"utf-8\"\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\nPGI+aDwvYj4=\n\n--===============2539561300344270320==--\n"
        );
        assert_eq!(
            encode_header("Jöhn <me@a.b>", false),
            "=?utf-8?b?SsO2aG4gPG1lQGEuYj4=?="
        );
        assert_eq!(quote_addr("John <j@x.y>"), "<j@x.y>");
        assert!(boundary("x").starts_with("==============="));
        assert_eq!(boundary("x").len(), 15 + 19 + 2);
    }
}
