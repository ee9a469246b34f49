//! Resumable SSE answers: a stream that drops before the response is resumed with `GET` +
//! `Last-Event-ID` (after the server's `retry:` delay), a bounded number of times; without event
//! ids it fails as before.

use crate::support::{params, value, Harness, Logged, TaskHandle};
use mcp_edge_pool::json::RawValue;
use mcp_edge_pool::protocol::methods;
use mcp_edge_pool::HttpMethod;
use mcp_edge_pool::{Error, RequestOptions, Session};
use serde_json::json;

fn echo(h: &Harness, session: &Session, message: &str) -> TaskHandle<Result<RawValue, Error>> {
    let s = session.clone();
    let args = params(json!({"name": "echo", "arguments": {"message": message}}));
    h.exec.spawn_task(async move {
        s.request(methods::TOOLS_CALL, args, RequestOptions::default())
            .await
    })
}

fn gets(h: &Harness) -> Vec<Logged> {
    h.server
        .log()
        .into_iter()
        .filter(|l| l.http == HttpMethod::Get)
        .collect()
}

/// A session whose SSE answers are cut before the response.
fn cut_session(h: &mut Harness) -> Session {
    h.server.answer_sse(true);
    let session = h.connect();
    h.server.sse_truncate(true);
    session
}

#[test]
fn a_dropped_answer_is_resumed_with_get_and_last_event_id() {
    let mut h = Harness::new();
    let session = cut_session(&mut h);
    h.server.sse_preamble(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}}"#.into(),
    ]);
    h.server.resume_on_get(true);
    let task = echo(&h, &session, "resumed");
    h.run();
    let result = task
        .output("echo")
        .expect("the resumed stream has the response");
    assert_eq!(value(&result)["content"][0]["text"], json!("resumed"));
    assert_eq!(
        h.server.count("tools/call"),
        1,
        "the request is not sent again"
    );
    let gets = gets(&h);
    assert_eq!(gets.len(), 1);
    assert_eq!(
        gets[0].header("last-event-id"),
        Some("e-1"),
        "the id of the last event seen"
    );
    assert_eq!(gets[0].header("accept"), Some("text/event-stream"));
    assert!(gets[0].session_id.is_some(), "with the session id");
    assert_eq!(
        gets[0].header("mcp-protocol-version"),
        Some(mcp_edge_pool::protocol::LATEST_VERSION)
    );
}

#[test]
fn the_servers_retry_delay_is_waited_before_reconnecting() {
    let mut h = Harness::new();
    let session = cut_session(&mut h);
    h.server.sse_retry_ms(Some(2_000));
    h.server.resume_on_get(true);
    let task = echo(&h, &session, "later");
    h.run();
    assert!(gets(&h).is_empty() && !task.is_done(), "waiting for retry");
    h.advance(1_999);
    assert!(gets(&h).is_empty(), "not before 2000 ms");
    h.advance(1);
    let result = task.output("echo").expect("resumed after the delay");
    assert_eq!(value(&result)["content"][0]["text"], json!("later"));
    assert_eq!(gets(&h)[0].header("last-event-id"), Some("prime-0"));
}

#[test]
fn the_retry_delay_counts_against_the_request_timeout() {
    let mut h = Harness::new();
    let session = cut_session(&mut h);
    h.server.sse_retry_ms(Some(60_000));
    h.server.resume_on_get(true);
    let s = session.clone();
    let task = h.exec.spawn_task(async move {
        s.request(
            methods::TOOLS_CALL,
            params(json!({"name": "echo", "arguments": {"message": "x"}})),
            RequestOptions {
                timeout_ms: Some(5_000),
                ..RequestOptions::default()
            },
        )
        .await
    });
    h.advance(5_000);
    let error = task.output("timed out").expect_err("timeout");
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    assert!(gets(&h).is_empty());
    assert_eq!(h.server.cancelled().len(), 1);
}

#[test]
fn without_event_ids_a_dropped_answer_fails_as_before() {
    // Both ways a stream can stop short: the server ends it cleanly (a restart, a proxy's idle
    // cut), or the connection breaks. Either is the same class for a caller: NETWORK_ERROR.
    for cut in [false, true] {
        let mut h = Harness::new();
        h.server.sse_priming(false);
        let session = cut_session(&mut h);
        h.server.sse_cut(cut);
        h.server.resume_on_get(true);
        let task = echo(&h, &session, "lost");
        h.run();
        let error = task.output("echo").expect_err("no ids, no resume");
        assert_eq!(error.code(), "NETWORK_ERROR", "cut: {cut}: {error}");
        let expected = if cut {
            "connection reset"
        } else {
            "ended before the response"
        };
        assert!(error.to_string().contains(expected), "cut: {cut}: {error}");
        assert!(gets(&h).is_empty(), "no GET without an event id");
        // The session stays usable: the next call is answered.
        h.server.sse_truncate(false);
        let task = echo(&h, &session, "after");
        h.run();
        assert!(task.output("echo").is_ok(), "cut: {cut}");
    }
}

#[test]
fn a_server_that_refuses_the_get_leaves_the_original_error() {
    let mut h = Harness::new();
    let session = cut_session(&mut h);
    let task = echo(&h, &session, "lost");
    h.run();
    let error = task.output("echo").expect_err("GET is 405");
    assert_eq!(error.code(), "NETWORK_ERROR");
    let text = error.to_string();
    assert!(
        text.contains("ended before the response") && text.contains("HTTP 405"),
        "{text}"
    );
    assert_eq!(gets(&h).len(), 1);
}

#[test]
fn reconnects_are_bounded() {
    let mut h = Harness::new();
    let session = cut_session(&mut h);
    h.server.sse_retry_ms(Some(100));
    h.server.resume_on_get(true);
    h.server.resume_truncates(true);
    let task = echo(&h, &session, "never");
    for _ in 0..10 {
        h.advance(100);
    }
    let error = task.output("echo").expect_err("gave up");
    assert_eq!(error.code(), "NETWORK_ERROR");
    assert!(error.to_string().contains("gave up after 3"), "{error}");
    let gets = gets(&h);
    assert_eq!(gets.len(), 3);
    assert!(gets
        .iter()
        .all(|g| g.header("last-event-id") == Some("prime-0")));
}
