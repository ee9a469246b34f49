//! The pool's tool catalog: one `tools/list` (all pages) serves every lease until the server
//! says the list changed, the entry ages out, or a caller asks for a fresh one; snapshots carry it.

use mcp_edge_pool::json::{FromJson, ToJson};

use crate::support::{get_now, pool_with, Harness, URL};
use mcp_edge_pool::PoolSnapshot;
use mcp_edge_pool::{Pool, PoolOptions, ServerOptions};

fn options() -> PoolOptions {
    PoolOptions {
        tools_cache_ttl_ms: 60_000,
        health_check_interval_ms: 0,
        ..PoolOptions::default()
    }
}

fn list(h: &mut Harness, pool: &Pool, fresh: bool) -> usize {
    let lease = get_now(h, pool);
    let raw = h
        .block_on(async move { lease.list_tools_raw(fresh, None).await })
        .expect("tools");
    let value: serde_json::Value = serde_json::from_str(raw.get()).expect("json");
    value["tools"].as_array().map_or(0, Vec::len)
}

#[test]
fn one_listing_serves_every_lease_until_it_ages_out_or_fresh_is_asked() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options());
    assert_eq!(list(&mut h, &pool, false), 5);
    let pages = h.server.count("tools/list");
    assert_eq!(pages, 3, "5 tools in pages of 2");
    assert_eq!(list(&mut h, &pool, false), 5);
    assert_eq!(
        h.server.count("tools/list"),
        pages,
        "served from the catalog"
    );
    assert_eq!(list(&mut h, &pool, true), 5);
    assert_eq!(
        h.server.count("tools/list"),
        2 * pages,
        "fresh asks the server"
    );
    h.clock.advance(60_000);
    assert_eq!(list(&mut h, &pool, false), 5);
    assert_eq!(h.server.count("tools/list"), 3 * pages, "aged out");
}

#[test]
fn tools_list_changed_invalidates_the_catalog() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options());
    assert_eq!(list(&mut h, &pool, false), 5);
    let pages = h.server.count("tools/list");
    // The server announces a change on the stream of another request.
    h.server.answer_sse(true);
    h.server.sse_preamble(vec![
        r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#.into(),
    ]);
    let lease = get_now(&mut h, &pool);
    h.block_on(async move { lease.ping().await }).expect("ping");
    h.server.sse_preamble(Vec::new());
    h.server.tools(7);
    assert_eq!(
        list(&mut h, &pool, false),
        7,
        "re-listed after list_changed"
    );
    assert_eq!(h.server.count("tools/list"), pages + 4);
}

#[test]
fn a_ttl_of_zero_disables_the_catalog() {
    let mut h = Harness::new();
    let pool = pool_with(
        &h,
        PoolOptions {
            tools_cache_ttl_ms: 0,
            ..options()
        },
    );
    list(&mut h, &pool, false);
    list(&mut h, &pool, false);
    assert_eq!(h.server.count("tools/list"), 6);
}

#[test]
fn a_snapshot_carries_the_catalog_and_its_age() {
    let mut h = Harness::new();
    let old = pool_with(&h, options());
    list(&mut h, &old, false);
    h.clock.advance(10_000);
    let text = old.snapshot().to_json();
    assert!(text.contains("\"ageMs\":10000"), "{text}");
    let snapshot = PoolSnapshot::from_json(&text).expect("parse");
    let fresh = Pool::new(options(), h.runtime()).expect("pool");
    fresh
        .register_http("fake", URL, ServerOptions::default())
        .expect("register");
    fresh.restore(snapshot).expect("restore");
    let before = h.server.count("tools/list");
    assert_eq!(list(&mut h, &fresh, false), 5);
    assert_eq!(
        h.server.count("tools/list"),
        before,
        "served from the restored catalog"
    );
    h.clock.advance(50_000);
    list(&mut h, &fresh, false);
    assert!(
        h.server.count("tools/list") > before,
        "its age counted: it expired 60 s after the fetch"
    );
}
