//! Every branch of `get`: reuse of an idle session (most recently used first), opening under
//! the cap, sharing at the cap, and never more sessions than the cap under concurrent getters.

use crate::support::{counts, get_now, limits, pool_with, spawn_get, Harness, NAME};
use mcp_edge_pool::Error;

#[test]
fn a_released_session_is_reused_without_a_new_initialize() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(5, None));
    assert_eq!(counts(&pool.stats()), (0, 0, 0, 0, 0));

    let first = get_now(&mut h, &pool);
    assert_eq!(counts(&pool.stats()), (1, 0, 0, 1, 1));
    let session = first.session().expect("live").clone();
    first.release().expect("first release");
    assert_eq!(counts(&pool.stats()), (0, 1, 0, 0, 1));

    let second = get_now(&mut h, &pool);
    assert!(second.session().expect("live").ptr_eq(&session));
    assert_eq!(h.server.count("initialize"), 1);
    assert!(
        h.server.deletes().is_empty(),
        "release never closes the session"
    );
    assert_eq!(counts(&pool.stats()), (1, 0, 0, 1, 1));
}

#[test]
fn the_most_recently_used_idle_session_is_handed_out_first() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(3, Some(1)));
    let a = get_now(&mut h, &pool);
    let b = get_now(&mut h, &pool);
    let (sa, sb) = (
        a.session().expect("a").clone(),
        b.session().expect("b").clone(),
    );
    assert!(!sa.ptr_eq(&sb), "max_leases 1 forces a second session");
    assert_eq!(counts(&pool.stats()), (2, 0, 0, 2, 2));

    // b was taken after a, so b is the most recently used.
    drop(a);
    drop(b);
    assert_eq!(counts(&pool.stats()), (0, 2, 0, 0, 2));
    let next = get_now(&mut h, &pool);
    assert!(next.session().expect("next").ptr_eq(&sb));
    let other = get_now(&mut h, &pool);
    assert!(other.session().expect("other").ptr_eq(&sa));
    assert_eq!(h.server.count("initialize"), 2);
}

#[test]
fn a_new_session_is_opened_while_under_the_cap_then_sessions_are_shared() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(2, None));
    let a = get_now(&mut h, &pool);
    let b = get_now(&mut h, &pool);
    assert!(
        !a.session().expect("a").ptr_eq(b.session().expect("b")),
        "opens under the cap"
    );
    assert_eq!(h.server.count("initialize"), 2);

    // At the cap with unlimited leases: share the session with the fewest leases.
    let c = get_now(&mut h, &pool);
    let d = get_now(&mut h, &pool);
    assert_eq!(h.server.count("initialize"), 2, "no third session");
    let shared_c = c.session().expect("c");
    let shared_d = d.session().expect("d");
    assert!(
        !shared_c.ptr_eq(shared_d),
        "spread over the least loaded sessions"
    );
    let stats = pool.stats();
    assert_eq!(counts(&stats), (2, 0, 0, 4, 2));
    assert_eq!(stats.servers.get(NAME).expect("listed").max_connections, 2);
}

#[test]
fn one_hundred_concurrent_getters_never_open_more_than_the_cap() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(3, None));
    let getters: Vec<_> = (0..100).map(|_| spawn_get(&h, &pool)).collect();
    h.run();
    let leases: Vec<_> = getters
        .iter()
        .map(|g| g.output("get").expect("lease"))
        .collect();
    assert_eq!(leases.len(), 100);
    assert_eq!(h.server.count("initialize"), 3);
    let stats = pool.stats();
    assert_eq!(counts(&stats), (3, 0, 0, 100, 3));
    assert_eq!(stats.opening_connections, 0);
    drop(leases);
    assert_eq!(counts(&pool.stats()), (0, 3, 0, 0, 3));
}

#[test]
fn sessions_being_opened_count_toward_the_cap() {
    let mut h = Harness::new();
    h.server.delay_initialize_ms(500);
    let pool = pool_with(&h, limits(2, None));
    let getters: Vec<_> = (0..10).map(|_| spawn_get(&h, &pool)).collect();
    h.run();
    let stats = pool.stats();
    assert_eq!(stats.opening_connections, 2, "two opens in flight, not ten");
    assert_eq!(stats.waiting, 10);
    h.advance(500);
    assert!(getters.iter().all(|g| g.is_done()));
    assert_eq!(h.server.count("initialize"), 2);
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn a_failed_open_fails_only_its_getter_and_counts_as_a_connection_error() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, None));
    h.server.fail_initialize_status(Some(500));
    let first = spawn_get(&h, &pool);
    let second = spawn_get(&h, &pool);
    h.run();
    let e1 = first.output("first").expect_err("server refuses");
    assert_eq!(e1.code(), "CONNECT_FAILED");
    assert_eq!(e1.http_status(), Some(500));
    // The second getter was not failed by the first open: it got its own attempt.
    let e2 = second.output("second").expect_err("still refusing");
    assert_eq!(e2.code(), "CONNECT_FAILED");
    let stats = pool.stats();
    assert_eq!(stats.connection_errors, 2);
    assert_eq!(counts(&stats), (0, 0, 0, 0, 0));

    h.server.fail_initialize_status(None);
    let lease = get_now(&mut h, &pool);
    assert!(lease.session().is_ok());
    assert_eq!(pool.stats().total_connections, 1);
}

#[test]
fn unknown_servers_and_closed_pools_are_typed_errors() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, None));
    let p = pool.clone();
    let unknown = h.block_on(async move { p.get("nope").await });
    assert!(matches!(unknown, Err(Error::UnknownServer { ref server }) if server == "nope"));
    let p = pool.clone();
    h.block_on(async move { p.close().await });
    let p = pool.clone();
    let closed = h.block_on(async move { p.get(NAME).await });
    assert_eq!(closed.map(|_| ()).map_err(|e| e.code()), Err("POOL_CLOSED"));
}

#[test]
fn opens_finishing_out_of_order_open_no_extra_session() {
    let mut h = Harness::new();
    // The first open is slow, the second fast: the second session serves the first waiter,
    // and the first open is handed over to the second waiter instead of starting a third.
    h.server.initialize_delays(vec![1_000, 10]);
    let pool = pool_with(&h, limits(20, Some(1)));
    let first = spawn_get(&h, &pool);
    let second = spawn_get(&h, &pool);
    h.run();
    assert_eq!(pool.stats().opening_connections, 2);
    h.advance(10);
    assert!(first.is_done() && !second.is_done());
    assert_eq!(pool.stats().opening_connections, 1, "no third open");
    h.advance(990);
    assert!(second.output("second").is_ok());
    assert!(first.output("first").is_ok());
    assert_eq!(h.server.count("initialize"), 2);
    assert_eq!(pool.stats().total_connections, 2);
}

#[test]
fn ten_concurrent_getters_with_one_lease_per_session_open_exactly_ten() {
    let mut h = Harness::new();
    h.server
        .initialize_delays(vec![90, 10, 80, 20, 70, 30, 60, 40, 50, 5]);
    let pool = pool_with(&h, limits(20, Some(1)));
    let getters: Vec<_> = (0..10).map(|_| spawn_get(&h, &pool)).collect();
    h.advance(100);
    assert!(getters.iter().all(|g| g.output("get").is_ok()));
    assert_eq!(h.server.count("initialize"), 10);
    assert_eq!(pool.stats().total_connections, 10);
}
