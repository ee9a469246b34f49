//! How the fake server handles each request: session checks, `initialize`, every JSON-RPC
//! method it offers, and how answers go on the wire (JSON or SSE, in chunks).

use std::collections::BTreeMap;

use mcp_edge_pool::{BufferedBody, ResponseBody};
use mcp_edge_pool::{HttpRequest, HttpResponse, LocalBoxFuture, TransportError};
use serde_json::{json, Value};

use super::fake_server::{Knobs, State};

/// What the server answers, before it is turned into an [`HttpResponse`].
pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
    pub(super) delay_ms: u64,
    /// The response an SSE answer was truncated before.
    pub(super) withheld: Option<String>,
    /// The body ends with a broken connection instead of a clean end.
    pub(super) cut: bool,
}

impl Reply {
    fn new(status: u16, content_type: &str, body: String) -> Self {
        Reply {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into_bytes(),
            delay_ms: 0,
            withheld: None,
            cut: false,
        }
    }

    pub(super) fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay_ms: 0,
            withheld: None,
            cut: false,
        }
    }

    pub(super) fn rpc_error(status: u16, code: i64, message: &str) -> Self {
        let body =
            json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
        Reply::new(status, "application/json", body.to_string())
    }
}

/// `DELETE`: forgets the session (unless the knob answers 405), 404 for an unknown one.
pub(super) fn delete(
    knobs: &Knobs,
    sessions: &mut BTreeMap<String, String>,
    sid: Option<&str>,
) -> Reply {
    match sid {
        Some(sid) if sessions.contains_key(sid) => {
            if knobs.delete_status < 300 {
                sessions.remove(sid);
            }
            Reply::empty(knobs.delete_status)
        }
        Some(_) => Reply::empty(404),
        None => Reply::empty(400),
    }
}

/// `GET`: the queued standalone-stream messages (once), else 405, unless resuming is on and the request carries `Last-Event-ID`: then the first
/// withheld response (or, with `resume_truncates`, a stream without it).
pub(super) fn get(state: &mut State, request: &HttpRequest) -> Reply {
    let Some(knobs) = state.knobs.as_ref() else {
        return Reply::empty(500);
    };
    let last = request.header("last-event-id");
    if last.is_none() && !state.standalone.is_empty() {
        // The standalone stream: what was queued for it, once (a later GET gets 405).
        let mut body = String::from("retry: 10\n\n");
        for (i, message) in state.standalone.drain(..).enumerate() {
            body.push_str(&format!(
                "event: message\nid: s-{}\ndata: {message}\n\n",
                i + 1
            ));
        }
        return Reply::sse(body);
    }
    if !knobs.resume_on_get || last.is_none() {
        return Reply::empty(405);
    }
    if knobs.resume_truncates || state.withheld.is_empty() {
        return Reply::sse(": resumed, but nothing to send\n\n".into());
    }
    let message = state.withheld.remove(0);
    Reply::sse(format!("event: message\nid: r-1\ndata: {message}\n\n"))
}

/// `POST`: header checks, `initialize`, session checks, then requests, notifications and the
/// client's answers to server requests.
pub(super) fn post(
    state: &mut State,
    request: &HttpRequest,
    body: &Value,
    sid: Option<&str>,
) -> Reply {
    let Some(knobs) = state.knobs.as_ref() else {
        return Reply::empty(500);
    };
    let accept = request.header("accept").unwrap_or("");
    if !(accept.contains("application/json") && accept.contains("text/event-stream")) {
        return Reply::rpc_error(406, -32000, "Not Acceptable: accept both JSON and SSE");
    }
    if !request
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json")
    {
        return Reply::rpc_error(415, -32000, "Unsupported Media Type");
    }
    if knobs.modern && request.header("mcp-protocol-version") == Some(super::MODERN) {
        return super::fake_modern::post(knobs, request, body);
    }
    if knobs.modern_only {
        let id = body.get("id").cloned().unwrap_or(Value::Null);
        let error = json!({"code": -32022, "message": "Unsupported protocol version",
            "data": {"supported": [super::MODERN], "requested": body["params"]["protocolVersion"]}});
        let body = json!({"jsonrpc": "2.0", "id": id, "error": error});
        return Reply::new(400, "application/json", body.to_string());
    }
    let method = body["method"].as_str();
    if method == Some("initialize") {
        return initialize(state, body);
    }
    if !knobs.stateless {
        let Some(sid) = sid else {
            return Reply::rpc_error(
                400,
                -32000,
                "Bad Request: Mcp-Session-Id header is required",
            );
        };
        let Some(version) = state.sessions.get(sid) else {
            return Reply::rpc_error(404, -32001, "Session not found");
        };
        if let Some(sent) = request.header("mcp-protocol-version") {
            if sent != version {
                return Reply::rpc_error(400, -32000, "Bad Request: wrong MCP-Protocol-Version");
            }
        }
    }
    match (method, body.get("id")) {
        (Some(method), Some(id)) => {
            let mut reply = answer(knobs, method, id, &body["params"]);
            if let Some(message) = reply.withheld.take() {
                state.withheld.push(message);
            }
            reply
        }
        (Some(method), None) => {
            if method == "notifications/cancelled" {
                state.cancelled.push(body["params"].clone());
            }
            Reply::empty(202)
        }
        (None, _) => {
            state.client_responses.push(body.clone());
            Reply::empty(202)
        }
    }
}

