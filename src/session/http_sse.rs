//! The older HTTP+SSE transport (protocol 2024-11-05), for servers that do not speak Streamable
//! HTTP.
//!
//! The session `GET`s the server's URL for an event stream and waits for its `endpoint` event,
//! whose data names (relative to the URL) where to `POST` messages; only an endpoint on the
//! server's own origin is accepted. Every client message is then `POST`ed there (the server
//! answers `202` with no JSON), and every response, server request and notification arrives on
//! the stream as a `message` event. A background reader matches responses to waiting requests
//! by id, answers server requests with a `POST`, and routes notifications. Closing is aborting
//! the stream. When the stream ends, waiting requests fail with [`Error::Network`] and the
//! session reports itself closed, so the pool opens a new one.
//!
//! The stream is sent `urgent` (see [`crate::transport::HttpRequest::urgent`]): it stays open
//! for the session's whole life, and holding a concurrency permit that long would starve every
//! other request.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use futures_channel::oneshot;
use futures_util::future::{self, AbortHandle, Abortable, Either, LocalBoxFuture};

use super::dialect::Wire;
use super::recovery::{Attempt, Failure};
use super::{Dialect, Inner, Session, Snapshot};
use crate::error::{snippet, Error};
use crate::json::RawValue;
use crate::jsonrpc::{self, Message, RequestId};
use crate::policy::{origin, resolve};
use crate::protocol;
use crate::sse::{SseEvent, SseParser};
use crate::transport::{Body, HttpResponse};

/// The HTTP+SSE dialect. Its state, the [`Channel`], lives in the session.
pub(super) struct HttpSse;

impl Attempt for HttpSse {
    async fn attempt(
        &self,
        session: &Session,
        id: i64,
        body: &Body,
        snap: &Snapshot,
    ) -> Result<RawValue, Failure> {
        let Some(channel) = session.sse_channel() else {
            return Err(Failure::Fatal(session.closed_error()));
        };
        session.sse_call(&channel, id, body.clone(), snap).await
    }
}

impl Wire for HttpSse {
    fn call<'a>(
        &self,
        session: &'a Session,
        id: i64,
        method: &'a str,
        params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<RawValue, Error>> {
        super::recovery::call(&HttpSse, session, id, method, params)
    }

    fn reopen<'a>(&self, session: &'a Session) -> LocalBoxFuture<'a, Result<(), Error>> {
        Box::pin(session.initialize_sse(None))
    }

    /// Closing is ending the event stream (`Session::close` drops it): there is no `DELETE`.
    fn close<'a>(&self, _session: &'a Session, _snap: Snapshot) -> LocalBoxFuture<'a, ()> {
        Box::pin(future::ready(()))
    }

    fn cancels_by_notification(&self) -> bool {
        true
    }

    /// Its one stream is the session itself.
    fn has_server_stream(&self) -> bool {
        false
    }

    /// The session lives in its event stream, which no other process can take over.
    fn resumable(&self) -> bool {
        false
    }
}

/// How long the stream may take to name its endpoint (HTTP+SSE servers send it at once).
pub(super) const ENDPOINT_WAIT_MS: u64 = 5_000;

/// What a request waiting on the stream is handed: its outcome.
type Outcome = Result<RawValue, Error>;

/// The event stream and message endpoint of one HTTP+SSE session.
pub(super) struct Channel {
    /// Where messages are `POST`ed (absolute, same origin as the server's URL).
    endpoint: String,
    /// Requests waiting for their response, by id (few at a time: a `Vec` is enough).
    pending: RefCell<Vec<(i64, oneshot::Sender<Outcome>)>>,
    /// Why the stream ended; `Some` once it did.
    ended: RefCell<Option<Error>>,
    /// Stops the reader (and so aborts the `GET`).
    reader: AbortHandle,
}

impl Channel {
    /// The endpoint messages are `POST`ed to.
    pub(super) fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Ends the channel: every waiting request gets `error`, later ones get it too.
    fn fail(&self, error: &Error) {
        {
            let mut ended = self.ended.borrow_mut();
            if ended.is_none() {
                *ended = Some(error.clone());
            }
        }
        let waiting = std::mem::take(&mut *self.pending.borrow_mut());
        for (_, tx) in waiting {
            let _ = tx.send(Err(error.clone()));
        }
    }

