//! Reading the JS options objects into their types through serde-wasm-bindgen. Every option is
//! declared once, as a field of a serde struct: the core's in `crate::options`, the ones only JS
//! has (`httpClient`, the hooks, the call options) here. An option set to `undefined` or `null`
//! is absent; a key no struct declares is an error (a typo is not ignored).

use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::errors::Failed;
use super::read::read;
use crate::error::Error;
use crate::options::{
    check_delay, fields_of, IdentityHook, IdentityOptions, PoolOptions, ServerOptions,
};
use std::rc::Rc;

/// The options of `new McpPool(options)` that only the wasm face has.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PoolHost {
    /// How requests are sent. Default: `auto`.
    http_client: HttpClient,
}

/// `httpClient`: `auto`, `fetch` or `node`.
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum HttpClient {
    #[default]
    Auto,
    Fetch,
    Node,
}

/// Reads the options of `new McpPool(options)`, and whether to send through the Node client
/// (`available`: the package's Node entry installed it). "auto" (the default) takes the Node
/// client where it is installed (Node and Deno; not Bun, whose `undici` is its own layer over its
/// fetch).
pub(crate) fn pool_options(
    value: &JsValue,
    available: bool,
) -> Result<(PoolOptions, bool), Failed> {
    let host: PoolHost = read(value, "options", fields_of::<PoolOptions>())?;
    let node = match host.http_client {
        HttpClient::Auto => available,
        HttpClient::Fetch => false,
        HttpClient::Node if available => true,
        HttpClient::Node => return Err(Error::invalid_config(
            "httpClient",
            "\"node\" is not available in this runtime (the package's Node entry installs it in Node and Deno; Bun, browsers and Workers use fetch)",
        )
        .into()),
    };
    let mut options: PoolOptions = read(value, "options", fields_of::<PoolHost>())?;
    if node && !given(value, "maxConcurrentRequests") {
        options.max_concurrent_requests = NODE_CLIENT_MAX_CONCURRENT_REQUESTS;
    }
    options.validate()?;
    Ok((options, node))
}

/// The default of `maxConcurrentRequests` where the pool sends through the Node client (Node,
/// Deno): undici has no per-origin connection limit, unlike Workers (6 outbound connections per
/// request) and browsers (6 per origin on HTTP/1.1), which keep the core's 6. Measured with
/// `node bench/cap.mjs` (50 agents x 10 calls, a server 40 ms away; 2026-12-06, medians of 3 and
/// of 5 runs on a loaded 2-core machine): a cap of 6 made 122 and 103 calls/s where 50
/// independent undici clients made 423 and 383; 32 made 401 and 355; 48 and 64 made 450 to 621,
/// as many as the 50 clients or more. 64 is the first power of two at which the cap no longer
/// binds those agents; a cap still guards a server against a runaway agent loop.
const NODE_CLIENT_MAX_CONCURRENT_REQUESTS: usize = 64;

/// True when `object.key` is set (not `undefined` or `null`).
fn given(object: &JsValue, key: &str) -> bool {
    js_sys::Reflect::get(object, &JsValue::from_str(key))
        .is_ok_and(|v| !v.is_undefined() && !v.is_null())
}

/// The options of `registerHttp` that are functions: serde keeps them as JS values, and
/// `super::handlers` wraps them.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ServerHooks {
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    handlers: JsValue,
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    token_provider: JsValue,
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    dpop: JsValue,
    /// `(identity) => headers`: the headers of one identity's sessions.
    #[serde(
        default,
        deserialize_with = "serde_wasm_bindgen::preserve::deserialize"
    )]
    identity_headers: JsValue,
}

