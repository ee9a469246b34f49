//! The HTTP+SSE transport (2024-11-05): the fallback from Streamable HTTP, the endpoint's
//! origin check, requests answered on the stream, server requests, progress, timeouts, and what
//! happens when the stream ends.

use std::rc::Rc;

use crate::support::{get_now, params, value, Harness, SseServer, TaskHandle, ENDPOINT, NAME, URL};
use mcp_edge_pool::json::RawValue;
use mcp_edge_pool::protocol::methods;
use mcp_edge_pool::HttpMethod;
use mcp_edge_pool::{ClientHandlers, Dialect, ProgressOptions, TransportMode};
use mcp_edge_pool::{Error, RequestOptions, Session};
use serde_json::json;

fn connect(h: &mut Harness, sse: &SseServer) -> Result<Session, Error> {
    connect_with(h, sse, h.config())
}

fn connect_with(
    h: &mut Harness,
    sse: &SseServer,
    config: mcp_edge_pool::SessionConfig,
) -> Result<Session, Error> {
    let rt = sse.runtime(h);
    let handler = h.handler();
    h.block_on(Session::connect(config, rt, Some(handler)))
}

fn call(
    h: &mut Harness,
    session: &Session,
    tool: &str,
    args: serde_json::Value,
) -> TaskHandle<Result<RawValue, Error>> {
    let s = session.clone();
    let tool = tool.to_owned();
    h.exec.spawn_task(async move {
        s.request(
            methods::TOOLS_CALL,
            params(json!({"name": tool, "arguments": args})),
            RequestOptions::default(),
        )
        .await
    })
}

fn text(raw: &mcp_edge_pool::json::RawValue) -> String {
    value(raw)["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn a_405_on_initialize_falls_back_to_http_sse_and_requests_work() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("fallback connects");
    assert_eq!(session.dialect(), Dialect::HttpSse);
    assert_eq!(session.protocol_version().as_deref(), Some("2024-11-05"));
    assert!(!session.has_session_id());

    let log = sse.log();
    assert_eq!(
        (log[0].http, log[0].url.as_str(), log[0].rpc_method()),
        (HttpMethod::Post, URL, Some("initialize")),
        "Streamable HTTP is tried first"
    );
    assert_eq!(log[1].http, HttpMethod::Get);
    assert_eq!(log[1].url, URL);
    assert_eq!(log[1].header("accept"), Some("text/event-stream"));
    let endpoint = format!("https://mcp.example.test{ENDPOINT}1");
    assert_eq!(log[2].url, endpoint, "the relative endpoint is resolved");
    assert_eq!(log[2].rpc_method(), Some("initialize"));
    assert_eq!(
        log[2]
            .body
            .as_ref()
            .map(|b| b["params"]["protocolVersion"].clone()),
        Some(json!("2024-11-05"))
    );
    assert_eq!(log[3].rpc_method(), Some("notifications/initialized"));
    assert_eq!(log[3].url, endpoint);
    assert!(
        log.iter()
            .all(|l| l.header("mcp-protocol-version").is_none()),
        "2024-11-05 has no version header"
    );

    let echo = call(&mut h, &session, "echo", json!({"message": "hi"}));
    h.run();
    assert_eq!(text(&echo.output("echo").expect("echo answered")), "hi");
    assert_eq!(sse.requests("tools/call")[0].url, endpoint);
    assert_eq!(sse.gets().len(), 1, "one stream for the whole session");
}

#[test]
fn concurrent_requests_are_matched_by_id_whatever_the_order() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    let slow = call(&mut h, &session, "slow", json!({"ms": 500}));
    let fast = call(&mut h, &session, "echo", json!({"message": "fast"}));
    h.run();
    assert_eq!(text(&fast.output("fast").expect("ok")), "fast");
    assert!(!slow.is_done(), "the slow one is still waiting");
    h.advance(500);
    assert_eq!(text(&slow.output("slow").expect("ok")), "slow done");
}

#[test]
fn a_400_or_404_also_falls_back_but_a_500_does_not() {
    for status in [400, 404] {
        let mut h = Harness::new();
        let sse = SseServer::new(&h);
        sse.post_status(status);
        let session = connect(&mut h, &sse).expect("falls back");
        assert_eq!(session.dialect(), Dialect::HttpSse, "status {status}");
    }
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    sse.post_status(500);
    let error = connect(&mut h, &sse).expect_err("500 is not a reason to fall back");
    assert_eq!(
        (error.code(), error.http_status()),
        ("CONNECT_FAILED", Some(500))
    );
    assert!(sse.gets().is_empty());
}

