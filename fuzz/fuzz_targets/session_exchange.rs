//! Drives a `Session` end to end over a scripted in-memory transport whose replies are the fuzz
//! input, as a JSON or an SSE body, and checks that nothing panics and that every call completes
//! (Ok or Err) once the bodies end. The clock stands still at the request timeout (other waits
//! pass at once), so a call that is still pending when the executor stalls would hang until its
//! timeout in production: that is a failure.
//!
//! Input layout:
//! * byte 0, scenario: bits 0-1 pick what the fuzzed reply answers (0 `tools/call`, 1 a paged
//!   `tools/list` via `request_all_pages`, 2 `initialize`, 3 `ping`); bit 2: SSE instead of JSON;
//!   bits 3-4: content type spelling (0 plain, 1 upper case with `; charset=utf-8`, 2
//!   `text/plain`, 3 no header); bits 5-7: status of the first fuzzed reply (0-3: 200, 4: 202,
//!   5: 404, 6: 500, 7: 307 to the same origin);
//! * byte 1: chunk size of the bodies (0: one chunk);
//! * byte 2: `max_response_bytes`: 4 MiB when the high bit is set, else `((b & 0x3f) + 1) * 32`;
//!   bit 6: the server speaks the stateless era (2026-07-28): the session probes with
//!   `server/discover` (the `initialize` scenario fuzzes that answer, the `ping` scenario the
//!   discovery that replaces `ping`), and an elicitation handler answers input-required rounds;
//! * the rest: the bodies of successive fuzzed replies, separated by `\xff\xff`. In a body,
//!   `$ID` is replaced by the id of the request being answered.
//!
//! Every other exchange (the handshake when it is not fuzzed, notifications, answers to server
//! requests, `DELETE`) gets a well-formed reply. Once the fuzzed bodies are used up, requests get
//! a `500` with a JSON-RPC error body.
#![no_main]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use futures_executor::LocalPool;
use futures_util::future::{self, LocalBoxFuture};
use futures_util::task::LocalSpawnExt;
use libfuzzer_sys::fuzz_target;
use mcp_edge_pool::json::FromJson;
use mcp_edge_pool::jsonrpc::ErrorObject;
use mcp_edge_pool::jsonrpc::Notification;
use mcp_edge_pool::protocol::{self, CallToolResult, Implementation, ListToolsResult};
use mcp_edge_pool::{BufferedBody, HttpMethod};
use mcp_edge_pool::{ClientHandlers, EraPolicy, NotificationHandler, SessionConfig};
use mcp_edge_pool::{
    Clock, HttpRequest, HttpResponse, HttpTransport, RequestOptions, Runtime, Session, Spawner,
    TransportError,
};
use serde_json::Value;

const URL: &str = "http://fuzz.test/mcp";

/// `FUZZ_DEBUG=1` prints each outcome (for reproducing inputs by hand).
fn debug() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("FUZZ_DEBUG").is_some())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    CallTool,
    ListAll,
    Initialize,
    Ping,
}

struct Script {
    target: Target,
    content_type: Option<&'static str>,
    first_status: u16,
    chunk: usize,
    bodies: VecDeque<Vec<u8>>,
    fuzzed_first: bool,
    posts: usize,
    /// The server answers `server/discover` (the stateless era) instead of refusing it.
    modern: bool,
    /// How many `server/discover` requests came.
    discovers: usize,
}

impl Script {
    fn fuzzed_reply(&mut self, id: &Value) -> HttpResponse {
        let status = if self.fuzzed_first {
            200
        } else {
            self.fuzzed_first = true;
            self.first_status
        };
        let Some(body) = self.bodies.pop_front() else {
            return reply(
                500,
                Some("application/json"),
                br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"out of script"}}"#
                    .to_vec(),
                usize::MAX,
            );
        };
        let body = replace_id(&body, &id.to_string());
        let mut response = reply(status, self.content_type, body, self.chunk);
        if status == 307 {
            response
                .headers
                .push(("Location".to_owned(), "/mcp".to_owned()));
        }
        response
    }
}

fn replace_id(body: &[u8], id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if rest.starts_with(b"$ID") {
            out.extend_from_slice(id.as_bytes());
            rest = &rest[3..];
        } else {
            out.push(rest[0]);
            rest = &rest[1..];
        }
    }
    out
}

fn reply(status: u16, content_type: Option<&str>, body: Vec<u8>, chunk: usize) -> HttpResponse {
    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".to_owned(), ct.to_owned()));
    }
    let chunks: Vec<Vec<u8>> = if chunk == 0 || chunk >= body.len() {
        vec![body]
    } else {
        body.chunks(chunk).map(<[u8]>::to_vec).collect()
    };
    HttpResponse {
        status,
        headers,
        body: Box::new(BufferedBody::from_chunks(chunks)),
    }
}

fn good_initialize(id: &Value) -> HttpResponse {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"protocolVersion":"2025-06-18","capabilities":{{"tools":{{}}}},"serverInfo":{{"name":"fuzz","version":"1"}}}}}}"#
    );
    let mut response = reply(200, Some("application/json"), body.into_bytes(), 0);
    response
        .headers
        .push(("Mcp-Session-Id".to_owned(), "fuzz-session".to_owned()));
    response
}

