//! Protocol eras: the `server/discover` probe, the fallback to `initialize`, the verdict kept per
//! server, pinned eras, and stateless (2026-07-28) requests: `_meta`, routing headers, no session,
//! no `ping`, no cancel notification, errors carried by HTTP statuses, and input-required rounds.

use crate::support::{accepting_elicitation, params, value, Harness, MODERN};
use mcp_edge_pool::{Dialect, EraPolicy, SessionConfig};
use mcp_edge_pool::{Error, RequestOptions};
use serde_json::{json, Value};

fn auto(h: &Harness) -> SessionConfig {
    SessionConfig {
        era: EraPolicy::Auto,
        ..h.config()
    }
}

fn methods(h: &Harness) -> Vec<String> {
    h.server
        .log()
        .iter()
        .map(|l| l.rpc_method.clone().unwrap_or_default())
        .collect()
}

fn echo(message: &str) -> Option<mcp_edge_pool::json::RawValue> {
    params(json!({"name": "echo", "arguments": {"message": message}}))
}

#[test]
fn a_session_era_server_costs_no_probe_and_its_verdict_is_remembered() {
    // Session era only, and both eras (what the Python SDK 2.x serves): the handshake comes
    // first, so neither gets an extra request and nothing is refused.
    for dual in [false, true] {
        let mut h = Harness::new();
        h.server.modern(dual);
        let config = auto(&h);
        let link = h.link(&config);
        let first = h
            .try_connect_via(config.clone(), &link)
            .expect("session era");
        assert_eq!(first.dialect(), Dialect::Stateful);
        assert_eq!(methods(&h), ["initialize", "notifications/initialized"]);
        assert!(
            h.server.log().iter().all(|l| l.status < 300),
            "nothing refused"
        );
        assert_eq!(link.era().borrow().known, Some(Dialect::Stateful));

        // A second session of the same server (same memory) goes straight to the handshake.
        let second = h.try_connect_via(config, &link).expect("second");
        assert_eq!(second.dialect(), Dialect::Stateful);
        assert_eq!(h.server.count("server/discover"), 0);
        assert_eq!(h.server.count("initialize"), 2);
    }
}

#[test]
fn a_stateless_server_gets_no_handshake_and_every_request_carries_meta_and_routing() {
    let mut h = Harness::new();
    h.server.modern_only();
    let mut config = auto(&h);
    config.headers = vec![("X-Team".into(), "blue".into())];
    let link = h.link(&config);
    let session = h.try_connect_via(config.clone(), &link).expect("modern");
    assert_eq!(session.dialect(), Dialect::Stateless);
    assert_eq!(session.protocol_version().as_deref(), Some(MODERN));
    assert!(!session.has_session_id());
    let init = session.initialize_result().expect("discovery result");
    assert_eq!(init.server_info.name, "fake-modern");
    assert_eq!(init.capabilities["tools"]["listChanged"], true);
    assert_eq!(init.instructions.as_deref(), Some("A stateless fake."));

    let s = session.clone();
    let raw = h
        .block_on(async move {
            s.request("tools/call", echo("hi"), RequestOptions::default())
                .await
        })
        .expect("echo");
    assert_eq!(value(&raw)["content"][0]["text"], "hi");
    let s = session.clone();
    h.block_on(async move { s.ping(None).await })
        .expect("health check");

    assert_eq!(
        methods(&h),
        [
            "initialize",
            "server/discover",
            "tools/call",
            "server/discover"
        ],
        "the handshake refused once, then no initialize, and the health check is a discover \
         (ping is gone)"
    );
    let refused = &h.server.log()[0];
    assert_eq!(
        refused.status, 400,
        "the stateless-only server refused the handshake"
    );
    for logged in h.server.log().iter().skip(1) {
        assert_eq!(logged.session_id, None);
        assert_eq!(logged.header("mcp-protocol-version"), Some(MODERN));
        assert_eq!(logged.header("x-team"), Some("blue"));
        assert_eq!(logged.status, 200);
        let meta = &logged.body.as_ref().expect("body")["params"]["_meta"];
        assert_eq!(
            meta["io.modelcontextprotocol/clientInfo"]["name"],
            "edge-pool-tests"
        );
        assert_eq!(
            meta["io.modelcontextprotocol/clientCapabilities"],
            json!({})
        );
    }
    let call = &h.server.requests("tools/call")[0];
    assert_eq!(call.header("mcp-method"), Some("tools/call"));
    assert_eq!(call.header("mcp-name"), Some("echo"));
    assert_eq!(link.era().borrow().known, Some(Dialect::Stateless));
}

