//! One MCP session, in one of three wire dialects (see `dialect`): Streamable HTTP with a session
//! (2025-03-26 to 2025-11-25), the stateless era (2026-07-28), or the older HTTP+SSE transport
//! (2024-11-05). Its HTTP goes through its server's [`ServerLink`] (the policy layers of
//! `crate::policy`).
//!
//! A [`Session`] is a cheap, clonable handle. Many leases share one session: requests run
//! concurrently over it, each as its own `POST`. When a request that carried a session id gets
//! `404`, the session re-initializes once (single-flight: concurrent callers that hit the same
//! expired session share one `initialize`) and the request is retried once.
//!
//! The dialect is chosen once, when the session opens (see `era.rs`): in the stateless era there
//! is no handshake and no session id, and every request carries its own `_meta`
//! (`stateless.rs`).

mod dialect;
mod era;
mod exchange;
mod handlers;
mod handshake;
mod http_sse;
mod link;
mod listen;
mod media;
mod pages;
mod progress;
mod recovery;
mod redact;
mod request;
mod restore;
mod resume;
mod routing;
mod stateful;
mod stateless;

pub(crate) use crate::options::{
    ClientHandlers, DpopProof, EraPolicy, TokenProvider, TransportMode,
};
pub use dialect::Dialect;
pub use era::{EraMemory, EraSlot};
pub use link::ServerLink;
pub use pages::MAX_LIST_ITEMS;
pub use progress::{ProgressHandler, ProgressOptions};
pub use restore::SessionSnapshot;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use futures_util::future::{self, Either, LocalBoxFuture};

use crate::error::Error;
use crate::json::RawValue;
use crate::jsonrpc::Notification;
use crate::protocol::{methods, Implementation, InitializeResult};
use crate::runtime::Runtime;

/// Where and how to reach one server.
#[derive(Clone)]
pub struct SessionConfig {
    /// The server's registered name (used in errors and stats).
    pub server: String,
    /// The MCP endpoint.
    pub url: String,
    /// Extra headers for every request (secrets: never printed).
    pub headers: Vec<(String, String)>,
    /// Default timeout of one request, in ms.
    pub request_timeout_ms: u64,
    /// Largest body or SSE event accepted.
    pub max_response_bytes: usize,
    /// Sent as `clientInfo`.
    pub client_info: Implementation,
    /// Follow `307`/`308` redirects to other origins too (headers included). Default: false.
    pub allow_cross_origin_redirects: bool,
    /// Answers to the server's own requests (elicitation, sampling, roots).
    pub handlers: ClientHandlers,
    /// Gives the bearer token (overrides an `Authorization` in `headers`).
    pub token_provider: Option<TokenProvider>,
    /// Makes a DPoP proof for every request; the token then goes out as `DPoP <token>`.
    pub dpop: Option<DpopProof>,
    /// Open the optional standalone `GET` stream of each stateful session, for what the server
    /// sends outside any request. `None`: open it when the server has handlers (the pool also
    /// resolves it to `Some(true)` when it has a notification handler); `Some(false)`: never.
    pub server_stream: Option<bool>,
    /// Which protocol era to speak (default: probe once per server).
    pub era: EraPolicy,
    /// Streamable HTTP, HTTP+SSE, or Streamable HTTP with fallback to HTTP+SSE (the default).
    pub transport: TransportMode,
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("SessionConfig")
            .field("server", &self.server)
            .field("url", &self.url)
            .field("header_names", &names)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// How long a timed-out or aborted request waits for its `notifications/cancelled` to be sent.
const CANCEL_WAIT_MS: u64 = 1_000;

/// Called for every notification a server sends (progress, logging, list changes...), with the
/// server's name. It must not call back into the pool synchronously.
pub type NotificationHandler = Rc<dyn Fn(&str, &Notification)>;

/// Per-request options.
#[derive(Default)]
pub struct RequestOptions {
    /// Overrides the session's default request timeout, in ms.
    pub timeout_ms: Option<u64>,
    /// Completes when the caller aborts: the request stops with [`Error::Aborted`] and the server
    /// is sent `notifications/cancelled`.
    pub cancel: Option<LocalBoxFuture<'static, ()>>,
    /// Ask for progress notifications (sets `_meta.progressToken`).
    pub progress: Option<ProgressOptions>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("cancel", &self.cancel.is_some())
            .field("progress", &self.progress)
            .finish()
    }
}

/// A live MCP session. Clone it freely: clones share the session.
#[derive(Clone)]
pub struct Session {
    inner: Rc<Inner>,
}

