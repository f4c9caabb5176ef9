//! `std.http` and `std.mistral_http`: HTTP requests with Mistral's parameters,
//! result mapping and egress policy (`mistral/actions/std_actions.py HTTPAction`,
//! which uses Python `requests`; Gale uses `ureq`).
//!
//! Faithful to Mistral:
//! * parameters `url, method="GET", params, body, json, headers, cookies, auth,
//!   timeout, allow_redirects, proxies, verify`; `body` and `json` together fail the
//!   constructor; a mapping `body` is sent as its JSON text without a content type;
//!   `json` is serialised like Python's `json.dumps` (`", "`/`": "` separators,
//!   non-ASCII escaped) with `Content-Type: application/json`;
//! * `auth: "user:password"` is HTTP Basic; `timeout` null = `[action_std_http]
//!   default_timeout`; `allow_redirects` null = **no** redirects (what `requests`
//!   does with an explicit `None`); `verify` only matters for `https`;
//! * the egress policy ([`super::egress`]) is checked before connecting, the
//!   `Content-Length` limit after the headers arrive;
//! * the result `{content, status, headers, url, history, encoding, reason, cookies,
//!   elapsed}`; `content` is the body parsed as JSON when possible, else the body
//!   text decoded with the declared charset (`requests` rules: `text/*` without a
//!   charset is ISO-8859-1, `application/json` UTF-8); status 200…306 succeeds, any
//!   other status is an error whose payload is the same mapping.
//!
//! Known differences: response header names are canonicalised (`Content-Type`)
//! because the HTTP library lower-cases them (Python keeps the server's spelling);
//! `reason` is the canonical phrase of the status code; `history` lists redirect
//! URLs (Python serialises whole response objects); transport error texts are
//! `ureq`'s, after the same `Failed to send HTTP request: ` prefix.

use std::fmt::Write as _;
use std::io::Read as _;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json};
use ureq::http;
use ureq::{Agent, ResponseExt as _};

use super::builtin::{StdInput, cancelled, std_input};
use super::egress::{EgressPolicy, split_url};
use super::email::base64;
use super::python::{self, py_json_dumps, py_str};
use super::{Action, ActionOutcome, ActionRequest};

/// `[action_std_http]` settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// Where requests may go.
    pub egress: EgressPolicy,
    /// `default_timeout`: seconds used when the task passes no `timeout` (0 = none).
    pub default_timeout: u64,
    /// `max_response_size_bytes`: largest accepted `Content-Length` (0 = no limit).
    pub max_response_size_bytes: u64,
    /// `User-Agent` sent when the task sets none.
    pub user_agent: String,
}