fn initialize(state: &mut State, body: &Value) -> Reply {
    let Some(knobs) = state.knobs.as_ref() else {
        return Reply::empty(500);
    };
    if let Some(status) = knobs.fail_initialize_status {
        return Reply::new(
            status,
            "text/plain",
            "the fake server failed to initialize".into(),
        );
    }
    let offered = body["params"]["protocolVersion"].as_str().unwrap_or("");
    let version = knobs
        .choose_version
        .clone()
        .unwrap_or_else(|| offered.to_owned());
    let result = json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": true}, "resources": {}, "prompts": {}, "logging": {}},
        "serverInfo": {"name": "fake-server", "version": "1.0.0"},
        "instructions": "A scripted server for tests."
    });
    let message = json!({"jsonrpc": "2.0", "id": body["id"], "result": result}).to_string();
    let mut reply = encode(knobs, &[], Some(message), false);
    let nth = usize::try_from(state.sessions_created).unwrap_or(usize::MAX);
    reply.delay_ms = knobs
        .initialize_delays
        .get(nth)
        .copied()
        .unwrap_or(knobs.delay_initialize_ms);
    if !knobs.stateless {
        state.sessions_created += 1;
        let sid = format!("sid-{}", state.sessions_created);
        state.sessions.insert(sid.clone(), version);
        reply.headers.push(("Mcp-Session-Id".into(), sid));
    }
    reply
}

impl Reply {
    pub(super) fn json(message: String) -> Self {
        Reply::new(200, "application/json", message)
    }

    pub(super) fn sse(body: String) -> Self {
        Reply::new(200, "text/event-stream", body)
    }

    pub(super) fn set_content_type(&mut self, value: &str) {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.headers.push(("Content-Type".into(), value.into()));
    }

    pub(super) fn delayed(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }

    pub(super) fn into_response(self, chunk_size: Option<usize>) -> HttpResponse {
        let chunks: Vec<Vec<u8>> = match chunk_size {
            Some(size) => self.body.chunks(size.max(1)).map(<[u8]>::to_vec).collect(),
            None => vec![self.body],
        };
        let body = BufferedBody::from_chunks(chunks);
        HttpResponse {
            status: self.status,
            headers: self.headers,
            body: if self.cut {
                Box::new(CutBody(body))
            } else {
                Box::new(body)
            },
        }
    }
}

/// A body whose connection breaks after its chunks (`connection reset`).
struct CutBody(BufferedBody);

impl ResponseBody for CutBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(async move {
            match self.0.next_chunk().await? {
                Some(chunk) => Ok(Some(chunk)),
                None => Err(TransportError::network("connection reset")),
            }
        })
    }
}

/// A JSON-RPC error: code, message, data.
type RpcError = (i64, String, Option<Value>);

/// Answers request `method` with id `id`.
pub(super) fn answer(knobs: &Knobs, method: &str, id: &Value, params: &Value) -> Reply {
    let mut delay_ms = knobs.delay_requests_ms;
    let outcome = match method {
        "ping" => Ok(json!({})),
        "tools/list" => list_tools(knobs, params),
        "tools/call" => call_tool(params, &mut delay_ms),
        "resources/list" => Ok(json!({"resources": [{"uri": "mem://readme", "name": "readme"}]})),
        "prompts/list" => Ok(json!({"prompts": [{"name": "greet", "description": "Says hello"}]})),
        _ => Err((-32601, format!("Method not found: {method}"), None)),
    };
    let message = match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err((code, message, data)) => {
            let mut error = json!({"code": code, "message": message});
            if let Some(data) = data {
                error["data"] = data;
            }
            json!({"jsonrpc": "2.0", "id": id, "error": error})
        }
    };
    encode(knobs, &knobs.sse_preamble, Some(message.to_string()), true).delayed(delay_ms)
}

