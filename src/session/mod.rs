//! One MCP session over Streamable HTTP (legacy, session era: 2025-03-26 to 2025-11-25), or over
//! the older HTTP+SSE transport (2024-11-05) it falls back to (see `legacy_sse`).
//!
//! A [`Session`] is a cheap, clonable handle. Many leases share one session: requests run
//! concurrently over it, each as its own `POST`. When a request that carried a session id gets
//! `404`, the session re-initializes once (single-flight: concurrent callers that hit the same
//! expired session share one `initialize`) and the request is retried once.
//!
//! The era is a field of the session's state: in the stateless era (2026-07-28) there is no
//! handshake and no session id, and every request carries its own `_meta` (see `era.rs` and
//! `modern.rs`).

mod auth;
mod era;
mod exchange;
mod handlers;
mod handshake;
mod legacy_sse;
mod listen;
mod modern;
mod pages;
mod param_headers;
mod progress;
mod redact;
mod redirect;
mod request;
mod restore;
mod resume;

pub use crate::options::{
    AuthChallenge, ClientHandlers, DpopProof, DpopRequest, EraPolicy, ServerRequestHandler,
    TokenProvider, TransportMode,
};
pub use auth::{parse_challenge, NonceSlot};
pub use era::{Era, EraMemory, EraSlot};
pub use pages::MAX_LIST_ITEMS;
pub use progress::{ProgressHandler, ProgressOptions};
pub use restore::SessionSnapshot;

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use futures_util::future::{self, Either, FutureExt, LocalBoxFuture, Shared};

use crate::error::Error;
use crate::json::RawValue;
use crate::jsonrpc::{self, Notification};
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
    /// The server's last `DPoP-Nonce`, shared by all sessions of the server.
    pub dpop_nonce: NonceSlot,
    /// Open the optional standalone `GET` stream of each Streamable HTTP session, for what the
    /// server sends outside any request (default: false).
    pub server_stream: bool,
    /// Which protocol era to speak (default: probe once per server).
    pub era: EraPolicy,
    /// What is known of the server's era, shared by all sessions of the server.
    pub era_memory: EraSlot,
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
    rt: Runtime,
    state: RefCell<State>,
    next_id: Cell<i64>,
    reinit: RefCell<Option<Reinit>>,
    last_ok_ms: Cell<u64>,
    initializes: Cell<u64>,
    on_notification: RefCell<Option<NotificationHandler>>,
    /// Requests waiting for progress, by progress token (their request id).
    progress: RefCell<Vec<(i64, Rc<progress::ProgressSink>)>>,
    /// The bearer token from the provider.
    auth: auth::AuthState,
    /// The event stream and message endpoint of an HTTP+SSE session.
    sse: RefCell<Option<Rc<legacy_sse::Channel>>>,
    /// The standalone `GET` stream's task, when the options ask for one.
    listener: RefCell<Option<listen::Listener>>,
}

/// A re-initialize in flight, awaited by every caller that hit the expired session.
type Reinit = Shared<LocalBoxFuture<'static, Result<(), Error>>>;

#[derive(Default)]
struct State {
    era: Era,
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
    era: Era,
    session_id: Option<String>,
    protocol_version: Option<String>,
    generation: u64,
    failed_reinits: u64,
}