#[test]
fn the_discovery_is_reused_within_its_ttl() {
    let mut h = Harness::new();
    h.server.modern_only();
    h.server.discover_ttl_ms(60_000);
    let config = auto(&h);
    let link = h.link(&config);
    h.try_connect_via(config.clone(), &link).expect("first");
    h.try_connect_via(config.clone(), &link)
        .expect("second, from the cache");
    assert_eq!(h.server.count("server/discover"), 1);
    h.advance(60_001);
    h.try_connect_via(config, &link)
        .expect("third, after the ttl");
    assert_eq!(h.server.count("server/discover"), 2);
}

#[test]
fn pinned_eras_never_probe_or_fail_clearly() {
    let mut h = Harness::new();
    h.server.modern(true);
    let legacy = h.try_connect(h.config()).expect("pinned legacy");
    assert_eq!(legacy.dialect(), Dialect::Stateful);
    assert_eq!(h.server.count("server/discover"), 0);

    let mut h = Harness::new();
    let modern = SessionConfig {
        era: EraPolicy::Modern,
        ..h.config()
    };
    let error = h
        .try_connect(modern)
        .expect_err("the server is session-era only");
    assert_eq!(error.code(), "UNSUPPORTED_PROTOCOL_VERSION", "{error}");
    assert_eq!(h.server.count("initialize"), 0, "no fallback when pinned");
}

#[test]
fn a_network_failure_during_the_first_handshake_is_no_verdict() {
    let mut h = Harness::new();
    h.server.set_down(true);
    let config = auto(&h);
    let link = h.link(&config);
    let error = h.try_connect_via(config.clone(), &link).expect_err("down");
    assert_eq!(error.code(), "CONNECT_FAILED", "{error}");
    assert_eq!(
        methods(&h),
        ["initialize"],
        "an unreachable server is not asked again"
    );
    assert_eq!(link.era().borrow().known, None, "nothing remembered");
    h.server.set_down(false);
    h.server.modern_only();
    let session = h.try_connect_via(config, &link).expect("up again");
    assert_eq!(session.dialect(), Dialect::Stateless);
}

#[test]
fn stateless_errors_arrive_as_rpc_errors_and_timeouts_send_no_cancel() {
    let mut h = Harness::new();
    h.server.modern_only();
    let session = h.try_connect(auto(&h)).expect("modern");
    let s = session.clone();
    let error = h
        .block_on(async move {
            s.request(
                "tools/call",
                params(json!({"name": "nope"})),
                RequestOptions::default(),
            )
            .await
        })
        .expect_err("unknown tool");
    assert_eq!(error.code(), "RPC_ERROR", "{error}");

    let s = session.clone();
    let slow = h.exec.spawn_task(async move {
        let options = RequestOptions {
            timeout_ms: Some(100),
            ..RequestOptions::default()
        };
        let args = params(json!({"name": "slow", "arguments": {"ms": 10_000}}));
        s.request("tools/call", args, options).await
    });
    h.advance(150);
    let error = slow.output("slow").expect_err("timed out");
    assert_eq!(error.code(), "REQUEST_TIMEOUT");
    h.advance(2_000);
    assert!(h.server.cancelled().is_empty(), "no client notifications");
    assert_eq!(h.server.count("notifications/cancelled"), 0);
}

