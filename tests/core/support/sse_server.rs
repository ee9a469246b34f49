//! An in-process, scripted MCP server speaking only the older HTTP+SSE transport (2024-11-05):
//! `POST` to the URL is refused (405 by default), `GET` opens an event stream that first names
//! the message endpoint, and every answer goes on that stream. Everything is recorded.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;
use std::task::{Poll, Waker};

use futures_util::future::{poll_fn, LocalBoxFuture};
use mcp_edge_pool::{BufferedBody, HttpMethod, ResponseBody};
use mcp_edge_pool::{HttpRequest, HttpResponse, HttpTransport, Runtime, Spawner, TransportError};
use serde_json::{json, Value};

use super::{Harness, ManualClock};

type Chunk = Result<Vec<u8>, TransportError>;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct SseLogged {
    /// POST, GET or DELETE.
    pub http: HttpMethod,
    /// The URL.
    pub url: String,
    /// Every header.
    pub headers: Vec<(String, String)>,
    /// The parsed body.
    pub body: Option<Value>,
}

impl SseLogged {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The JSON-RPC method of the body.
    pub fn rpc_method(&self) -> Option<&str> {
        self.body.as_ref().and_then(|b| b["method"].as_str())
    }
}

struct State {
    post_status: u16,
    endpoint: String,
    version: Option<String>,
    silent: bool,
    no_endpoint: bool,
    streams: BTreeMap<u64, Rc<RefCell<Pipe>>>,
    next_stream: u64,
    log: Vec<SseLogged>,
    client_responses: Vec<Value>,
    cancelled: Vec<Value>,
    /// Server request id → (stream, the tool call's id) for `elicit`.
    asking: BTreeMap<String, (u64, Value)>,
}

/// The scripted HTTP+SSE server. Clones share state.
#[derive(Clone)]
pub struct SseServer {
    state: Rc<RefCell<State>>,
    clock: ManualClock,
    spawner: Rc<dyn Spawner>,
}

/// The path of the message endpoint (the stream number is appended).
pub const ENDPOINT: &str = "/messages?session=";

impl SseServer {
    /// A server on `h`'s clock and executor: POST → 405, endpoint on the same origin, echoes the
    /// offered version.
    pub fn new(h: &Harness) -> Self {
        SseServer {
            state: Rc::new(RefCell::new(State {
                post_status: 405,
                endpoint: ENDPOINT.to_owned(),
                version: None,
                silent: false,
                no_endpoint: false,
                streams: BTreeMap::new(),
                next_stream: 0,
                log: Vec::new(),
                client_responses: Vec::new(),
                cancelled: Vec::new(),
                asking: BTreeMap::new(),
            })),
            clock: h.clock.clone(),
            spawner: h.exec.spawner(),
        }
    }

    /// A runtime over this server, `h`'s clock and executor.
    pub fn runtime(&self, h: &Harness) -> Runtime {
        Runtime::new(
            Rc::new(self.clone()),
            Rc::new(h.clock.clone()),
            h.exec.spawner(),
        )
    }

    /// The status a POST to the server's URL gets (the Streamable HTTP probe).
    pub fn post_status(&self, status: u16) {
        self.state.borrow_mut().post_status = status;
    }
    /// The data of the endpoint event (the stream number is appended).
    pub fn endpoint(&self, data: &str) {
        self.state.borrow_mut().endpoint = data.to_owned();
    }
    /// The version `initialize` is answered with (`None`: the offered one).
    pub fn version(&self, version: Option<&str>) {
        self.state.borrow_mut().version = version.map(str::to_owned);
    }

    /// Open streams that never name an endpoint (like a Streamable HTTP server's GET stream).
    pub fn no_endpoint(&self, on: bool) {
        self.state.borrow_mut().no_endpoint = on;
    }

    /// Accept every POSTed message but answer none.
    pub fn silent(&self, on: bool) {
        self.state.borrow_mut().silent = on;
    }

