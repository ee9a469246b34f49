//! Test bodies shared by `tests/wasm_node.rs` (`wasm-pack test --node`) and
//! `tests/wasm_browser.rs` (`wasm-pack test --headless --chrome`).
//!
//! They drive the exported wasm API (`JsPool` = `McpPool`, `JsClient` = `McpClient`) against a
//! real MCP server, `tests/servers/ts_server.mjs`, whose endpoint comes in at compile time:
//! `MCP_TEST_URL` (answers in SSE) and `MCP_TEST_URL_JSON` (started with `--json`), both
//! `http://127.0.0.1:<port>/mcp`, and `MCP_TEST_URL_BROKEN` for `broken_server.mjs` (next to
//! this file), which drops connections mid-body on purpose, and `MCP_TEST_URL_MODERN` for the
//! Python SDK server in the stateless era (`py_server.py --modern-only`). `scripts/test-wasm.sh` starts
//! the four servers and sets them. Unset, every test that needs one fails with a message saying so.
//!
//! Each test builds its own pool and closes it. wasm-bindgen-test runs tests one at a time, so
//! a test may compare the server's `/__stats` counters before and after what it does.
//!
//! Adding a test: write `pub async fn name()` here and add `name` to `mcp_wasm_tests!` below.
//! `deny(dead_code)` turns a body missing from the list into a compile error.

#![deny(dead_code)]

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use mcp_edge_pool::wasm::{JsClient, JsPool};
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Stamps out one `#[wasm_bindgen_test] async fn` per shared body, in the crate that invokes it.
macro_rules! mcp_wasm_tests {
    () => {
        mcp_wasm_tests!(@stamp
            get_lists_tools,
            call_tool_echo_returns_text,
            call_tool_add_returns_structured_content,
            release_then_get_reuses_the_session,
            unknown_server_is_unknown_server,
            double_release_is_lease_released,
            release_to_another_pool_is_foreign_lease,
            register_stdio_throws_stdio_unsupported,
            bad_option_types_are_invalid_config,
            unknown_tool_is_an_error_result,
            failing_tool_is_an_error_result,
            unknown_method_is_rpc_error,
            json_mode_server_works,
            expired_session_recovers_with_one_initialize,
            abort_signal_aborts_a_slow_call,
            aborted_signal_sends_nothing,
            timeout_ms_gives_request_timeout,
            close_then_get_is_pool_closed,
            dropped_connection_is_network_error,
            cors_refusal_is_explained_in_browsers,
            health_loop_pings_idle_sessions,
            idle_session_is_closed_by_the_health_loop,
            acquire_timeout_then_release_hands_over,
            stateless_era_server_works,
        );
    };
    (@stamp $($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            async fn $name() {
                common::$name().await
            }
        )*
    };
}

// ---------------------------------------------------------------------------------------------
// Environment and helpers
// ---------------------------------------------------------------------------------------------

const HOW: &str = "run scripts/test-wasm.sh, or start `node tests/servers/ts_server.mjs --port 0` \
                   (and another with --json) and export MCP_TEST_URL=http://127.0.0.1:<port>/mcp \
                   and MCP_TEST_URL_JSON=http://127.0.0.1:<port>/mcp before `wasm-pack test` \
                   (the URLs are read at compile time)";

/// The SSE server's MCP endpoint. Panics (fails the test) when unset at compile time.
fn sse_url() -> &'static str {
    match option_env!("MCP_TEST_URL") {
        Some(url) if !url.is_empty() => url,
        _ => panic!("MCP_TEST_URL was not set when the tests were compiled: {HOW}"),
    }
}

/// The JSON-mode server's MCP endpoint. Panics (fails the test) when unset at compile time.
fn json_url() -> &'static str {
    match option_env!("MCP_TEST_URL_JSON") {
        Some(url) if !url.is_empty() => url,
        _ => panic!("MCP_TEST_URL_JSON was not set when the tests were compiled: {HOW}"),
    }
}

/// The deliberately broken server's endpoint (`tests/wasm_common/broken_server.mjs`).
fn broken_url() -> &'static str {
    match option_env!("MCP_TEST_URL_BROKEN") {
        Some(url) if !url.is_empty() => url,
        _ => panic!(
            "MCP_TEST_URL_BROKEN was not set when the tests were compiled: run scripts/test-wasm.sh, \
             or start `node tests/wasm_common/broken_server.mjs --port 0` and export \
             MCP_TEST_URL_BROKEN=http://127.0.0.1:<port>/mcp before `wasm-pack test`"
        ),
    }
}