/// Why one attempt failed.
enum Failure {
    /// `404` on a request that carried a session id: the server forgot the session. Carries the
    /// snapshot's generation and failed re-initialize count.
    Gone(u64, u64),
    /// Anything else, final.
    Fatal(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Fatal(e)
    }
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
        let session = Session::blank(config, rt, on_notification);
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
        rt: Runtime,
        on_notification: Option<NotificationHandler>,
    ) -> Session {
        Session {
            inner: Rc::new(Inner {
                config: Rc::new(config),
                rt,
                state: RefCell::new(State::default()),
                next_id: Cell::new(0),
                reinit: RefCell::new(None),
                last_ok_ms: Cell::new(0),
                initializes: Cell::new(0),
                on_notification: RefCell::new(on_notification),
                progress: RefCell::default(),
                auth: auth::AuthState::default(),
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
        let snap = self.snapshot();
        if snap.era == Era::Modern {
            // The stateless era's HTTP wire has no client notifications (a cancel is closing
            // the request's own stream).
            return Ok(());
        }
        let body = jsonrpc::encode_notification(method, params.as_ref());
        let sent = async {
            let response = self.post(body, Some(&snap), true).await?;
            self.expect_accepted(response).await
        };
        sent.await.map_err(|e| self.redact(e))
    }

    /// Sends `ping` and waits for the empty result.
    ///
    /// # Errors
    /// As [`Session::request`].
    pub async fn ping(&self, timeout_ms: Option<u64>) -> Result<(), Error> {
        if self.era() == Era::Modern {
            // `ping` is gone in 2026-07-28: `server/discover` is the cheapest stateless request.
            let timeout_ms = timeout_ms.unwrap_or(self.inner.config.request_timeout_ms);
            let timer = self.inner.rt.clock.sleep(timeout_ms);
            return match future::select(Box::pin(self.discover_alive()), timer).await {
                Either::Left((result, _)) => result.map_err(|e| self.redact(e)),
                Either::Right(_) => Err(self.timeout_error(methods::DISCOVER, timeout_ms)),
            };
        }
        self.request(
            methods::PING,
            None,
            RequestOptions {
                timeout_ms,
                cancel: None,
                progress: None,
            },
        )
        .await
        .map(|_| ())
    }

    /// Ends the session: `DELETE` with the session id (a `405` is fine). Best effort: errors are
    /// ignored, and later requests fail with [`Error::SessionClosed`].
    pub async fn close(&self) {
        let snap = {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return;
            }
            state.closed = true;
            Snapshot {
                era: state.era,
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
        // HTTP+SSE: closing is aborting the event stream (there is no DELETE).
        self.drop_sse_channel();
        let listener = self.inner.listener.borrow_mut().take();
        drop(listener);
        if snap.session_id.is_some() {
            let _ = self.send_delete(&snap).await;
        }
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
    pub fn era(&self) -> Era {
        self.inner.state.borrow().era
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
            era: state.era,
            session_id: state.session_id.clone(),
            protocol_version: state.protocol_version.clone(),
            generation: state.generation,
            failed_reinits: state.failed_reinits,
        }
    }

    fn mark_ok(&self) {
        self.inner.last_ok_ms.set(self.inner.rt.clock.now_ms());
    }

    async fn call_with_recovery(&self, id: i64, body: &str) -> Result<RawValue, Error> {
        match self.call_once(id, body).await {
            Ok(raw) => Ok(raw),
            Err(Failure::Fatal(e)) => Err(e),
            Err(Failure::Gone(generation, failed_reinits)) => {
                self.reinitialize(generation, failed_reinits).await?;
                match self.call_once(id, body).await {
                    Ok(raw) => Ok(raw),
                    Err(Failure::Fatal(e)) => Err(e),
                    Err(Failure::Gone(..)) => Err(self.status_error(
                        404,
                        "session not found, again right after a new initialize".into(),
                    )),
                }
            }
        }
    }

    async fn call_once(&self, id: i64, body: &str) -> Result<RawValue, Failure> {
        let snap = self.snapshot();
        if self.is_closed() {
            return Err(Failure::Fatal(self.closed_error()));
        }
        if let Some(channel) = self.sse_channel() {
            let result = self.sse_call(&channel, id, body.to_owned(), &snap).await?;
            self.mark_ok();
            return Ok(result);
        }
        let response = self.post(body.to_owned(), Some(&snap), false).await?;
        if response.status == 404 && snap.session_id.is_some() {
            return Err(Failure::Gone(snap.generation, snap.failed_reinits));
        }
        let result = self.read_answer(response, id, &snap).await?;
        self.mark_ok();
        Ok(result)
    }

    /// Re-initializes after the session of `generation` expired. Single-flight: callers that
    /// arrive while one is running await the same one; callers that arrive after it finished
    /// see a newer generation and just retry.
    /// A request sent before a re-initialize failed gets that failure instead of starting another.
    async fn reinitialize(&self, generation: u64, failed_reinits: u64) -> Result<(), Error> {
        let shared = {
            {
                let state = self.inner.state.borrow();
                if state.closed {
                    return Err(self.closed_error());
                }
                if state.generation != generation {
                    return Ok(());
                }
                if state.failed_reinits > failed_reinits {
                    if let Some(error) = &state.last_reinit_error {
                        return Err(error.clone());
                    }
                }
            }
            let mut slot = self.inner.reinit.borrow_mut();
            match slot.as_ref() {
                Some(running) => running.clone(),
                None => {
                    let me = self.clone();
                    let run = async move {
                        let result = me.initialize_with_timeout().await;
                        *me.inner.reinit.borrow_mut() = None;
                        if let Err(error) = &result {
                            let mut state = me.inner.state.borrow_mut();
                            state.failed_reinits += 1;
                            state.last_reinit_error = Some(error.clone());
                        }
                        result
                    }
                    .boxed_local()
                    .shared();
                    *slot = Some(run.clone());
                    run
                }
            }
        };
        shared.await
    }

    async fn initialize_with_timeout(&self) -> Result<(), Error> {
        self.with_connect_timeout(self.initialize()).await
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

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.borrow();
        f.debug_struct("Session")
            .field("server", &self.inner.config.server)
            .field("era", &state.era)
            .field("protocol_version", &state.protocol_version)
            .field("has_session_id", &state.session_id.is_some())
            .field("generation", &state.generation)
            .field("closed", &state.closed)
            .finish()
    }
}
