//! The `initialize` handshake: order of messages, headers, version negotiation, failures.

use crate::support::{params, Harness};
use mcp_edge_pool::Error;
use mcp_edge_pool::HttpMethod;
use serde_json::json;

fn echo(message: &str) -> Option<mcp_edge_pool::json::RawValue> {
    params(json!({"name": "echo", "arguments": {"message": message}}))
}

#[test]
fn initialize_then_initialized_then_the_session_id_on_every_request() {
    let mut h = Harness::new();
    let session = h.connect();
    let s = session.clone();
    h.block_on(async move {
        s.request("tools/call", echo("hi"), Default::default())
            .await
    })
    .expect("echo succeeds");
    let s = session.clone();
    h.block_on(async move { s.ping(None).await })
        .expect("ping succeeds");

    let log = h.server.log();
    let methods: Vec<_> = log
        .iter()
        .map(|l| l.rpc_method.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        methods,
        [
            "initialize",
            "notifications/initialized",
            "tools/call",
            "ping"
        ]
    );
    assert!(
        log.iter()
            .all(|l| l.http == HttpMethod::Post && (200..300).contains(&l.status)),
        "{log:?}"
    );

    let init = &log[0];
    assert_eq!(init.session_id, None, "initialize carries no session id");
    assert_eq!(
        init.header("mcp-protocol-version"),
        None,
        "no version header before negotiation"
    );
    let body = init.body.as_ref().expect("initialize has a body");
    assert_eq!(
        body["params"]["protocolVersion"], "2025-11-25",
        "offers the newest version"
    );
    assert_eq!(body["params"]["clientInfo"]["name"], "edge-pool-tests");
    assert!(body["params"]["capabilities"].is_object());

    for later in &log[1..] {
        assert_eq!(
            later.session_id.as_deref(),
            Some("sid-1"),
            "{:?}",
            later.rpc_method
        );
        assert_eq!(
            later.header("mcp-protocol-version"),
            Some("2025-11-25"),
            "{:?}",
            later.rpc_method
        );
    }
    for any in &log {
        assert_eq!(any.header("content-type"), Some("application/json"));
        let accept = any.header("accept").unwrap_or_default();
        assert!(
            accept.contains("application/json") && accept.contains("text/event-stream"),
            "{accept}"
        );
    }

    assert_eq!(session.protocol_version().as_deref(), Some("2025-11-25"));
    assert!(session.has_session_id());
    assert_eq!(session.initialize_count(), 1);
    let init = session
        .initialize_result()
        .expect("the initialize result is kept");
    assert_eq!(init.server_info.name, "fake-server");
    assert_eq!(
        init.instructions.as_deref(),
        Some("A scripted server for tests.")
    );
    assert_eq!(h.server.count("initialize"), 1);
    assert_eq!(h.server.open_sessions(), 1);
}

#[test]
fn custom_headers_go_on_every_request_including_delete() {
    let mut h = Harness::new();
    let mut config = h.config();
    config.headers = vec![
        ("Authorization".into(), "Bearer SECRET-TOKEN".into()),
        ("X-Tenant".into(), "t-42".into()),
    ];
    let session = h.try_connect(config).expect("connects");
    let s = session.clone();
    h.block_on(async move { s.ping(None).await }).expect("ping");
    let s = session.clone();
    h.block_on(async move { s.close().await });

    let log = h.server.log();
    assert_eq!(
        log.len(),
        4,
        "initialize, initialized, ping, DELETE: {log:?}"
    );
    assert_eq!(log[3].http, HttpMethod::Delete);
    for entry in &log {
        assert_eq!(
            entry.header("authorization"),
            Some("Bearer SECRET-TOKEN"),
            "{entry:?}"
        );
        assert_eq!(entry.header("x-tenant"), Some("t-42"), "{entry:?}");
    }
}

#[test]
fn a_downgraded_version_is_used_for_the_session() {
    let mut h = Harness::new();
    h.server.choose_version(Some("2025-06-18"));
    let session = h.connect();
    let s = session.clone();
    h.block_on(async move { s.ping(None).await }).expect("ping");

    assert_eq!(session.protocol_version().as_deref(), Some("2025-06-18"));
    let log = h.server.log();
    assert_eq!(
        log[0]
            .body
            .as_ref()
            .map(|b| b["params"]["protocolVersion"].clone()),
        Some(json!("2025-11-25"))
    );
    for later in &log[1..] {
        assert_eq!(
            later.header("mcp-protocol-version"),
            Some("2025-06-18"),
            "{later:?}"
        );
    }
}

