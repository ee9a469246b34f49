//! The health loop and idle eviction, driven by the manual clock.

use crate::support::{counts, get_now, pool_with, Harness};
use mcp_edge_pool::PoolOptions;

fn options(interval_ms: u64, idle_ms: u64) -> PoolOptions {
    PoolOptions {
        health_check_interval_ms: interval_ms,
        idle_timeout_ms: idle_ms,
        ..PoolOptions::default()
    }
}

#[test]
fn nothing_starts_before_the_first_get() {
    let mut h = Harness::new();
    let _pool = pool_with(&h, options(1_000, 10_000));
    h.run();
    assert_eq!(
        h.clock.pending_timers(),
        0,
        "no timer from the constructor or register"
    );
    assert!(h.server.log().is_empty(), "no request either");
}

#[test]
fn quiet_idle_sessions_are_pinged_each_interval() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(30_000, 0));
    drop(get_now(&mut h, &pool));
    h.advance(29_999);
    assert_eq!(h.server.count("ping"), 0);
    h.advance(1);
    assert_eq!(h.server.count("ping"), 1);
    assert_eq!(pool.stats().health_checks_passed, 1);
    h.advance(30_000);
    assert_eq!(h.server.count("ping"), 2);
    assert_eq!(counts(&pool.stats()), (0, 1, 0, 0, 1));
}

#[test]
fn sessions_in_use_or_recently_used_are_not_pinged() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(30_000, 0));
    let lease = get_now(&mut h, &pool);
    h.advance(30_000);
    assert_eq!(h.server.count("ping"), 0, "leased sessions are not checked");
    // A successful exchange at t=45 s makes the session fresh at t=60 s.
    h.advance(15_000);
    h.block_on(async move {
        lease
            .call_tool(
                "echo",
                crate::support::tree(serde_json::json!({"message": "x"})),
                Default::default(),
            )
            .await
            .expect("echo");
    });
    h.advance(15_000);
    assert_eq!(h.server.count("ping"), 0);
    h.advance(30_000);
    assert_eq!(h.server.count("ping"), 1);
}

#[test]
fn a_failed_ping_evicts_the_session() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(1_000, 0));
    drop(get_now(&mut h, &pool));
    h.server.set_down(true);
    h.advance(1_000);
    let stats = pool.stats();
    assert_eq!(stats.health_checks_failed, 1);
    assert_eq!(counts(&stats), (0, 0, 0, 0, 1));
    h.server.set_down(false);
    let lease = get_now(&mut h, &pool);
    assert!(lease.session().is_ok());
    assert_eq!(
        pool.stats().total_connections,
        2,
        "a fresh session replaced the dead one"
    );
}

#[test]
fn idle_sessions_are_closed_after_the_idle_timeout() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(10_000, 60_000));
    drop(get_now(&mut h, &pool));
    h.advance(50_000);
    assert_eq!(counts(&pool.stats()).1, 1, "still idle at 50 s");
    h.advance(10_000);
    assert_eq!(counts(&pool.stats()), (0, 0, 0, 0, 1));
    assert_eq!(h.server.deletes().len(), 1, "closed with DELETE");
    assert_eq!(h.server.open_sessions(), 0);
}

#[test]
fn maintain_runs_one_pass_on_demand() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(0, 1_000));
    drop(get_now(&mut h, &pool));
    assert_eq!(h.clock.pending_timers(), 0, "interval 0: no loop");
    h.clock.advance(1_000);
    let p = pool.clone();
    h.block_on(async move { p.maintain().await });
    h.run();
    assert_eq!(counts(&pool.stats()), (0, 0, 0, 0, 1));
    assert_eq!(h.server.deletes().len(), 1);
}

#[test]
fn the_loop_stops_and_leaves_no_timer_when_the_pool_closes() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(1_000, 0));
    drop(get_now(&mut h, &pool));
    assert_eq!(h.clock.pending_timers(), 1, "the loop's timer");
    let p = pool.clone();
    h.block_on(async move { p.close().await });
    h.run();
    assert_eq!(h.clock.pending_timers(), 0);
    h.advance(5_000);
    assert_eq!(h.server.count("ping"), 0);
}

#[test]
fn the_loop_ends_when_the_pool_is_dropped() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options(1_000, 0));
    drop(get_now(&mut h, &pool));
    drop(pool);
    h.run();
    assert_eq!(h.clock.pending_timers(), 0);
    h.advance(5_000);
    assert_eq!(h.server.count("ping"), 0);
}
