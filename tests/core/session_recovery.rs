//! Transparent re-initialize when the server forgot the session (404), single-flight.

use crate::support::{params, value, Harness, TaskHandle};
use mcp_edge_pool::{Error, Session};
use serde_json::json;

fn spawn_echo(
    h: &Harness,
    session: &Session,
    message: String,
) -> TaskHandle<Result<String, Error>> {
    let s = session.clone();
    h.exec.spawn_task(async move {
        let p = params(json!({"name": "echo", "arguments": {"message": message}}));
        let raw = s.request("tools/call", p, Default::default()).await?;
        Ok(value(&raw)["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    })
}

#[test]
fn an_expired_session_is_replaced_after_exactly_one_initialize() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    let echo = spawn_echo(&h, &session, "again".into());
    h.run();

    assert_eq!(echo.output("echo"), Ok("again".into()));
    assert_eq!(h.server.count("initialize"), 2);
    assert_eq!(session.initialize_count(), 2);
    let log = h.server.log();
    let tail: Vec<_> = log[2..]
        .iter()
        .map(|l| {
            (
                l.rpc_method.clone().unwrap_or_default(),
                l.session_id.clone(),
                l.status,
            )
        })
        .collect();
    assert_eq!(
        tail,
        [
            ("tools/call".into(), Some("sid-1".into()), 404),
            ("initialize".into(), None, 200),
            (
                "notifications/initialized".into(),
                Some("sid-2".into()),
                202
            ),
            ("tools/call".into(), Some("sid-2".into()), 200),
        ]
    );
    assert_eq!(
        log[2].rpc_id, log[5].rpc_id,
        "the retry is the same request"
    );
    assert_eq!(h.server.open_sessions(), 1);
    assert!(
        h.server.cancelled().is_empty(),
        "a recovered request is not cancelled"
    );
}

#[test]
fn twenty_concurrent_requests_on_an_expired_session_share_one_initialize() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    let handles: Vec<_> = (0..20)
        .map(|i| spawn_echo(&h, &session, format!("m{i}")))
        .collect();
    h.run();

    for (i, handle) in handles.iter().enumerate() {
        assert_eq!(handle.output("echo"), Ok(format!("m{i}")));
    }
    let calls = h.server.requests("tools/call");
    assert_eq!(
        calls.iter().filter(|l| l.status == 404).count(),
        20,
        "all 20 hit the expired session"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|l| l.status == 200 && l.session_id.as_deref() == Some("sid-2"))
            .count(),
        20
    );
    assert_eq!(
        h.server.count("initialize"),
        2,
        "exactly one new initialize"
    );
    assert_eq!(session.initialize_count(), 2);
    assert_eq!(h.server.sessions_created(), 2);
}

#[test]
fn requests_arriving_during_a_slow_reinitialize_join_it() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.delay_initialize_ms(500);
    let first: Vec<_> = (0..10)
        .map(|i| spawn_echo(&h, &session, format!("a{i}")))
        .collect();
    h.advance(100);
    assert!(
        first.iter().all(|t| !t.is_done()),
        "waiting for the re-initialize"
    );
    assert_eq!(h.server.count("initialize"), 2);
    let second: Vec<_> = (0..10)
        .map(|i| spawn_echo(&h, &session, format!("b{i}")))
        .collect();
    h.advance(400);

    for (i, handle) in first.iter().enumerate() {
        assert_eq!(handle.output("first wave"), Ok(format!("a{i}")));
    }
    for (i, handle) in second.iter().enumerate() {
        assert_eq!(handle.output("second wave"), Ok(format!("b{i}")));
    }
    assert_eq!(
        h.server.count("initialize"),
        2,
        "latecomers joined the running initialize"
    );
    assert_eq!(h.clock.pending_timers(), 0);
}

#[test]
fn a_failing_reinitialize_fails_every_waiter_and_the_next_request_recovers() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.refuse_initialize(true);
    let handles: Vec<_> = (0..20)
        .map(|i| spawn_echo(&h, &session, format!("m{i}")))
        .collect();
    h.run();

    for handle in &handles {
        let error = handle
            .output("nobody hangs")
            .expect_err("the re-initialize failed");
        assert_eq!(error.code(), "NETWORK_ERROR", "{error}");
        assert_eq!(error.server(), Some("fake"));
    }
    assert_eq!(h.clock.pending_timers(), 0);

    h.server.refuse_initialize(false);
    let before = h.server.count("initialize");
    let later = spawn_echo(&h, &session, "back".into());
    h.run();
    assert_eq!(later.output("later"), Ok("back".into()));
    assert_eq!(
        h.server.count("initialize"),
        before + 1,
        "a request sent after the failure tries again"
    );
}

/// Single-flight must hold when the re-initialize fails too: a request whose 404 arrives after
/// the shared attempt failed (it was sent before that failure) should get the same error instead
/// of starting another `initialize` against a failing server.
#[test]
fn a_failed_reinitialize_is_shared_by_every_request_that_hit_the_404() {
    for refuse in [true, false] {
        let mut h = Harness::new();
        let session = h.connect();
        h.server.expire_all_sessions();
        if refuse {
            h.server.refuse_initialize(true);
        } else {
            h.server.fail_initialize_status(Some(503));
        }
        let handles: Vec<_> = (0..20)
            .map(|i| spawn_echo(&h, &session, format!("m{i}")))
            .collect();
        h.run();
        assert!(handles.iter().all(|t| matches!(t.take(), Some(Err(_)))));
        assert_eq!(
            h.server.count("initialize"),
            2,
            "one attempt for all 20 (refuse={refuse})"
        );
    }
}

#[test]
fn a_reinitialize_answered_with_http_503_fails_every_waiter() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.fail_initialize_status(Some(503));
    let handles: Vec<_> = (0..20)
        .map(|i| spawn_echo(&h, &session, format!("m{i}")))
        .collect();
    h.run();

    for handle in &handles {
        let error = handle
            .output("nobody hangs")
            .expect_err("the re-initialize failed");
        assert_eq!(error.http_status(), Some(503), "{error}");
        assert_eq!(error.code(), "HTTP_ERROR", "{error}");
    }
    assert_eq!(h.clock.pending_timers(), 0);
}

#[test]
fn a_server_down_during_recovery_fails_every_request() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.expire_all_sessions();
    h.server.set_down(true);
    let handles: Vec<_> = (0..20)
        .map(|i| spawn_echo(&h, &session, format!("m{i}")))
        .collect();
    h.run();

    for handle in &handles {
        assert_eq!(
            handle.output("nobody hangs").map_err(|e| e.code()),
            Err("NETWORK_ERROR")
        );
    }
    assert_eq!(h.clock.pending_timers(), 0);
}

#[test]
fn a_404_without_a_session_id_is_an_http_error_not_a_reinitialize() {
    let mut h = Harness::new();
    h.server.stateless(true);
    let session = h.connect();
    // A stateless session never sends an id, so a 404 cannot mean "session gone".
    h.server.stateless(false);
    let echo = spawn_echo(&h, &session, "x".into());
    h.run();
    let error = echo
        .output("echo")
        .expect_err("the server wants a session now");
    assert_eq!(error.http_status(), Some(400));
    assert_eq!(h.server.count("initialize"), 1);
}