impl Default for HttpConfig {
    /// Mistral's defaults (60 s timeout, 5 MiB limit, loopback/link-local denied).
    fn default() -> HttpConfig {
        HttpConfig {
            egress: EgressPolicy::default(),
            default_timeout: 60,
            max_response_size_bytes: 5_242_880,
            user_agent: concat!("gale/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// `std.http` (or `std.mistral_http`: Mistral headers added, asynchronous).
#[derive(Clone, Debug)]
pub struct Http {
    config: HttpConfig,
    mistral: bool,
}

impl Http {
    /// The action with `config`; `mistral` selects `std.mistral_http` behaviour.
    pub fn new(config: HttpConfig, mistral: bool) -> Http {
        Http { config, mistral }
    }
}

/// A prepared request, everything converted from the task input.
struct Prepared {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Option<Duration>,
    redirects: bool,
    proxy: Option<String>,
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    verify: bool,
    /// `verify` given as a path: the CA bundle (PEM) to trust instead of the defaults.
    #[cfg_attr(not(feature = "https"), allow(dead_code))]
    ca_bundle: Option<String>,
}

/// Why a request could not be prepared.
enum PrepareError {
    /// The constructor would raise: `Failed to instantiate an action`.
    Instantiate,
    /// `requests` would raise while sending: `Failed to send HTTP request: …`.
    Send(String),
}

impl Action for Http {
    fn run(&self, request: &ActionRequest) -> ActionOutcome {
        let name = if self.mistral {
            "std.mistral_http"
        } else {
            "std.http"
        };
        let input = std_input!(request, name);
        let repr = input.object_repr(request);
        let prepared = match self.prepare(&input, request) {
            Ok(p) => p,
            Err(PrepareError::Instantiate) => return input.instantiate_failure(),
            Err(PrepareError::Send(msg)) => {
                return python::raised(
                    request,
                    &repr,
                    &format!("Failed to send HTTP request: {msg}"),
                );
            }
        };
        if let Err(msg) = self.config.egress.validate_url(&prepared.url) {
            return python::raised(request, &repr, &msg);
        }
        // Run on a helper thread so a cancel returns at once; the request itself
        // is bounded by its timeout.
        let (tx, rx) = mpsc::channel();
        let max_size = self.config.max_response_size_bytes;
        let spawned = std::thread::Builder::new()
            .name("gale-std-http".into())
            .spawn(move || {
                let _ = tx.send(send(&prepared, max_size));
            });
        if let Err(e) = spawned {
            return python::raised(request, &repr, &format!("Failed to send HTTP request: {e}"));
        }
        let outcome = loop {
            match rx.recv_timeout(Duration::from_millis(20)) {
                Ok(outcome) => break outcome,
                Err(mpsc::RecvTimeoutError::Timeout) if request.cancel.is_cancelled() => {
                    return cancelled(request);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break Err("Failed to send HTTP request: the HTTP client stopped".into());
                }
            }
        };
        match outcome {
            Err(msg) => python::raised(request, &repr, &msg),
            Ok((status, result)) if (200..307).contains(&status) => {
                if self.mistral {
                    // Asynchronous: the called service posts the real result.
                    ActionOutcome::Pending
                } else {
                    ActionOutcome::Success(result)
                }
            }
            Ok((_, result)) => ActionOutcome::Error(result),
        }
    }
}

impl Http {
    fn prepare(&self, input: &StdInput, request: &ActionRequest) -> Result<Prepared, PrepareError> {
        // --- constructor (HTTPAction.__init__) ---
        let auth = input.get("auth");
        let basic = match auth {
            a if !python::truthy(a) => None,
            Json::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                match parts.as_slice() {
                    [user, password] => Some(((*user).to_string(), (*password).to_string())),
                    // requests calls a non-tuple auth: a str is not callable.
                    _ => {
                        return Err(PrepareError::Send("'str' object is not callable".into()));
                    }
                }
            }
            // `auth.split` on a non-string raises in the constructor.
            _ => return Err(PrepareError::Instantiate),
        };
        let body = input.get("body");
        let json = input.get("json");
        if python::truthy(body) && python::truthy(json) {
            return Err(PrepareError::Instantiate);
        }

        // --- request preparation (requests.request) ---
        let method = match input.get("method") {
            Json::String(m) => m.to_ascii_uppercase(),
            other => py_str(other).to_ascii_uppercase(),
        };
        let Json::String(url) = input.get("url") else {
            return Err(PrepareError::Send(format!(
                "Invalid URL {}: No scheme supplied.",
                python::py_repr(input.get("url"))
            )));
        };
        let mut url = url.trim().to_string();
        match input.get("params") {
            Json::Null => {}
            Json::String(s) if !s.is_empty() => append_query(&mut url, s),
            Json::Object(map) => {
                let encoded = urlencode(map);
                if !encoded.is_empty() {
                    append_query(&mut url, &encoded);
                }
            }
            _ => {}
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Json::Object(map) = input.get("headers") {
            for (k, v) in map {
                match v {
                    Json::Null => {}
                    Json::String(s) => headers.push((k.clone(), s.clone())),
                    Json::Number(_) => headers.push((k.clone(), py_str(v))),
                    other => {
                        return Err(PrepareError::Send(format!(
                            "Header part ({}) from ('{k}', {}) must be of type str or bytes, not <class '{}'>",
                            py_str(other),
                            python::py_repr(other),
                            python::type_name(other)
                        )));
                    }
                }
            }
        }
        if self.mistral {
            let callback = format!("/v2/action_executions/{}", request.action_execution_id);
            for (k, v) in [
                (
                    "Mistral-Workflow-Execution-Id",
                    request.execution_id.as_str(),
                ),
                ("Mistral-Task-Id", request.task_name.as_str()),
                (
                    "Mistral-Action-Execution-Id",
                    request.action_execution_id.as_str(),
                ),
                ("Mistral-Callback-URL", callback.as_str()),
            ] {
                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                headers.push((k.to_string(), v.to_string()));
            }
        }
        if let Json::Object(map) = input.get("cookies") {
            let cookie: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", py_str(v)))
                .collect();
            if !cookie.is_empty() {
                headers.push(("Cookie".into(), cookie.join("; ")));
            }
        }
        if let Some((user, password)) = basic {
            let token = base64(format!("{user}:{password}").as_bytes());
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case("authorization"));
            headers.push(("Authorization".into(), format!("Basic {token}")));
        }
        // requests: `if not data and json is not None` → JSON; else data if truthy.
        let body = if !json.is_null() && !python::truthy(body) {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(py_json_dumps(json).into_bytes())
        } else {
            match body {
                b if !python::truthy(b) => None,
                Json::String(s) => Some(s.clone().into_bytes()),
                Json::Object(_) => Some(py_json_dumps(body).into_bytes()),
                other => Some(py_str(other).into_bytes()),
            }
        };
        let timeout = match input.get("timeout") {
            Json::Null => (self.config.default_timeout > 0)
                .then(|| Duration::from_secs(self.config.default_timeout)),
            // (connect, read) pair: the sum bounds the whole request.
            Json::Array(pair) => {
                let total: f64 = pair.iter().filter_map(|v| python::py_float(v).ok()).sum();
                Some(Duration::from_secs_f64(total.clamp(0.001, 1e9)))
            }
            other => match python::py_float(other) {
                Ok(t) if t > 0.0 && t.is_finite() => Some(Duration::from_secs_f64(t.min(1e9))),
                Ok(t) => {
                    return Err(PrepareError::Send(format!(
                        "Attempted to set connect timeout to {}, but the timeout cannot be set to a value less than or equal to 0.",
                        python::py_float_repr(t)
                    )));
                }
                Err(_) => {
                    return Err(PrepareError::Send(
                        "Timeout value must be an int, float or None".into(),
                    ));
                }
            },
        };
        // The task's own timeout also bounds the request.
        let timeout = match (timeout, request.timeout) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let scheme = split_url(&url).scheme;
        let proxy = match input.get("proxies") {
            Json::Object(map) => map
                .get(&scheme)
                .or_else(|| map.get("all"))
                .and_then(Json::as_str)
                .map(str::to_string),
            _ => None,
        };
        let verify = scheme != "https" || !matches!(input.get("verify"), Json::Bool(false));
        let ca_bundle = match input.get("verify") {
            Json::String(path) if scheme == "https" => Some(path.clone()),
            _ => None,
        };
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
        {
            headers.push(("User-Agent".into(), self.config.user_agent.clone()));
        }
        Ok(Prepared {
            method,
            url,
            headers,
            body,
            timeout,
            redirects: python::truthy(input.get("allow_redirects")),
            proxy,
            verify,
            ca_bundle,
        })
    }
}

/// Sends the request; `Ok((status, result mapping))` or `Err(exception text)`.
fn send(p: &Prepared, max_size: u64) -> Result<(u16, Json), String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to send HTTP request: {e}");
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .allow_non_standard_methods(true)
        .max_redirects(if p.redirects { 30 } else { 0 })
        .max_redirects_will_error(true)
        .save_redirect_history(true)
        .accept("*/*")
        .accept_encoding("identity")
        .timeout_global(p.timeout);
    if let Some(proxy) = &p.proxy {
        let proxy = ureq::Proxy::new(proxy).map_err(|e| fail(&e))?;
        config = config.proxy(Some(proxy));
    }
    #[cfg(feature = "https")]
    if !p.verify {
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        );
    } else if let Some(path) = &p.ca_bundle {
        // requests' wording for an unusable bundle.
        let invalid = || {
            fail(&format!(
                "Could not find a suitable TLS CA certificate bundle, invalid path: {path}"
            ))
        };
        let pem = std::fs::read(path).map_err(|_| invalid())?;
        let certs: Vec<_> = ureq::tls::parse_pem(&pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect();
        if certs.is_empty() {
            return Err(invalid());
        }
        config = config.tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build(),
        );
    }
    #[cfg(not(feature = "https"))]
    if p.url
        .trim_start()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        return Err(fail(&"https URLs need Gale built with the `https` feature"));
    }
    let agent = Agent::new_with_config(config.build());
    let mut builder = http::Request::builder()
        .method(p.method.as_str())
        .uri(p.url.as_str());
    for (k, v) in &p.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let start = Instant::now();
    let response = match &p.body {
        Some(body) => builder
            .body(body.clone())
            .map_err(|e| fail(&e))
            .and_then(|r| agent.run(r).map_err(|e| fail(&e))),
        None => builder
            .body(())
            .map_err(|e| fail(&e))
            .and_then(|r| agent.run(r).map_err(|e| fail(&e))),
    }?;
    let elapsed = start.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    if max_size > 0 {
        let length = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(length) = length.filter(|l| *l > max_size) {
            return Err(format!(
                "HTTP response is too large (Content-Length={length}, limit={max_size} bytes)."
            ));
        }
    }
    let url = response.get_uri().to_string();
    let history: Vec<Json> = response
        .get_redirect_history()
        .map(|h| {
            let n = h.len().saturating_sub(1);
            h.iter()
                .take(n)
                .map(|u| Json::String(u.to_string()))
                .collect()
        })
        .unwrap_or_default();
    let reason = response
        .status()
        .canonical_reason()
        .unwrap_or_default()
        .to_string();
    let mut headers = Map::new();
    let mut cookies = Map::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "set-cookie"
            && let Some((k, v)) = value.split(';').next().and_then(|c| c.split_once('='))
        {
            cookies.insert(k.trim().to_string(), Json::String(v.trim().to_string()));
        }
        let key = canonical_header_name(name.as_str());
        match headers.get_mut(&key) {
            Some(Json::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&value);
            }
            _ => {
                headers.insert(key, Json::String(value));
            }
        }
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let encoding = content_type.as_deref().and_then(encoding_from_content_type);
    let mut bytes = Vec::new();
    let (_, body) = response.into_parts();
    body.into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| fail(&e))?;
    let text = decode(&bytes, encoding.as_deref());
    let content = serde_json::from_str::<Json>(&text).unwrap_or(Json::String(text));
    let mut result = Map::new();
    result.insert("content".into(), content);
    result.insert("status".into(), Json::from(status));
    result.insert("headers".into(), Json::Object(headers));
    result.insert("url".into(), Json::String(url));
    result.insert("history".into(), Json::Array(history));
    result.insert("encoding".into(), encoding.map_or(Json::Null, Json::String));
    result.insert("reason".into(), Json::String(reason));
    result.insert("cookies".into(), Json::Object(cookies));
    result.insert(
        "elapsed".into(),
        serde_json::Number::from_f64((elapsed * 1e6).round() / 1e6)
            .map_or(Json::Null, Json::Number),
    );
    Ok((status, Json::Object(result)))
}

