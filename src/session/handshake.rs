//! The `initialize` handshake and version negotiation.

use std::future::Future;

use super::{Session, Snapshot, TransportMode};
use crate::error::Error;
use crate::json::{FromJson, RawValue};
use crate::jsonrpc;
use crate::protocol::{self, methods, InitializeParams, InitializeResult};
use crate::transport::HttpResponse;

/// The longest session id accepted (the spec sets none; real ones are 32 to 64 characters).
const MAX_SESSION_ID: usize = 1024;

/// Why a session id header is refused, if it is: empty, longer than [`MAX_SESSION_ID`], or
/// holding characters outside visible ASCII (all the spec allows).
pub(super) fn session_id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        Some("the Mcp-Session-Id header is empty".to_owned())
    } else if id.len() > MAX_SESSION_ID {
        Some(format!(
            "the Mcp-Session-Id header is {} bytes long (at most {MAX_SESSION_ID} accepted)",
            id.len()
        ))
    } else if !id.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        Some("the Mcp-Session-Id header holds characters outside visible ASCII".to_owned())
    } else {
        None
    }
}

impl Session {
    /// Runs the handshake: `initialize` (offering the newest version), checks the version the
    /// server chose, stores the session id, then sends `notifications/initialized`.
    ///
    /// With [`TransportMode::Auto`], when the first `initialize` of the session is answered
    /// `400`, `404` or `405`, the session falls back to the older HTTP+SSE transport.
    pub(super) async fn initialize(&self) -> Result<(), Error> {
        self.handshake(true).await
    }

    /// [`Session::initialize`], falling back to HTTP+SSE only when `sse_fallback` (the era probe
    /// asks `server/discover` before it falls back).
    pub(super) async fn handshake(&self, sse_fallback: bool) -> Result<(), Error> {
        match self.handshake_once(sse_fallback).await {
            Ok(()) => Ok(()),
            // The server forgot the session it had just created before the handshake ended (it
            // expired or restarted in between: `404` to `notifications/initialized`). That is no
            // refusal: one new handshake, as a request that hits an expired session gets.
            Err((_, true)) => self.handshake_once(false).await.map_err(|(e, _)| e),
            Err((e, false)) => Err(e),
        }
    }

    /// One handshake. The error's flag: the server answered `404` to the session it had just
    /// given (that session is ended, as after any failed handshake).
    async fn handshake_once(&self, sse_fallback: bool) -> Result<(), (Error, bool)> {
        let fatal = |e: Error| (e, false);
        let mode = self.inner.config.transport;
        // Only a brand-new session falls back: one that was ever initialized (or resumed) is not
        // an HTTP+SSE server.
        let first = self.inner.initializes.get() == 0 && self.inner.state.borrow().generation == 0;
        let (id, body) = self
            .initialize_request(protocol::LATEST_VERSION)
            .map_err(fatal)?;
        let response = self.post(body, None, false).await.map_err(fatal)?;
        if sse_fallback
            && mode == TransportMode::Auto
            && first
            && matches!(response.status, 400 | 404 | 405)
        {
            let error = self.http_error(response).await;
            return self.initialize_sse(Some(error)).await.map_err(fatal);
        }
        let session_id = match response.header("mcp-session-id") {
            Some(sid) => match session_id_problem(sid) {
                None => Some(sid.to_owned()),
                Some(problem) => return Err(fatal(self.protocol_error(problem))),
            },
            None => None,
        };
        let generation = self.inner.state.borrow().generation;
        let pending = Snapshot {
            dialect: super::Dialect::Stateful,
            session_id: session_id.clone(),
            protocol_version: None,
            generation,
            failed_reinits: 0,
        };
        // From here on the server holds a session: a failed or abandoned handshake ends it.
        let mut orphan = OrphanGuard {
            session: self,
            snap: pending.clone(),
            armed: session_id.is_some(),
        };
        let outcome = self.complete_handshake(response, id, &pending).await;
        orphan.armed = false;
        let (result, snap) = match outcome {
            Ok(done) => done,
            Err(error) => {
                if pending.session_id.is_some() {
                    // Ended also when the server says it forgot it: a `404` may come from a
                    // proxy or replica that never knew it (a `404` to the `DELETE` is fine).
                    self.delete_bounded(&pending).await;
                    if matches!(error, Error::Http { status: 404, .. }) {
                        return Err((error, true));
                    }
                }
                return Err(fatal(error));
            }
        };
        if self.commit_handshake(&snap, result, false) {
            // close() ran while this handshake was under way: end the session it just opened.
            if snap.session_id.is_some() {
                let _ = self.send_delete(&snap).await;
            }
            return Err(fatal(self.closed_error()));
        }
        Ok(())
    }