    /// Hands a response to the request waiting for it (a response nobody waits for is dropped).
    fn deliver(&self, id: i64, outcome: Outcome) {
        let waiting = self.take(id);
        if let Some(tx) = waiting {
            let _ = tx.send(outcome);
        }
    }

    /// Takes request `id` off the waiting list.
    fn take(&self, id: i64) -> Option<oneshot::Sender<Outcome>> {
        let mut pending = self.pending.borrow_mut();
        let at = pending.iter().position(|(k, _)| *k == id)?;
        Some(pending.swap_remove(at).1)
    }
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// Takes a request off the waiting list when its call ends or is dropped (timed out, aborted).
struct PendingGuard<'a> {
    channel: &'a Channel,
    id: i64,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        self.channel.take(self.id);
    }
}

/// Aborts the stream of an HTTP+SSE handshake that failed or was abandoned.
struct HandshakeGuard<'a> {
    session: &'a Session,
    armed: bool,
}

impl Drop for HandshakeGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.session.drop_sse_channel();
        }
    }
}

/// Why opening the event stream failed.
pub(super) enum OpenFailure {
    /// The URL does not serve an HTTP+SSE stream at all (HTTP error or another content type).
    NotSse(String),
    /// It does, but something went wrong on it.
    Failed(Error),
}

impl From<Error> for OpenFailure {
    fn from(e: Error) -> Self {
        OpenFailure::Failed(e)
    }
}

impl Session {
    /// The HTTP+SSE channel, if this is such a session.
    pub(super) fn sse_channel(&self) -> Option<Rc<Channel>> {
        self.inner.sse.borrow().clone()
    }

    /// True when this is an HTTP+SSE session whose stream ended.
    pub(super) fn sse_stream_ended(&self) -> bool {
        self.inner
            .sse
            .borrow()
            .as_ref()
            .is_some_and(|c| c.ended.borrow().is_some())
    }

    /// Forgets the channel: waiting requests fail with [`Error::SessionClosed`] and the stream
    /// is aborted.
    pub(super) fn drop_sse_channel(&self) {
        let channel = self.inner.sse.borrow_mut().take();
        if let Some(channel) = channel {
            channel.fail(&self.closed_error());
        }
    }

    /// The handshake over HTTP+SSE: opens the stream, then `initialize` (offering 2024-11-05)
    /// and `notifications/initialized` through the endpoint. `post_error`: the failed
    /// Streamable HTTP `initialize` this falls back from; it is what the caller gets when the
    /// URL serves no event stream either.
    pub(super) async fn initialize_sse(&self, post_error: Option<Error>) -> Result<(), Error> {
        let channel = match self.open_sse().await {
            Ok(channel) => channel,
            Err(OpenFailure::NotSse(why)) => {
                return Err(match post_error {
                    Some(mut error) => {
                        if let Error::Http { message, .. } = &mut error {
                            message.push_str(" (nor does it serve the older HTTP+SSE transport: ");
                            message.push_str(&why);
                            message.push(')');
                        }
                        error
                    }
                    None => Error::protocol(
                        self.server(),
                        format!("no HTTP+SSE event stream at the server's URL: {why}"),
                    ),
                })
            }
            Err(OpenFailure::Failed(e)) => return Err(e),
        };
        // A re-open (the server forgot the old stream) replaces the old channel: whatever still
        // waits on it fails now instead of at its timeout.
        let old = self.inner.sse.borrow_mut().replace(channel.clone());
        if let Some(old) = old {
            old.fail(&Error::Network {
                server: self.server().to_owned(),
                message: "the HTTP+SSE stream was replaced by a new one".into(),
            });
        }
        // A failed handshake, or one dropped by its timeout, leaves no stream open.
        let mut guard = HandshakeGuard {
            session: self,
            armed: true,
        };
        let outcome = self.sse_handshake(&channel).await;
        guard.armed = outcome.is_err();
        outcome
    }

