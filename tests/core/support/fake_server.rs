//! An in-process, scripted MCP server speaking Streamable HTTP: the transport of native tests.
//!
//! It handles each request the moment the client sends it (so the server's view is the one at
//! send time), then yields once before the response head is delivered, so that concurrent client
//! tasks really interleave. Everything it sees is recorded for assertions.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::HttpMethod;
use mcp_edge_pool::{HttpRequest, HttpResponse, HttpTransport, TransportError};
use serde_json::Value;

use super::fake_methods::{delete, get, post, Reply};
use super::ManualClock;

/// A scripted MCP server. Clones share state; set knobs on any clone.
#[derive(Clone)]
pub struct FakeServer {
    state: Rc<RefCell<State>>,
    clock: ManualClock,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// POST, GET or DELETE.
    pub http: HttpMethod,
    /// The JSON-RPC method, for requests and notifications.
    pub rpc_method: Option<String>,
    /// The JSON-RPC id, for requests and responses.
    pub rpc_id: Option<Value>,
    /// The `Mcp-Session-Id` the request carried.
    pub session_id: Option<String>,
    /// Every header, names and values.
    pub headers: Vec<(String, String)>,
    /// The parsed body.
    pub body: Option<Value>,
    /// The status the server answered (0: refused, no answer).
    pub status: u16,
}

impl Logged {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(super) struct Knobs {
    pub(super) answer_sse: bool,
    pub(super) sse_priming: bool,
    pub(super) sse_truncate: bool,
    pub(super) sse_cut: bool,
    pub(super) sse_preamble: Vec<String>,
    pub(super) chunk_size: Option<usize>,
    pub(super) content_type: Option<String>,
    pub(super) down: bool,
    pub(super) refuse_initialize: bool,
    pub(super) choose_version: Option<String>,
    pub(super) stateless: bool,
    pub(super) delay_initialize_ms: u64,
    pub(super) initialize_delays: Vec<u64>,
    pub(super) tool_prefix: String,
    pub(super) fail_initialize_status: Option<u16>,
    pub(super) delete_status: u16,
    pub(super) tools: usize,
    pub(super) page_size: usize,
    pub(super) repeat_cursor: bool,
    pub(super) delay_requests_ms: u64,
    pub(super) modern: bool,
    pub(super) modern_only: bool,
    pub(super) discover_ttl_ms: u64,
    pub(super) sse_retry_ms: Option<u64>,
    pub(super) resume_on_get: bool,
    pub(super) resume_truncates: bool,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) knobs: Option<Knobs>,
    /// Open sessions: id → negotiated version.
    pub(super) sessions: BTreeMap<String, String>,
    pub(super) sessions_created: u64,
    pub(super) log: Vec<Logged>,
    pub(super) client_responses: Vec<Value>,
    pub(super) cancelled: Vec<Value>,
    /// Responses cut from truncated SSE answers, for a resuming GET.
    pub(super) withheld: Vec<String>,
    /// Messages for the next standalone `GET` stream (served once).
    pub(super) standalone: Vec<String>,
}

impl FakeServer {
    /// A stateful server that echoes the client's version, answers JSON, has 5 tools listed in
    /// pages of 2, allows DELETE, and waits on `clock` for slow work.
    pub fn new(clock: &ManualClock) -> Self {
        let knobs = Knobs {
            answer_sse: false,
            sse_priming: true,
            sse_truncate: false,
            sse_cut: false,
            sse_preamble: Vec::new(),
            chunk_size: None,
            content_type: None,
            down: false,
            refuse_initialize: false,
            choose_version: None,
            stateless: false,
            delay_initialize_ms: 0,
            initialize_delays: Vec::new(),
            tool_prefix: String::new(),
            fail_initialize_status: None,
            delete_status: 200,
            tools: 5,
            page_size: 2,
            repeat_cursor: false,
            delay_requests_ms: 0,
            modern: false,
            modern_only: false,
            discover_ttl_ms: 0,
            sse_retry_ms: None,
            resume_on_get: false,
            resume_truncates: false,
        };
        let state = State {
            knobs: Some(knobs),
            ..State::default()
        };
        FakeServer {
            state: Rc::new(RefCell::new(state)),
            clock: clock.clone(),
        }
    }

    fn knobs(&self, f: impl FnOnce(&mut Knobs)) {
        let mut state = self.state.borrow_mut();
        if let Some(knobs) = state.knobs.as_mut() {
            f(knobs);
        }
    }

    // ===== knobs =====