/// `tools/list`: `tool-0`, `tool-1`, ... in pages; cursors are `page-2`, `page-3`, ...
fn list_tools(knobs: &Knobs, params: &Value) -> Result<Value, RpcError> {
    let page = match params.get("cursor") {
        None | Some(Value::Null) => 0,
        Some(cursor) => cursor
            .as_str()
            .and_then(|c| c.strip_prefix("page-"))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n >= 2)
            .map(|n| n - 1)
            .ok_or_else(|| (-32602, "Invalid cursor".to_owned(), None))?,
    };
    let start = page * knobs.page_size;
    let end = (start + knobs.page_size).min(knobs.tools);
    let tools: Vec<Value> = (start..end)
        .map(|i| {
            let name = knobs.tool_prefix.clone() + &format!("tool-{i}");
            json!({"name": name, "description": format!("Tool number {i}"), "inputSchema": {"type": "object"}})
        })
        .collect();
    let mut result = json!({"tools": tools});
    if knobs.repeat_cursor {
        result["nextCursor"] = json!("page-2");
    } else if end < knobs.tools {
        result["nextCursor"] = json!(format!("page-{}", page + 2));
    }
    Ok(result)
}

/// `tools/call`: `echo {message}`, `slow {ms}` (answers after `ms` of fake time), `fail`
/// (a JSON-RPC error with data), `broken` (a tool failure: `isError: true`).
fn call_tool(params: &Value, delay_ms: &mut u64) -> Result<Value, RpcError> {
    let text = |t: &str| json!({"content": [{"type": "text", "text": t}]});
    let args = &params["arguments"];
    match params["name"].as_str() {
        Some("echo") => Ok(text(args["message"].as_str().unwrap_or(""))),
        Some("slow") => {
            *delay_ms = (*delay_ms).max(args["ms"].as_u64().unwrap_or(0));
            Ok(text("slow done"))
        }
        Some("fail") => Err((
            -32000,
            "the tool exploded".to_owned(),
            Some(json!({"detail": "boom", "retry": false})),
        )),
        Some("broken") => {
            Ok(json!({"content": [{"type": "text", "text": "it broke"}], "isError": true}))
        }
        other => Err((
            -32602,
            format!("Unknown tool: {}", other.unwrap_or("<none>")),
            None,
        )),
    }
}

/// Puts `response` (and, on SSE, the `preamble` messages before it) on the wire as JSON or SSE,
/// per the knobs. `overrides`: apply the content-type and truncation knobs (not for `initialize`).
pub(super) fn encode(
    knobs: &Knobs,
    preamble: &[String],
    response: Option<String>,
    overrides: bool,
) -> Reply {
    let mut reply = if knobs.answer_sse {
        let mut body = String::new();
        if knobs.sse_priming {
            match knobs.sse_retry_ms {
                Some(ms) => body.push_str(&format!("id: prime-0\nretry: {ms}\ndata: \n\n")),
                None => body.push_str("id: prime-0\ndata: \n\n"),
            }
        }
        body.push_str(": a comment line, to be skipped\n\n");
        for (i, message) in preamble.iter().enumerate() {
            body.push_str(&format!(
                "event: message\nid: e-{}\ndata: {message}\n\n",
                i + 1
            ));
        }
        let mut withheld = None;
        match response {
            Some(message) if !(overrides && knobs.sse_truncate) => {
                body.push_str(&format!("event: message\nid: e-last\ndata: {message}\n\n"));
            }
            Some(message) => withheld = Some(message),
            None => {}
        }
        let mut reply = Reply::sse(body);
        reply.cut = withheld.is_some() && knobs.sse_cut;
        reply.withheld = withheld;
        reply
    } else {
        Reply::json(response.unwrap_or_default())
    };
    if let (true, Some(content_type)) = (overrides, knobs.content_type.as_deref()) {
        reply.set_content_type(content_type);
    }
    reply
}