/// `requests.utils.get_encoding_from_headers`.
fn encoding_from_content_type(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let mime = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    for param in parts {
        if let Some((k, v)) = param.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            return Some(v.trim().trim_matches(['\'', '"']).to_string());
        }
    }
    if mime.contains("text") {
        Some("ISO-8859-1".into())
    } else if mime.contains("application/json") {
        Some("utf-8".into())
    } else {
        None
    }
}

/// Decodes a body with a declared charset (Latin-1 and UTF-8 exactly, anything
/// else as lossy UTF-8).
fn decode(bytes: &[u8], encoding: Option<&str>) -> String {
    let latin1 = encoding.is_some_and(|e| {
        let e = e.to_ascii_lowercase().replace('_', "-");
        matches!(
            e.as_str(),
            "iso-8859-1" | "latin-1" | "latin1" | "l1" | "iso8859-1"
        )
    });
    if latin1 {
        bytes.iter().map(|b| char::from(*b)).collect()
    } else {
        let bytes = bytes
            .strip_prefix(b"\xef\xbb\xbf".as_slice())
            .unwrap_or(bytes);
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// `content-type` → `Content-Type`.
fn canonical_header_name(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn append_query(url: &mut String, query: &str) {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b.to_string(), Some(f.to_string())),
        None => (url.clone(), None),
    };
    let sep = if base.contains('?') { "&" } else { "?" };
    let mut out = format!("{base}{sep}{query}");
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(&f);
    }
    *url = out;
}

