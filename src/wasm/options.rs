//! Reading options objects passed from JS, with a typed error for every wrong type or value.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

use super::errors::Failed;
use crate::config::{PoolOptions, ServerOptions, TransportMode, MAX_DELAY_MS};
use crate::error::Error;
use crate::protocol::Implementation;
use crate::session::EraPolicy;

/// A JS options object: `undefined`/`null` means "all defaults".
pub(crate) struct Options {
    object: Option<Object>,
    what: &'static str,
}

impl Options {
    /// Wraps `value`, which must be an object, `undefined` or `null`, and have only `known` keys.
    pub(crate) fn new(
        value: &JsValue,
        what: &'static str,
        known: &[&str],
    ) -> Result<Options, Failed> {
        if value.is_undefined() || value.is_null() {
            return Ok(Options { object: None, what });
        }
        let Some(object) = value
            .dyn_ref::<Object>()
            .filter(|_| !value.is_function() && !js_sys::Array::is_array(value))
        else {
            return Err(Error::invalid_argument(what, "must be an object").into());
        };
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(Error::invalid_config(
                    &key,
                    format!("unknown option in {what} (known: {})", known.join(", ")),
                )
                .into());
            }
        }
        Ok(Options {
            object: Some(object.clone()),
            what,
        })
    }

    fn get(&self, key: &str) -> JsValue {
        match &self.object {
            Some(object) => {
                Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
            }
            None => JsValue::UNDEFINED,
        }
    }

    /// A whole number in `min..=max`, or `None` when absent.
    pub(crate) fn int(&self, key: &str, min: f64, max: f64) -> Result<Option<u64>, Failed> {
        let value = self.get(key);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let Some(n) = value.as_f64() else {
            return Err(Error::invalid_config(key, "must be a number").into());
        };
        if !n.is_finite() || n.fract() != 0.0 || n < min || n > max {
            return Err(Error::invalid_config(
                key,
                format!(
                    "must be a whole number from {} to {}",
                    min as u64, max as u64
                ),
            )
            .into());
        }
        Ok(Some(n as u64))
    }

    /// A timeout in ms, or `None`.
    pub(crate) fn ms(&self, key: &str, min: u64) -> Result<Option<u64>, Failed> {
        self.int(key, min as f64, MAX_DELAY_MS as f64)
    }

    /// A count (sessions, leases), or `None`.
    pub(crate) fn count(&self, key: &str) -> Result<Option<usize>, Failed> {
        Ok(self
            .int(key, 1.0, crate::config::MAX_COUNT as f64)?
            .map(|n| n as usize))
    }

    /// A non-empty string, or `None`.
    fn string(&self, key: &str) -> Result<Option<String>, Failed> {
        let value = self.get(key);
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        match value.as_string() {
            Some(s) if !s.is_empty() && s.len() <= 1024 => Ok(Some(s)),
            Some(_) => Err(Error::invalid_config(key, "must be 1 to 1024 characters").into()),
            None => Err(Error::invalid_config(key, "must be a string").into()),
        }
    }

    /// A boolean, `false` when absent.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, Failed> {
        let value = self.get(key);
        if value.is_undefined() || value.is_null() {
            return Ok(false);
        }
        value
            .as_bool()
            .ok_or_else(|| Box::new(Error::invalid_config(key, "must be true or false")))
    }

    /// The `signal` option: an `AbortSignal`, or `None`.
    pub(crate) fn signal(&self) -> Result<Option<AbortSignal>, Failed> {
        let value = self.get("signal");
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        value.dyn_into::<AbortSignal>().map(Some).map_err(|_| {
            Box::new(Error::invalid_argument(
                &format!("{}.signal", self.what),
                "must be an AbortSignal",
            ))
        })
    }

    /// The raw value of `key`.
    pub(crate) fn raw(&self, key: &str) -> JsValue {
        self.get(key)
    }
}

const POOL_KEYS: [&str; 14] = [
    "httpClient",
    "toolsCacheTtlMs",
    "maxConcurrentRequests",
    "maxConcurrentRequestsPerServer",
    "circuitBreakerThreshold",
    "circuitBreakerCooldownMs",
    "maxConnectionsPerServer",
    "maxLeasesPerConnection",
    "healthCheckIntervalMs",
    "idleTimeoutMs",
    "acquireTimeoutMs",
    "requestTimeoutMs",
    "maxResponseBytes",
    "clientInfo",
];

