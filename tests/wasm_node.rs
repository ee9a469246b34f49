//! The wasm face against a real MCP server, in Node: `wasm-pack test --node`
//! (`scripts/test-wasm.sh` starts the servers and sets `MCP_TEST_URL` / `MCP_TEST_URL_JSON`).
//! The bodies are shared with `tests/wasm_browser.rs`: see `tests/wasm_common/mod.rs`.
#![cfg(target_arch = "wasm32")]

#[macro_use]
#[path = "wasm_common/mod.rs"]
mod common;

mcp_wasm_tests!();