#[test]
fn a_streamable_server_that_refuses_initialize_keeps_its_own_error() {
    let mut h = Harness::new();
    h.server.fail_initialize_status(Some(404));
    let error = h.try_connect(h.config()).expect_err("fails");
    assert_eq!(error.code(), "CONNECT_FAILED");
    assert_eq!(
        error.http_status(),
        Some(404),
        "the initialize POST's status"
    );
    assert!(
        error.to_string().contains("HTTP+SSE"),
        "says the fallback was tried too: {error}"
    );
    let gets: Vec<_> = h
        .server
        .log()
        .into_iter()
        .filter(|l| l.http == HttpMethod::Get)
        .collect();
    assert_eq!(gets.len(), 1, "one fallback GET");
}

#[test]
fn an_endpoint_on_another_origin_is_refused_with_a_typed_error() {
    for endpoint in [
        "https://evil.test/messages?session=",
        "//evil.test/messages?session=",
        "http://mcp.example.test/messages?session=",
        "https://mcp.example.test:8443/messages?session=",
    ] {
        let mut h = Harness::new();
        let sse = SseServer::new(&h);
        sse.endpoint(endpoint);
        let error = connect(&mut h, &sse).expect_err("refused");
        assert_eq!(error.code(), "CROSS_ORIGIN_ENDPOINT", "{endpoint}: {error}");
        assert_eq!(
            sse.log().len(),
            2,
            "{endpoint}: nothing is posted after the GET"
        );
        h.run();
        assert_eq!(sse.open_streams(), 0, "{endpoint}: the stream is aborted");
    }
    // An absolute endpoint on the same origin is fine.
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    sse.endpoint("https://MCP.example.test:443/messages?session=");
    assert!(connect(&mut h, &sse).is_ok());
}

#[test]
fn pinned_transports_skip_the_probe_or_the_fallback() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let mut config = h.config();
    config.transport = TransportMode::Sse;
    let session = connect_with(&mut h, &sse, config).expect("connects");
    assert_eq!(session.dialect(), Dialect::HttpSse);
    assert_eq!(sse.log()[0].http, HttpMethod::Get, "no POST probe first");

    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let mut config = h.config();
    config.transport = TransportMode::StreamableHttp;
    let error = connect_with(&mut h, &sse, config).expect_err("no fallback");
    assert_eq!(error.http_status(), Some(405));
    assert!(sse.gets().is_empty());
}

#[test]
fn a_newer_version_answered_over_sse_is_accepted_an_unknown_one_is_not() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    sse.version(Some("2025-06-18"));
    let session = connect(&mut h, &sse).expect("connects");
    assert_eq!(session.protocol_version().as_deref(), Some("2025-06-18"));

    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    sse.version(Some("2023-01-01"));
    let error = connect(&mut h, &sse).expect_err("unsupported");
    assert_eq!(error.code(), "UNSUPPORTED_PROTOCOL_VERSION");
    h.run();
    assert_eq!(sse.open_streams(), 0, "the stream is aborted");
}

#[test]
fn progress_and_notifications_arrive_on_the_stream() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = seen.clone();
    let s = session.clone();
    let task = h.exec.spawn_task(async move {
        let options = RequestOptions {
            progress: Some(ProgressOptions {
                on_progress: Rc::new(move |p: &RawValue| {
                    sink.borrow_mut().push(value(p)["progress"].clone());
                }),
                reset_timeout: false,
                max_total_timeout_ms: None,
            }),
            ..RequestOptions::default()
        };
        s.request(
            methods::TOOLS_CALL,
            params(json!({"name": "progress", "arguments": {}})),
            options,
        )
        .await
    });
    h.run();
    assert_eq!(text(&task.output("progress").expect("ok")), "progress done");
    assert_eq!(*seen.borrow(), vec![json!(1), json!(2)]);
    sse.push_raw("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}\n\n");
    h.run();
    let notes = h.notifications.borrow();
    assert!(notes
        .iter()
        .any(|(_, m, _)| m == "notifications/tools/list_changed"));
}