    async fn sse_handshake(&self, channel: &Rc<Channel>) -> Result<(), Error> {
        let (id, body) = self.initialize_request(protocol::SSE_TRANSPORT_VERSION)?;
        let generation = self.inner.state.borrow().generation;
        let pending = Snapshot {
            dialect: Dialect::HttpSse,
            session_id: None,
            protocol_version: None,
            generation,
            failed_reinits: 0,
        };
        let raw = match self.sse_call(channel, id, body.into(), &pending).await {
            Ok(raw) => raw,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Gone(..)) => {
                return Err(self.status_error(
                    404,
                    "the HTTP+SSE endpoint it named does not know the session".into(),
                ))
            }
        };
        let result = self.initialize_result_of(&raw, protocol::is_supported_over_sse)?;
        let snap = Snapshot {
            dialect: Dialect::HttpSse,
            session_id: None,
            protocol_version: Some(result.protocol_version.clone()),
            generation: generation + 1,
            failed_reinits: 0,
        };
        let notified = self.post_initialized(&snap).await?;
        self.expect_accepted(notified).await?;
        if self.commit_handshake(&snap, result, true) {
            return Err(self.closed_error());
        }
        Ok(())
    }

    /// `GET`s the stream and waits for its `endpoint` event, then hands the rest of the stream
    /// to a background reader.
    async fn open_sse(&self) -> Result<Rc<Channel>, OpenFailure> {
        let url = self.inner.config.url.clone();
        let mut response = self.get_stream(&url, None, None, true).await?;
        if !(200..300).contains(&response.status) {
            let status = response.status;
            self.drain(response).await;
            return Err(OpenFailure::NotSse(format!("GET answered HTTP {status}")));
        }
        if !super::media::is_event_stream(&response) {
            let kind = snippet(response.header("content-type").unwrap_or("none"), 60);
            return Err(OpenFailure::NotSse(format!(
                "GET answered content type '{kind}', not text/event-stream"
            )));
        }
        let mut parser = SseParser::new(self.inner.config.max_response_bytes);
        // A Streamable HTTP server may answer this GET with its own (standalone) event stream,
        // which never names an endpoint: do not wait for one for long.
        let (endpoint, backlog) = {
            let wait = self.await_endpoint(&mut response, &mut parser, &url);
            let timer = self.inner.rt.clock.sleep(ENDPOINT_WAIT_MS);
            match future::select(Box::pin(wait), timer).await {
                Either::Left((found, _)) => found?,
                Either::Right(_) => {
                    return Err(OpenFailure::NotSse(format!(
                        "GET answered an event stream without an endpoint event within {ENDPOINT_WAIT_MS} ms"
                    )))
                }
            }
        };
        let (reader, registration) = AbortHandle::new_pair();
        let channel = Rc::new(Channel {
            endpoint,
            pending: RefCell::default(),
            ended: RefCell::new(None),
            reader,
        });
        let task = read_stream(
            Rc::downgrade(&self.inner),
            Rc::downgrade(&channel),
            response,
            parser,
            backlog,
        );
        let task = Abortable::new(task, registration);
        self.inner.rt.spawner.spawn(Box::pin(async move {
            let _ = task.await;
        }));
        Ok(channel)
    }

    /// Reads the stream until its `endpoint` event: the endpoint's URL and the events after it.
    async fn await_endpoint(
        &self,
        response: &mut HttpResponse,
        parser: &mut SseParser,
        url: &str,
    ) -> Result<(String, Vec<SseEvent>), OpenFailure> {
        let mut events: Vec<SseEvent> = Vec::new();
        loop {
            let chunk = response
                .body
                .next_chunk()
                .await
                .map_err(|e| self.network_error(&e))?;
            let Some(chunk) = chunk else {
                return Err(OpenFailure::Failed(self.protocol_error(
                    "the HTTP+SSE stream ended before its endpoint event",
                )));
            };
            parser
                .push(&chunk, &mut events)
                .map_err(|e| self.sse_error(&e))?;
            if let Some(at) = events
                .iter()
                .position(|e| e.event.as_deref() == Some("endpoint"))
            {
                let backlog = events.split_off(at.saturating_add(1));
                let data = events.pop().map(|e| e.data).unwrap_or_default();
                return Ok((self.endpoint_url(url, &data)?, backlog));
            }
            // Nothing was sent yet, so nothing before the endpoint can be an answer.
            events.clear();
        }
    }

    /// The endpoint named by `data`, resolved against the server's `url`; same origin only.
    fn endpoint_url(&self, url: &str, data: &str) -> Result<String, Error> {
        let data = data.trim();
        let resolved = if data.is_empty() {
            None
        } else {
            resolve(url, data)
        };
        let Some(resolved) = resolved else {
            return Err(self.protocol_error(format!(
                "the HTTP+SSE endpoint event holds no usable URI ('{}')",
                snippet(data, 100)
            )));
        };
        let theirs = origin(&resolved);
        if theirs.is_none() || theirs != origin(url) {
            return Err(Error::CrossOriginEndpoint {
                server: self.server().to_owned(),
                origin: theirs.unwrap_or_else(|| snippet(&resolved, 100)),
            });
        }
        Ok(resolved)
    }

    /// Sends request `id` through the endpoint and waits for its response on the stream.
    /// [`Failure::Gone`] when the endpoint answers `404`.
    pub(super) async fn sse_call(
        &self,
        channel: &Rc<Channel>,
        id: i64,
        body: Body,
        snap: &Snapshot,
    ) -> Result<RawValue, Failure> {
        if let Some(error) = channel.ended.borrow().clone() {
            return Err(Failure::Fatal(error));
        }
        let (tx, rx) = oneshot::channel();
        channel.take(id);
        channel.pending.borrow_mut().push((id, tx));
        let _guard = PendingGuard {
            channel: channel.as_ref(),
            id,
        };
        let response = self.post(body, Some(snap), false).await?;
        // 404: the server no longer knows this stream's session (it restarted, or, in Workers,
        // the Worker request that held the stream ended). The message was not processed: the
        // caller opens a new stream and retries, as for a Streamable HTTP session.
        if response.status == 404 {
            self.drain(response).await;
            return Err(Failure::Gone(snap.generation, snap.failed_reinits));
        }
        self.expect_accepted(response).await?;
        match rx.await {
            Ok(outcome) => Ok(outcome?),
            Err(_) => Err(Failure::Fatal(self.closed_error())),
        }
    }

    /// Handles the events of the stream: responses go to their requests (on an HTTP+SSE
    /// `channel`; without one, as on the standalone stream, they are dropped), server requests
    /// are answered in their own task (a handler may take long), notifications are routed.
    pub(super) fn dispatch(&self, channel: Option<&Channel>, events: Vec<SseEvent>) {
        for event in events {
            if event.data.is_empty() || !matches!(event.event.as_deref(), None | Some("message")) {
                continue;
            }
            // One malformed message does not end the session; its request times out.
            let Ok(messages) = jsonrpc::parse_messages(&event.data) else {
                continue;
            };
            for message in messages {
                match message {
                    Message::Response(r) => {
                        if let (Some(channel), Some(RequestId::Number(id))) = (channel, &r.id) {
                            channel.deliver(*id, self.outcome(r));
                        }
                    }
                    other => self.on_unsolicited(other),
                }
            }
        }
    }
}