    /// Every request received, in order.
    pub fn log(&self) -> Vec<SseLogged> {
        self.state.borrow().log.clone()
    }
    /// The POSTs whose JSON-RPC method is `method`.
    pub fn requests(&self, method: &str) -> Vec<SseLogged> {
        self.log()
            .into_iter()
            .filter(|l| l.rpc_method() == Some(method))
            .collect()
    }
    /// The GETs received.
    pub fn gets(&self) -> Vec<SseLogged> {
        self.log()
            .into_iter()
            .filter(|l| l.http == HttpMethod::Get)
            .collect()
    }
    /// The JSON-RPC responses the client POSTed.
    pub fn client_responses(&self) -> Vec<Value> {
        self.state.borrow().client_responses.clone()
    }
    /// The params of every `notifications/cancelled`.
    pub fn cancelled(&self) -> Vec<Value> {
        self.state.borrow().cancelled.clone()
    }
    /// How many streams are open (the client still reads them).
    pub fn open_streams(&self) -> usize {
        self.state
            .borrow()
            .streams
            .values()
            .filter(|s| !s.borrow().reader_gone)
            .count()
    }
    /// Ends every stream (the server went away).
    pub fn end_streams(&self) {
        let streams = std::mem::take(&mut self.state.borrow_mut().streams);
        for pipe in streams.values() {
            Pipe::close(pipe, None);
        }
    }
    /// Forgets every session without closing its stream (as when the connection dies unseen by
    /// the client): POSTs to their endpoints get 404 from now on, the streams stay silent.
    pub fn forget_streams(&self) {
        self.state.borrow_mut().streams.clear();
    }
    /// Breaks every stream with a network error.
    pub fn break_streams(&self) {
        let streams = std::mem::take(&mut self.state.borrow_mut().streams);
        for pipe in streams.values() {
            Pipe::close(pipe, Some(TransportError::network("connection reset")));
        }
    }
    /// Puts raw SSE text on every stream.
    pub fn push_raw(&self, text: &str) {
        for pipe in self.state.borrow().streams.values() {
            Pipe::send(pipe, text.as_bytes().to_vec());
        }
    }

    fn push(&self, stream: u64, message: &Value) {
        let text = format!("event: message\ndata: {message}\n\n");
        if let Some(pipe) = self.state.borrow().streams.get(&stream) {
            Pipe::send(pipe, text.into_bytes());
        }
    }

    fn handle(&self, request: &HttpRequest) -> HttpResponse {
        let body: Option<Value> = request
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok());
        self.state.borrow_mut().log.push(SseLogged {
            http: request.method,
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: body.clone(),
        });
        let path = request
            .url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
            .unwrap_or_default();
        match request.method {
            HttpMethod::Get if path == "/mcp" => self.open_stream(request),
            HttpMethod::Post if path == "/mcp" => {
                let status = self.state.borrow().post_status;
                reply(status, "text/plain", "not here")
            }
            HttpMethod::Post => match path
                .split_once("session=")
                .and_then(|(_, n)| n.parse::<u64>().ok())
            {
                Some(stream) if self.state.borrow().streams.contains_key(&stream) => match body {
                    Some(body) => {
                        self.message(stream, body);
                        reply(202, "text/plain", "Accepted")
                    }
                    None => reply(400, "text/plain", "bad JSON"),
                },
                _ => reply(404, "text/plain", "no such session"),
            },
            _ => reply(405, "text/plain", "no"),
        }
    }

    fn open_stream(&self, request: &HttpRequest) -> HttpResponse {
        if request.header("accept") != Some("text/event-stream") {
            return reply(406, "text/plain", "accept text/event-stream");
        }
        let pipe = Rc::new(RefCell::new(Pipe::default()));
        let mut state = self.state.borrow_mut();
        state.next_stream += 1;
        let n = state.next_stream;
        let first = if state.no_endpoint {
            ": hello, but no endpoint\n\n".to_owned()
        } else {
            format!(
                ": hello\n\nevent: endpoint\ndata: {}{n}\n\n",
                state.endpoint
            )
        };
        Pipe::send(&pipe, first.into_bytes());
        state.streams.insert(n, pipe.clone());
        HttpResponse {
            status: 200,
            headers: vec![(
                "Content-Type".into(),
                "text/event-stream; charset=utf-8".into(),
            )],
            body: Box::new(StreamBody { pipe }),
        }
    }

    /// Handles one POSTed message of stream `stream`.
    fn message(&self, stream: u64, body: Value) {
        if self.state.borrow().silent {
            return;
        }
        let id = body.get("id").cloned();
        let Some(method) = body["method"].as_str().map(str::to_owned) else {
            // The client's answer to one of our requests.
            self.state.borrow_mut().client_responses.push(body.clone());
            let asked = id
                .as_ref()
                .and_then(Value::as_str)
                .and_then(|i| self.state.borrow_mut().asking.remove(i));
            if let Some((stream, call_id)) = asked {
                let text = body["result"]["content"]["name"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                self.push(stream, &result(&call_id, text_result(&text)));
            }
            return;
        };
        let Some(id) = id else {
            if method == "notifications/cancelled" {
                self.state
                    .borrow_mut()
                    .cancelled
                    .push(body["params"].clone());
            }
            return;
        };
        let params = &body["params"];
        match method.as_str() {
            "initialize" => {
                let offered = params["protocolVersion"].as_str().unwrap_or("").to_owned();
                let version = self.state.borrow().version.clone().unwrap_or(offered);
                let r = json!({
                    "protocolVersion": version,
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "sse-fake", "version": "1.0.0"}
                });
                self.push(stream, &result(&id, r));
            }
            "ping" => self.push(stream, &result(&id, json!({}))),
            "tools/call" => self.call(stream, &id, params),
            other => self.push(
                stream,
                &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32601, "message": format!("Method not found: {other}")}}),
            ),
        }
    }

    fn call(&self, stream: u64, id: &Value, params: &Value) {
        let args = &params["arguments"];
        match params["name"].as_str() {
            Some("echo") => {
                let text = args["message"].as_str().unwrap_or("");
                self.push(stream, &result(id, text_result(text)));
            }
            Some("slow") => {
                let me = self.clone();
                let ms = args["ms"].as_u64().unwrap_or(0);
                let id = id.clone();
                self.spawner.spawn(Box::pin(async move {
                    me.clock.sleep_for(ms).await;
                    me.push(stream, &result(&id, text_result("slow done")));
                }));
            }
            Some("progress") => {
                let token = params["_meta"]["progressToken"].clone();
                for i in 1..=2 {
                    self.push(
                        stream,
                        &json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": token, "progress": i, "total": 2}}),
                    );
                }
                self.push(stream, &result(id, text_result("progress done")));
            }
            Some("elicit") => {
                let ask = format!("ask-{stream}-{id}");
                self.state
                    .borrow_mut()
                    .asking
                    .insert(ask.clone(), (stream, id.clone()));
                self.push(
                    stream,
                    &json!({"jsonrpc": "2.0", "id": ask, "method": "elicitation/create", "params": {"message": "Your name?", "requestedSchema": {"type": "object"}}}),
                );
            }
            Some("never") => {}
            Some("hangup") => {
                let pipe = self.state.borrow_mut().streams.remove(&stream);
                if let Some(pipe) = pipe {
                    Pipe::close(&pipe, None);
                }
            }
            _ => self.push(
                stream,
                &json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "Unknown tool"}}),
            ),
        }
    }
}