#[test]
fn server_requests_are_answered_by_post_to_the_endpoint() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let mut config = h.config();
    config.handlers = ClientHandlers {
        elicitation: Some(Rc::new(|_| {
            Box::pin(async {
                Ok(crate::support::raw(
                    &json!({"action": "accept", "content": {"name": "Ada"}}),
                ))
            })
        })),
        ..ClientHandlers::default()
    };
    let session = connect_with(&mut h, &sse, config).expect("connects");
    let asked = call(&mut h, &session, "elicit", json!({}));
    h.run();
    assert_eq!(text(&asked.output("elicit").expect("ok")), "Ada");
    let answers = sse.client_responses();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["result"]["action"], json!("accept"));
    // A server ping is answered too, and an unknown request gets -32601.
    sse.push_raw(
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"p1\",\"method\":\"ping\"}\n\n",
    );
    sse.push_raw(
        "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"method\":\"weird/thing\"}\n\n",
    );
    h.run();
    let answers = sse.client_responses();
    assert_eq!(
        answers[1],
        json!({"jsonrpc": "2.0", "id": "p1", "result": {}})
    );
    assert_eq!(answers[2]["error"]["code"], json!(-32601));
}

#[test]
fn a_timeout_sends_cancelled_to_the_endpoint_and_forgets_the_request() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    let s = session.clone();
    let task = h.exec.spawn_task(async move {
        s.request(
            methods::TOOLS_CALL,
            params(json!({"name": "never", "arguments": {}})),
            RequestOptions {
                timeout_ms: Some(1_000),
                ..RequestOptions::default()
            },
        )
        .await
    });
    h.advance(1_000);
    let error = task.output("timed out").expect_err("timeout");
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    let cancelled = sse.cancelled();
    assert_eq!(cancelled.len(), 1);
    let id = sse.requests("tools/call")[0]
        .body
        .as_ref()
        .map(|b| b["id"].clone());
    assert_eq!(Some(cancelled[0]["requestId"].clone()), id);
    // The session is still good.
    let echo = call(&mut h, &session, "echo", json!({"message": "still here"}));
    h.run();
    assert_eq!(text(&echo.output("echo").expect("ok")), "still here");
}

#[test]
fn when_the_stream_ends_in_flight_requests_fail_and_the_session_is_done() {
    for broken in [false, true] {
        let mut h = Harness::new();
        let sse = SseServer::new(&h);
        let session = connect(&mut h, &sse).expect("connects");
        let waiting = call(&mut h, &session, "never", json!({}));
        h.run();
        assert!(!waiting.is_done());
        if broken {
            sse.break_streams();
        } else {
            sse.end_streams();
        }
        h.run();
        let error = waiting.output("failed").expect_err("stream gone");
        assert_eq!(error.code(), "NETWORK_ERROR", "{error}");
        assert!(session.is_closed(), "the session reports itself unusable");
        let later = call(&mut h, &session, "echo", json!({"message": "x"}));
        h.run();
        assert_eq!(
            later.output("later").expect_err("closed").code(),
            "SESSION_CLOSED"
        );
    }
    // The server hanging up while answering is the same.
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    let hung = call(&mut h, &session, "hangup", json!({}));
    h.run();
    assert_eq!(
        hung.output("hung").expect_err("gone").code(),
        "NETWORK_ERROR"
    );
}

#[test]
fn closing_aborts_the_stream_without_a_delete_and_fails_waiting_requests() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    assert_eq!(sse.open_streams(), 1);
    let waiting = call(&mut h, &session, "never", json!({}));
    h.run();
    let s = session.clone();
    h.block_on(async move { s.close().await });
    h.run();
    assert_eq!(sse.open_streams(), 0, "the GET was aborted");
    assert_eq!(
        waiting.output("closed").expect_err("closed").code(),
        "SESSION_CLOSED"
    );
    assert!(sse.log().iter().all(|l| l.http != HttpMethod::Delete));
    assert!(
        session.export().is_none(),
        "an SSE session cannot be resumed elsewhere"
    );
}

#[test]
fn dropping_every_handle_aborts_the_stream() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    assert_eq!(sse.open_streams(), 1);
    drop(session);
    h.run();
    assert_eq!(
        sse.open_streams(),
        0,
        "no leak: the reader ends with the session"
    );
}