#[test]
fn version_2025_03_26_sends_no_version_header() {
    let mut h = Harness::new();
    h.server.choose_version(Some("2025-03-26"));
    let session = h.connect();
    let s = session.clone();
    h.block_on(async move { s.ping(None).await }).expect("ping");

    assert_eq!(session.protocol_version().as_deref(), Some("2025-03-26"));
    let log = h.server.log();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter()
            .all(|l| l.header("mcp-protocol-version").is_none()),
        "{log:?}"
    );
    assert!(log[1..]
        .iter()
        .all(|l| l.session_id.as_deref() == Some("sid-1")));
}

#[test]
fn an_unsupported_version_is_refused_and_the_opened_session_deleted() {
    for version in ["2024-11-05", "1999-01-01"] {
        let mut h = Harness::new();
        h.server.choose_version(Some(version));
        let config = h.config();
        let error = h.try_connect(config).expect_err("the version is refused");

        assert_eq!(
            error,
            Error::UnsupportedProtocolVersion {
                server: "fake".into(),
                version: version.into()
            }
        );
        assert_eq!(error.code(), "UNSUPPORTED_PROTOCOL_VERSION");
        assert!(error.to_string().contains(version), "{error}");
        assert_eq!(
            h.server.count("notifications/initialized"),
            0,
            "no initialized after a refusal"
        );
        let deletes = h.server.deletes();
        assert_eq!(deletes.len(), 1, "the session the server opened is deleted");
        assert_eq!(deletes[0].session_id.as_deref(), Some("sid-1"));
        assert_eq!(h.server.open_sessions(), 0);
        assert_eq!(h.clock.pending_timers(), 0);
    }
}

#[test]
fn initialize_failing_with_http_500_is_connect_failed() {
    let mut h = Harness::new();
    h.server.fail_initialize_status(Some(500));
    let config = h.config();
    let error = h.try_connect(config).expect_err("initialize fails");

    assert_eq!(error.code(), "CONNECT_FAILED");
    assert_eq!(error.server(), Some("fake"));
    let text = error.to_string();
    assert!(
        text.contains("500") && text.contains("the fake server failed to initialize"),
        "{text}"
    );
    assert_eq!(h.server.count("notifications/initialized"), 0);
}

#[test]
fn an_unreachable_server_is_connect_failed() {
    let mut h = Harness::new();
    h.server.set_down(true);
    let config = h.config();
    let error = h.try_connect(config).expect_err("nothing answers");

    assert_eq!(error.code(), "CONNECT_FAILED");
    assert!(error.to_string().contains("connection refused"), "{error}");
    assert_eq!(h.server.log().len(), 1);
}

#[test]
fn an_initialize_that_never_answers_times_out_as_connect_failed() {
    let mut h = Harness::new();
    h.server.delay_initialize_ms(60_000);
    let mut config = h.config();
    config.request_timeout_ms = 1_000;
    let connecting = mcp_edge_pool::Session::connect(config, h.runtime(), None);
    let handle = h.exec.spawn_task(connecting);
    h.advance(999);
    assert!(!handle.is_done(), "still waiting at 999 ms");
    h.advance(1);
    let error = handle.output("connect").expect_err("times out");

    assert_eq!(error.code(), "CONNECT_FAILED");
    assert!(error.to_string().contains("1000 ms"), "{error}");
    assert_eq!(
        h.clock.pending_timers(),
        0,
        "neither the timeout nor the server's delay is left"
    );
}

#[test]
fn a_stateless_server_works_without_a_session_id() {
    let mut h = Harness::new();
    h.server.stateless(true);
    let session = h.connect();
    assert!(!session.has_session_id());
    let s = session.clone();
    let result = h.block_on(async move {
        s.request("tools/call", echo("no session"), Default::default())
            .await
    });
    let result = crate::support::value(&result.expect("echo works without a session"));
    assert_eq!(result["content"][0]["text"], "no session");
    let s = session.clone();
    h.block_on(async move { s.close().await });

    let log = h.server.log();
    assert_eq!(
        log.len(),
        3,
        "initialize, initialized, tools/call; no DELETE without a session: {log:?}"
    );
    assert!(
        log.iter().all(|l| l.header("mcp-session-id").is_none()),
        "{log:?}"
    );
    assert_eq!(log[2].header("mcp-protocol-version"), Some("2025-11-25"));
    assert_eq!(h.server.sessions_created(), 0);
}