fn good_discover(id: &Value) -> HttpResponse {
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":{id},"result":{{"supportedVersions":["2026-07-28"],"capabilities":{{"tools":{{}}}},"resultType":"complete","ttlMs":0,"cacheScope":"private"}}}}"#
    );
    reply(200, Some("application/json"), body.into_bytes(), 0)
}

struct Transport(Rc<RefCell<Script>>);

impl HttpTransport for Transport {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let mut script = self.0.borrow_mut();
        script.posts += 1;
        assert!(script.posts < 100_000, "runaway exchange loop");
        let response = match request.method {
            HttpMethod::Delete | HttpMethod::Get => reply(200, None, Vec::new(), 0),
            HttpMethod::Post => {
                let body: Value = request
                    .body
                    .as_deref()
                    .and_then(|b| serde_json::from_str(b).ok())
                    .expect("the client always POSTs JSON");
                let method = body.get("method").and_then(Value::as_str);
                let id = body.get("id").cloned();
                match (method, id) {
                    (Some("server/discover"), Some(id)) => {
                        script.discovers += 1;
                        let fuzzed = match script.target {
                            Target::Initialize => !script.fuzzed_first,
                            Target::Ping => script.discovers > 1,
                            _ => false,
                        };
                        if !script.modern {
                            reply(400, Some("application/json"), br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Bad Request: no session"}}"#.to_vec(), 0)
                        } else if fuzzed {
                            script.fuzzed_reply(&id)
                        } else {
                            good_discover(&id)
                        }
                    }
                    (Some("initialize"), Some(id)) => {
                        if script.modern && script.target != Target::Initialize {
                            // A stateless-only server refuses the handshake the era probe
                            // tries first (as tests/servers/py_server.py --modern-only does);
                            // the refusal sends the client to server/discover.
                            reply(400, Some("application/json"), format!(r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32022,"message":"Unsupported protocol version: this server speaks 2026-07-28 only"}}}}"#).into_bytes(), 0)
                        } else if script.target == Target::Initialize && !script.fuzzed_first {
                            let mut r = script.fuzzed_reply(&id);
                            r.headers
                                .push(("Mcp-Session-Id".to_owned(), "fuzz-session".to_owned()));
                            r
                        } else {
                            good_initialize(&id)
                        }
                    }
                    (Some(_), Some(id)) => {
                        if script.target == Target::Initialize {
                            // The handshake was the fuzzed part; later requests just succeed.
                            reply(
                                200,
                                Some("application/json"),
                                format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#)
                                    .into_bytes(),
                                0,
                            )
                        } else {
                            script.fuzzed_reply(&id)
                        }
                    }
                    // Notifications and our answers to server requests.
                    _ => reply(202, None, Vec::new(), 0),
                }
            }
        };
        Box::pin(future::ready(Ok(response)))
    }
}

/// A clock whose timers never fire: a call can only finish through its bodies.
/// Handlers whose elicitation declines at once (input-required rounds get an answer).
fn decline_elicitation() -> ClientHandlers {
    ClientHandlers {
        elicitation: Some(Rc::new(|_| {
            Box::pin(async {
                mcp_edge_pool::json::raw(r#"{"action":"decline"}"#.to_owned()).map_err(|e| {
                    ErrorObject {
                        code: -32603,
                        message: e.to_string(),
                        data: None,
                    }
                })
            })
        })),
        ..ClientHandlers::default()
    }
}

/// The request timeout of the fuzzed session.
const TIMEOUT_MS: u64 = 30_000;

/// Time stands still at the request timeout (the request's and the handshake's deadline): a call
/// still pending when the executor stalls would wait for it, which is a hang. Every other wait (a
/// server's `retry:` before resuming a stream, however long: the deadline bounds it in time; a
/// bounded wait for a best-effort notification or for an HTTP+SSE endpoint) passes at once.
struct FuzzClock;

impl Clock for FuzzClock {
    fn now_ms(&self) -> u64 {
        0
    }

    fn sleep(&self, ms: u64) -> LocalBoxFuture<'static, ()> {
        if ms == TIMEOUT_MS {
            Box::pin(future::pending())
        } else {
            Box::pin(future::ready(()))
        }
    }
}

struct PoolSpawner(futures_executor::LocalSpawner);

impl Spawner for PoolSpawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        self.0.spawn_local(task).expect("the pool is alive");
    }
}