#[test]
fn input_required_results_are_fulfilled_by_the_handlers_and_re_sent() {
    let mut h = Harness::new();
    h.server.modern_only();
    let config = SessionConfig {
        handlers: accepting_elicitation(),
        ..auto(&h)
    };
    let session = h.try_connect(config).expect("modern");
    let s = session.clone();
    let raw = h
        .block_on(async move {
            s.request(
                "tools/call",
                params(json!({"name": "ask"})),
                RequestOptions::default(),
            )
            .await
        })
        .expect("answered");
    let text = value(&raw)["content"][0]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let answered: Value = serde_json::from_str(text.trim_end_matches(" with s1")).expect("json");
    assert_eq!(answered["content"]["name"], "Ada");
    assert_eq!(answered["q"], "Your name?");
    assert!(text.ends_with(" with s1"), "requestState echoed: {text}");

    let calls = h.server.requests("tools/call");
    assert_eq!(calls.len(), 2, "the first call and its retry");
    let (first, retry) = (&calls[0], &calls[1]);
    assert_ne!(first.rpc_id, retry.rpc_id, "each round has a new id");
    let retry_params = &retry.body.as_ref().expect("body")["params"];
    assert_eq!(retry_params["requestState"], "s1");
    assert_eq!(retry_params["inputResponses"]["who"]["action"], "accept");
    assert_eq!(
        retry_params["_meta"]["io.modelcontextprotocol/clientCapabilities"],
        json!({"elicitation": {}})
    );
}

#[test]
fn input_required_without_a_handler_is_a_clear_error() {
    let mut h = Harness::new();
    h.server.modern_only();
    let session = h.try_connect(auto(&h)).expect("modern");
    let error = h
        .block_on(async move {
            session
                .request(
                    "tools/call",
                    params(json!({"name": "ask"})),
                    RequestOptions::default(),
                )
                .await
        })
        .expect_err("no handler");
    match &error {
        Error::Rpc { code, message, .. } => {
            assert_eq!(*code, -32601);
            assert!(message.contains("elicitation/create"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(h.server.count("tools/call"), 1, "not re-sent");
}

#[test]
fn concurrent_first_opens_share_one_probe() {
    for stateless in [false, true] {
        let mut h = Harness::new();
        if stateless {
            h.server.modern_only();
        }
        let config = auto(&h);
        let link = h.link(&config);
        let opens: Vec<_> = (0..3)
            .map(|_| {
                let connecting = mcp_edge_pool::Session::connect_via(
                    config.clone(),
                    link.clone(),
                    h.runtime(),
                    None,
                );
                h.exec.spawn_task(connecting)
            })
            .collect();
        h.run();
        let expected = if stateless {
            Dialect::Stateless
        } else {
            Dialect::Stateful
        };
        for open in opens {
            assert_eq!(open.output("open").expect("opened").dialect(), expected);
        }
        let refused = h.server.log().iter().filter(|l| l.status >= 400).count();
        if stateless {
            // One refused handshake for three opens: the others waited for its verdict.
            assert_eq!(h.server.count("initialize"), 1, "one probe for three opens");
            assert_eq!(refused, 1);
        } else {
            assert_eq!(h.server.count("initialize"), 3);
            assert_eq!(h.server.count("server/discover"), 0);
            assert_eq!(refused, 0);
        }
    }
}

#[test]
fn x_mcp_header_arguments_travel_as_mcp_param_headers_and_invalid_tools_are_dropped() {
    let mut h = Harness::new();
    h.server.modern_only();
    h.server.page_size(10);
    let session = h.try_connect(auto(&h)).expect("modern");
    let s = session.clone();
    let listed = h
        .block_on(async move {
            s.request("tools/list", None, RequestOptions::default())
                .await
        })
        .expect("tools/list");
    let names: Vec<String> = value(&listed)["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(names.contains(&"routed".to_owned()), "{names:?}");
    assert!(
        !names.contains(&"bad".to_owned()),
        "invalid x-mcp-header: dropped"
    );
    let call = |region: &str| {
        let s = session.clone();
        let args = params(json!({"name": "routed", "arguments": {"region": region}}));
        async move {
            s.request("tools/call", args, RequestOptions::default())
                .await
        }
    };
    let plain = h.block_on(call("us-west1")).expect("plain");
    assert_eq!(value(&plain)["content"][0]["text"], "us-west1");
    let unsafe_value = h.block_on(call("Hello, 世界")).expect("base64");
    assert_eq!(
        value(&unsafe_value)["content"][0]["text"],
        "=?base64?SGVsbG8sIOS4lueVjA==?="
    );
}
