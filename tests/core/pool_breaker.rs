//! The per-server circuit breaker: closed → open after repeated failures (getters then fail
//! fast, sending nothing) → half-open probe after the cooldown → closed when the server is back.

use crate::support::{get_now, pool_with, spawn_get, Harness, NAME};
use mcp_edge_pool::CircuitState;
use mcp_edge_pool::PoolOptions;

fn options() -> PoolOptions {
    PoolOptions {
        health_check_interval_ms: 10_000,
        circuit_breaker_threshold: 3,
        circuit_breaker_cooldown_ms: 5_000,
        ..PoolOptions::default()
    }
}

fn circuit(pool: &mcp_edge_pool::Pool) -> CircuitState {
    pool.stats().servers.get(NAME).expect("listed").circuit
}

#[test]
fn repeated_connect_failures_open_the_circuit_and_getters_fail_fast() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options());
    h.server.set_down(true);
    for _ in 0..3 {
        let g = spawn_get(&h, &pool);
        h.run();
        assert_eq!(
            g.output("get").map(|_| ()).map_err(|e| e.code()),
            Err("CONNECT_FAILED")
        );
    }
    assert_eq!(circuit(&pool), CircuitState::Open);
    let sent = h.server.log().len();
    let fast = spawn_get(&h, &pool);
    h.run();
    let error = fast.output("fast").expect_err("fails fast");
    assert_eq!(error.code(), "CIRCUIT_OPEN");
    assert_eq!(
        h.server.log().len(),
        sent,
        "nothing was sent while the circuit is open"
    );
    let stats = pool.stats();
    assert_eq!((stats.connection_errors, stats.waiting), (3, 0));
    assert_eq!(stats.servers.get(NAME).expect("listed").circuit_opens, 1);
}

#[test]
fn waiters_queued_behind_the_failing_opens_are_failed_fast_too() {
    let mut h = Harness::new();
    let pool = pool_with(
        &h,
        PoolOptions {
            max_connections_per_server: 1,
            ..options()
        },
    );
    h.server.set_down(true);
    let getters: Vec<_> = (0..10).map(|_| spawn_get(&h, &pool)).collect();
    h.run();
    let codes: Vec<_> = getters
        .iter()
        .map(|g| g.output("get").map(|_| ()).map_err(|e| e.code()))
        .collect();
    let failed_connects = codes
        .iter()
        .filter(|c| **c == Err("CONNECT_FAILED"))
        .count();
    let fast = codes.iter().filter(|c| **c == Err("CIRCUIT_OPEN")).count();
    assert_eq!((failed_connects, fast), (3, 7), "{codes:?}");
    assert_eq!(h.server.count("initialize"), 3);
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn the_health_loop_probes_and_closes_the_circuit_once_the_server_is_back() {
    let mut h = Harness::new();
    let pool = pool_with(&h, options());
    drop(get_now(&mut h, &pool));
    h.server.set_down(true);
    // Three failed health pings in a row (each evicts the session it checked, then the pool is
    // empty): the first ping fails and evicts; the getters' opens fail twice more.
    h.advance(10_000);
    for _ in 0..2 {
        let g = spawn_get(&h, &pool);
        h.run();
        assert!(g.output("get").is_err());
    }
    assert_eq!(circuit(&pool), CircuitState::Open);
    h.server.set_down(false);
    let before = h.server.count("initialize");
    // Within one health interval the loop probes (cooldown 5 s < interval 10 s) and recovers.
    h.advance(10_000);
    assert_eq!(h.server.count("initialize"), before + 1, "one probe");
    assert_eq!(circuit(&pool), CircuitState::Closed);
    assert_eq!(
        pool.stats().idle_connections,
        1,
        "the probe's session joined the pool"
    );
    let lease = get_now(&mut h, &pool);
    assert!(lease.session().is_ok());
    assert_eq!(
        h.server.count("initialize"),
        before + 1,
        "the getter reused the probe's session"
    );
}

#[test]
fn after_the_cooldown_one_getter_probes_and_a_failed_probe_reopens() {
    let mut h = Harness::new();
    let pool = pool_with(
        &h,
        PoolOptions {
            health_check_interval_ms: 0,
            ..options()
        },
    );
    h.server.set_down(true);
    for _ in 0..3 {
        let g = spawn_get(&h, &pool);
        h.run();
        assert!(g.output("get").is_err());
    }
    h.clock.advance(5_000);
    let probe = spawn_get(&h, &pool);
    h.run();
    assert_eq!(
        probe.output("probe").map(|_| ()).map_err(|e| e.code()),
        Err("CONNECT_FAILED")
    );
    assert_eq!(
        circuit(&pool),
        CircuitState::Open,
        "a failed probe reopens at once"
    );
    h.clock.advance(5_000);
    h.server.set_down(false);
    let probe = spawn_get(&h, &pool);
    h.run();
    assert!(probe.output("probe").is_ok());
    assert_eq!(circuit(&pool), CircuitState::Closed);
}

#[test]
fn a_threshold_of_zero_disables_the_breaker() {
    let mut h = Harness::new();
    let pool = pool_with(
        &h,
        PoolOptions {
            circuit_breaker_threshold: 0,
            ..options()
        },
    );
    h.server.set_down(true);
    for _ in 0..6 {
        let g = spawn_get(&h, &pool);
        h.run();
        assert_eq!(
            g.output("get").map(|_| ()).map_err(|e| e.code()),
            Err("CONNECT_FAILED")
        );
    }
    assert_eq!(circuit(&pool), CircuitState::Closed);
}