    /// Queues messages for the next standalone `GET` stream (served once, then `GET` is 405).
    pub fn standalone_stream(&self, messages: Vec<String>) {
        self.state.borrow_mut().standalone = messages;
    }
    /// Also serve the stateless era (2026-07-28) to requests that ask for it.
    pub fn modern(&self, on: bool) {
        self.knobs(|k| k.modern = on)
    }
    /// Serve only the stateless era: a session-era request is refused with `400` and `-32022`
    /// naming 2026-07-28 as the one supported version, as a server without the session era
    /// would answer.
    pub fn modern_only(&self) {
        self.knobs(|k| {
            k.modern = true;
            k.modern_only = true;
        })
    }
    /// The `ttlMs` of `server/discover` and (stateless) `tools/list` results.
    pub fn discover_ttl_ms(&self, ms: u64) {
        self.knobs(|k| k.discover_ttl_ms = ms)
    }
    /// Answer requests with `text/event-stream` instead of `application/json`.
    pub fn answer_sse(&self, on: bool) {
        self.knobs(|k| k.answer_sse = on)
    }
    /// Start SSE answers with a priming event (`id` and empty `data`). Default: on.
    pub fn sse_priming(&self, on: bool) {
        self.knobs(|k| k.sse_priming = on)
    }
    /// End SSE answers before the response event.
    pub fn sse_truncate(&self, on: bool) {
        self.knobs(|k| k.sse_truncate = on)
    }
    /// A truncated SSE answer ends with a broken connection instead of a clean end.
    pub fn sse_cut(&self, on: bool) {
        self.knobs(|k| k.sse_cut = on)
    }
    /// JSON-RPC messages sent on every SSE answer (not `initialize`) before the response.
    pub fn sse_preamble(&self, messages: Vec<String>) {
        self.knobs(|k| k.sse_preamble = messages)
    }
    /// Deliver bodies in chunks of this many bytes (`None`: one chunk).
    pub fn chunk_size(&self, size: Option<usize>) {
        self.knobs(|k| k.chunk_size = size)
    }
    /// Replace the content type of answers to requests other than `initialize`.
    pub fn content_type(&self, value: Option<&str>) {
        self.knobs(|k| k.content_type = value.map(str::to_owned))
    }
    /// Every request fails with [`TransportError::refused`].
    pub fn set_down(&self, down: bool) {
        self.knobs(|k| k.down = down)
    }
    /// Only `initialize` requests fail with [`TransportError::refused`].
    pub fn refuse_initialize(&self, on: bool) {
        self.knobs(|k| k.refuse_initialize = on)
    }
    /// The version the server answers `initialize` with (`None`: echo the client's).
    pub fn choose_version(&self, version: Option<&str>) {
        self.knobs(|k| k.choose_version = version.map(str::to_owned))
    }
    /// Issue no session id and require none.
    pub fn stateless(&self, on: bool) {
        self.knobs(|k| k.stateless = on)
    }
    /// Answer `initialize` only after this much fake time.
    pub fn delay_initialize_ms(&self, ms: u64) {
        self.knobs(|k| k.delay_initialize_ms = ms)
    }
    /// Name the listed tools `<prefix>tool-N`.
    pub fn tool_prefix(&self, prefix: &str) {
        let prefix = prefix.to_owned();
        self.knobs(|k| k.tool_prefix = prefix)
    }

    /// Answer the n-th `initialize` (from 0) after `delays[n]` of fake time; later ones use
    /// [`FakeServer::delay_initialize_ms`].
    pub fn initialize_delays(&self, delays: Vec<u64>) {
        self.knobs(|k| k.initialize_delays = delays)
    }

    /// Answer `initialize` with this HTTP status and no session.
    pub fn fail_initialize_status(&self, status: Option<u16>) {
        self.knobs(|k| k.fail_initialize_status = status)
    }
    /// The status of a DELETE on a known session (200, or 405 when not allowed).
    pub fn delete_status(&self, status: u16) {
        self.knobs(|k| k.delete_status = status)
    }
    /// How many tools `tools/list` offers (`tool-0`, `tool-1`, ...).
    pub fn tools(&self, count: usize) {
        self.knobs(|k| k.tools = count)
    }
    /// Items per `tools/list` page.
    pub fn page_size(&self, size: usize) {
        self.knobs(|k| k.page_size = size.max(1))
    }
    /// `tools/list` always answers `nextCursor: "page-2"`.
    pub fn repeat_cursor(&self, on: bool) {
        self.knobs(|k| k.repeat_cursor = on)
    }
    /// Answer every request other than `initialize` only after this much fake time.
    pub fn delay_requests_ms(&self, ms: u64) {
        self.knobs(|k| k.delay_requests_ms = ms)
    }

