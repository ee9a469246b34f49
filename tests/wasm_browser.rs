//! The wasm face against a real MCP server, in a browser: `wasm-pack test --headless --chrome`
//! (`scripts/test-wasm.sh` starts the servers and sets `MCP_TEST_URL` / `MCP_TEST_URL_JSON`).
//! The test page is served from another localhost port, so every request is cross-origin: this
//! also checks CORS, the exposed `mcp-session-id` header and streamed bodies in a real browser.
//! The bodies are shared with `tests/wasm_node.rs`: see `tests/wasm_common/mod.rs`.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[macro_use]
#[path = "wasm_common/mod.rs"]
mod common;

mcp_wasm_tests!();
