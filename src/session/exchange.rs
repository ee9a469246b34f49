//! One HTTP exchange of a session: building the request, classifying the reply (202, JSON or
//! SSE) and reading it until our response arrives, answering and surfacing whatever the server
//! sends before it.

use futures_util::future::LocalBoxFuture;
use std::future::Future;

use super::media::{body_kind, header, BodyKind};
use super::resume::Resumption;
use super::{Session, Snapshot};
use crate::error::{snippet, Error, SizeUnit};
use crate::json::RawValue;
use crate::jsonrpc::{self, codes, ErrorObject, Message, Request, RequestId, Response};
use crate::protocol::{self, methods};
use crate::sse::{SseError, SseEvent, SseParser};
use crate::transport::{Body, HttpMethod, HttpRequest, HttpResponse, TransportError};

/// How much of an error body goes into an error message.
const ERROR_BODY_CHARS: usize = 300;

/// How reading one SSE stream ended.
enum StreamEnd {
    /// The response arrived, or a failure that reconnecting cannot help.
    Done(Result<RawValue, Error>),
    /// The stream ended or broke before the response: resumable if the server gave event ids.
    Dropped(Error),
}

impl Session {
    /// The headers of a request made under `snap` (`None`: before a session exists).
    pub(super) fn headers(
        &self,
        method: HttpMethod,
        snap: Option<&Snapshot>,
    ) -> Vec<(String, String)> {
        let config = &self.inner.config;
        let mut headers = Vec::with_capacity(config.headers.len() + 4);
        if method == HttpMethod::Post {
            headers.push(header("Content-Type", "application/json"));
            headers.push(header("Accept", "application/json, text/event-stream"));
        }
        if let Some(snap) = snap {
            if let Some(id) = &snap.session_id {
                headers.push(header("Mcp-Session-Id", id));
            }
            if let Some(version) = snap
                .protocol_version
                .as_deref()
                .filter(|v| protocol::sends_version_header(v))
            {
                headers.push(header("MCP-Protocol-Version", version));
            }
        }
        // The token layer replaces a static `Authorization` when the server has a token provider.
        headers.extend_from_slice(&config.headers);
        headers
    }