    /// Stores a finished handshake (both transports): the session id, version and result of
    /// `snap` (and its era when `set_era`), then counts it and marks the session alive. Returns
    /// true, storing nothing, when the session was closed meanwhile.
    pub(super) fn commit_handshake(
        &self,
        snap: &Snapshot,
        result: InitializeResult,
        set_era: bool,
    ) -> bool {
        {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return true;
            }
            if set_era {
                state.dialect = snap.dialect;
            }
            state.session_id = snap.session_id.clone();
            state.protocol_version = snap.protocol_version.clone();
            state.init = Some(std::rc::Rc::new(result));
            state.generation = snap.generation;
        }
        self.inner.initializes.set(self.inner.initializes.get() + 1);
        self.mark_ok();
        false
    }

    /// The handshake after the `initialize` response head: its result, the version check and
    /// `notifications/initialized`.
    async fn complete_handshake(
        &self,
        response: HttpResponse,
        id: i64,
        pending: &Snapshot,
    ) -> Result<(InitializeResult, Snapshot), Error> {
        let raw = self.read_answer(response, id, pending).await?;
        let result = self.initialize_result_of(&raw, protocol::is_supported)?;
        let snap = Snapshot {
            dialect: super::Dialect::Stateful,
            session_id: pending.session_id.clone(),
            protocol_version: Some(result.protocol_version.clone()),
            generation: pending.generation + 1,
            failed_reinits: 0,
        };
        let notified = self.post_initialized(&snap).await?;
        if !(200..300).contains(&notified.status) {
            let status = notified.status;
            let error = self.http_error(notified).await;
            if snap.session_id.is_none() && (status == 400 || status == 404) {
                return Err(self.protocol_error(format!(
                    "the server rejected notifications/initialized ({error}); it seems to require a session, \
                     but no Mcp-Session-Id header was readable on the initialize response. In a browser the \
                     server must send 'Access-Control-Expose-Headers: mcp-session-id'"
                )));
            }
            return Err(error);
        }
        self.drain(notified).await;
        Ok((result, snap))
    }

    /// A new id and the body of an `initialize` request offering `version` (both transports).
    #[inline(never)]
    pub(super) fn initialize_request(&self, version: &str) -> Result<(i64, String), Error> {
        let params = InitializeParams {
            protocol_version: version.to_owned(),
            capabilities: self.inner.config.handlers.capabilities(),
            client_info: self.inner.config.client_info.clone(),
        };
        let params = crate::json::to_raw(&params);
        let id = self.next_id();
        Ok((
            id,
            jsonrpc::encode_request(id, methods::INITIALIZE, Some(&params)),
        ))
    }

    /// The `initialize` result in `raw`, if well-formed and at a version `supported` accepts.
    #[inline(never)]
    pub(super) fn initialize_result_of(
        &self,
        raw: &RawValue,
        supported: fn(&str) -> bool,
    ) -> Result<InitializeResult, Error> {
        let result = InitializeResult::from_json(raw.get())
            .map_err(|e| self.protocol_error(format!("malformed initialize result: {e}")))?;
        if !supported(&result.protocol_version) {
            return Err(self.version_error(&result.protocol_version));
        }
        Ok(result)
    }

    /// Sends `notifications/initialized` under `snap` (the handshake's last step, both transports).
    /// Not an `async fn`: the `POST`'s own future, no wrapper state machine.
    pub(super) fn post_initialized<'a>(
        &'a self,
        snap: &'a Snapshot,
    ) -> impl Future<Output = Result<HttpResponse, Error>> + 'a {
        let body = jsonrpc::encode_notification(methods::INITIALIZED, None);
        self.post(body, Some(snap), true)
    }

    /// Ends a session the server opened but this client will not use, at most a few seconds.
    async fn delete_bounded(&self, snap: &Snapshot) {
        let wait = self.inner.config.request_timeout_ms.min(5_000);
        let delete = Box::pin(self.send_delete(snap));
        let _ = futures_util::future::select(delete, self.inner.rt.clock.sleep(wait)).await;
    }
}

/// Ends the server's session when a handshake that already got a session id is dropped (its
/// timeout fired): spawned, since a destructor cannot wait.
struct OrphanGuard<'a> {
    session: &'a Session,
    snap: Snapshot,
    armed: bool,
}

impl Drop for OrphanGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            let session = self.session.clone();
            let snap = self.snap.clone();
            self.session
                .inner
                .rt
                .spawner
                .spawn(Box::pin(async move { session.delete_bounded(&snap).await }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::session_id_problem;

    fn valid_session_id(id: &str) -> bool {
        session_id_problem(id).is_none()
    }

    #[test]
    fn session_ids_are_visible_ascii() {
        assert!(valid_session_id("abc-123_XYZ"));
        assert!(!valid_session_id(""));
        assert!(!valid_session_id("has space"));
        assert!(!valid_session_id("tab\there"));
        assert!(!valid_session_id("é"));
    }

    #[test]
    fn a_long_session_id_is_refused_for_its_length() {
        assert!(valid_session_id(&"a".repeat(1024)));
        let problem = session_id_problem(&"a".repeat(100_000)).unwrap_or_default();
        assert!(problem.contains("100000 bytes long"), "{problem}");
    }
}
