//! Release semantics: releasing never closes, double release and foreign leases are typed
//! errors that change no count, dropping releases, a released lease refuses requests.

use crate::support::{counts, get_now, limits, pool_with, Harness, NAME, URL};
use mcp_edge_pool::{Pool, ServerOptions};

#[test]
fn release_returns_the_session_without_closing_it() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(2, None));
    let lease = get_now(&mut h, &pool);
    pool.release(NAME, &lease)
        .expect("release through the pool");
    h.run();
    assert!(lease.is_released());
    assert!(h.server.deletes().is_empty());
    assert_eq!(h.server.open_sessions(), 1);
    assert_eq!(counts(&pool.stats()), (0, 1, 0, 0, 1));
}

#[test]
fn a_second_release_is_an_error_and_changes_no_count() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(2, None));
    let a = get_now(&mut h, &pool);
    let b = get_now(&mut h, &pool);
    a.release().expect("first");
    let before = pool.stats();
    assert_eq!(a.release().map_err(|e| e.code()), Err("LEASE_RELEASED"));
    assert_eq!(
        pool.release(NAME, &a).map_err(|e| e.code()),
        Err("LEASE_RELEASED")
    );
    drop(a);
    assert_eq!(pool.stats(), before, "no count went negative or moved");
    assert_eq!(pool.stats().leases, 1);
    drop(b);
    assert_eq!(pool.stats().leases, 0);
}

#[test]
fn a_lease_of_another_pool_or_server_is_refused() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(2, None));
    pool.register_http("other", URL, ServerOptions::default())
        .expect("second server");
    let stranger = Pool::new(limits(2, None), h.runtime()).expect("pool");
    stranger
        .register_http(NAME, URL, ServerOptions::default())
        .expect("same name elsewhere");
    let p = stranger.clone();
    let foreign = h
        .block_on(async move { p.get(NAME).await })
        .expect("foreign lease");

    let err = pool.release(NAME, &foreign).expect_err("another pool");
    assert_eq!(err.code(), "FOREIGN_LEASE");
    assert!(!foreign.is_released());

    let mine = get_now(&mut h, &pool);
    let err = pool.release("other", &mine).expect_err("another server");
    assert_eq!(err.code(), "FOREIGN_LEASE");
    assert!(err.to_string().contains("'fake'"));
    assert!(!mine.is_released());
    assert_eq!(pool.stats().leases, 1);
    assert_eq!(stranger.stats().leases, 1);
}

#[test]
fn dropping_a_lease_releases_it() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    {
        let _lease = get_now(&mut h, &pool);
        assert_eq!(counts(&pool.stats()), (1, 0, 0, 1, 1));
    }
    assert_eq!(counts(&pool.stats()), (0, 1, 0, 0, 1));
}

#[test]
fn a_released_lease_refuses_requests() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, None));
    let lease = get_now(&mut h, &pool);
    lease.release().expect("release");
    assert_eq!(
        lease.session().map(|_| ()).map_err(|e| e.code()),
        Err("LEASE_RELEASED")
    );
    let result = h.block_on(async move { lease.ping().await });
    assert_eq!(result.map_err(|e| e.code()), Err("LEASE_RELEASED"));
    assert_eq!(h.server.count("ping"), 0, "nothing was sent");
}

#[test]
fn a_lease_runs_the_typed_requests() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, None));
    let lease = get_now(&mut h, &pool);
    let (tools, echo) = h.block_on(async move {
        let tools = lease.list_tools().await;
        let echo = lease
            .call_tool(
                "echo",
                crate::support::tree(serde_json::json!({"message": "hi"})),
                Default::default(),
            )
            .await;
        (tools, echo)
    });
    let tools = tools.expect("tools");
    assert_eq!(tools.tools.len(), 5, "all pages");
    assert!(tools.next_cursor.is_none());
    let echo = echo.expect("echo");
    assert_eq!(echo.content[0]["text"], "hi");
}