    /// Put `retry: ms` in the priming event of SSE answers.
    pub fn sse_retry_ms(&self, ms: Option<u64>) {
        self.knobs(|k| k.sse_retry_ms = ms)
    }
    /// A `GET` with `Last-Event-ID` gets the responses cut by [`FakeServer::sse_truncate`]
    /// (otherwise every `GET` is 405).
    pub fn resume_on_get(&self, on: bool) {
        self.knobs(|k| k.resume_on_get = on)
    }
    /// A resuming `GET` gets a stream that ends without the response (and without new ids).
    pub fn resume_truncates(&self, on: bool) {
        self.knobs(|k| k.resume_truncates = on)
    }

    /// Forgets every session: later requests carrying their ids get 404.
    pub fn expire_all_sessions(&self) {
        self.state.borrow_mut().sessions.clear();
    }

    // ===== records =====

    /// Every request received, in order.
    pub fn log(&self) -> Vec<Logged> {
        self.state.borrow().log.clone()
    }

    /// The POSTs whose JSON-RPC method is `method`.
    pub fn requests(&self, method: &str) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.rpc_method.as_deref() == Some(method))
            .collect()
    }

    /// How many POSTs carried JSON-RPC method `method`.
    pub fn count(&self, method: &str) -> usize {
        self.requests(method).len()
    }

    /// The DELETE requests received.
    pub fn deletes(&self) -> Vec<Logged> {
        self.log()
            .into_iter()
            .filter(|l| l.http == HttpMethod::Delete)
            .collect()
    }

    /// The JSON-RPC responses the client POSTed (answers to the server's own requests).
    pub fn client_responses(&self) -> Vec<Value> {
        self.state.borrow().client_responses.clone()
    }

    /// The params of every `notifications/cancelled` received.
    pub fn cancelled(&self) -> Vec<Value> {
        self.state.borrow().cancelled.clone()
    }

    /// How many sessions are open on the server.
    pub fn open_sessions(&self) -> usize {
        self.state.borrow().sessions.len()
    }

    /// How many handles to this server exist (the test's own plus every runtime still alive):
    /// a leaked session keeps its runtime, and so a handle, alive.
    pub fn handles(&self) -> usize {
        Rc::strong_count(&self.state)
    }

    /// How many sessions the server ever created.
    pub fn sessions_created(&self) -> u64 {
        self.state.borrow().sessions_created
    }

    // ===== handling =====

    fn handle(&self, request: &HttpRequest) -> Result<Reply, TransportError> {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        let Some(knobs) = state.knobs.as_ref() else {
            return Err(TransportError::network("no knobs"));
        };
        let body: Option<Value> = request
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok());
        let rpc_method = body
            .as_ref()
            .and_then(|b| b["method"].as_str())
            .map(str::to_owned);
        let mut logged = Logged {
            http: request.method,
            rpc_method: rpc_method.clone(),
            rpc_id: body.as_ref().and_then(|b| b.get("id").cloned()),
            session_id: request.header("mcp-session-id").map(str::to_owned),
            headers: request.headers.clone(),
            body: body.clone(),
            status: 0,
        };
        let refused =
            knobs.down || (knobs.refuse_initialize && rpc_method.as_deref() == Some("initialize"));
        if refused {
            state.log.push(logged);
            return Err(TransportError::refused(
                "connection refused (the fake server is down)",
            ));
        }
        let reply = match (request.method, body) {
            (HttpMethod::Delete, _) => {
                delete(knobs, &mut state.sessions, logged.session_id.as_deref())
            }
            (HttpMethod::Get, _) => get(state, request),
            (HttpMethod::Post, None) => Reply::rpc_error(400, -32700, "Parse error"),
            (HttpMethod::Post, Some(body)) => {
                post(state, request, &body, logged.session_id.as_deref())
            }
        };
        logged.status = reply.status;
        state.log.push(logged);
        Ok(reply)
    }
}

impl HttpTransport for FakeServer {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let outcome = self.handle(&request);
        let chunk_size = self
            .state
            .borrow()
            .knobs
            .as_ref()
            .and_then(|k| k.chunk_size);
        let clock = self.clock.clone();
        Box::pin(async move {
            YieldOnce(false).await;
            let reply = outcome?;
            if reply.delay_ms > 0 {
                clock.sleep_for(reply.delay_ms).await;
            }
            Ok(reply.into_response(chunk_size))
        })
    }
}

/// Returns `Pending` once (after waking itself), so other tasks run in between.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