/// The Python SDK server serving the stateless 2026-07-28 era (`py_server.py --modern-only`).
fn modern_url() -> &'static str {
    match option_env!("MCP_TEST_URL_MODERN") {
        Some(url) if !url.is_empty() => url,
        _ => panic!(
            "MCP_TEST_URL_MODERN was not set when the tests were compiled: run scripts/test-wasm.sh, \
             or start `.venv/bin/python tests/servers/py_server.py --port 0 --modern-only` and export \
             MCP_TEST_URL_MODERN=http://127.0.0.1:<port>/mcp before `wasm-pack test`"
        ),
    }
}

/// `http://host:port/<path>` of the server behind `url` (its test hooks live at the root).
fn control_url(url: &str, path: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let origin_end = url[scheme_end..]
        .find('/')
        .map_or(url.len(), |i| scheme_end + i);
    format!("{}{}", &url[..origin_end], path)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(url: &str, init: &JsValue) -> Promise;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: i32) -> JsValue;
}

/// Resolves after `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, ms);
    });
    JsFuture::from(promise).await.unwrap();
}

/// True in a browser page (CORS applies), false in Node.
fn in_browser() -> bool {
    Reflect::has(&js_sys::global(), &JsValue::from_str("document")).unwrap_or(false)
}

/// Milliseconds since the epoch.
fn now() -> f64 {
    js_sys::Date::now()
}

/// A JS value from JSON text.
fn js(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|e| panic!("bad JSON in a test: {json}: {e:?}"))
}

/// `target[key]`.
fn field(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `target[key]` as a number.
fn num(target: &JsValue, key: &str) -> f64 {
    field(target, key)
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {}", show(target)))
}

/// `target[key]` as a string.
fn string(target: &JsValue, key: &str) -> String {
    field(target, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string in {}", show(target)))
}

/// JSON text of a value, for messages (errors show as `name [code]: message`).
fn show(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        return format!(
            "{} [{}]: {}",
            String::from(error.name()),
            field(value, "code").as_string().unwrap_or_default(),
            String::from(error.message())
        );
    }
    JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| format!("{value:?}"))
}

/// An optional object argument (options, tool arguments) from JSON text.
fn arg<T: JsCast>(json: &str) -> Option<T> {
    Some(js(json).unchecked_into())
}

/// The call options `{ signal }`.
fn with_signal<T: JsCast>(signal: &web_sys::AbortSignal) -> Option<T> {
    let options = Object::new();
    Reflect::set(&options, &JsValue::from_str("signal"), signal).unwrap();
    Some(options.unchecked_into())
}

/// Awaits a promise that must resolve.
async fn ok(promise: Promise, what: &str) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => value,
        Err(error) => panic!("{what} rejected: {}", show(&error)),
    }
}

/// Awaits a promise that must reject.
async fn rejected(promise: Promise, what: &str) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(value) => panic!("{what} resolved to {} but should reject", show(&value)),
        Err(error) => error,
    }
}

/// Asserts that `error` is a real JS `Error` named `McpPoolError` with this `code`.
fn assert_pool_error(error: &JsValue, code: &str) {
    let Some(js_error) = error.dyn_ref::<js_sys::Error>() else {
        panic!(
            "expected an Error instance with code {code}, got {}",
            show(error)
        );
    };
    assert_eq!(
        String::from(js_error.name()),
        "McpPoolError",
        "name of {}",
        show(error)
    );
    assert_eq!(
        field(error, "code").as_string().as_deref(),
        Some(code),
        "code of {}",
        show(error)
    );
    assert!(
        !String::from(js_error.message()).is_empty(),
        "empty message: {}",
        show(error)
    );
}

/// A pool with `options` (JSON text, "" for none) and the named servers registered.
fn pool(options: &str, servers: &[(&str, &str)]) -> JsPool {
    let options = if options.is_empty() {
        None
    } else {
        arg(options)
    };
    let pool = JsPool::new(options).unwrap_or_else(|e| panic!("new McpPool: {}", show(&e)));
    for (name, url) in servers {
        pool.register_http((*name).into(), (*url).into(), None)
            .unwrap_or_else(|e| panic!("registerHttp({name}): {}", show(&e)));
    }
    pool
}

/// A pool with the SSE server registered as "sse".
fn sse_pool() -> JsPool {
    pool("", &[("sse", sse_url())])
}

