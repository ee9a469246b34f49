//! Errors as real JS `Error` objects with a stable `code`, so callers can branch on `err.code`.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::error::Error;

/// Builds an `Error` with `name` "McpPoolError", `code`, and where they apply `server`,
/// `status`, `rpcCode` and `data`.
pub(crate) fn to_js(error: &Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    js.set_name("McpPoolError");
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&js, &JsValue::from_str(key), &value);
    };
    set("code", JsValue::from_str(error.code()));
    if let Some(server) = error.server() {
        set("server", JsValue::from_str(server));
    }
    if let Some(status) = error.http_status() {
        set("status", JsValue::from(status));
    }
    if let Some(code) = error.rpc_code() {
        set("rpcCode", JsValue::from_f64(code as f64));
    }
    if let Some(data) = error.rpc_data() {
        let parsed = js_sys::JSON::parse(&crate::jsonrpc::to_json(data)).unwrap_or(JsValue::NULL);
        set("data", parsed);
    }
    js.into()
}

/// `Result` conversion for exported functions.
pub(crate) fn js_result<T>(result: Result<T, Error>) -> Result<T, JsValue> {
    result.map_err(|e| to_js(&e))
}