/// Reads the options of `new McpPool(options)`, and whether to send through the Node client (see
/// [`node_http`]; `available`: the package's Node entry installed it).
pub(crate) fn pool_options(
    value: &JsValue,
    available: bool,
) -> Result<(PoolOptions, bool), Failed> {
    let o = Options::new(value, "options", &POOL_KEYS)?;
    let node = node_http(&o, available)?;
    let mut out = PoolOptions::default();
    if let Some(n) = o.count("maxConnectionsPerServer")? {
        out.max_connections_per_server = n;
    }
    out.max_leases_per_connection = o.count("maxLeasesPerConnection")?;
    if let Some(ms) = o.ms("healthCheckIntervalMs", 0)? {
        out.health_check_interval_ms = ms;
    }
    if let Some(ms) = o.ms("idleTimeoutMs", 0)? {
        out.idle_timeout_ms = ms;
    }
    if let Some(ms) = o.ms("acquireTimeoutMs", 1)? {
        out.acquire_timeout_ms = ms;
    }
    if let Some(ms) = o.ms("requestTimeoutMs", 1)? {
        out.request_timeout_ms = ms;
    }
    if let Some(n) = o.int(
        "maxResponseBytes",
        1024.0,
        crate::config::MAX_RESPONSE_BYTES as f64,
    )? {
        out.max_response_bytes = n as usize;
    }
    if let Some(ms) = o.ms("toolsCacheTtlMs", 0)? {
        out.tools_cache_ttl_ms = ms;
    }
    if let Some(n) = o.count("maxConcurrentRequests")? {
        out.max_concurrent_requests = n;
    }
    out.max_concurrent_requests_per_server = o.count("maxConcurrentRequestsPerServer")?;
    if let Some(n) = o.int("circuitBreakerThreshold", 0.0, 1000.0)? {
        out.circuit_breaker_threshold = n as u32;
    }
    if let Some(ms) = o.ms("circuitBreakerCooldownMs", 1)? {
        out.circuit_breaker_cooldown_ms = ms;
    }
    let info = o.raw("clientInfo");
    if !info.is_undefined() && !info.is_null() {
        let info = Options::new(&info, "clientInfo", &["name", "version"])?;
        let name = info
            .string("name")?
            .ok_or_else(|| Error::invalid_config("clientInfo.name", "is required"))?;
        let version = info
            .string("version")?
            .ok_or_else(|| Error::invalid_config("clientInfo.version", "is required"))?;
        out.client_info = Implementation::new(name, version);
    }
    out.validate()?;
    Ok((out, node))
}

/// Reads `httpClient` of `new McpPool(options)`: whether to send through the Node client (`true`) or
/// the global `fetch`. "auto" (the default) takes the Node client where the package's Node entry
/// installed it (Node and Deno; not Bun, whose `undici` is its own layer over its fetch).
fn node_http(o: &Options, available: bool) -> Result<bool, Failed> {
    match o.string("httpClient")?.as_deref() {
        None | Some("auto") => Ok(available),
        Some("fetch") => Ok(false),
        Some("node") if available => Ok(true),
        Some("node") => Err(Error::invalid_config(
            "httpClient",
            "\"node\" is not available in this runtime (the package's Node entry installs it in Node and Deno; Bun, browsers and Workers use fetch)",
        )
        .into()),
        Some(_) => Err(Error::invalid_config(
            "httpClient",
            "must be \"auto\", \"fetch\" or \"node\"",
        )
        .into()),
    }
}

