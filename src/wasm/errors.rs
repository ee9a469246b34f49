//! Errors as real JS `Error` objects with a stable `code`, so callers can branch on `err.code`.

use std::borrow::Borrow;

use wasm_bindgen::prelude::*;

use crate::error::Error;

/// An [`Error`] on the heap: what the wasm face's fallible helpers return, so that handing one up
/// through `?` moves a pointer rather than the whole (large) enum.
pub(crate) type Failed = Box<Error>;

#[wasm_bindgen(module = "/src/wasm/host.js")]
extern "C" {
    /// `new Error(message)` with `name` "McpPoolError", `code`, and the others where given
    /// (`data` as JSON text, parsed).
    fn mcp_error(
        message: &str,
        code: &str,
        server: Option<&str>,
        status: Option<u16>,
        rpc_code: Option<f64>,
        data: Option<String>,
    ) -> JsValue;
}

/// Builds an `Error` with `name` "McpPoolError", `code`, and where they apply `server`,
/// `status`, `rpcCode` and `data`.
pub(crate) fn to_js(error: &Error) -> JsValue {
    mcp_error(
        &error.to_string(),
        error.code(),
        error.server(),
        error.http_status(),
        error.rpc_code().map(|code| code as f64),
        error.rpc_data().map(crate::json::to_string),
    )
}

/// `Result` conversion for exported functions.
pub(crate) fn js_result<T, E: Borrow<Error>>(result: Result<T, E>) -> Result<T, JsValue> {
    result.map_err(|e| to_js(e.borrow()))
}
