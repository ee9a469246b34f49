//! The three wire dialects a session can speak, and the one place that tells them apart.
//!
//! A session chooses its dialect once, when it opens (`era.rs` probes or follows the pinned
//! policy; the stateful handshake falls back to HTTP+SSE), and from then on every step that
//! differs between dialects goes through [`Wire`]: nothing else in the session asks which
//! dialect it speaks. What the dialects share sits below them: JSON-RPC correlation and reading
//! replies (`exchange.rs`, `resume.rs`), progress, timeouts and cancellation (`request.rs`), and
//! the recovery of a session the server forgot (`recovery.rs`, for the two dialects that have
//! one). Tokens, DPoP and redirects are not the session's: they are layers of the server's HTTP
//! stack (`crate::policy`), which the session reaches through its `ServerLink`.
//!
//! A new dialect is a variant here, a module with one `impl Wire`, and its arm in
//! `Dialect::wire` (in `mod.rs`, the one file that knows all three); the probe in `era.rs`
//! decides when it is chosen.

use futures_util::future::LocalBoxFuture;

use super::{Session, Snapshot};
use crate::error::Error;
use crate::json::RawValue;
use crate::transport::HttpResponse;

/// Which wire dialect a session speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    /// Streamable HTTP with sessions (protocol 2025-03-26 to 2025-11-25): an `initialize`
    /// handshake, then an `Mcp-Session-Id` on every request.
    #[default]
    Stateful,
    /// Streamable HTTP without sessions (protocol 2026-07-28): `server/discover` once, then
    /// every request carries its own `_meta` and routing headers.
    Stateless,
    /// The older HTTP+SSE transport (protocol 2024-11-05): one long-lived `GET` stream carries
    /// every server message, each client message is `POST`ed to the endpoint the stream named.
    HttpSse,
}

/// The steps of a session that differ between dialects.
pub(super) trait Wire {
    /// Sends request `id` (its `params` already carry a progress token when one was asked for)
    /// and waits for its result.
    fn call<'a>(
        &self,
        session: &'a Session,
        id: i64,
        method: &'a str,
        params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<RawValue, Error>>;

    /// Sends a notification: by default a `POST` that must be accepted.
    fn notify<'a>(
        &self,
        session: &'a Session,
        method: &'a str,
        params: Option<RawValue>,
    ) -> LocalBoxFuture<'a, Result<(), Error>> {
        Box::pin(session.post_notification(method, params))
    }

    /// Opens the session again after the server forgot it (`404` on its id or endpoint).
    fn reopen<'a>(&self, session: &'a Session) -> LocalBoxFuture<'a, Result<(), Error>>;

    /// Ends the session `snap` describes on the server (the session is already marked closed).
    fn close<'a>(&self, session: &'a Session, snap: Snapshot) -> LocalBoxFuture<'a, ()>;

    /// The error a non-2xx answer to request `id` stands for: by default the HTTP error.
    fn refusal<'a>(
        &self,
        session: &'a Session,
        response: HttpResponse,
        _id: i64,
    ) -> LocalBoxFuture<'a, Error> {
        session.http_error(response)
    }

    /// True when an abandoned request is cancelled with `notifications/cancelled`; false when
    /// closing the request's own stream is the cancel.
    fn cancels_by_notification(&self) -> bool;

    /// True when the dialect has a standalone `GET` stream for what the server sends outside
    /// any request.
    fn has_server_stream(&self) -> bool;

    /// True when the session lives on the server under state that another process can take
    /// over from a snapshot.
    fn resumable(&self) -> bool;
}