/// `pool.get(name)` as an `McpClient`.
async fn lease(pool: &JsPool, name: &str) -> JsClient {
    let value = ok(pool.get(name.into(), None), "pool.get").await;
    JsClient::try_from_js_value(value)
        .unwrap_or_else(|v| panic!("pool.get resolved to {} instead of an McpClient", show(&v)))
}

/// `client.callTool(name, args)` (args as JSON text).
fn call(client: &JsClient, tool: &str, args: &str) -> Promise {
    client.call_tool(tool.into(), arg(args), None)
}

/// The text of the first content item of a tool result.
fn first_text(result: &JsValue) -> String {
    let content = field(result, "content");
    let first = Array::from(&content).get(0);
    string(&first, "text")
}

/// `callTool("echo", {message})`, asserting the echo.
async fn echo(client: &JsClient, message: &str) {
    let args = format!(
        "{{\"message\":{}}}",
        JSON::stringify(&message.into()).unwrap()
    );
    let result = ok(call(client, "echo", &args), "callTool echo").await;
    assert_eq!(
        first_text(&result),
        message,
        "echo result {}",
        show(&result)
    );
    assert!(
        !field(&result, "isError").is_truthy(),
        "echo failed: {}",
        show(&result)
    );
}

/// Closes the pool, which must succeed.
async fn close(pool: &JsPool) {
    ok(pool.close(), "pool.close").await;
}

/// `GET /__stats` of the server behind `url`.
async fn server_stats(url: &str) -> JsValue {
    request_hook(url, "GET", "/__stats").await
}

/// `POST /__expire`: the server forgets every session.
async fn expire_sessions(url: &str) {
    request_hook(url, "POST", "/__expire").await;
}

async fn request_hook(url: &str, method: &str, path: &str) -> JsValue {
    let target = control_url(url, path);
    let init = js(&format!("{{\"method\":\"{method}\"}}"));
    let response = ok(global_fetch(&target, &init), &format!("{method} {target}")).await;
    let response: web_sys::Response = response.unchecked_into();
    assert_eq!(response.status(), 200, "{method} {target}");
    ok(response.json().unwrap(), "response.json()").await
}

/// Waits up to 2 s for `stats[key]` of `url` to reach `want`; returns the last value seen.
async fn wait_for_stat(url: &str, key: &str, want: f64) -> f64 {
    let deadline = now() + 2000.0;
    loop {
        let value = num(&server_stats(url).await, key);
        if value >= want || now() > deadline {
            return value;
        }
        sleep(20).await;
    }
}