    /// POSTs `body`; resolves once the response head arrived. `urgent`: see
    /// [`HttpRequest::urgent`].
    /// Not an `async fn`: the future of [`Session::post_routed`] itself, no wrapper state machine.
    pub(super) fn post<'a>(
        &'a self,
        body: impl Into<Body>,
        snap: Option<&'a Snapshot>,
        urgent: bool,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + 'a {
        self.post_routed(body.into(), snap, urgent, &[])
    }

    /// [`Session::post`] with extra headers (the stateless era's routing headers).
    pub(super) async fn post_routed(
        &self,
        body: Body,
        snap: Option<&Snapshot>,
        urgent: bool,
        route: &[(String, String)],
    ) -> Result<HttpResponse, Error> {
        let mut headers = self.headers(HttpMethod::Post, snap);
        headers.extend_from_slice(route);
        let request = HttpRequest {
            method: HttpMethod::Post,
            url: self.post_url(),
            headers,
            body: Some(body),
            urgent,
        };
        self.inner.link.http.send(request).await
    }

    /// Where messages are POSTed: the server's URL, or the endpoint an HTTP+SSE stream named.
    fn post_url(&self) -> String {
        match self.sse_channel() {
            Some(channel) => channel.endpoint().to_owned(),
            None => self.inner.config.url.clone(),
        }
    }

    /// `DELETE`s the session of `snap`. A `405` (not allowed) counts as done.
    pub(super) async fn send_delete(&self, snap: &Snapshot) -> Result<(), Error> {
        let request = HttpRequest {
            method: HttpMethod::Delete,
            url: self.inner.config.url.clone(),
            headers: self.headers(HttpMethod::Delete, Some(snap)),
            body: None,
            urgent: true,
        };
        let response = self.inner.link.http.send(request).await?;
        if (200..300).contains(&response.status) || response.status == 405 || response.status == 404
        {
            self.drain(response).await;
            Ok(())
        } else {
            Err(self.http_error(response).await)
        }
    }

    /// POSTs a notification and checks that it was accepted (the dialects with sessions).
    pub(super) async fn post_notification(
        &self,
        method: &str,
        params: Option<RawValue>,
    ) -> Result<(), Error> {
        let snap = self.snapshot();
        let body = jsonrpc::encode_notification(method, params.as_ref());
        let response = self.post(body, Some(&snap), true).await?;
        self.expect_accepted(response).await
    }

    /// Checks the answer to a notification or response we POSTed: `202` (or any 2xx).
    pub(super) async fn expect_accepted(&self, response: HttpResponse) -> Result<(), Error> {
        if (200..300).contains(&response.status) {
            self.drain(response).await;
            Ok(())
        } else {
            Err(self.http_error(response).await)
        }
    }

    /// Reads a (normally empty) body to its end, so the runtime sees a finished exchange rather
    /// than an aborted one and can keep the connection alive. Bounded; errors are irrelevant here.
    pub(super) async fn drain(&self, response: HttpResponse) {
        crate::policy::drain(response).await;
    }

    /// Reads the reply to request `id` until its response, handling everything before it.
    pub(super) async fn read_answer(
        &self,
        response: HttpResponse,
        id: i64,
        snap: &Snapshot,
    ) -> Result<RawValue, Error> {
        if !(200..300).contains(&response.status) {
            return Err(snap.dialect.wire().refusal(self, response, id).await);
        }
        if response.status == 202 || response.status == 204 {
            return Err(self.protocol_error("the server accepted the request but sent no response"));
        }
        match body_kind(&response) {
            BodyKind::Json => self.read_json(response, id, snap).await,
            BodyKind::Sse => self.read_sse(response, id, snap).await,
            BodyKind::Other(kind) => Err(self.protocol_error(format!(
                "expected application/json or text/event-stream, got '{kind}'"
            ))),
        }
    }

    async fn read_json(
        &self,
        mut response: HttpResponse,
        id: i64,
        snap: &Snapshot,
    ) -> Result<RawValue, Error> {
        let text = self
            .read_body(&mut response, self.inner.config.max_response_bytes)
            .await?;
        let messages = jsonrpc::parse_messages(&text).map_err(|e| self.protocol_error(e))?;
        let single = messages.len() == 1;
        let mut answer = None;
        for message in messages {
            match message {
                Message::Response(r)
                    if answers(&r, id) || (single && r.id.is_none() && r.outcome.is_err()) =>
                {
                    answer = Some(r)
                }
                Message::Response(r) => {
                    return Err(self.protocol_error(format!(
                        "response id {} does not match request id {id}",
                        r.id.as_ref()
                            .map_or_else(|| "null".to_owned(), RequestId::to_json)
                    )));
                }
                other => self.handle_server_message(other, snap).await,
            }
        }
        match answer {
            Some(r) => self.outcome(r),
            None => Err(self.protocol_error("the JSON body held no response to the request")),
        }
    }

    /// Reads an SSE answer until the response to `id`, resuming the stream with `GET` +
    /// `Last-Event-ID` when it drops first (see [`Session::resume_stream`]).
    async fn read_sse(
        &self,
        mut response: HttpResponse,
        id: i64,
        snap: &Snapshot,
    ) -> Result<RawValue, Error> {
        let mut resumption = Resumption::default();
        loop {
            match self
                .read_sse_stream(&mut response, id, snap, &mut resumption)
                .await
            {
                StreamEnd::Done(result) => return result,
                StreamEnd::Dropped(error) => {
                    // The old stream (and its permit) goes before the new one is asked for.
                    drop(response);
                    response = self.resume_stream(snap, &mut resumption, error).await?;
                }
            }
        }
    }

    /// Reads one SSE stream (a POST's answer or its resumption) until the response to `id`.
    async fn read_sse_stream(
        &self,
        response: &mut HttpResponse,
        id: i64,
        snap: &Snapshot,
        resumption: &mut Resumption,
    ) -> StreamEnd {
        let mut parser = SseParser::new(self.inner.config.max_response_bytes);
        let mut events: Vec<SseEvent> = Vec::new();
        // The id of a response on this stream that answered something else, if one came.
        let mut stray: Option<String> = None;
        loop {
            let chunk = match response.body.next_chunk().await {
                Ok(Some(chunk)) => chunk,
                // A stream that carried a response to another id and ended broke the protocol,
                // as on the JSON path.
                Ok(None) if stray.is_some() => {
                    return StreamEnd::Done(Err(self.protocol_error(format!(
                        "response id {} does not match request id {id}",
                        stray.unwrap_or_default()
                    ))))
                }
                // A clean end before the response (a server restarting, a proxy's idle cut) is
                // reported as the cut connection it amounts to, not as a protocol breach: a
                // caller's retry logic sees one class for both (RELIABILITY.md, "Hostile servers").
                Ok(None) => {
                    return StreamEnd::Dropped(Error::Network {
                        server: self.server().to_owned(),
                        message: "the SSE stream ended before the response arrived".to_owned(),
                    })
                }
                Err(e) => return StreamEnd::Dropped(self.network_error(&e)),
            };
            let pushed = parser.push(&chunk, &mut events);
            resumption.observe(&parser);
            if let Err(e) = pushed {
                return StreamEnd::Done(Err(self.sse_error(&e)));
            }
            for event in std::mem::take(&mut events) {
                if event.data.is_empty()
                    || !matches!(event.event.as_deref(), None | Some("message"))
                {
                    continue;
                }
                let messages = match jsonrpc::parse_messages(&event.data) {
                    Ok(messages) => messages,
                    Err(e) => return StreamEnd::Done(Err(self.protocol_error(e))),
                };
                for message in messages {
                    match message {
                        // An error the server could not attribute (id null) on the stream of
                        // our own POST is about this request.
                        Message::Response(r)
                            if answers(&r, id) || (r.id.is_none() && r.outcome.is_err()) =>
                        {
                            return StreamEnd::Done(self.outcome(r))
                        }
                        // A response to something else (or unattributable) is not ours: skip it.
                        Message::Response(r) => {
                            stray = Some(
                                r.id.as_ref()
                                    .map_or_else(|| "null".to_owned(), RequestId::to_json),
                            );
                        }
                        other => self.handle_server_message(other, snap).await,
                    }
                }
            }
        }
    }

    /// Answers a server's request (`ping` → `{}`, anything else → `-32601`) or surfaces a
    /// notification to the handler.
    async fn handle_server_message(&self, message: Message, snap: &Snapshot) {
        match message {
            Message::Notification(n) => {
                self.route_progress(&n);
                self.notify_handler(&n);
            }
            Message::Request(request) => self.answer_server_request(request, snap).await,
            Message::Response(_) => {}
        }
    }

    pub(super) async fn answer_server_request(&self, request: Request, snap: &Snapshot) {
        let handler = self
            .inner
            .config
            .handlers
            .for_method(&request.method)
            .cloned();
        let body = if let Some(handler) = handler {
            let outcome = handler(request.params).await;
            let outcome = match &outcome {
                Ok(result) => Ok(result),
                Err(error) => Err(error),
            };
            jsonrpc::encode_response(&request.id, outcome)
        } else if request.method == methods::PING {
            let empty = crate::json::raw("{}".to_owned()).ok();
            match empty {
                Some(empty) => jsonrpc::encode_response(&request.id, Ok(&empty)),
                None => return,
            }
        } else {
            let error = ErrorObject {
                code: codes::METHOD_NOT_FOUND,
                message: format!(
                    "the client does not support '{}'",
                    snippet(&request.method, 100)
                ),
                data: None,
            };
            jsonrpc::encode_response(&request.id, Err(&error))
        };
        if let Ok(response) = self.post(body, Some(snap), true).await {
            let _ = self.expect_accepted(response).await;
        }
    }

    pub(super) fn outcome(&self, response: Response) -> Result<RawValue, Error> {
        response.outcome.map_err(|e| self.rpc_error(e))
    }

    /// An [`Error::Rpc`] from the server's error object (one copy of the code, not one a caller).
    #[inline(never)]
    pub(super) fn rpc_error(&self, e: ErrorObject) -> Error {
        Error::Rpc {
            server: self.server().to_owned(),
            code: e.code,
            message: e.message,
            data: e.data,
        }
    }

    /// An [`Error::Http`] for this session.
    #[inline(never)]
    pub(super) fn status_error(&self, status: u16, message: String) -> Error {
        Error::Http {
            server: self.server().to_owned(),
            status,
            message,
        }
    }

    /// An [`Error::RequestTimeout`] for `method` on this session.
    #[inline(never)]
    pub(super) fn timeout_error(&self, method: &str, timeout_ms: u64) -> Error {
        Error::RequestTimeout {
            server: self.server().to_owned(),
            method: method.to_owned(),
            timeout_ms,
        }
    }

    /// An [`Error::UnsupportedProtocolVersion`] naming (the start of) `version`.
    #[inline(never)]
    pub(super) fn version_error(&self, version: &str) -> Error {
        Error::UnsupportedProtocolVersion {
            server: self.server().to_owned(),
            version: snippet(version, 40),
        }
    }

    /// An [`Error::ResponseTooLarge`] for this session.
    #[inline(never)]
    pub(super) fn too_large_error(&self, limit: usize, unit: SizeUnit) -> Error {
        Error::ResponseTooLarge {
            server: self.server().to_owned(),
            limit,
            unit,
        }
    }

    /// An [`Error::SessionClosed`] for this session.
    #[inline(never)]
    pub(super) fn closed_error(&self) -> Error {
        Error::SessionClosed {
            server: self.server().to_owned(),
        }
    }

    /// Reads a whole body as UTF-8 text, up to `limit` bytes.
    ///
    /// The chunks are kept as they come and joined once, at their exact total (a body of one
    /// chunk is taken as it is): growing one buffer by doubling held up to three times the body
    /// at once, and in wasm the memory's size never shrinks back.
    pub(super) async fn read_body(
        &self,
        response: &mut HttpResponse,
        limit: usize,
    ) -> Result<String, Error> {
        let mut parts: Vec<Vec<u8>> = Vec::new();
        let mut total = 0usize;
        while let Some(chunk) = response
            .body
            .next_chunk()
            .await
            .map_err(|e| self.network_error(&e))?
        {
            total = total.saturating_add(chunk.len());
            if total > limit {
                return Err(self.too_large_error(limit, SizeUnit::Bytes));
            }
            parts.push(chunk);
        }
        let bytes = if parts.len() == 1 {
            parts.pop().unwrap_or_default()
        } else {
            parts.concat()
        };
        String::from_utf8(bytes).map_err(|_| self.protocol_error("the body is not valid UTF-8"))
    }

    /// An [`Error::Http`] for a non-success reply, with the server's explanation if it sent one.
    /// Boxed: a cold path awaited from many places, compiled once and kept out of their states.
    pub(super) fn http_error(&self, response: HttpResponse) -> LocalBoxFuture<'_, Error> {
        Box::pin(self.http_error_unboxed(response))
    }

    async fn http_error_unboxed(&self, mut response: HttpResponse) -> Error {
        let status = response.status;
        let challenge = crate::policy::challenge_of(&response);
        let body = self
            .read_body(&mut response, 64 * 1024)
            .await
            .unwrap_or_default();
        let explanation = match jsonrpc::parse_messages(&body).ok().as_deref() {
            Some(
                [Message::Response(Response {
                    outcome: Err(e), ..
                })],
            ) => e.message.clone(),
            _ if body.trim().is_empty() => reason_phrase(status).to_owned(),
            _ => body.trim().to_owned(),
        };
        // Say what the server wants: the scope of an insufficient_scope, the metadata of a 401.
        let explanation = match challenge {
            Some(c) if c.error.as_deref() == Some("insufficient_scope") => format!(
                "insufficient_scope: the server asks for scope '{}' ({explanation})",
                c.scope.unwrap_or_default()
            ),
            Some(c) if status == 401 && c.resource_metadata.is_some() => format!(
                "{explanation} (authorization metadata: {})",
                c.resource_metadata.unwrap_or_default()
            ),
            _ => explanation,
        };
        self.status_error(status, snippet(&explanation, ERROR_BODY_CHARS))
    }

    pub(super) fn protocol_error(&self, message: impl Into<String>) -> Error {
        self.protocol_error_owned(message.into())
    }

    #[inline(never)]
    fn protocol_error_owned(&self, message: String) -> Error {
        Error::protocol(self.server(), message)
    }

    #[inline(never)]
    pub(super) fn network_error(&self, e: &TransportError) -> Error {
        Error::Network {
            server: self.server().to_owned(),
            message: e.message.clone(),
        }
    }

    pub(super) fn sse_error(&self, e: &SseError) -> Error {
        match e {
            SseError::EventTooLarge { limit } => self.too_large_error(*limit, SizeUnit::Bytes),
        }
    }
}

fn answers(response: &Response, id: i64) -> bool {
    response.id == Some(RequestId::Number(id))
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "no explanation given",
    }
}
