//! Snapshots: a new pool (a new Worker isolate) resumes the sessions of an old one without any
//! handshake while the server still holds them, re-initializes when it does not, and never
//! carries a header or token.

use crate::support::{tree, Harness, URL};
use mcp_edge_pool::json::{FromJson, ToJson};
use mcp_edge_pool::PoolSnapshot;
use mcp_edge_pool::{Pool, PoolOptions, ServerOptions};
use serde_json::json;

fn secret() -> ServerOptions {
    ServerOptions {
        headers: vec![("Authorization".into(), "Bearer SNAPSHOT-SECRET".into())],
        ..Default::default()
    }
}

fn new_pool(h: &Harness) -> Pool {
    Pool::new(
        PoolOptions {
            health_check_interval_ms: 0,
            ..PoolOptions::default()
        },
        h.runtime(),
    )
    .expect("pool")
}

/// A pool that opened one session and released it; its snapshot as JSON text.
fn warm_snapshot(h: &mut Harness) -> String {
    let old = new_pool(h);
    old.register_http("s", URL, secret()).expect("register");
    let p = old.clone();
    let lease = h.block_on(async move { p.get("s").await }).expect("lease");
    drop(lease);
    old.snapshot().to_json()
}

fn echo(h: &mut Harness, pool: &Pool) -> String {
    let p = pool.clone();
    h.block_on(async move {
        let lease = p.get("s").await?;
        let r = lease
            .call_tool("echo", tree(json!({"message": "warm"})), Default::default())
            .await?;
        Ok::<_, mcp_edge_pool::Error>(r.content[0]["text"].as_str().unwrap_or_default().to_owned())
    })
    .expect("echo")
}

#[test]
fn a_restored_pool_skips_the_handshake_while_the_server_keeps_the_session() {
    let mut h = Harness::new();
    let text = warm_snapshot(&mut h);
    assert!(
        !text.contains("SNAPSHOT-SECRET"),
        "no header in the snapshot: {text}"
    );
    assert!(text.contains("sid-1") && text.contains("2025-11-25"));

    let snapshot = PoolSnapshot::from_json(&text).expect("parses back");
    let fresh = new_pool(&h);
    assert_eq!(
        fresh.restore(snapshot).expect("restore"),
        0,
        "nothing registered yet: pending"
    );
    fresh
        .register_http("s", URL, secret())
        .expect("register applies the pending snapshot");
    let stats = fresh.stats();
    assert_eq!(
        (
            stats.idle_connections,
            stats.servers.get("s").expect("listed").restored_connections
        ),
        (1, 1)
    );

    assert_eq!(echo(&mut h, &fresh), "warm");
    assert_eq!(
        h.server.count("initialize"),
        1,
        "only the old pool's handshake"
    );
    let last = h.server.log().last().cloned().expect("a request");
    assert_eq!(last.session_id.as_deref(), Some("sid-1"));
    assert_eq!(
        last.header("authorization"),
        Some("Bearer SNAPSHOT-SECRET"),
        "the new pool's own headers"
    );
}

#[test]
fn a_restored_session_the_server_forgot_re_initializes_once() {
    let mut h = Harness::new();
    let snapshot = PoolSnapshot::from_json(&warm_snapshot(&mut h)).expect("snapshot");
    h.server.expire_all_sessions();
    let fresh = new_pool(&h);
    fresh.register_http("s", URL, secret()).expect("register");
    assert_eq!(fresh.restore(snapshot).expect("restore"), 1);
    assert_eq!(echo(&mut h, &fresh), "warm");
    assert_eq!(
        h.server.count("initialize"),
        2,
        "one fresh initialize after the 404"
    );
}

#[test]
fn snapshots_of_another_url_version_or_format_are_not_applied() {
    let mut h = Harness::new();
    let mut snapshot = PoolSnapshot::from_json(&warm_snapshot(&mut h)).expect("snapshot");

    let other_url = new_pool(&h);
    other_url
        .register_http("s", "https://other.test/mcp", ServerOptions::default())
        .expect("register");
    assert_eq!(other_url.restore(snapshot.clone()).expect("restore"), 0);

    let mut old_version = snapshot.clone();
    if let Some(server) = old_version.servers.get_mut("s") {
        server.sessions[0].protocol_version = "2024-11-05".into();
    }
    let pool = new_pool(&h);
    pool.register_http("s", URL, ServerOptions::default())
        .expect("register");
    assert_eq!(
        pool.restore(old_version).expect("restore"),
        0,
        "an unsupported version opens fresh"
    );

    snapshot.version = 99;
    assert_eq!(
        pool.restore(snapshot).map_err(|e| e.code()),
        Err("INVALID_ARGUMENT")
    );
}
