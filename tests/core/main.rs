//! The native tests of the portable core, in one test binary: a scripted MCP server, a manual
//! clock and a single-threaded executor (`support/`), and one module per concept.
//!
//! One binary, not one per file: each integration-test file is its own crate, linked with every
//! dependency, for the host and again for wasm32 (`wasm-pack test` builds all test targets). With
//! 31 files that was about 1.2 GB of `target/` and it filled the disk of a CI machine; as modules
//! of one crate they link once. They are host-only (the wasm face has its own suites:
//! `tests/wasm_node.rs`, `tests/wasm_browser.rs`).
#![cfg(not(target_arch = "wasm32"))]

mod support;

mod pool_age;
mod pool_all_tools;
mod pool_breaker;
mod pool_catalog;
mod pool_close;
mod pool_era;
mod pool_get;
mod pool_health;
mod pool_identity;
mod pool_inflight;
mod pool_queue;
mod pool_register;
mod pool_release;
mod pool_request_scope;
mod pool_snapshot;
mod session_answers;
mod session_auth;
mod session_close;
mod session_dpop;
mod session_era;
mod session_handlers;
mod session_handshake;
mod session_listen;
mod session_orphans;
mod session_pages;
mod session_recovery;
mod session_redaction;
mod session_redirects;
mod session_resume;
mod session_sse_fallback;
mod session_timeout;
mod sse_parser;
