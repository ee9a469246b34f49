//! Reading answers: JSON and SSE alike, server messages before the response, errors, limits.

use crate::support::{params, value, Harness};
use mcp_edge_pool::json::RawValue;
use mcp_edge_pool::{Error, Session, SizeUnit};
use serde_json::{json, Value};

fn echo(message: &str) -> Option<RawValue> {
    params(json!({"name": "echo", "arguments": {"message": message}}))
}

fn call(
    h: &mut Harness,
    session: &Session,
    method: &'static str,
    p: Option<RawValue>,
) -> Result<Value, Error> {
    let s = session.clone();
    h.block_on(async move { s.request(method, p, Default::default()).await })
        .map(|raw| value(&raw))
}

/// Results of a fixed set of requests, with the server configured by `setup`.
fn results_with(setup: impl Fn(&Harness)) -> Vec<Result<Value, Error>> {
    let mut h = Harness::new();
    setup(&h);
    let session = h.connect();
    vec![
        call(&mut h, &session, "tools/call", echo("héllo wörld ✓")),
        call(&mut h, &session, "tools/list", None),
        call(&mut h, &session, "ping", None),
        call(&mut h, &session, "prompts/list", None),
        call(
            &mut h,
            &session,
            "tools/call",
            params(json!({"name": "fail"})),
        ),
    ]
}

#[test]
fn json_and_sse_answers_give_identical_results() {
    let json_results = results_with(|_| {});
    assert_eq!(
        json_results[0]
            .as_ref()
            .ok()
            .map(|v| v["content"][0]["text"].clone()),
        Some(json!("héllo wörld ✓"))
    );
    assert_eq!(json_results[2], Ok(json!({})));
    assert_eq!(
        json_results[4].as_ref().map_err(Error::code),
        Err("RPC_ERROR")
    );

    let sse = results_with(|h| h.server.answer_sse(true));
    assert_eq!(sse, json_results, "SSE");
    let unprimed = results_with(|h| {
        h.server.answer_sse(true);
        h.server.sse_priming(false);
    });
    assert_eq!(unprimed, json_results, "SSE without a priming event");
    let bytewise = results_with(|h| {
        h.server.answer_sse(true);
        h.server.chunk_size(Some(1));
    });
    assert_eq!(
        bytewise, json_results,
        "SSE in 1-byte chunks (multi-byte characters split)"
    );
    let json_bytewise = results_with(|h| h.server.chunk_size(Some(1)));
    assert_eq!(json_bytewise, json_results, "JSON in 1-byte chunks");
    let odd_chunks = results_with(|h| {
        h.server.answer_sse(true);
        h.server.chunk_size(Some(7));
    });
    assert_eq!(odd_chunks, json_results, "SSE in 7-byte chunks");
}

#[test]
fn server_requests_and_notifications_before_the_response_are_handled() {
    let mut h = Harness::new();
    h.server.answer_sse(true);
    h.server.chunk_size(Some(5));
    h.server.sse_preamble(vec![
        json!({"jsonrpc": "2.0", "method": "notifications/progress", "params": {"progressToken": "p1", "progress": 1, "total": 2}}).to_string(),
        json!({"jsonrpc": "2.0", "id": "srv-1", "method": "ping"}).to_string(),
        json!({"jsonrpc": "2.0", "id": "srv-2", "method": "sampling/createMessage", "params": {"messages": [], "maxTokens": 5}}).to_string(),
        json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "working"}}).to_string(),
        // A response to somebody else's request is not ours: skipped.
        json!({"jsonrpc": "2.0", "id": 999, "result": {"other": true}}).to_string(),
    ]);
    let session = h.connect();
    let result = call(&mut h, &session, "tools/call", echo("after the preamble"))
        .expect("the response still arrives");
    assert_eq!(result["content"][0]["text"], "after the preamble");

    let answers = h.server.client_responses();
    assert_eq!(answers.len(), 2, "{answers:?}");
    assert_eq!(
        answers[0],
        json!({"jsonrpc": "2.0", "id": "srv-1", "result": {}})
    );
    assert_eq!(answers[1]["id"], "srv-2");
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert!(answers[1].get("result").is_none());
    for posted in h.server.log().iter().filter(|l| l.rpc_method.is_none()) {
        assert_eq!(
            posted.session_id.as_deref(),
            Some("sid-1"),
            "answers go to the same session"
        );
        assert_eq!(posted.status, 202);
    }

    let seen = h.notifications.borrow().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].0, "fake", "the handler gets the server's name");
    assert_eq!(seen[0].1, "notifications/progress");
    assert_eq!(
        seen[0].2,
        json!({"progressToken": "p1", "progress": 1, "total": 2})
    );
    assert_eq!(seen[1].1, "notifications/message");
    assert_eq!(seen[1].2["data"], "working");
}

#[test]
fn a_json_rpc_error_becomes_error_rpc_with_code_message_and_data() {
    for sse in [false, true] {
        let mut h = Harness::new();
        h.server.answer_sse(sse);
        let session = h.connect();
        let error = call(
            &mut h,
            &session,
            "tools/call",
            params(json!({"name": "fail"})),
        )
        .expect_err("fails");
        assert_eq!(
            error,
            Error::Rpc {
                server: "fake".into(),
                code: -32000,
                message: "the tool exploded".into(),
                data: Some(crate::support::tree(
                    json!({"detail": "boom", "retry": false})
                )),
            }
        );
        assert_eq!(error.code(), "RPC_ERROR");
        assert_eq!(error.rpc_code(), Some(-32000));
        assert_eq!(
            error.rpc_data(),
            Some(&crate::support::tree(
                json!({"detail": "boom", "retry": false})
            ))
        );

        let unknown = call(&mut h, &session, "no/such/method", None).expect_err("unknown method");
        assert_eq!(unknown.rpc_code(), Some(-32601));
        assert_eq!(unknown.rpc_data(), None);
    }
}