/// Headers as `identityHeaders` returns them: an object of names to strings.
#[derive(Deserialize)]
struct HeaderMap(#[serde(deserialize_with = "crate::options::header_map")] Vec<(String, String)>);

/// Reads the options of `registerHttp(name, url, options)`.
pub(crate) fn server_options(value: &JsValue) -> Result<ServerOptions, Failed> {
    let mut out: ServerOptions = read(value, "options", fields_of::<ServerHooks>())?;
    out.validate()?;
    let hooks: ServerHooks = read(value, "options", fields_of::<ServerOptions>())?;
    let none = JsValue::UNDEFINED;
    out.handlers = super::handlers::client_handlers(&hooks.handlers, &none)?;
    out.token_provider = super::handlers::token_provider(&hooks.token_provider, &none)?;
    out.dpop = super::handlers::dpop(&hooks.dpop)?;
    out.identity = identity_hook(hooks)?;
    Ok(out)
}

/// The identity hook of a server whose JS hooks may take an identity: its token provider and
/// handlers are called with a second argument `{ identity }` for an identity's sessions, and
/// `identityHeaders(identity)` gives their extra headers. `None` when there is nothing to make
/// per identity (an identity's sessions are then opened with the server's options as they are).
fn identity_hook(hooks: ServerHooks) -> Result<Option<IdentityHook>, Failed> {
    let headers = match hooks.identity_headers {
        v if v.is_undefined() || v.is_null() => None,
        v => Some(
            v.dyn_into::<js_sys::Function>()
                .map_err(|_| Error::invalid_config("identityHeaders", "must be a function"))?,
        ),
    };
    let given = |v: &JsValue| !v.is_undefined() && !v.is_null();
    if headers.is_none() && !given(&hooks.handlers) && !given(&hooks.token_provider) {
        return Ok(None);
    }
    let (handlers, token_provider) = (hooks.handlers, hooks.token_provider);
    Ok(Some(Rc::new(move |identity: &str| {
        let context = js_sys::Object::new();
        let _ = js_sys::Reflect::set(
            &context,
            &JsValue::from_str("identity"),
            &JsValue::from_str(identity),
        );
        let context = JsValue::from(context);
        let message = |e: Failed| e.to_string();
        let handlers = if given(&handlers) {
            Some(super::handlers::client_handlers(&handlers, &context).map_err(message)?)
        } else {
            None
        };
        let token_provider =
            super::handlers::token_provider(&token_provider, &context).map_err(message)?;
        let headers = match &headers {
            None => Vec::new(),
            Some(f) => {
                let value = f
                    .call1(&JsValue::UNDEFINED, &JsValue::from_str(identity))
                    .map_err(|_| "identityHeaders threw".to_owned())?;
                let HeaderMap(headers) = serde_wasm_bindgen::from_value(value).map_err(|e| {
                    format!("identityHeaders must return an object of header strings: {e}")
                })?;
                headers
            }
        };
        Ok(IdentityOptions {
            headers,
            token_provider,
            handlers,
        })
    })))
}

/// The options of `get` and of every request.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct CallOptions {
    /// Aborts the wait or the request: an `AbortSignal` (checked by [`CallOptions::signal`]).
    #[serde(deserialize_with = "serde_wasm_bindgen::preserve::deserialize")]
    signal: JsValue,
    /// Overrides the acquire or request timeout, in ms (at least 1).
    pub(crate) timeout_ms: Option<u64>,
    /// `listTools` only: skip the pool's tool catalog.
    pub(crate) fresh: bool,
    /// Requests only: a function called with each progress notification's params.
    #[serde(deserialize_with = "serde_wasm_bindgen::preserve::deserialize")]
    on_progress: JsValue,
    /// Requests only: each progress notification restarts the timeout.
    pub(crate) reset_timeout_on_progress: bool,
    /// Requests only: the hard cap when the timeout resets, in ms (at least 1).
    pub(crate) max_total_timeout_ms: Option<u64>,
    /// `get` only: who the session is for (see `GetOptions::identity`).
    pub(crate) identity: Option<String>,
}

impl CallOptions {
    /// Checks the timeouts and the types serde left as JS values.
    ///
    /// # Errors
    /// `INVALID_CONFIG` for a timeout out of range, `INVALID_ARGUMENT` for a `signal` that is not
    /// an `AbortSignal` or an `onProgress` that is not a function.
    fn validate(&self) -> Result<(), Failed> {
        if let Some(ms) = self.timeout_ms {
            check_delay("timeoutMs", ms, 1)?;
        }
        if let Some(ms) = self.max_total_timeout_ms {
            check_delay("maxTotalTimeoutMs", ms, 1)?;
        }
        if !self.signal.is_undefined() && !self.signal.is_instance_of::<AbortSignal>() {
            return Err(Error::invalid_argument("options.signal", "must be an AbortSignal").into());
        }
        if !self.on_progress.is_undefined() && !self.on_progress.is_function() {
            return Err(Error::invalid_argument("options.onProgress", "must be a function").into());
        }
        Ok(())
    }

    /// The `signal` option.
    pub(crate) fn signal(&self) -> Option<AbortSignal> {
        self.signal.dyn_ref::<AbortSignal>().cloned()
    }

    /// The `onProgress` option.
    pub(crate) fn on_progress(&self) -> Option<js_sys::Function> {
        self.on_progress.dyn_ref::<js_sys::Function>().cloned()
    }
}

/// Reads `{ signal, timeoutMs, ... }` of `get` and of requests.
pub(crate) fn call_options(value: &JsValue) -> Result<CallOptions, Failed> {
    // No options (the usual call): the defaults, as serde would read an empty object, without a
    // JS object, its keys and a serde-wasm-bindgen pass on every `get` and every request.
    if value.is_undefined() || value.is_null() {
        return Ok(CallOptions::default());
    }
    let options: CallOptions = read(value, "options", &[])?;
    options.validate()?;
    Ok(options)
}

/// A string argument (server name, tool name, URI, method).
pub(crate) fn string_arg(
    value: &JsValue,
    argument: &str,
    max_len: usize,
) -> Result<String, Failed> {
    match value.as_string() {
        Some(s) if s.is_empty() => {
            Err(Error::invalid_argument(argument, "must not be empty").into())
        }
        Some(s) if s.len() > max_len => Err(Error::invalid_argument(
            argument,
            format!("is longer than {max_len} characters"),
        )
        .into()),
        Some(s) => Ok(s),
        None => Err(Error::invalid_argument(argument, "must be a string").into()),
    }
}
