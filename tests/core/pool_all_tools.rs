//! One catalog for many servers: qualified, provider-safe names; collisions reported and
//! resolved the same way whatever order servers answer in; calls routed by qualified name.

use std::rc::Rc;

use crate::support::{FakeServer, Harness, URL};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::AllTools;
use mcp_edge_pool::{
    HttpRequest, HttpResponse, HttpTransport, Pool, PoolOptions, Runtime, ServerOptions,
    TransportError,
};
use serde_json::json;

fn pool(h: &Harness, names: &[&str]) -> Pool {
    let pool = Pool::new(
        PoolOptions {
            health_check_interval_ms: 0,
            ..PoolOptions::default()
        },
        h.runtime(),
    )
    .expect("pool");
    for name in names {
        pool.register_http(name, URL, ServerOptions::default())
            .expect("register");
    }
    pool
}

fn safe(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[test]
fn every_servers_tools_get_qualified_provider_safe_names() {
    let mut h = Harness::new();
    h.server.tools(3);
    let pool = pool(&h, &["alpha", "beta"]);
    let p = pool.clone();
    let all = h.block_on(async move { p.list_all_tools().await });
    assert!(all.errors.is_empty() && all.collisions.is_empty());
    let names: Vec<&str> = all.tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alpha__tool-0",
            "alpha__tool-1",
            "alpha__tool-2",
            "beta__tool-0",
            "beta__tool-1",
            "beta__tool-2"
        ]
    );
    assert!(all.tools.iter().all(|t| safe(&t.name)));
    let first: serde_json::Value = serde_json::from_str(all.tools[0].tool.get()).expect("json");
    assert_eq!(first["name"], "tool-0", "the tool as the server listed it");
}

#[test]
fn calls_are_routed_by_qualified_name() {
    let mut h = Harness::new();
    let pool = pool(&h, &["alpha", "beta"]);
    let p = pool.clone();
    h.block_on(async move { p.list_all_tools().await });
    let p = pool.clone();
    let unknown =
        h.block_on(async move { p.call_tool("gamma__echo", None, Default::default()).await });
    assert_eq!(
        unknown.map(|_| ()).map_err(|e| e.code()),
        Err("UNKNOWN_TOOL")
    );
    // The fake lists tool-N but also answers `echo`: route a listed name to check the routing.
    let p = pool.clone();
    let listed = h.block_on(async move {
        let args = crate::support::params(json!({"message": "x"}));
        p.call_tool("beta__tool-1", args, Default::default()).await
    });
    let error = listed.expect_err("the fake does not implement tool-1");
    assert_eq!(error.code(), "RPC_ERROR");
    assert!(
        error.to_string().contains("tool-1"),
        "the original name reached the server: {error}"
    );
    assert_eq!(error.server(), Some("beta"));
    let calls = h.server.requests("tools/call");
    assert_eq!(
        calls
            .last()
            .and_then(|c| c.body.clone())
            .map(|b| b["params"]["name"].clone()),
        Some(json!("tool-1"))
    );
    assert_eq!(pool.stats().leases, 0, "the routed call released its lease");
}

#[test]
fn unreachable_servers_are_reported_not_fatal() {
    let mut h = Harness::new();
    let pool = pool(&h, &["alpha"]);
    h.server.set_down(true);
    let p = pool.clone();
    let all = h.block_on(async move { p.list_all_tools().await });
    assert!(all.tools.is_empty());
    assert_eq!(
        all.errors.get("alpha").map(|e| e.code()),
        Some("CONNECT_FAILED")
    );
}

/// Sends requests for `OTHER_URL` to a second fake server, everything else to the harness's.
struct TwoServers {
    main: FakeServer,
    other: FakeServer,
}

const OTHER_URL: &str = "https://other.example.test/mcp";

impl HttpTransport for TwoServers {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        if request.url == OTHER_URL {
            self.other.send(request)
        } else {
            self.main.send(request)
        }
    }
}

fn colliding(order: &[(&str, &str)]) -> (AllTools, Pool, Harness) {
    let mut h = Harness::new();
    h.server.tools(1);
    h.server.tool_prefix("y__");
    let other = FakeServer::new(&h.clock);
    other.tools(1);
    let base = h.runtime();
    let transport = TwoServers {
        main: h.server.clone(),
        other,
    };
    let rt = Runtime::new(Rc::new(transport), base.clock.clone(), base.spawner.clone());
    let pool = Pool::new(
        PoolOptions {
            health_check_interval_ms: 0,
            ..PoolOptions::default()
        },
        rt,
    )
    .expect("pool");
    for (name, url) in order {
        pool.register_http(name, url, ServerOptions::default())
            .expect("register");
    }
    let p = pool.clone();
    let all = h.block_on(async move { p.list_all_tools().await });
    (all, pool, h)
}

#[test]
fn colliding_names_are_reported_and_resolved_independently_of_order() {
    // "x" lists "y__tool-0" and "x__y" lists "tool-0": both would be "x__y__tool-0".
    let (all, pool, mut h) = colliding(&[("x", URL), ("x__y", OTHER_URL)]);
    assert_eq!(all.collisions.len(), 1);
    assert_eq!(all.collisions[0].name, "x__y__tool-0");
    assert_eq!(
        all.collisions[0].tools,
        [
            ("x".to_owned(), "y__tool-0".to_owned()),
            ("x__y".to_owned(), "tool-0".to_owned())
        ]
    );
    let names: Vec<String> = all.tools.iter().map(|t| t.name.clone()).collect();
    assert_eq!(names.len(), 2, "neither was dropped");
    assert!(
        names
            .iter()
            .all(|n| safe(n) && n != "x__y__tool-0" && n.starts_with("x__y__")),
        "{names:?}"
    );
    let (again, _, _) = colliding(&[("x__y", OTHER_URL), ("x", URL)]);
    let again: Vec<String> = again.tools.iter().map(|t| t.name.clone()).collect();
    assert_eq!(
        names, again,
        "the same names whatever the registration order"
    );
    // Each hashed name routes to its own server.
    let target = all
        .tools
        .iter()
        .find(|t| t.server == "x__y")
        .map(|t| t.name.clone())
        .expect("x__y's tool");
    let p = pool.clone();
    let routed = h.block_on(async move { p.call_tool(&target, None, Default::default()).await });
    assert!(routed
        .expect_err("the fake has no tool-0")
        .to_string()
        .contains("'x__y'"));
}