/// `tools` of a `listTools` result, by name.
fn tool_names(result: &JsValue) -> Vec<String> {
    Array::from(&field(result, "tools"))
        .iter()
        .map(|tool| string(&tool, "name"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// `get` → `listTools` lists the server's tools, with their schemas.
pub async fn get_lists_tools() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    assert_eq!(client.server(), "sse");
    assert!(!client.released());
    let result = ok(client.list_tools(None), "listTools").await;
    let names = tool_names(&result);
    for tool in ["echo", "add", "slow", "fail"] {
        assert!(
            names.iter().any(|n| n == tool),
            "{tool} missing from {names:?}"
        );
    }
    assert!(
        field(&result, "nextCursor").is_undefined(),
        "nextCursor left in {}",
        show(&result)
    );
    let echo_tool = Array::from(&field(&result, "tools"))
        .iter()
        .find(|t| string(t, "name") == "echo")
        .unwrap();
    assert_eq!(
        string(&field(&echo_tool, "inputSchema"), "type"),
        "object",
        "{}",
        show(&echo_tool)
    );
    client.release().unwrap();
    close(&pool).await;
}

/// `callTool("echo")` resolves to the server's result, with the text echoed (non-ASCII too).
pub async fn call_tool_echo_returns_text() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    echo(&client, "hello from wasm").await;
    echo(&client, "héllo → 世界 🦀 \"quoted\"\nline").await;
    client.release().unwrap();
    close(&pool).await;
}

/// `structuredContent` comes through as a JS object.
pub async fn call_tool_add_returns_structured_content() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    let result = ok(call(&client, "add", r#"{"a":2,"b":40}"#), "callTool add").await;
    assert_eq!(num(&field(&result, "structuredContent"), "sum"), 42.0);
    assert_eq!(first_text(&result), "42");
    client.release().unwrap();
    close(&pool).await;
}

/// A released session is reused by the next `get`: one connection, one `initialize`.
pub async fn release_then_get_reuses_the_session() {
    let before = num(&server_stats(sse_url()).await, "initialize");
    let pool = sse_pool();
    let first = lease(&pool, "sse").await;
    echo(&first, "one").await;
    first.release().unwrap();
    assert!(first.released());
    let stats = pool.stats();
    assert_eq!(num(&stats, "leases"), 0.0, "{}", show(&stats));
    assert_eq!(num(&stats, "idleConnections"), 1.0, "{}", show(&stats));

    let second = lease(&pool, "sse").await;
    echo(&second, "two").await;
    assert_ne!(first.lease_id(), second.lease_id());
    let stats = pool.stats();
    assert_eq!(num(&stats, "totalConnections"), 1.0, "{}", show(&stats));
    assert_eq!(num(&stats, "leases"), 1.0, "{}", show(&stats));
    let per_server = field(&field(&stats, "servers"), "sse");
    assert_eq!(
        num(&per_server, "totalConnections"),
        1.0,
        "{}",
        show(&stats)
    );
    let after = num(&server_stats(sse_url()).await, "initialize");
    assert_eq!(
        after - before,
        1.0,
        "initialize requests seen by the server"
    );
    second.release().unwrap();
    close(&pool).await;
}

/// `get` of a name never registered rejects with `UNKNOWN_SERVER`, naming the server.
pub async fn unknown_server_is_unknown_server() {
    let pool = sse_pool();
    let error = rejected(pool.get("nope".into(), None), "get(nope)").await;
    assert_pool_error(&error, "UNKNOWN_SERVER");
    assert_eq!(string(&error, "server"), "nope");
    assert_eq!(num(&pool.stats(), "totalConnections"), 0.0);
    close(&pool).await;
}

/// Releasing twice throws `LEASE_RELEASED`, through the client and through the pool; a released
/// client refuses requests with the same code. The client is used as JS sees it: one object.
pub async fn double_release_is_lease_released() {
    let pool = sse_pool();
    let client = ok(pool.get("sse".into(), None), "pool.get").await;
    js_call(&client, "release", &[]).unwrap();
    let error = js_call(&client, "release", &[]).unwrap_err();
    assert_pool_error(&error, "LEASE_RELEASED");
    let args = [JsValue::from_str("echo"), js(r#"{"message":"x"}"#)];
    let promise: Promise = js_call(&client, "callTool", &args)
        .unwrap()
        .unchecked_into();
    let error = rejected(promise, "callTool after release").await;
    assert_pool_error(&error, "LEASE_RELEASED");
    let error = pool.release("sse".into(), client).unwrap_err();
    assert_pool_error(&error, "LEASE_RELEASED");
    close(&pool).await;
}

/// A client handed out by one pool cannot be released to another, and a look-alike object is
/// never taken for a client.
pub async fn release_to_another_pool_is_foreign_lease() {
    let a = sse_pool();
    let b = sse_pool();
    let client = ok(a.get("sse".into(), None), "pool.get").await;
    let error = b.release("sse".into(), client.clone()).unwrap_err();
    assert_pool_error(&error, "FOREIGN_LEASE");
    let error = b.release("sse".into(), js("{}")).unwrap_err();
    assert_pool_error(&error, "INVALID_ARGUMENT");
    let fake = js(&format!("{{\"leaseId\": {}}}", num(&client, "leaseId")));
    let error = a.release("sse".into(), fake).unwrap_err();
    assert_pool_error(&error, "FOREIGN_LEASE");
    assert!(
        !field(&client, "released").is_truthy(),
        "the look-alike released nothing"
    );
    a.release("sse".into(), client.clone()).unwrap();
    assert!(field(&client, "released").is_truthy());
    close(&a).await;
    close(&b).await;
}

/// Calls `target[method](...args)` as JS would.
fn js_call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
    let function: Function = field(target, method).unchecked_into();
    let args: js_sys::Array = args.iter().collect();
    function.apply(target, &args)
}

/// `registerStdio` throws `STDIO_UNSUPPORTED` synchronously (no promise), naming the server.
pub async fn register_stdio_throws_stdio_unsupported() {
    let pool = pool("", &[]);
    let args: JsValue = Array::of1(&"-y".into()).into();
    let error = pool
        .register_stdio("files".into(), "npx".into(), args)
        .unwrap_err();
    assert_pool_error(&error, "STDIO_UNSUPPORTED");
    assert_eq!(string(&error, "server"), "files");
    assert_eq!(pool.servers().unchecked_into::<Array>().length(), 0);
    close(&pool).await;
}

/// Wrong option types and unknown option keys are `INVALID_CONFIG`, wherever they are given.
pub async fn bad_option_types_are_invalid_config() {
    let error = JsPool::new(arg(r#"{"maxConnectionsPerServer":"5"}"#)).unwrap_err();
    assert_pool_error(&error, "INVALID_CONFIG");
    assert!(
        string(&error, "message").contains("maxConnectionsPerServer"),
        "{}",
        show(&error)
    );
    let error = JsPool::new(arg(r#"{"requestTimeoutMs":1.5}"#)).unwrap_err();
    assert_pool_error(&error, "INVALID_CONFIG");
    let error = JsPool::new(arg(r#"{"maxConnectionPerServer":5}"#)).unwrap_err();
    assert_pool_error(&error, "INVALID_CONFIG");

    let pool = pool("", &[]);
    let error = pool
        .register_http(
            "sse".into(),
            sse_url().into(),
            arg(r#"{"headers":{"x-test":1}}"#),
        )
        .unwrap_err();
    assert_pool_error(&error, "INVALID_CONFIG");
    let error = pool
        .register_http("sse".into(), "not a url".into(), None)
        .unwrap_err();
    assert_pool_error(&error, "INVALID_URL");

    pool.register_http("sse".into(), sse_url().into(), None)
        .unwrap();
    let error = rejected(
        pool.get("sse".into(), arg(r#"{"timeoutMs":"soon"}"#)),
        "get with timeoutMs: 'soon'",
    )
    .await;
    assert_pool_error(&error, "INVALID_CONFIG");
    let client = lease(&pool, "sse").await;
    let error = rejected(
        client.call_tool(
            "echo".into(),
            arg(r#"{"message":"x"}"#),
            arg(r#"{"timeoutMs":-1}"#),
        ),
        "callTool with timeoutMs: -1",
    )
    .await;
    assert_pool_error(&error, "INVALID_CONFIG");
    let error = rejected(
        client.call_tool("echo".into(), arg("[1]"), None),
        "callTool with array arguments",
    )
    .await;
    assert_pool_error(&error, "INVALID_ARGUMENT");
    client.release().unwrap();
    close(&pool).await;
}

/// This server (TS SDK `McpServer`) answers an unknown tool with a tool error *result*, not a
/// JSON-RPC error: the promise resolves with `isError: true` and the SDK's message.
pub async fn unknown_tool_is_an_error_result() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    let result = ok(call(&client, "no_such_tool", "{}"), "callTool no_such_tool").await;
    assert_eq!(
        field(&result, "isError"),
        JsValue::TRUE,
        "{}",
        show(&result)
    );
    assert_eq!(
        first_text(&result),
        "MCP error -32602: Tool no_such_tool not found"
    );
    // The session is fine afterwards.
    echo(&client, "still here").await;
    client.release().unwrap();
    close(&pool).await;
}

/// A tool that fails resolves with its `isError` result; nothing is thrown.
pub async fn failing_tool_is_an_error_result() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    let result = ok(call(&client, "fail", "{}"), "callTool fail").await;
    assert_eq!(
        field(&result, "isError"),
        JsValue::TRUE,
        "{}",
        show(&result)
    );
    assert_eq!(first_text(&result), "this tool always fails");
    client.release().unwrap();
    close(&pool).await;
}

/// A JSON-RPC error from the server rejects with `RPC_ERROR` carrying `rpcCode`.
pub async fn unknown_method_is_rpc_error() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    let error = rejected(
        client.request("no/such_method".into(), None, None),
        "request(no/such_method)",
    )
    .await;
    assert_pool_error(&error, "RPC_ERROR");
    assert_eq!(num(&error, "rpcCode"), -32601.0, "{}", show(&error));
    assert_eq!(string(&error, "server"), "sse");
    // ping goes through `request` too and resolves to {}.
    let pong = ok(client.ping(None), "ping").await;
    assert_eq!(show(&pong), "{}");
    client.release().unwrap();
    close(&pool).await;
}

/// A server that answers in plain JSON (no SSE) works the same, session reuse included.
pub async fn json_mode_server_works() {
    let before = num(&server_stats(json_url()).await, "initialize");
    let pool = pool("", &[("json", json_url())]);
    let client = lease(&pool, "json").await;
    let tools = ok(client.list_tools(None), "listTools").await;
    assert!(tool_names(&tools).iter().any(|n| n == "echo"));
    echo(&client, "plain json").await;
    let result = ok(call(&client, "add", r#"{"a":-1,"b":0.5}"#), "callTool add").await;
    assert_eq!(num(&field(&result, "structuredContent"), "sum"), -0.5);
    client.release().unwrap();
    let client = lease(&pool, "json").await;
    echo(&client, "again").await;
    assert_eq!(num(&pool.stats(), "totalConnections"), 1.0);
    let after = num(&server_stats(json_url()).await, "initialize");
    assert_eq!(
        after - before,
        1.0,
        "initialize requests seen by the JSON server"
    );
    client.release().unwrap();
    close(&pool).await;
}

/// The server forgets the session (404 on its id): the next call re-initializes once, in place,
/// and succeeds; the caller sees nothing.
pub async fn expired_session_recovers_with_one_initialize() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    echo(&client, "before").await;
    let before = num(&server_stats(sse_url()).await, "initialize");
    expire_sessions(sse_url()).await;
    assert_eq!(num(&server_stats(sse_url()).await, "sessions"), 0.0);

    echo(&client, "after").await;
    let stats = server_stats(sse_url()).await;
    assert_eq!(
        num(&stats, "initialize") - before,
        1.0,
        "one re-initialize: {}",
        show(&stats)
    );
    assert_eq!(num(&stats, "sessions"), 1.0, "{}", show(&stats));
    echo(&client, "and again").await;
    assert_eq!(
        num(&server_stats(sse_url()).await, "initialize") - before,
        1.0
    );
    let pool_stats = pool.stats();
    assert_eq!(
        num(&pool_stats, "totalConnections"),
        1.0,
        "{}",
        show(&pool_stats)
    );
    client.release().unwrap();
    close(&pool).await;
}

/// Aborting the signal of a running call rejects it at once with `ABORTED`, tells the server
/// (`notifications/cancelled`), and leaves the session usable.
pub async fn abort_signal_aborts_a_slow_call() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    echo(&client, "warm").await;
    let cancelled = num(&server_stats(sse_url()).await, "cancelled");
    let controller = web_sys::AbortController::new().unwrap();
    let started = now();
    let call = client.call_tool(
        "slow".into(),
        arg(r#"{"ms":5000}"#),
        with_signal(&controller.signal()),
    );
    sleep(150).await;
    controller.abort();
    let error = rejected(call, "slow call with an aborted signal").await;
    let elapsed = now() - started;
    assert_pool_error(&error, "ABORTED");
    assert!(elapsed < 2000.0, "abort took {elapsed} ms");
    let seen = wait_for_stat(sse_url(), "cancelled", cancelled + 1.0).await;
    assert_eq!(
        seen - cancelled,
        1.0,
        "notifications/cancelled seen by the server"
    );
    echo(&client, "after abort").await;
    client.release().unwrap();
    close(&pool).await;
}

/// A signal that is already aborted rejects with `ABORTED` before anything is sent.
pub async fn aborted_signal_sends_nothing() {
    let pool = sse_pool();
    let controller = web_sys::AbortController::new().unwrap();
    controller.abort();
    let error = rejected(
        pool.get("sse".into(), with_signal(&controller.signal())),
        "get with an aborted signal",
    )
    .await;
    assert_pool_error(&error, "ABORTED");
    let client = lease(&pool, "sse").await;
    let posts = num(&server_stats(sse_url()).await, "posts");
    let error = rejected(
        client.call_tool(
            "echo".into(),
            arg(r#"{"message":"x"}"#),
            with_signal(&controller.signal()),
        ),
        "callTool with an aborted signal",
    )
    .await;
    assert_pool_error(&error, "ABORTED");
    assert_eq!(num(&server_stats(sse_url()).await, "posts"), posts);
    client.release().unwrap();
    close(&pool).await;
}

/// `timeoutMs` on a call bounds it: `REQUEST_TIMEOUT` naming the server, and the session
/// stays usable.
pub async fn timeout_ms_gives_request_timeout() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    let started = now();
    let error = rejected(
        client.call_tool(
            "slow".into(),
            arg(r#"{"ms":5000}"#),
            arg(r#"{"timeoutMs":300}"#),
        ),
        "slow call with timeoutMs 300",
    )
    .await;
    let elapsed = now() - started;
    assert_pool_error(&error, "REQUEST_TIMEOUT");
    assert_eq!(string(&error, "server"), "sse");
    assert!(
        (250.0..2500.0).contains(&elapsed),
        "timed out after {elapsed} ms"
    );
    echo(&client, "after timeout").await;
    client.release().unwrap();
    close(&pool).await;
}

/// After `close()`, `get` rejects with `POOL_CLOSED`; the sessions were deleted on the server;
/// `close()` again is a no-op.
pub async fn close_then_get_is_pool_closed() {
    let pool = sse_pool();
    let client = lease(&pool, "sse").await;
    echo(&client, "x").await;
    client.release().unwrap();
    let deleted = num(&server_stats(sse_url()).await, "deleted");
    assert!(!pool.closed());
    close(&pool).await;
    assert!(pool.closed());
    let seen = wait_for_stat(sse_url(), "deleted", deleted + 1.0).await;
    assert_eq!(
        seen - deleted,
        1.0,
        "DELETE of the session seen by the server"
    );
    let error = rejected(pool.get("sse".into(), None), "get after close").await;
    assert_pool_error(&error, "POOL_CLOSED");
    let error = pool
        .register_http("other".into(), sse_url().into(), None)
        .unwrap_err();
    assert_pool_error(&error, "POOL_CLOSED");
    close(&pool).await;
}

/// The server drops the connection in the middle of an SSE body and of a JSON body: each call
/// rejects with `NETWORK_ERROR`, nothing else breaks, and the next call works. In Node this also
/// checks that no promise rejection is left unhandled when the errored body is dropped (Node
/// exits on one, failing the whole run).
pub async fn dropped_connection_is_network_error() {
    let pool = pool("", &[("broken", broken_url())]);
    let client = lease(&pool, "broken").await;
    for tool in ["sse_drop", "json_drop"] {
        let error = rejected(call(&client, tool, "{}"), tool).await;
        assert_pool_error(&error, "NETWORK_ERROR");
        assert_eq!(string(&error, "server"), "broken");
    }
    // Leave time for the dropped bodies' cancellation to settle.
    sleep(100).await;
    let result = ok(call(&client, "fine", "{}"), "callTool after the drops").await;
    assert_eq!(first_text(&result), "ok");
    client.release().unwrap();
    close(&pool).await;
}

/// A server that sends no CORS headers: in a browser `fetch` fails with an opaque TypeError, and
/// the error must say that CORS is the likely cause. Node has no CORS: there it just works.
pub async fn cors_refusal_is_explained_in_browsers() {
    let url = control_url(broken_url(), "/nocors/mcp");
    let pool = pool("", &[("nocors", &url)]);
    let result = JsFuture::from(pool.get("nocors".into(), None)).await;
    if in_browser() {
        let error = match result {
            Ok(value) => panic!("get through a CORS refusal resolved: {}", show(&value)),
            Err(error) => error,
        };
        assert_pool_error(&error, "CONNECT_FAILED");
        assert_eq!(string(&error, "server"), "nocors");
        let message = string(&error, "message");
        assert!(message.contains("CORS"), "no CORS hint in: {message}");
        assert!(
            message.contains("mcp-session-id"),
            "no header list in: {message}"
        );
    } else {
        let client = result.unwrap_or_else(|e| panic!("get without CORS in Node: {}", show(&e)));
        let client = JsClient::try_from_js_value(client).unwrap();
        let result = ok(call(&client, "fine", "{}"), "callTool").await;
        assert_eq!(first_text(&result), "ok");
        client.release().unwrap();
    }
    close(&pool).await;
}

/// The health loop runs on the host's real `setTimeout`: an idle session gets pinged.
pub async fn health_loop_pings_idle_sessions() {
    let pool = pool(
        r#"{"healthCheckIntervalMs":100,"idleTimeoutMs":0}"#,
        &[("sse", sse_url())],
    );
    let client = lease(&pool, "sse").await;
    echo(&client, "x").await;
    client.release().unwrap();
    let deadline = now() + 3000.0;
    while num(&pool.stats(), "healthChecksPassed") < 2.0 && now() < deadline {
        sleep(50).await;
    }
    let stats = pool.stats();
    assert!(
        num(&stats, "healthChecksPassed") >= 2.0,
        "health checks in 3 s: {}",
        show(&stats)
    );
    assert_eq!(num(&stats, "healthChecksFailed"), 0.0, "{}", show(&stats));
    assert_eq!(num(&stats, "idleConnections"), 1.0, "{}", show(&stats));
    close(&pool).await;
}

/// An idle session past `idleTimeoutMs` is closed (DELETE) by the health loop; the next `get`
/// opens a new one.
pub async fn idle_session_is_closed_by_the_health_loop() {
    let pool = pool(
        r#"{"healthCheckIntervalMs":100,"idleTimeoutMs":150}"#,
        &[("sse", sse_url())],
    );
    let client = lease(&pool, "sse").await;
    echo(&client, "x").await;
    let before = server_stats(sse_url()).await;
    client.release().unwrap();
    let deleted = num(&before, "deleted");
    let seen = wait_for_stat(sse_url(), "deleted", deleted + 1.0).await;
    assert_eq!(seen - deleted, 1.0, "DELETE of the idle session");
    let stats = pool.stats();
    assert_eq!(num(&stats, "idleConnections"), 0.0, "{}", show(&stats));
    let client = lease(&pool, "sse").await;
    echo(&client, "y").await;
    assert_eq!(num(&pool.stats(), "totalConnections"), 2.0);
    let after = server_stats(sse_url()).await;
    assert_eq!(num(&after, "initialize") - num(&before, "initialize"), 1.0);
    client.release().unwrap();
    close(&pool).await;
}

/// With one session of one lease, a second `get` waits: with `timeoutMs` it rejects with
/// `ACQUIRE_TIMEOUT`; without, it gets the session as soon as the first lease is released.
pub async fn acquire_timeout_then_release_hands_over() {
    let pool = pool(
        r#"{"maxConnectionsPerServer":1,"maxLeasesPerConnection":1}"#,
        &[("sse", sse_url())],
    );
    let first = lease(&pool, "sse").await;
    let started = now();
    let error = rejected(
        pool.get("sse".into(), arg(r#"{"timeoutMs":200}"#)),
        "get with the pool full",
    )
    .await;
    let elapsed = now() - started;
    assert_pool_error(&error, "ACQUIRE_TIMEOUT");
    assert_eq!(string(&error, "server"), "sse");
    assert!(
        (150.0..2000.0).contains(&elapsed),
        "gave up after {elapsed} ms"
    );

    let waiting = JsFuture::from(pool.get("sse".into(), None));
    sleep(20).await;
    assert_eq!(
        num(&pool.stats(), "waiting"),
        1.0,
        "{}",
        show(&pool.stats())
    );
    first.release().unwrap();
    let second = match waiting.await {
        Ok(value) => JsClient::try_from_js_value(value).unwrap(),
        Err(error) => panic!("queued get rejected: {}", show(&error)),
    };
    echo(&second, "handed over").await;
    let stats = pool.stats();
    assert_eq!(num(&stats, "totalConnections"), 1.0, "{}", show(&stats));
    assert_eq!(num(&stats, "waiting"), 0.0, "{}", show(&stats));
    second.release().unwrap();
    close(&pool).await;
}

/// A server of the stateless era only (2026-07-28, the Python SDK behind `--modern-only`): found
/// after one refused handshake by `server/discover` (in a browser through CORS with
/// `Mcp-Method`), no `initialize`; tools answer, and an elicitation the tool
/// needs comes back as an `InputRequiredResult` that the JS handler answers.
pub async fn stateless_era_server_works() {
    let before = server_stats(modern_url()).await;
    let pool = pool("", &[]);
    let handler = Function::new_with_args(
        "params",
        "return { action: 'accept', content: { name: 'Ada (' + params.message + ')' } };",
    );
    let handlers = Object::new();
    Reflect::set(&handlers, &JsValue::from_str("elicitation"), &handler).unwrap();
    let options = Object::new();
    Reflect::set(&options, &JsValue::from_str("handlers"), &handlers).unwrap();
    pool.register_http(
        "modern".into(),
        modern_url().into(),
        Some(options.unchecked_into()),
    )
    .unwrap_or_else(|e| panic!("registerHttp(modern): {}", show(&e)));
    let client = lease(&pool, "modern").await;
    assert_eq!(client.protocol_version().as_deref(), Some("2026-07-28"));
    echo(&client, "stateless from wasm").await;
    let asked = ok(call(&client, "ask", "{}"), "callTool ask").await;
    assert_eq!(first_text(&asked), "hello Ada (Your name?)");
    client.release().unwrap();
    close(&pool).await;
    let after = server_stats(modern_url()).await;
    assert_eq!(
        num(&after, "initialize") - num(&before, "initialize"),
        0.0,
        "no initialize in the stateless era"
    );
    assert_eq!(
        num(&after, "refused") - num(&before, "refused"),
        1.0,
        "one refused handshake: the era probe"
    );
}