/// Python's `urllib.parse.quote_plus` (UTF-8, safe: letters, digits, `_.-~`).
fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// `requests`' query encoding of a mapping (`urlencode(…, doseq=True)`, `None`
/// values dropped, lists expanded).
fn urlencode(map: &Map<String, Json>) -> String {
    let mut pairs = Vec::new();
    for (k, v) in map {
        let values: Vec<&Json> = match v {
            Json::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for v in values {
            if !v.is_null() {
                pairs.push(format!("{}={}", quote_plus(k), quote_plus(&py_str(v))));
            }
        }
    }
    pairs.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(canonical_header_name("content-type"), "Content-Type");
        assert_eq!(canonical_header_name("x-request-id"), "X-Request-Id");
        assert_eq!(quote_plus("a b&c/é"), "a+b%26c%2F%C3%A9");
        let mut url = "http://h/p#f".to_string();
        append_query(&mut url, "a=1");
        assert_eq!(url, "http://h/p?a=1#f");
        assert_eq!(
            encoding_from_content_type("text/plain"),
            Some("ISO-8859-1".into())
        );
        assert_eq!(
            encoding_from_content_type("application/json"),
            Some("utf-8".into())
        );
        assert_eq!(
            encoding_from_content_type("text/html; charset=\"UTF-8\""),
            Some("UTF-8".into())
        );
        assert_eq!(encoding_from_content_type("application/octet-stream"), None);
        assert_eq!(decode(b"caf\xe9", Some("ISO-8859-1")), "café");
    }
}