struct Inner {
    config: Rc<SessionConfig>,
    /// The server's HTTP stack and what is known of it, shared by its sessions.
    link: Rc<ServerLink>,
    rt: Runtime,
    state: RefCell<State>,
    next_id: Cell<i64>,
    reinit: RefCell<Option<recovery::Reinit>>,
    last_ok_ms: Cell<u64>,
    initializes: Cell<u64>,
    on_notification: RefCell<Option<NotificationHandler>>,
    /// Requests waiting for progress, by progress token (their request id).
    progress: RefCell<Vec<(i64, Rc<progress::ProgressSink>)>>,
    /// The event stream and message endpoint of an HTTP+SSE session.
    sse: RefCell<Option<Rc<http_sse::Channel>>>,
    /// The standalone `GET` stream's task, when the options ask for one.
    listener: RefCell<Option<listen::Listener>>,
}

#[derive(Default)]
struct State {
    dialect: Dialect,
    session_id: Option<String>,
    protocol_version: Option<String>,
    init: Option<Rc<InitializeResult>>,
    generation: u64,
    closed: bool,
    /// How many re-initializes failed, and the last failure: shared with every request that was
    /// sent before that failure and whose 404 arrives after it.
    failed_reinits: u64,
    last_reinit_error: Option<Error>,
}

/// What a request was sent with: the session as it was at that moment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Snapshot {
    dialect: Dialect,
    session_id: Option<String>,
    protocol_version: Option<String>,
    generation: u64,
    failed_reinits: u64,
}

impl Session {
    /// Opens a session: `initialize`, version negotiation, `notifications/initialized`.
    ///
    /// # Errors
    /// [`Error::UnsupportedProtocolVersion`] when the server insists on a version this client
    /// does not speak; [`Error::CrossOriginEndpoint`] when an HTTP+SSE server names a message
    /// endpoint on another origin; [`Error::ConnectFailed`] for anything else.
    pub async fn connect(
        config: SessionConfig,
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
    ) -> Result<Session, Error> {
        let link = ServerLink::new(&config, rt.transport.clone());
        Session::connect_via(config, link, rt, on_notification).await
    }

    /// [`Session::connect`] through `link`, the HTTP stack and memory of a server that other
    /// sessions share (as a pool's sessions of one server do: one token, one nonce, one era
    /// verdict). `link` must have been made from `config`.
    ///
    /// # Errors
    /// As [`Session::connect`].
    pub async fn connect_via(
        config: SessionConfig,
        link: Rc<ServerLink>,
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
    ) -> Result<Session, Error> {
        let session = Session::blank(config, link, rt, on_notification);
        session
            .with_connect_timeout(session.open())
            .await
            .map_err(|e| session.redact(session.connect_error(e)))?;
        session.listen_if_asked();
        Ok(session)
    }

    /// A session object that has not talked to the server yet.
    fn blank(
        config: SessionConfig,
        link: Rc<ServerLink>,
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
    ) -> Session {
        Session {
            inner: Rc::new(Inner {
                config: Rc::new(config),
                link,
                rt,
                state: RefCell::new(State::default()),
                next_id: Cell::new(0),
                reinit: RefCell::new(None),
                last_ok_ms: Cell::new(0),
                initializes: Cell::new(0),
                on_notification: RefCell::new(on_notification),
                progress: RefCell::default(),
                sse: RefCell::new(None),
                listener: RefCell::new(None),
            }),
        }
    }

    /// Sends a notification (no answer expected).
    ///
    /// # Errors
    /// As [`Session::request`], minus timeouts.
    pub async fn notify(&self, method: &str, params: Option<RawValue>) -> Result<(), Error> {
        if self.is_closed() {
            return Err(self.closed_error());
        }
        let sent = self.dialect().wire().notify(self, method, params);
        sent.await.map_err(|e| self.redact(e))
    }

    /// Sends `ping` and waits for the empty result.
    ///
    /// # Errors
    /// As [`Session::request`].
    pub async fn ping(&self, timeout_ms: Option<u64>) -> Result<(), Error> {
        let options = RequestOptions {
            timeout_ms,
            cancel: None,
            progress: None,
        };
        self.request(methods::PING, None, options).await.map(|_| ())
    }