#[test]
fn an_oversized_event_fails_waiting_requests_as_too_large() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let mut config = h.config();
    config.max_response_bytes = 2048;
    let session = connect_with(&mut h, &sse, config).expect("connects");
    let waiting = call(&mut h, &session, "never", json!({}));
    h.run();
    sse.push_raw(&format!("data: {}\n\n", "x".repeat(4096)));
    h.run();
    assert_eq!(
        waiting.output("too large").expect_err("too large").code(),
        "RESPONSE_TOO_LARGE"
    );
    assert!(session.is_closed());
}

#[test]
fn the_pool_uses_sse_sessions_and_replaces_one_whose_stream_ended() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let pool = mcp_edge_pool::Pool::new(mcp_edge_pool::PoolOptions::default(), sse.runtime(&h))
        .expect("pool");
    pool.register_http(NAME, URL, mcp_edge_pool::ServerOptions::default())
        .expect("registered");
    let lease = get_now(&mut h, &pool);
    let (lease, r) = h.block_on(async move {
        let r = lease
            .request(
                methods::TOOLS_CALL,
                params(json!({"name": "echo", "arguments": {"message": "pooled"}})),
                RequestOptions::default(),
            )
            .await;
        (lease, r)
    });
    assert_eq!(text(&r.expect("ok")), "pooled");
    sse.end_streams();
    h.run();
    lease.release().expect("released");
    let again = get_now(&mut h, &pool);
    assert_eq!(sse.gets().len(), 2, "a new session with its own stream");
    let r = h.block_on(async move {
        again
            .request(
                methods::TOOLS_CALL,
                params(json!({"name": "echo", "arguments": {"message": "new"}})),
                RequestOptions::default(),
            )
            .await
    });
    assert_eq!(text(&r.expect("ok")), "new");
}

#[test]
fn a_handshake_that_times_out_on_the_stream_leaves_no_stream_open() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let mut config = h.config();
    config.request_timeout_ms = 1_000;
    // The server accepts the initialize POST but never answers it on the stream.
    sse.silent(true);
    let rt = sse.runtime(&h);
    let task = h.exec.spawn_task(Session::connect(config, rt, None));
    h.run();
    assert_eq!(sse.open_streams(), 1);
    h.advance(1_000);
    let error = task.output("connect").expect_err("no handshake");
    assert_eq!(error.code(), "CONNECT_FAILED");
    h.run();
    assert_eq!(sse.open_streams(), 0, "the stream was aborted");
}

#[test]
fn a_404_from_the_endpoint_reopens_the_stream_once_and_retries() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    let session = connect(&mut h, &sse).expect("connects");
    let waiting = call(&mut h, &session, "never", json!({}));
    h.run();
    // The server forgets the session; the client's stream just goes silent.
    sse.forget_streams();
    let calls: Vec<_> = (0..3)
        .map(|i| {
            call(
                &mut h,
                &session,
                "echo",
                json!({"message": format!("again {i}")}),
            )
        })
        .collect();
    h.run();
    for (i, c) in calls.into_iter().enumerate() {
        assert_eq!(
            text(&c.output("echo").expect("retried on a new stream")),
            format!("again {i}")
        );
    }
    assert_eq!(sse.gets().len(), 2, "one new stream for the three callers");
    assert_eq!(
        sse.requests("initialize").len(),
        3,
        "probe, first and one re-initialize"
    );
    assert_eq!(session.initialize_count(), 2);
    assert_eq!(
        waiting
            .output("old")
            .expect_err("its stream was replaced")
            .code(),
        "NETWORK_ERROR",
        "a call waiting on the old stream fails now, not at its timeout"
    );
    assert_eq!(sse.open_streams(), 1, "the old stream was aborted");
    assert!(!session.is_closed());
}

#[test]
fn a_get_stream_without_an_endpoint_event_gives_up_after_a_few_seconds() {
    let mut h = Harness::new();
    let sse = SseServer::new(&h);
    sse.post_status(400);
    sse.no_endpoint(true);
    let rt = sse.runtime(&h);
    let task = h.exec.spawn_task(Session::connect(h.config(), rt, None));
    h.run();
    h.advance(4_999);
    assert!(!task.is_done(), "still waiting for the endpoint");
    h.advance(1);
    let error = task.output("connect").expect_err("no endpoint");
    assert_eq!(
        (error.code(), error.http_status()),
        ("CONNECT_FAILED", Some(400)),
        "the initialize POST's own error: {error}"
    );
    assert!(
        error.to_string().contains("without an endpoint event"),
        "{error}"
    );
    h.run();
    assert_eq!(sse.open_streams(), 0, "the stream was aborted");
}