fn result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn text_result(text: &str) -> Value {
    json!({"content": [{"type": "text", "text": text}]})
}

fn reply(status: u16, content_type: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Box::new(BufferedBody::from_chunks([body.as_bytes().to_vec()])),
    }
}

/// The server's end of a stream and the client's, shared.
#[derive(Default)]
struct Pipe {
    chunks: VecDeque<Chunk>,
    closed: bool,
    reader_gone: bool,
    waker: Option<Waker>,
}

impl Pipe {
    fn send(pipe: &Rc<RefCell<Pipe>>, bytes: Vec<u8>) {
        let mut p = pipe.borrow_mut();
        if !p.closed {
            p.chunks.push_back(Ok(bytes));
        }
        if let Some(w) = p.waker.take() {
            w.wake();
        }
    }

    fn close(pipe: &Rc<RefCell<Pipe>>, error: Option<TransportError>) {
        let mut p = pipe.borrow_mut();
        if let Some(e) = error {
            p.chunks.push_back(Err(e));
        }
        p.closed = true;
        if let Some(w) = p.waker.take() {
            w.wake();
        }
    }
}

/// A body fed by the server as it goes; ends when the server closes it.
struct StreamBody {
    pipe: Rc<RefCell<Pipe>>,
}

impl Drop for StreamBody {
    fn drop(&mut self) {
        self.pipe.borrow_mut().reader_gone = true;
    }
}

impl ResponseBody for StreamBody {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        let pipe = self.pipe.clone();
        Box::pin(poll_fn(move |cx| {
            let mut p = pipe.borrow_mut();
            match p.chunks.pop_front() {
                Some(Ok(bytes)) => Poll::Ready(Ok(Some(bytes))),
                Some(Err(e)) => Poll::Ready(Err(e)),
                None if p.closed => Poll::Ready(Ok(None)),
                None => {
                    p.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }))
    }
}

impl HttpTransport for SseServer {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let response = self.handle(&request);
        Box::pin(async move { Ok(response) })
    }
}