    /// Ends the session on the server: a `DELETE` with the session id (a `405` is fine), or the
    /// end of an HTTP+SSE event stream. Best effort: errors are ignored, and later requests fail
    /// with [`Error::SessionClosed`].
    pub async fn close(&self) {
        let snap = {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return;
            }
            state.closed = true;
            Snapshot {
                dialect: state.dialect,
                session_id: state.session_id.take(),
                protocol_version: state.protocol_version.clone(),
                generation: state.generation,
                failed_reinits: state.failed_reinits,
            }
        };
        // A re-initialize nobody waits on any more would otherwise keep its timers and, through
        // its clone of the session, the session itself alive (a reference cycle).
        let abandoned = self.inner.reinit.borrow_mut().take();
        drop(abandoned);
        // The streams it holds end here: the standalone `GET`, and an HTTP+SSE event stream
        // (also one whose handshake is still under way, before its dialect is committed).
        let listener = self.inner.listener.borrow_mut().take();
        drop(listener);
        self.drop_sse_channel();
        let wire = snap.dialect.wire();
        wire.close(self, snap).await;
    }

    /// The server's registered name.
    pub fn server(&self) -> &str {
        &self.inner.config.server
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> Option<String> {
        self.inner.state.borrow().protocol_version.clone()
    }

    /// The server's `initialize` result.
    pub fn initialize_result(&self) -> Option<Rc<InitializeResult>> {
        self.inner.state.borrow().init.clone()
    }

    /// The protocol era.
    pub fn dialect(&self) -> Dialect {
        self.inner.state.borrow().dialect
    }

    /// True when the server assigned a session id (it is never exposed).
    pub fn has_session_id(&self) -> bool {
        self.inner.state.borrow().session_id.is_some()
    }

    /// When the last exchange succeeded, on the runtime's clock.
    pub fn last_ok_ms(&self) -> u64 {
        self.inner.last_ok_ms.get()
    }

    /// How many `initialize` handshakes this session has done (1 + re-initializations).
    pub fn initialize_count(&self) -> u64 {
        self.inner.initializes.get()
    }

    /// True once [`Session::close`] was called, or once the event stream of an HTTP+SSE session
    /// ended (the session is then unusable: the pool opens a new one).
    pub fn is_closed(&self) -> bool {
        self.inner.state.borrow().closed || self.sse_stream_ended()
    }

    /// True when both handles point at the same session.
    pub fn ptr_eq(&self, other: &Session) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    // ===== internals =====

    fn next_id(&self) -> i64 {
        let id = self.inner.next_id.get().wrapping_add(1);
        self.inner.next_id.set(id);
        id
    }

    fn snapshot(&self) -> Snapshot {
        let state = self.inner.state.borrow();
        Snapshot {
            dialect: state.dialect,
            session_id: state.session_id.clone(),
            protocol_version: state.protocol_version.clone(),
            generation: state.generation,
            failed_reinits: state.failed_reinits,
        }
    }

    fn mark_ok(&self) {
        self.inner.last_ok_ms.set(self.inner.rt.clock.now_ms());
    }

    /// Runs a handshake step within the request timeout.
    async fn with_connect_timeout(
        &self,
        step: impl std::future::Future<Output = Result<(), Error>>,
    ) -> Result<(), Error> {
        let timeout_ms = self.inner.config.request_timeout_ms;
        let timer = self.inner.rt.clock.sleep(timeout_ms);
        match future::select(std::pin::pin!(step), timer).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => Err(self.timeout_error(methods::INITIALIZE, timeout_ms)),
        }
    }

    fn connect_error(&self, e: Error) -> Error {
        match e {
            Error::UnsupportedProtocolVersion { .. }
            | Error::ConnectFailed { .. }
            | Error::AuthFailed { .. }
            | Error::CrossOriginEndpoint { .. } => e,
            other => Error::ConnectFailed {
                server: self.server().to_owned(),
                reason: other.to_string(),
                status: other.http_status(),
            },
        }
    }

    fn notify_handler(&self, notification: &Notification) {
        let handler = self.inner.on_notification.borrow().clone();
        if let Some(handler) = handler {
            handler(self.server(), notification);
        }
    }
}

impl Dialect {
    /// What this dialect does differently (see [`dialect::Wire`]).
    fn wire(self) -> &'static dyn dialect::Wire {
        match self {
            Dialect::Stateful => &stateful::Stateful,
            Dialect::Stateless => &stateless::Stateless,
            Dialect::HttpSse => &http_sse::HttpSse,
        }
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Session")
            .field("server", &self.inner.config.server)
            .field("dialect", &state.dialect)
            .field("protocol_version", &state.protocol_version)
            .field("has_session_id", &state.session_id.is_some())
            .field("generation", &state.generation)
            .field("closed", &state.closed)
            .finish()
    }
}