/// Reads the options of `registerHttp(name, url, options)`.
pub(crate) fn server_options(value: &JsValue) -> Result<ServerOptions, Failed> {
    let o = Options::new(
        value,
        "options",
        &[
            "headers",
            "maxConnections",
            "maxLeasesPerConnection",
            "requestTimeoutMs",
            "acquireTimeoutMs",
            "allowCrossOriginRedirects",
            "handlers",
            "tokenProvider",
            "dpop",
            "era",
            "transport",
            "serverStream",
        ],
    )?;
    let era = match o.string("era")? {
        None => EraPolicy::Auto,
        Some(text) => EraPolicy::parse(&text).ok_or_else(|| {
            Error::invalid_config(
                "era",
                "must be \"auto\", \"legacy\", \"modern\" or \"2026-07-28\"",
            )
        })?,
    };
    let transport = match o.string("transport")?.as_deref() {
        None | Some("auto") => TransportMode::Auto,
        Some("streamable-http") => TransportMode::StreamableHttp,
        Some("sse") => TransportMode::Sse,
        Some(_) => {
            return Err(Error::invalid_config(
                "transport",
                "must be 'auto', 'streamable-http' or 'sse'",
            )
            .into())
        }
    };
    let mut out = ServerOptions {
        era,
        transport,
        headers: headers(&o.raw("headers"))?,
        ..ServerOptions::default()
    };
    out.max_connections = o.count("maxConnections")?;
    out.max_leases_per_connection = o.count("maxLeasesPerConnection")?;
    out.request_timeout_ms = o.ms("requestTimeoutMs", 1)?;
    out.acquire_timeout_ms = o.ms("acquireTimeoutMs", 1)?;
    out.allow_cross_origin_redirects = o.flag("allowCrossOriginRedirects")?;
    out.handlers = super::handlers::client_handlers(&o.raw("handlers"))?;
    out.token_provider = super::handlers::token_provider(&o.raw("tokenProvider"))?;
    out.dpop = super::handlers::dpop(&o.raw("dpop"))?;
    out.server_stream = o.flag("serverStream")?;
    out.validate()?;
    Ok(out)
}

/// Headers given as a plain object of strings.
fn headers(value: &JsValue) -> Result<Vec<(String, String)>, Failed> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let Some(object) = value
        .dyn_ref::<Object>()
        .filter(|_| !value.is_function() && !js_sys::Array::is_array(value))
    else {
        return Err(Error::invalid_config(
            "headers",
            "must be an object of header names to string values",
        )
        .into());
    };
    let mut out = Vec::new();
    for entry in Object::entries(object).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let name = pair.get(0).as_string().unwrap_or_default();
        let Some(value) = pair.get(1).as_string() else {
            return Err(Error::invalid_config(
                "headers",
                format!("the value of '{name}' must be a string"),
            )
            .into());
        };
        if value.len() > 16 * 1024 {
            return Err(Error::invalid_config(
                "headers",
                format!("the value of '{name}' is longer than 16 KiB"),
            )
            .into());
        }
        out.push((name, value));
    }
    Ok(out)
}

/// `{ signal, timeoutMs }` of `get` and of requests.
pub(crate) struct CallOptions {
    pub(crate) signal: Option<AbortSignal>,
    pub(crate) timeout_ms: Option<u64>,
    /// `listTools` only: skip the pool's tool catalog.
    pub(crate) fresh: bool,
    /// Requests only: a function called with each progress notification's params.
    pub(crate) on_progress: Option<js_sys::Function>,
    /// Requests only: each progress notification restarts the timeout.
    pub(crate) reset_timeout_on_progress: bool,
    /// Requests only: the hard cap when the timeout resets.
    pub(crate) max_total_timeout_ms: Option<u64>,
}

/// Reads `{ signal, timeoutMs }` (a timeout of at least 1 ms).
pub(crate) fn call_options(value: &JsValue) -> Result<CallOptions, Failed> {
    let o = Options::new(
        value,
        "options",
        &[
            "signal",
            "timeoutMs",
            "fresh",
            "onProgress",
            "resetTimeoutOnProgress",
            "maxTotalTimeoutMs",
        ],
    )?;
    let on_progress = o.raw("onProgress");
    let on_progress = if on_progress.is_undefined() || on_progress.is_null() {
        None
    } else {
        Some(
            on_progress
                .dyn_into::<js_sys::Function>()
                .map_err(|_| Error::invalid_argument("options.onProgress", "must be a function"))?,
        )
    };
    Ok(CallOptions {
        signal: o.signal()?,
        timeout_ms: o.ms("timeoutMs", 1)?,
        fresh: o.flag("fresh")?,
        on_progress,
        reset_timeout_on_progress: o.flag("resetTimeoutOnProgress")?,
        max_total_timeout_ms: o.ms("maxTotalTimeoutMs", 1)?,
    })
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