fuzz_target!(|input: &[u8]| {
    if input.len() < 3 {
        return;
    }
    let (head, rest) = input.split_at(3);
    let target = match head[0] & 3 {
        0 => Target::CallTool,
        1 => Target::ListAll,
        2 => Target::Initialize,
        _ => Target::Ping,
    };
    let sse = head[0] & 4 != 0;
    let content_type = match ((head[0] >> 3) & 3, sse) {
        (0, false) => Some("application/json"),
        (0, true) => Some("text/event-stream"),
        (1, false) => Some("Application/JSON; charset=utf-8"),
        (1, true) => Some("Text/Event-Stream; charset=utf-8"),
        (2, _) => Some("text/plain"),
        _ => None,
    };
    let first_status = match head[0] >> 5 {
        0..=3 => 200,
        4 => 202,
        5 => 404,
        6 => 500,
        _ => 307,
    };
    let chunk = usize::from(head[1]);
    let max_response_bytes = if head[2] & 0x80 != 0 {
        4 << 20
    } else {
        (usize::from(head[2] & 0x3f) + 1) * 32
    };
    let modern = head[2] & 0x40 != 0;
    let bodies: VecDeque<Vec<u8>> = split_bodies(rest);

    let script = Rc::new(RefCell::new(Script {
        target,
        content_type,
        first_status,
        chunk,
        bodies,
        fuzzed_first: false,
        posts: 0,
        modern,
        discovers: 0,
    }));
    let mut pool = LocalPool::new();
    let rt = Runtime::new(
        Rc::new(Transport(Rc::clone(&script))),
        Rc::new(FuzzClock),
        Rc::new(PoolSpawner(pool.spawner())),
    );
    let notifications = Rc::new(Cell::new(0usize));
    let seen = Rc::clone(&notifications);
    let handler: NotificationHandler = Rc::new(move |server: &str, n: &Notification| {
        assert_eq!(server, "fuzz");
        let _ = n.params.as_ref().map(|p| p.get().len());
        seen.set(seen.get() + 1);
    });
    let config = SessionConfig {
        server: "fuzz".to_owned(),
        url: URL.to_owned(),
        headers: vec![("Authorization".to_owned(), "Bearer secret".to_owned())],
        request_timeout_ms: TIMEOUT_MS,
        max_response_bytes,
        client_info: Implementation::new("fuzz", "0"),
        allow_cross_origin_redirects: false,
        handlers: if modern {
            decline_elicitation()
        } else {
            Default::default()
        },
        token_provider: None,
        dpop: None,
        server_stream: Some(false),
        // Probing only when the input makes the server stateless: a session-era server would
        // refuse the probe anyway (the script does), and the handshake stays the fuzzed part.
        era: if modern {
            EraPolicy::Auto
        } else {
            EraPolicy::Legacy
        },
        transport: Default::default(),
    };

    let done = Rc::new(Cell::new(false));
    let finished = Rc::clone(&done);
    pool.spawner()
        .spawn_local(async move {
            match Session::connect(config, rt, Some(handler)).await {
                Err(e) => {
                    if debug() {
                        eprintln!("connect: {e}");
                    }
                }
                Ok(session) => {
                    let version = session
                        .protocol_version()
                        .expect("a connected session has a version");
                    assert!(
                        protocol::is_supported_over_sse(&version) || protocol::is_modern(&version)
                    );
                    // A fuzzed discovery may send the session back to the handshake; a good
                    // one makes it stateless, and a session-era server never does.
                    if target != Target::Initialize {
                        assert_eq!(protocol::is_modern(&version), modern);
                    }
                    assert!(session.initialize_result().is_some());
                    match target {
                        Target::CallTool => {
                            let params = mcp_edge_pool::json::raw(
                                r#"{"name":"echo","arguments":{"text":"hi"}}"#.to_owned(),
                            )
                            .ok();
                            let result = session
                                .request("tools/call", params, RequestOptions::default())
                                .await;
                            if debug() {
                                eprintln!("tools/call: {result:?}");
                            }
                            if let Ok(raw) = result {
                                serde_json::from_str::<Value>(raw.get())
                                    .expect("a result is valid JSON");
                                let _ = CallToolResult::from_json(raw.get());
                            }
                        }
                        Target::ListAll => {
                            let result = session
                                .request_all_pages("tools/list", "tools", None, None)
                                .await;
                            if debug() {
                                eprintln!("tools/list: {result:?}");
                            }
                            if let Ok(raw) = result {
                                let merged: Value = serde_json::from_str(raw.get())
                                    .expect("a merged list is valid JSON");
                                let object =
                                    merged.as_object().expect("a merged list is an object");
                                assert!(object.get("tools").is_some_and(Value::is_array));
                                assert!(!object.contains_key("nextCursor"));
                                let _ = ListToolsResult::from_json(raw.get());
                            }
                        }
                        Target::Initialize | Target::Ping => {
                            let result = session.ping(None).await;
                            if debug() {
                                eprintln!("ping: {result:?}");
                            }
                        }
                    }
                    session.close().await;
                    assert!(session.is_closed());
                }
            }
            finished.set(true);
        })
        .expect("spawn");
    pool.run_until_stalled();
    assert!(
        done.get(),
        "the call did not complete after the bodies ended (sse: {sse})"
    );
});

fn split_bodies(mut rest: &[u8]) -> VecDeque<Vec<u8>> {
    let mut out = VecDeque::new();
    loop {
        match rest.windows(2).position(|w| w == b"\xff\xff") {
            Some(at) => {
                out.push_back(rest[..at].to_vec());
                rest = &rest[at + 2..];
            }
            None => {
                out.push_back(rest.to_vec());
                return out;
            }
        }
    }
}
