//! A handshake that fails after the server assigned a session id ends that session (`DELETE`):
//! nothing is left open on the server, whether it fails or is abandoned at its timeout.

use std::rc::Rc;

use crate::support::{FakeServer, Harness};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::BufferedBody;
use mcp_edge_pool::{
    HttpRequest, HttpResponse, HttpTransport, ResponseBody, Runtime, Session, TransportError,
};

/// Answers `notifications/initialized` with 500; everything else goes to the fake server.
struct FailInitialized(FakeServer);

impl HttpTransport for FailInitialized {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        if request
            .body
            .as_deref()
            .is_some_and(|b| b.contains("notifications/initialized"))
        {
            let response = HttpResponse {
                status: 500,
                headers: Vec::new(),
                body: Box::new(BufferedBody::default()),
            };
            return Box::pin(async move { Ok(response) });
        }
        self.0.send(request)
    }
}

#[test]
fn a_failed_initialized_notification_deletes_the_new_session() {
    let mut h = Harness::new();
    let base = h.runtime();
    let rt = Runtime::new(
        Rc::new(FailInitialized(h.server.clone())),
        base.clock.clone(),
        base.spawner.clone(),
    );
    let config = h.config();
    let result = h.block_on(Session::connect(config, rt, None));
    assert_eq!(
        result.map(|_| ()).map_err(|e| e.code()),
        Err("CONNECT_FAILED")
    );
    let deletes = h.server.deletes();
    assert_eq!(deletes.len(), 1, "the session the server opened was ended");
    assert_eq!(deletes[0].session_id.as_deref(), Some("sid-1"));
    assert_eq!(h.server.open_sessions(), 0);
}

/// Lets the fake server open the session, then delivers the `initialize` answer's head (with
/// the session id) and a body that never ends.
struct StallInitialize(FakeServer);

struct Endless;

impl ResponseBody for Endless {
    fn next_chunk(&mut self) -> LocalBoxFuture<'_, Result<Option<Vec<u8>>, TransportError>> {
        Box::pin(futures_util::future::pending())
    }
}

impl HttpTransport for StallInitialize {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let stall = request
            .body
            .as_deref()
            .is_some_and(|b| b.contains("\"initialize\""));
        let inner = self.0.send(request);
        Box::pin(async move {
            let response = inner.await?;
            if !stall {
                return Ok(response);
            }
            Ok(HttpResponse {
                status: 200,
                headers: response.headers,
                body: Box::new(Endless),
            })
        })
    }
}

#[test]
fn a_handshake_abandoned_at_its_timeout_deletes_the_new_session() {
    let mut h = Harness::new();
    let base = h.runtime();
    let rt = Runtime::new(
        Rc::new(StallInitialize(h.server.clone())),
        base.clock.clone(),
        base.spawner.clone(),
    );
    let mut config = h.config();
    config.request_timeout_ms = 1_000;
    let connecting = h.exec.spawn_task(Session::connect(config, rt, None));
    h.run();
    assert_eq!(h.server.open_sessions(), 1, "the server opened a session");
    h.advance(1_000);
    let error = connecting
        .output("connect")
        .map(|_| ())
        .map_err(|e| e.code());
    assert_eq!(error, Err("CONNECT_FAILED"));
    h.run();
    assert_eq!(
        h.server.open_sessions(),
        0,
        "the abandoned session was ended"
    );
    assert_eq!(h.server.deletes().len(), 1);
}

/// Expires every session on the fake server right before the first `notifications/initialized`
/// reaches it (a server that restarted, or expired the session, mid-handshake).
struct ForgetBeforeInitialized(FakeServer, std::cell::Cell<bool>);

impl HttpTransport for ForgetBeforeInitialized {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let initialized = request
            .body
            .as_deref()
            .is_some_and(|b| b.contains("notifications/initialized"));
        if initialized && !self.1.replace(true) {
            self.0.expire_all_sessions();
        }
        self.0.send(request)
    }
}

#[test]
fn a_session_forgotten_before_its_initialized_notification_is_opened_again() {
    let mut h = Harness::new();
    let base = h.runtime();
    let rt = Runtime::new(
        Rc::new(ForgetBeforeInitialized(
            h.server.clone(),
            std::cell::Cell::new(false),
        )),
        base.clock.clone(),
        base.spawner.clone(),
    );
    let session = h
        .block_on(Session::connect(h.config(), rt, None))
        .expect("a second handshake opens the session");
    assert_eq!(h.server.count("initialize"), 2, "one new handshake");
    assert!(session.has_session_id());
    // The forgotten session is ended all the same (a proxy's 404 may hide a live one); the
    // server answers that DELETE 404, which counts as done.
    let deletes = h.server.deletes();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].session_id.as_deref(), Some("sid-1"));
    assert_eq!(h.server.open_sessions(), 1);
}
