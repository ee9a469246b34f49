//! The pool over a stateless-era (2026-07-28) server (5 tools, plus `routed`; `bad` is dropped for its
//! invalid `x-mcp-header`): the server's `ttlMs` caps the tool
//! catalog's age, snapshots resume stateless sessions without a discovery, and the health loop
//! checks them with `server/discover`.

use mcp_edge_pool::json::{FromJson, ToJson};

use crate::support::{Harness, URL};
use mcp_edge_pool::Dialect;
use mcp_edge_pool::PoolSnapshot;
use mcp_edge_pool::{Pool, PoolOptions, ServerOptions};

fn pool(h: &Harness, options: PoolOptions) -> Pool {
    let pool = Pool::new(options, h.runtime()).expect("pool");
    pool.register_http("s", URL, ServerOptions::default())
        .expect("register");
    pool
}

fn tools(h: &mut Harness, pool: &Pool) -> usize {
    let p = pool.clone();
    let raw = h
        .block_on(async move {
            let lease = p.get("s").await?;
            lease.list_tools_raw(false, None).await
        })
        .expect("tools");
    let value: serde_json::Value = serde_json::from_str(raw.get()).expect("json");
    value["tools"].as_array().map_or(0, Vec::len)
}

#[test]
fn the_servers_ttl_caps_the_catalog() {
    let mut h = Harness::new();
    h.server.modern_only();
    h.server.discover_ttl_ms(1_000);
    let pool = pool(
        &h,
        PoolOptions {
            tools_cache_ttl_ms: 60_000,
            health_check_interval_ms: 0,
            ..PoolOptions::default()
        },
    );
    assert_eq!(tools(&mut h, &pool), 6);
    let pages = h.server.count("tools/list");
    assert_eq!(tools(&mut h, &pool), 6);
    assert_eq!(h.server.count("tools/list"), pages, "cached within ttlMs");
    h.clock.advance(1_001);
    assert_eq!(tools(&mut h, &pool), 6);
    assert_eq!(
        h.server.count("tools/list"),
        2 * pages,
        "the server's 1 s ttlMs wins over the pool's 60 s"
    );
    assert_eq!(
        h.server.count("initialize"),
        1,
        "only the refused first handshake"
    );
}

#[test]
fn a_stateless_session_is_snapshotted_and_resumed_without_discovery() {
    let mut h = Harness::new();
    h.server.modern_only();
    let options = PoolOptions {
        health_check_interval_ms: 0,
        ..PoolOptions::default()
    };
    let old = pool(&h, options.clone());
    let p = old.clone();
    let lease = h.block_on(async move { p.get("s").await }).expect("lease");
    assert_eq!(
        lease.session().expect("session").dialect(),
        Dialect::Stateless
    );
    drop(lease);
    let text = old.snapshot().to_json();
    assert!(text.contains("2026-07-28"), "{text}");
    assert!(
        !text.contains("sessionId"),
        "no session id in the stateless era: {text}"
    );
    let discovers = h.server.count("server/discover");

    let fresh = Pool::new(options, h.runtime()).expect("pool");
    let snapshot = PoolSnapshot::from_json(&text).expect("parses");
    fresh.restore(snapshot).expect("restore");
    fresh
        .register_http("s", URL, ServerOptions::default())
        .expect("register");
    assert_eq!(
        fresh
            .stats()
            .servers
            .get("s")
            .expect("listed")
            .restored_connections,
        1
    );
    let p = fresh.clone();
    let lease = h.block_on(async move { p.get("s").await }).expect("lease");
    assert_eq!(
        lease.session().expect("session").dialect(),
        Dialect::Stateless
    );
    let raw = h
        .block_on(async move {
            lease
                .call_tool(
                    "echo",
                    crate::support::tree(serde_json::json!({"message": "again"})),
                    Default::default(),
                )
                .await
        })
        .expect("echo");
    assert_eq!(raw.content[0]["text"], "again");
    assert_eq!(
        h.server.count("server/discover"),
        discovers,
        "no new discovery"
    );
    assert_eq!(
        h.server.count("initialize"),
        1,
        "only the refused first handshake"
    );
}

#[test]
fn the_health_loop_checks_stateless_sessions_with_discover() {
    let mut h = Harness::new();
    h.server.modern_only();
    let pool = pool(
        &h,
        PoolOptions {
            health_check_interval_ms: 1_000,
            idle_timeout_ms: 600_000,
            ..PoolOptions::default()
        },
    );
    let p = pool.clone();
    let lease = h.block_on(async move { p.get("s").await }).expect("lease");
    drop(lease);
    let before = h.server.count("server/discover");
    h.advance(2_500);
    assert!(
        h.server.count("server/discover") > before,
        "the health loop asked server/discover"
    );
    assert_eq!(h.server.count("ping"), 0, "ping is gone in 2026-07-28");
    assert_eq!(pool.stats().idle_connections, 1, "still healthy");
}

#[test]
fn a_restored_stateless_server_is_not_probed_again() {
    let mut h = Harness::new();
    h.server.modern_only();
    let options = PoolOptions {
        health_check_interval_ms: 0,
        max_leases_per_connection: Some(1),
        ..PoolOptions::default()
    };
    let old = pool(&h, options.clone());
    let p = old.clone();
    let lease = h.block_on(async move { p.get("s").await }).expect("lease");
    drop(lease);
    assert_eq!(
        h.server.count("initialize"),
        1,
        "probed once: the handshake refused"
    );
    let text = old.snapshot().to_json();

    let fresh = Pool::new(options, h.runtime()).expect("pool");
    fresh
        .restore(mcp_edge_pool::PoolSnapshot::from_json(&text).expect("parses"))
        .expect("restore");
    fresh
        .register_http("s", URL, ServerOptions::default())
        .expect("register");
    let p = fresh.clone();
    let (a, b) = h.block_on(async move { (p.get("s").await, p.get("s").await) });
    let (a, b) = (a.expect("restored"), b.expect("a new session"));
    assert!(!a.session().expect("a").ptr_eq(b.session().expect("b")));
    assert_eq!(
        h.server.count("initialize"),
        1,
        "the snapshot told the era: no second refused handshake"
    );
}
