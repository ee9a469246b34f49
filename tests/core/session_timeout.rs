//! Request timeouts, caller aborts and dropped requests: each sends `notifications/cancelled`.

use crate::support::{params, value, Harness, TaskHandle};
use futures_channel::oneshot;
use futures_util::future::{abortable, FutureExt};
use mcp_edge_pool::json::RawValue;
use mcp_edge_pool::{Error, RequestOptions, Session};
use serde_json::{json, Value};

fn slow(ms: u64) -> Option<RawValue> {
    params(json!({"name": "slow", "arguments": {"ms": ms}}))
}

fn spawn_call(
    h: &Harness,
    session: &Session,
    p: Option<RawValue>,
    options: RequestOptions,
) -> TaskHandle<Result<Value, Error>> {
    let s = session.clone();
    h.exec.spawn_task(async move {
        s.request("tools/call", p, options)
            .await
            .map(|raw| value(&raw))
    })
}

fn timeout(ms: u64) -> RequestOptions {
    RequestOptions {
        timeout_ms: Some(ms),
        ..Default::default()
    }
}

/// The JSON-RPC id the server saw on the last `tools/call`.
fn last_call_id(h: &Harness) -> Value {
    h.server
        .requests("tools/call")
        .last()
        .and_then(|l| l.rpc_id.clone())
        .expect("a tools/call was sent")
}

fn echo_works(h: &mut Harness, session: &Session) {
    let p = params(json!({"name": "echo", "arguments": {"message": "still here"}}));
    let echo = spawn_call(h, session, p, RequestOptions::default());
    h.run();
    let result = echo.output("echo").expect("the session is still usable");
    assert_eq!(result["content"][0]["text"], "still here");
}

#[test]
fn a_slow_request_times_out_at_exactly_its_deadline_and_is_cancelled() {
    let mut h = Harness::new();
    let session = h.connect();
    let call = spawn_call(&h, &session, slow(5_000), timeout(1_000));
    h.run();
    let id = last_call_id(&h);
    h.advance(999);
    assert!(!call.is_done(), "still pending at 999 ms");
    assert!(h.server.cancelled().is_empty());
    h.advance(1);

    let error = call.output("slow call").expect_err("timed out");
    assert_eq!(
        error,
        Error::RequestTimeout {
            server: "fake".into(),
            method: "tools/call".into(),
            timeout_ms: 1_000
        }
    );
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    h.run();
    let cancelled = h.server.cancelled();
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0]["requestId"], id);
    assert!(cancelled[0]["reason"].is_string());
    let notice = h.server.requests("notifications/cancelled");
    assert_eq!(notice[0].session_id.as_deref(), Some("sid-1"));
    assert_eq!(
        h.clock.pending_timers(),
        0,
        "the timeout and the server's slow work are gone"
    );

    echo_works(&mut h, &session);
    assert_eq!(
        h.server.cancelled().len(),
        1,
        "a completed request sends no cancel"
    );
}

#[test]
fn the_session_default_timeout_applies_without_an_override() {
    let mut h = Harness::new();
    let mut config = h.config();
    config.request_timeout_ms = 2_000;
    let session = h.try_connect(config).expect("connects");
    let call = spawn_call(&h, &session, slow(10_000), RequestOptions::default());
    h.advance(1_999);
    assert!(!call.is_done());
    h.advance(1);
    let error = call.output("slow call").expect_err("timed out");
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    assert!(error.to_string().contains("2000 ms"), "{error}");
}

#[test]
fn an_answer_before_the_deadline_wins_and_leaves_no_timer() {
    let mut h = Harness::new();
    let session = h.connect();
    let call = spawn_call(&h, &session, slow(500), timeout(1_000));
    h.advance(499);
    assert!(!call.is_done());
    h.advance(1);
    let result = call.output("slow call").expect("answered in time");
    assert_eq!(result["content"][0]["text"], "slow done");
    assert_eq!(h.clock.pending_timers(), 0);
    h.advance(10_000);
    assert!(h.server.cancelled().is_empty());
}

#[test]
fn a_fired_cancel_future_aborts_the_request_and_cancels_it_on_the_server() {
    let mut h = Harness::new();
    let session = h.connect();
    let (abort, aborted) = oneshot::channel::<()>();
    let options = RequestOptions {
        timeout_ms: None,
        cancel: Some(aborted.map(|_| ()).boxed_local()),
        progress: None,
    };
    let call = spawn_call(&h, &session, slow(5_000), options);
    h.advance(100);
    let id = last_call_id(&h);
    assert!(!call.is_done());
    abort.send(()).expect("the request still listens");
    h.run();

    assert_eq!(call.output("aborted call"), Err(Error::Aborted));
    let cancelled = h.server.cancelled();
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0]["requestId"], id);
    assert_eq!(h.clock.pending_timers(), 0);
    echo_works(&mut h, &session);
}

#[test]
fn dropping_a_request_mid_flight_sends_cancelled() {
    let mut h = Harness::new();
    let session = h.connect();
    let s = session.clone();
    let (request, handle) = abortable(async move {
        s.request("tools/call", slow(5_000), RequestOptions::default())
            .await
    });
    let task = h.exec.spawn_task(request);
    h.advance(100);
    let id = last_call_id(&h);
    assert!(h.server.cancelled().is_empty());
    handle.abort();
    h.run();

    assert!(
        matches!(task.take(), Some(Err(_))),
        "the wrapper reports the abort"
    );
    let cancelled = h.server.cancelled();
    assert_eq!(
        cancelled.len(),
        1,
        "dropping the future cancels the request"
    );
    assert_eq!(cancelled[0]["requestId"], id);
    assert_eq!(h.clock.pending_timers(), 0);
    echo_works(&mut h, &session);
}

#[test]
fn ping_has_its_own_timeout() {
    let mut h = Harness::new();
    let session = h.connect();
    let s = session.clone();
    let ping = h.exec.spawn_task(async move { s.ping(Some(50)).await });
    h.run();
    assert_eq!(ping.output("ping"), Ok(()));

    h.server.delay_requests_ms(1_000);
    let s = session.clone();
    let ping = h.exec.spawn_task(async move { s.ping(Some(50)).await });
    h.advance(49);
    assert!(!ping.is_done());
    h.advance(1);
    let error = ping.output("ping").expect_err("too slow");
    assert_eq!(
        error,
        Error::RequestTimeout {
            server: "fake".into(),
            method: "ping".into(),
            timeout_ms: 50
        }
    );
    h.run();
    assert_eq!(
        h.server.cancelled().len(),
        1,
        "a timed-out ping is cancelled like any request"
    );

    h.server.delay_requests_ms(0);
    h.server.set_down(true);
    let s = session.clone();
    let ping = h.exec.spawn_task(async move { s.ping(Some(50)).await });
    h.run();
    assert_eq!(
        ping.output("ping").map_err(|e| e.code()),
        Err("NETWORK_ERROR")
    );
}
