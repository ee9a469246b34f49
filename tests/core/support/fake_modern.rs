//! The fake server's stateless era (2026-07-28): `server/discover`, per-request `_meta` and
//! routing-header checks, `ttlMs` on discovery and `tools/list`, no `ping`, and a tool that needs input (`ask`: an
//! `InputRequiredResult` with an elicitation until the client re-sends it with the answer).

use mcp_edge_pool::HttpRequest;
use serde_json::{json, Value};

use super::fake_methods::{answer, Reply};
use super::fake_server::Knobs;

/// The stateless-era version.
pub const MODERN: &str = "2026-07-28";

/// A JSON-RPC error answered with its HTTP status, as stateless servers do.
fn error(status: u16, id: &Value, code: i64, message: &str) -> Reply {
    let body = json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}});
    let mut reply = Reply::json(body.to_string());
    reply.status = status;
    reply
}

/// Answers a request sent with `MCP-Protocol-Version: 2026-07-28`.
pub(super) fn post(knobs: &Knobs, request: &HttpRequest, body: &Value) -> Reply {
    let id = body.get("id").cloned().unwrap_or(Value::Null);
    let Some(method) = body["method"].as_str() else {
        return Reply::empty(202);
    };
    if body.get("id").is_none() {
        return error(
            400,
            &id,
            -32600,
            "the stateless era has no client notifications",
        );
    }
    let meta = &body["params"]["_meta"];
    if meta["io.modelcontextprotocol/protocolVersion"] != MODERN
        || !meta["io.modelcontextprotocol/clientInfo"].is_object()
        || !meta["io.modelcontextprotocol/clientCapabilities"].is_object()
    {
        return error(400, &id, -32602, "missing or wrong _meta envelope");
    }
    if request.header("mcp-method") != Some(method) {
        return error(400, &id, -32001, "Mcp-Method does not match the body");
    }
    let named = match method {
        "tools/call" | "prompts/get" => body["params"]["name"].as_str(),
        "resources/read" => body["params"]["uri"].as_str(),
        _ => None,
    };
    if named.is_some() && request.header("mcp-name") != named {
        return error(400, &id, -32001, "Mcp-Name does not match the body");
    }
    match method {
        "server/discover" => discover(knobs, &id),
        "ping" => error(404, &id, -32601, "Method not found"),
        "tools/call" if body["params"]["name"] == "ask" => ask(&id, &body["params"]),
        "tools/call" if body["params"]["name"] == "routed" => {
            let seen = request.header("mcp-param-region").unwrap_or("(none)");
            let result =
                json!({"content": [{"type": "text", "text": seen}], "resultType": "complete"});
            Reply::json(json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
        }
        "tools/list" => with_ttl(answer(knobs, method, &id, &body["params"]), knobs),
        _ => answer(knobs, method, &id, &body["params"]),
    }
}

/// A list result with the stateless era's `ttlMs` (the knob shared with discovery); the last
/// page also lists `routed` (its `region` argument is an `x-mcp-header`) and `bad` (an invalid
/// annotation: clients must drop it).
fn with_ttl(mut reply: Reply, knobs: &Knobs) -> Reply {
    if let Ok(mut message) = serde_json::from_slice::<Value>(&reply.body) {
        if message["result"].is_object() {
            message["result"]["ttlMs"] = json!(knobs.discover_ttl_ms);
            message["result"]["cacheScope"] = json!("private");
            let last = message["result"].get("nextCursor").is_none();
            if let (true, Some(tools)) = (last, message["result"]["tools"].as_array_mut()) {
                tools.push(
                    json!({"name": "routed", "inputSchema": {"type": "object", "properties": {
                    "region": {"type": "string", "x-mcp-header": "Region"}}}}),
                );
                tools.push(
                    json!({"name": "bad", "inputSchema": {"type": "object", "properties": {
                    "region": {"type": "object", "x-mcp-header": "Region"}}}}),
                );
            }
            reply.body = message.to_string().into_bytes();
        }
    }
    reply
}

fn discover(knobs: &Knobs, id: &Value) -> Reply {
    let result = json!({
        "supportedVersions": [MODERN],
        "capabilities": {"tools": {"listChanged": true}},
        "resultType": "complete",
        "ttlMs": knobs.discover_ttl_ms,
        "cacheScope": "private",
        "instructions": "A stateless fake.",
        "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "fake-modern", "version": "2.0.0"}}
    });
    Reply::json(json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
}

/// `ask`: first an elicitation (state `s1`), then the answer it got back, with the state.
fn ask(id: &Value, params: &Value) -> Reply {
    let result = match params.get("inputResponses") {
        None => json!({
            "resultType": "input_required",
            "inputRequests": {
                "who": {"method": "elicitation/create", "params": {"message": "Your name?"}}
            },
            "requestState": "s1"
        }),
        Some(answers) => json!({
            "resultType": "complete",
            "content": [{"type": "text", "text": format!(
                "{} with {}", answers["who"], params["requestState"].as_str().unwrap_or("no state")
            )}]
        }),
    };
    Reply::json(json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string())
}