/// The background reader of an HTTP+SSE stream. Holds the session and channel weakly, so that
/// dropping the session drops the channel, whose [`AbortHandle`] ends this task and the `GET`.
async fn read_stream(
    session: Weak<Inner>,
    channel: Weak<Channel>,
    mut response: HttpResponse,
    mut parser: SseParser,
    backlog: Vec<SseEvent>,
) {
    let with = |events: Vec<SseEvent>| -> bool {
        match (session.upgrade(), channel.upgrade()) {
            (Some(inner), Some(channel)) => {
                Session { inner }.dispatch(Some(&channel), events);
                true
            }
            _ => false,
        }
    };
    if !with(backlog) {
        return;
    }
    let mut events = Vec::new();
    let end = loop {
        let chunk = match response.body.next_chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break Err("the HTTP+SSE event stream ended".to_owned()),
            Err(e) => break Err(format!("the HTTP+SSE event stream broke: {}", e.message)),
        };
        let pushed = parser.push(&chunk, &mut events);
        if !with(std::mem::take(&mut events)) {
            return;
        }
        if let Err(e) = pushed {
            break Ok(e);
        }
    };
    let (Some(inner), Some(channel)) = (session.upgrade(), channel.upgrade()) else {
        return;
    };
    let session = Session { inner };
    let error = match end {
        Ok(too_large) => session.sse_error(&too_large),
        Err(message) => Error::Network {
            server: session.server().to_owned(),
            message,
        },
    };
    channel.fail(&error);
}
