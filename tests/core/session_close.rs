//! Closing a session: `DELETE` with the session id, then every request fails fast.

use crate::support::{params, Harness};
use mcp_edge_pool::HttpMethod;
use mcp_edge_pool::{RequestOptions, Session};
use serde_json::json;

fn close(h: &mut Harness, session: &Session) {
    let s = session.clone();
    h.block_on(async move { s.close().await });
}

fn ping_code(h: &mut Harness, session: &Session) -> Result<(), &'static str> {
    let s = session.clone();
    h.block_on(async move { s.ping(None).await })
        .map_err(|e| e.code())
}

#[test]
fn close_deletes_the_session_and_later_requests_fail_with_session_closed() {
    let mut h = Harness::new();
    let mut config = h.config();
    config.headers = vec![("Authorization".into(), "Bearer t".into())];
    let session = h.try_connect(config).expect("connects");
    close(&mut h, &session);

    let deletes = h.server.deletes();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].session_id.as_deref(), Some("sid-1"));
    assert_eq!(
        deletes[0].header("mcp-protocol-version"),
        Some("2025-11-25")
    );
    assert_eq!(deletes[0].header("authorization"), Some("Bearer t"));
    assert_eq!(deletes[0].body, None);
    assert_eq!(h.server.open_sessions(), 0);
    assert!(session.is_closed());
    assert!(!session.has_session_id());

    let sent = h.server.log().len();
    assert_eq!(ping_code(&mut h, &session), Err("SESSION_CLOSED"));
    let s = session.clone();
    let listed =
        h.block_on(async move { s.request_all_pages("tools/list", "tools", None, None).await });
    assert_eq!(listed.map_err(|e| e.code()).err(), Some("SESSION_CLOSED"));
    assert_eq!(h.server.log().len(), sent, "nothing is sent after close");

    close(&mut h, &session);
    assert_eq!(h.server.deletes().len(), 1, "close is idempotent");
    assert_eq!(h.clock.pending_timers(), 0);
}

#[test]
fn a_server_that_refuses_delete_with_405_is_fine() {
    let mut h = Harness::new();
    h.server.delete_status(405);
    let session = h.connect();
    close(&mut h, &session);

    let deletes = h.server.deletes();
    assert_eq!(
        deletes
            .iter()
            .map(|d| (d.http, d.status))
            .collect::<Vec<_>>(),
        [(HttpMethod::Delete, 405)]
    );
    assert!(session.is_closed());
    assert_eq!(ping_code(&mut h, &session), Err("SESSION_CLOSED"));
}

#[test]
fn close_completes_even_when_the_server_is_down() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.set_down(true);
    close(&mut h, &session);
    assert!(session.is_closed());
    assert_eq!(ping_code(&mut h, &session), Err("SESSION_CLOSED"));
}

#[test]
fn a_stateless_session_closes_without_delete() {
    let mut h = Harness::new();
    h.server.stateless(true);
    let session = h.connect();
    close(&mut h, &session);
    assert!(h.server.deletes().is_empty());
    assert_eq!(ping_code(&mut h, &session), Err("SESSION_CLOSED"));
}

#[test]
fn a_request_abandoned_after_close_sends_no_cancel() {
    let mut h = Harness::new();
    let session = h.connect();
    let s = session.clone();
    let p = params(json!({"name": "slow", "arguments": {"ms": 5000}}));
    let call = h.exec.spawn_task(async move {
        s.request(
            "tools/call",
            p,
            RequestOptions {
                timeout_ms: Some(1_000),
                ..Default::default()
            },
        )
        .await
    });
    h.advance(10);
    close(&mut h, &session);
    h.advance(990);
    assert_eq!(
        call.output("slow call").map_err(|e| e.code()).err(),
        Some("REQUEST_TIMEOUT")
    );
    h.run();
    assert!(
        h.server.cancelled().is_empty(),
        "the session is gone: nothing to cancel"
    );
    assert_eq!(h.clock.pending_timers(), 0);
}

/// A re-initialize still running when the session is closed must not leave a new session open
/// on the server nor revive the closed session.
#[test]
fn close_during_a_reinitialize_leaves_no_session_open() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.delay_initialize_ms(500);
    let s = session.clone();
    let ping = h.exec.spawn_task(async move { s.ping(None).await });
    h.advance(100);
    assert_eq!(
        h.server.count("initialize"),
        2,
        "the re-initialize is under way"
    );
    close(&mut h, &session);
    h.advance(400);

    assert_eq!(
        ping.output("ping").map_err(|e| e.code()),
        Err("SESSION_CLOSED")
    );
    assert!(
        !session.has_session_id(),
        "a closed session holds no session id"
    );
    assert_eq!(
        h.server.open_sessions(),
        0,
        "the session opened by the re-initialize was deleted"
    );
    assert_eq!(h.clock.pending_timers(), 0);
}

/// A re-initialize whose every waiter gave up (timed out) must not outlive close(): no timer
/// left, and the session not kept alive by a reference cycle.
#[test]
fn close_drops_an_abandoned_reinitialize() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.delay_initialize_ms(5_000);
    let s = session.clone();
    let ping = h.exec.spawn_task(async move { s.ping(Some(1_000)).await });
    h.advance(1_000);
    assert_eq!(
        ping.output("ping").map_err(|e| e.code()),
        Err("REQUEST_TIMEOUT")
    );
    close(&mut h, &session);
    drop(session);
    h.run();

    assert_eq!(
        h.clock.pending_timers(),
        0,
        "deadlines left: {:?}",
        h.clock.deadlines()
    );
    assert_eq!(
        h.server.handles(),
        1,
        "the session and its runtime were freed"
    );
}