#[test]
fn a_tool_failure_is_a_result_not_an_error() {
    let mut h = Harness::new();
    let session = h.connect();
    let result = call(
        &mut h,
        &session,
        "tools/call",
        params(json!({"name": "broken"})),
    )
    .expect("a result");
    assert_eq!(result["isError"], true);
}

#[test]
fn a_wrong_content_type_is_a_protocol_error() {
    let mut h = Harness::new();
    let session = h.connect();
    h.server.content_type(Some("text/html; charset=utf-8"));
    let error = call(&mut h, &session, "ping", None).expect_err("not JSON nor SSE");
    assert_eq!(error.code(), "PROTOCOL_ERROR");
    assert!(error.to_string().contains("text/html"), "{error}");

    h.server
        .content_type(Some("application/json; charset=utf-8"));
    assert_eq!(
        call(&mut h, &session, "ping", None),
        Ok(json!({})),
        "parameters of the media type are fine"
    );
}

#[test]
fn an_sse_stream_that_ends_before_the_response_is_a_network_error() {
    let mut h = Harness::new();
    h.server.answer_sse(true);
    let session = h.connect();
    h.server.sse_truncate(true);
    let error =
        call(&mut h, &session, "tools/call", echo("lost")).expect_err("no response on the stream");
    assert_eq!(error.code(), "NETWORK_ERROR");
    assert!(
        error.to_string().contains("ended before the response"),
        "{error}"
    );
}

#[test]
fn a_body_larger_than_the_limit_is_response_too_large() {
    for sse in [false, true] {
        let mut h = Harness::new();
        h.server.answer_sse(sse);
        h.server.chunk_size(Some(64));
        let mut config = h.config();
        config.max_response_bytes = 400;
        let session = h.try_connect(config).expect("the initialize answer fits");

        let small = call(&mut h, &session, "tools/call", echo(&"s".repeat(100)));
        assert!(small.is_ok(), "sse={sse}: {small:?}");
        let error =
            call(&mut h, &session, "tools/call", echo(&"x".repeat(1000))).expect_err("too large");
        assert_eq!(
            error,
            Error::ResponseTooLarge {
                server: "fake".into(),
                limit: 400,
                unit: SizeUnit::Bytes,
            },
            "sse={sse}"
        );
        assert_eq!(error.code(), "RESPONSE_TOO_LARGE");
        assert_eq!(
            call(&mut h, &session, "ping", None),
            Ok(json!({})),
            "the session stays usable"
        );
    }
}

#[test]
fn no_error_or_debug_output_reveals_a_header_value_or_the_session_id() {
    const SECRET: &str = "SECRET-TOKEN";
    let mut h = Harness::new();
    let mut config = h.config();
    config.headers = vec![("Authorization".into(), format!("Bearer {SECRET}"))];
    config.request_timeout_ms = 1_000;
    let session = h.try_connect(config.clone()).expect("connects");
    let mut texts = vec![
        format!("{config:?}"),
        format!("{session:?}"),
        format!("{:?}", h.runtime()),
    ];
    let mut errors = Vec::new();

    errors.push(
        call(
            &mut h,
            &session,
            "tools/call",
            params(json!({"name": "fail"})),
        )
        .expect_err("rpc"),
    );
    errors.push(call(&mut h, &session, "nope", None).expect_err("method not found"));
    h.server.content_type(Some("text/plain"));
    errors.push(call(&mut h, &session, "ping", None).expect_err("protocol"));
    h.server.content_type(None);
    let s = session.clone();
    let slow = h.exec.spawn_task(async move {
        s.request(
            "tools/call",
            params(json!({"name": "slow", "arguments": {"ms": 5000}})),
            Default::default(),
        )
        .await
    });
    h.advance(1_000);
    errors.push(slow.output("slow").expect_err("timeout"));
    h.server.expire_all_sessions();
    h.server.fail_initialize_status(Some(503));
    errors.push(call(&mut h, &session, "ping", None).expect_err("re-initialize fails"));
    h.server.fail_initialize_status(None);
    h.server.set_down(true);
    errors.push(call(&mut h, &session, "ping", None).expect_err("network"));
    h.server.set_down(false);
    let s = session.clone();
    h.block_on(async move { s.close().await });
    errors.push(call(&mut h, &session, "ping", None).expect_err("closed"));
    h.server.fail_initialize_status(Some(401));
    errors.push(h.try_connect(config.clone()).expect_err("connect failed"));
    h.server.fail_initialize_status(None);
    h.server.choose_version(Some("1999-01-01"));
    errors.push(h.try_connect(config).expect_err("version"));

    let codes: Vec<&str> = errors.iter().map(Error::code).collect();
    assert_eq!(
        codes,
        [
            "RPC_ERROR",
            "RPC_ERROR",
            "PROTOCOL_ERROR",
            "REQUEST_TIMEOUT",
            "HTTP_ERROR",
            "NETWORK_ERROR",
            "SESSION_CLOSED",
            "CONNECT_FAILED",
            "UNSUPPORTED_PROTOCOL_VERSION"
        ]
    );
    for error in &errors {
        texts.push(error.to_string());
        texts.push(format!("{error:?}"));
    }
    texts.push(format!("{session:?}"));
    for text in &texts {
        assert!(!text.contains(SECRET), "a header value leaked: {text}");
        assert!(
            !text.contains("sid-1") && !text.contains("sid-2"),
            "a session id leaked: {text}"
        );
    }
    // The secret really was sent, so the check above is meaningful.
    assert!(h
        .server
        .log()
        .iter()
        .all(|l| l.header("authorization") == Some("Bearer SECRET-TOKEN")));
}
