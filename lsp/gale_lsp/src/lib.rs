//! The Gale language server.
//!
//! [`ide`] computes every editor feature as plain data (byte spans, strings) from the
//! same salsa database `gale check` uses, so the editor and the CLI never disagree.
//! [`server`] is the only place that speaks LSP: it converts positions (UTF-8 or
//! UTF-16, as negotiated), routes requests to [`ide`], and applies document changes in
//! order under a single writer.

pub mod ide;
pub mod server;

pub use server::run_stdio;
