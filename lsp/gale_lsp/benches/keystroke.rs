//! `cargo bench -p gale_lsp --bench keystroke`: what a keystroke costs through the
//! server itself — a `textDocument/didChange` (full text, as the server syncs)
//! handled by the tower service up to the `publishDiagnostics` it sends, and the same
//! followed by a `textDocument/completion` — on the 5,000-line workbook of
//! `benches/lsp.rs`. In process (no stdio framing or JSON text parsing), with the
//! `gale` binary's allocator. Figures go to docs/performance.md.

use futures::StreamExt;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tower::{Service, ServiceExt};
use tower_lsp_server::LspService;
use tower_lsp_server::jsonrpc::Request;

/// The allocator of the `gale` binary (and so of `gale lsp`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const URI: &str = "file:///bench/big.yaml";

#[path = "../../../benches/common/workbook.rs"]
mod workbook;
use workbook::workbook;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p) as usize].as_secs_f64() * 1e3
}

struct Client {
    service: LspService<gale_lsp::server::Backend>,
    next_id: i64,
}

impl Client {
    async fn call(&mut self, method: &str, params: Value, request: bool) -> Option<Value> {
        let mut build = Request::build(method.to_string()).params(params);
        if request {
            build = build.id(self.next_id);
            self.next_id += 1;
        }
        let response = self
            .service
            .ready()
            .await
            .ok()?
            .call(build.finish())
            .await
            .ok()??;
        serde_json::to_value(response).ok()
    }

    async fn change(&mut self, text: &str, version: i32) {
        self.call(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version},
                   "contentChanges": [{"text": text}]}),
            false,
        )
        .await;
    }
}

async fn run() {
    let (service, mut socket) = LspService::new(gale_lsp::server::Backend::new);
    // Published diagnostics go to the client socket: count them.
    let published = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&published);
    tokio::spawn(async move {
        while socket.next().await.is_some() {
            seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let mut client = Client {
        service,
        next_id: 1,
    };
    client
        .call(
            "initialize",
            json!({"capabilities": {"general": {"positionEncodings": ["utf-16"]}}}),
            true,
        )
        .await;
    client.call("initialized", json!({}), false).await;
    let text = workbook(50, 20);
    println!(
        "workbook: {} lines, {} bytes",
        text.lines().count(),
        text.len()
    );
    client
        .call(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": URI, "languageId": "yaml", "version": 0, "text": text}}),
            false,
        )
        .await;
    let edited = |i: usize, c: &str| {
        text.replacen(
            "\"<% $.x %> 7\"",
            &format!("\"<% $.x %> 7{}\"", c.repeat(i % 5 + 1)),
            1,
        )
    };
    // Completion in the value of `on-success` of task t3 of the edited workflow.
    let line = text
        .lines()
        .position(|l| l == "        on-success: [t4]")
        .unwrap_or(0) as u32;

    // `GALE_BENCH_SCALE=10` runs a tenth of the keystrokes (for callgrind).
    let scale: usize = std::env::var("GALE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let mut version = 0;
    let mut keystrokes = Vec::new();
    for i in 0..200 / scale {
        let new_text = edited(i, "a");
        version += 1;
        let t = Instant::now();
        client.change(&new_text, version).await;
        keystrokes.push(t.elapsed());
        tokio::task::yield_now().await;
    }
    let mut with_completion = Vec::new();
    let mut completions = Vec::new();
    for i in 0..100 / scale {
        let new_text = edited(i, "b");
        version += 1;
        let t = Instant::now();
        client.change(&new_text, version).await;
        let c = Instant::now();
        let reply = client
            .call(
                "textDocument/completion",
                json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": 22}}),
                true,
            )
            .await;
        completions.push(c.elapsed());
        with_completion.push(t.elapsed());
        std::hint::black_box(reply);
        tokio::task::yield_now().await;
    }
    // A keystroke that adds a transition (`[t4]` -> `[t4, t5]` and back) in the first
    // workflow: task and transition ids are numbered across the whole document, so
    // every later workflow's unit changes too.
    let mut structural = Vec::new();
    let two_targets = text.replacen("on-success: [t4]", "on-success: [t4, t5]", 1);
    for i in 0..40 / scale {
        let new_text = if i % 2 == 0 { &two_targets } else { &text };
        version += 1;
        let t = Instant::now();
        client.change(new_text, version).await;
        structural.push(t.elapsed());
        tokio::task::yield_now().await;
    }
    tokio::task::yield_now().await;
    println!(
        "didChange adding/removing a transition: p50 {:.2} ms, p90 {:.2} ms",
        percentile(&mut structural, 0.5),
        percentile(&mut structural, 0.9)
    );
    println!(
        "didChange -> publishDiagnostics: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms",
        percentile(&mut keystrokes, 0.5),
        percentile(&mut keystrokes, 0.9),
        percentile(&mut keystrokes, 0.99)
    );
    println!(
        "didChange + completion: p50 {:.2} ms, p90 {:.2} ms (completion alone p50 {:.3} ms)",
        percentile(&mut with_completion, 0.5),
        percentile(&mut with_completion, 0.9),
        percentile(&mut completions, 0.5)
    );
    println!(
        "notifications received: {}",
        published.load(std::sync::atomic::Ordering::Relaxed)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => eprintln!("no tokio runtime: {e}"),
    }
}
