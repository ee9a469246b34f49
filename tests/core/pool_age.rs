//! Sessions that age well (issue #20): the session lifetime (no new lease past it, `DELETE` with
//! the last lease), the probe of a quiet idle session before `get` hands it out (a failed one
//! evicts it and the getter gets another), and the acquisition stats (hits, misses, waits and the
//! time spent waiting). All on the manual clock: no assertion depends on real time.

use std::cell::Cell;
use std::rc::Rc;

use crate::support::{
    counts, get_now, legacy, spawn_get, spawn_get_timeout, FakeServer, Harness, NAME, URL,
};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::{
    HttpRequest, HttpResponse, HttpTransport, Pool, PoolOptions, ServerOptions, TransportError,
};

/// No health loop (as in a Worker whose timers died with their request), no idle eviction.
fn quiet(lifetime_ms: u64, probe_ms: Option<u64>) -> PoolOptions {
    PoolOptions {
        health_check_interval_ms: 0,
        idle_timeout_ms: 0,
        max_session_lifetime_ms: lifetime_ms,
        probe_idle_after_ms: probe_ms,
        ..PoolOptions::default()
    }
}

fn pool(h: &Harness, options: PoolOptions) -> Pool {
    let pool = Pool::new(options, h.runtime()).expect("valid options");
    pool.register_http(NAME, URL, legacy()).expect("registered");
    pool
}

// ---------- the session lifetime ----------

#[test]
fn a_session_past_its_lifetime_takes_no_new_lease_and_closes_with_its_last_one() {
    let mut h = Harness::new();
    let options = PoolOptions {
        max_connections_per_server: 1,
        ..quiet(60_000, None)
    };
    let pool = pool(&h, options);
    let old = get_now(&mut h, &pool);
    let old_session = old.session().expect("live").clone();
    h.advance(59_999);
    let shared = get_now(&mut h, &pool);
    assert!(
        shared.session().expect("live").ptr_eq(&old_session),
        "still young: shared (at the cap, no lease cap)"
    );
    drop(shared);
    h.advance(1);
    let young = spawn_get(&h, &pool);
    h.run();
    assert!(
        !young.is_done(),
        "at 60 s it takes no new lease: the getter waits"
    );
    assert!(h.server.deletes().is_empty(), "not closed under a lease");
    h.call_echo(&old_session)
        .expect("the lease still out keeps working");
    drop(old);
    h.run();
    assert_eq!(
        h.server.deletes().len(),
        1,
        "DELETE once its last lease returned"
    );
    assert!(old_session.is_closed());
    let young = young.output("get").expect("a new session");
    assert!(!young.session().expect("live").ptr_eq(&old_session));
    assert_eq!(h.server.count("initialize"), 2);
    let stats = pool.stats();
    assert_eq!(stats.retired_connections, 1);
    assert_eq!(stats.servers[NAME].retired_connections, 1);
    assert_eq!(counts(&stats), (1, 0, 0, 1, 2));
}

#[test]
fn an_idle_session_past_its_lifetime_is_closed_by_the_next_get_or_by_maintain() {
    let mut h = Harness::new();
    let pool = pool(&h, quiet(10_000, None));
    drop(get_now(&mut h, &pool));
    h.advance(10_000);
    let lease = get_now(&mut h, &pool);
    h.run();
    assert_eq!(
        h.server.count("initialize"),
        2,
        "a new session for the getter"
    );
    assert_eq!(h.server.deletes().len(), 1, "the aged idle one was closed");
    drop(lease);

    h.advance(10_000);
    let p = pool.clone();
    h.block_on(async move { p.maintain().await });
    h.run();
    assert_eq!(h.server.deletes().len(), 2, "maintain() retires it too");
    assert_eq!(counts(&pool.stats()), (0, 0, 0, 0, 2));
    assert_eq!(pool.stats().retired_connections, 2);
}

#[test]
fn a_getter_waiting_at_the_cap_gets_a_new_session_when_the_aged_one_returns() {
    let mut h = Harness::new();
    let options = PoolOptions {
        max_connections_per_server: 1,
        max_leases_per_connection: Some(1),
        ..quiet(5_000, None)
    };
    let pool = pool(&h, options);
    let old = get_now(&mut h, &pool);
    let old_session = old.session().expect("live").clone();
    h.advance(6_000);
    let waiting = spawn_get(&h, &pool);
    h.run();
    assert!(!waiting.is_done(), "at the cap: it waits");
    assert_eq!(pool.stats().waiting, 1);
    drop(old);
    h.run();
    let lease = waiting.output("get").expect("served");
    assert!(!lease.session().expect("live").ptr_eq(&old_session));
    assert_eq!(h.server.deletes().len(), 1);
    assert_eq!(h.server.count("initialize"), 2);
    let stats = pool.stats();
    assert_eq!(
        (stats.misses, stats.waits),
        (2, 0),
        "both got a session opened for them"
    );
}

#[test]
fn the_server_option_overrides_the_pools_lifetime() {
    let mut h = Harness::new();
    let pool = Pool::new(quiet(0, None), h.runtime()).expect("pool");
    let short = ServerOptions {
        max_session_lifetime_ms: Some(1_000),
        ..legacy()
    };
    pool.register_http("short", URL, short).expect("short");
    pool.register_http("forever", URL, legacy())
        .expect("forever");
    let strict = Pool::new(quiet(1_000, None), h.runtime()).expect("pool");
    let exempt = ServerOptions {
        max_session_lifetime_ms: Some(0),
        ..legacy()
    };
    strict.register_http("exempt", URL, exempt).expect("exempt");
    let get = |h: &mut Harness, pool: &Pool, name: &'static str| {
        let p = pool.clone();
        drop(h.block_on(async move { p.get(name).await }).expect("lease"));
    };
    for (p, name) in [(&pool, "short"), (&pool, "forever"), (&strict, "exempt")] {
        get(&mut h, p, name);
    }
    h.advance(3_600_000);
    for (p, name) in [(&pool, "short"), (&pool, "forever"), (&strict, "exempt")] {
        get(&mut h, p, name);
    }
    h.run();
    assert_eq!(pool.stats().servers["short"].retired_connections, 1);
    assert_eq!(pool.stats().servers["short"].total_connections, 2);
    assert_eq!(
        pool.stats().servers["forever"].total_connections,
        1,
        "pool default: no limit"
    );
    assert_eq!(
        strict.stats().servers["exempt"].total_connections,
        1,
        "0 exempts the server"
    );
}

// ---------- the probe on acquire ----------

#[test]
fn a_quiet_idle_session_is_pinged_before_it_is_handed_out() {
    let mut h = Harness::new();
    let pool = pool(&h, quiet(0, Some(30_000)));
    let first = get_now(&mut h, &pool);
    let session = first.session().expect("live").clone();
    drop(first);
    h.advance(29_999);
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("ping"), 0, "fresh enough: no probe");
    h.advance(30_000);
    let lease = get_now(&mut h, &pool);
    assert_eq!(h.server.count("ping"), 1, "quiet for 30 s: probed");
    assert!(
        lease.session().expect("live").ptr_eq(&session),
        "alive: the same session"
    );
    assert_eq!(pool.stats().health_checks_passed, 1);
    drop(lease);
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("ping"), 1, "the probe made it fresh again");
    assert_eq!(h.server.count("initialize"), 1);
}

#[test]
fn a_shared_or_busy_session_is_not_probed() {
    let mut h = Harness::new();
    let options = PoolOptions {
        max_connections_per_server: 1,
        ..quiet(0, Some(1_000))
    };
    let pool = pool(&h, options);
    let held = get_now(&mut h, &pool);
    h.advance(5_000);
    let shared = get_now(&mut h, &pool);
    assert!(shared
        .session()
        .expect("a")
        .ptr_eq(held.session().expect("b")));
    assert_eq!(h.server.count("ping"), 0, "a session in use is not probed");
}

/// The fake server, with the first `pings` pings refused at the transport (a dead connection,
/// a proxy that lost the session): everything else goes through.
struct FailPings {
    server: FakeServer,
    pings: Cell<usize>,
}

impl HttpTransport for FailPings {
    fn send(
        &self,
        request: HttpRequest,
    ) -> LocalBoxFuture<'static, Result<HttpResponse, TransportError>> {
        let ping = request
            .body
            .as_deref()
            .is_some_and(|b| b.contains(r#""method":"ping""#));
        if ping && self.pings.get() > 0 {
            self.pings.set(self.pings.get() - 1);
            return Box::pin(async { Err(TransportError::network("connection reset")) });
        }
        self.server.send(request)
    }
}

fn pool_failing_pings(h: &Harness, options: PoolOptions, pings: usize) -> Pool {
    let transport = Rc::new(FailPings {
        server: h.server.clone(),
        pings: Cell::new(pings),
    });
    let pool = Pool::new(options, h.runtime_over(transport)).expect("pool");
    pool.register_http(NAME, URL, legacy()).expect("registered");
    pool
}

#[test]
fn a_failed_probe_evicts_the_session_and_the_getter_gets_a_new_one() {
    let mut h = Harness::new();
    let pool = pool_failing_pings(&h, quiet(0, Some(10_000)), 1);
    let first = get_now(&mut h, &pool);
    let stale = first.session().expect("live").clone();
    drop(first);
    h.advance(10_000);
    let lease = get_now(&mut h, &pool);
    h.run();
    assert!(
        !lease.session().expect("live").ptr_eq(&stale),
        "a fresh session"
    );
    assert!(stale.is_closed(), "the stale one was evicted");
    assert_eq!(h.server.deletes().len(), 1, "and DELETEd");
    assert_eq!(h.server.count("initialize"), 2);
    let stats = pool.stats();
    assert_eq!(stats.health_checks_failed, 1);
    assert_eq!(counts(&stats), (1, 0, 0, 1, 2));
    assert_eq!(
        (stats.hits, stats.misses, stats.waits),
        (0, 2, 0),
        "the second get counts once, as what finally served it: a new session"
    );
}

#[test]
fn every_stale_idle_session_that_fails_is_evicted_until_one_answers() {
    let mut h = Harness::new();
    let options = PoolOptions {
        max_leases_per_connection: Some(1),
        ..quiet(0, Some(10_000))
    };
    let pool = pool_failing_pings(&h, options, 2);
    let (a, b, c) = (
        get_now(&mut h, &pool),
        get_now(&mut h, &pool),
        get_now(&mut h, &pool),
    );
    let survivor = a.session().expect("a").clone();
    // Released in this order, c is the most recently used: probed first, then b, then a.
    drop(a);
    drop(b);
    drop(c);
    h.advance(10_000);
    let lease = get_now(&mut h, &pool);
    h.run();
    assert!(lease.session().expect("live").ptr_eq(&survivor));
    assert_eq!(h.server.count("initialize"), 3, "no new session was needed");
    assert_eq!(h.server.deletes().len(), 2);
    assert_eq!(pool.stats().health_checks_failed, 2);
    assert_eq!(pool.stats().health_checks_passed, 1);
}

#[test]
fn the_probe_counts_against_the_acquire_timeout() {
    let mut h = Harness::new();
    let pool = pool(&h, quiet(0, Some(1_000)));
    drop(get_now(&mut h, &pool));
    h.advance(1_000);
    h.server.delay_requests_ms(60_000);
    let getter = spawn_get_timeout(&h, &pool, 5_000);
    h.advance(4_999);
    assert!(!getter.is_done(), "probing");
    h.advance(1);
    let err = getter.output("get").expect_err("timed out");
    assert_eq!(err.code(), "ACQUIRE_TIMEOUT");
    h.run();
    assert_eq!(pool.stats().leases, 0, "the probed session went back");
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn stateless_sessions_are_probed_with_server_discover() {
    let mut h = Harness::new();
    h.server.modern_only();
    let pool = Pool::new(quiet(0, Some(5_000)), h.runtime()).expect("pool");
    pool.register_http(NAME, URL, ServerOptions::default())
        .expect("registered");
    drop(get_now(&mut h, &pool));
    let discovers = h.server.count("server/discover");
    h.advance(5_000);
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("server/discover"), discovers + 1);
    assert_eq!(h.server.count("ping"), 0, "ping is gone in 2026-07-28");
    assert_eq!(pool.stats().health_checks_passed, 1);
}

#[test]
fn by_default_the_probe_threshold_is_the_health_interval() {
    // The loop ticks at 1, 2, 3 s; a session last used at 0.5 s is not quiet at the 1 s tick,
    // and quiet for 1.1 s at 1.6 s: the getter probes it before the loop would (at 2 s).
    let mut h = Harness::new();
    let options = PoolOptions {
        health_check_interval_ms: 1_000,
        idle_timeout_ms: 0,
        ..PoolOptions::default()
    };
    let pool = pool(&h, options);
    let lease = get_now(&mut h, &pool);
    h.advance(500);
    h.block_on(async move {
        lease.ping().await.expect("ping");
    });
    assert_eq!(h.server.count("ping"), 1);
    h.advance(1_100);
    assert_eq!(h.server.count("ping"), 1, "nothing quiet at the 1 s tick");
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("ping"), 2, "probed on acquire");

    // With the loop off (and no threshold set), no probe.
    let mut h = Harness::new();
    let pool = pool_off(&h);
    drop(get_now(&mut h, &pool));
    h.advance(3_600_000);
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("ping"), 0);
}

#[test]
fn a_restored_session_is_taken_as_alive_at_its_restore() {
    let mut h = Harness::new();
    let old = pool(&h, quiet(0, Some(10_000)));
    drop(get_now(&mut h, &old));
    let snapshot = old.snapshot();
    h.advance(3_600_000); // an hour-old snapshot, restored in a new isolate
    let fresh = Pool::new(quiet(0, Some(10_000)), h.runtime()).expect("pool");
    assert_eq!(fresh.restore(snapshot).expect("restore"), 0, "pending");
    fresh
        .register_http(NAME, URL, legacy())
        .expect("registered");
    let posts = h.server.log().len();
    drop(get_now(&mut h, &fresh));
    assert_eq!(
        h.server.log().len(),
        posts,
        "no request before its first use"
    );
    h.advance(10_000);
    drop(get_now(&mut h, &fresh));
    assert_eq!(
        h.server.count("ping"),
        1,
        "quiet 10 s after the restore: probed"
    );
    assert_eq!(
        h.server.count("initialize"),
        1,
        "no handshake in the new pool"
    );
}

fn pool_off(h: &Harness) -> Pool {
    pool(h, quiet(0, None))
}

#[test]
fn the_server_option_overrides_the_pools_probe_threshold() {
    let mut h = Harness::new();
    let pool = Pool::new(quiet(0, Some(1_000)), h.runtime()).expect("pool");
    let never = ServerOptions {
        probe_idle_after_ms: Some(0),
        ..legacy()
    };
    pool.register_http(NAME, URL, never).expect("registered");
    drop(get_now(&mut h, &pool));
    h.advance(60_000);
    drop(get_now(&mut h, &pool));
    assert_eq!(h.server.count("ping"), 0);
}

// ---------- acquisition stats ----------

#[test]
fn hits_misses_and_waits_are_counted_with_the_time_spent_waiting() {
    let mut h = Harness::new();
    let options = PoolOptions {
        max_connections_per_server: 1,
        max_leases_per_connection: Some(1),
        ..quiet(0, None)
    };
    let pool = pool(&h, options);
    let first = get_now(&mut h, &pool); // miss: opened for it
    let second = spawn_get(&h, &pool);
    let third = spawn_get(&h, &pool);
    h.run();
    h.advance(250);
    drop(first);
    h.run();
    let second = second.output("second").expect("served after 250 ms");
    h.advance(100);
    drop(second);
    h.run();
    drop(third.output("third").expect("served after 350 ms"));
    drop(get_now(&mut h, &pool)); // hit: idle
    let stats = pool.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.waits, stats.wait_time_ms),
        (1, 1, 2, 250 + 350)
    );
    let server = &stats.servers[NAME];
    assert_eq!(
        (
            server.hits,
            server.misses,
            server.waits,
            server.wait_time_ms
        ),
        (1, 1, 2, 600)
    );

    // Totals keep the counts of servers since unregistered.
    let p = pool.clone();
    h.block_on(async move { p.unregister(NAME).await })
        .expect("unregistered");
    let stats = pool.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.waits, stats.wait_time_ms),
        (1, 1, 2, 600)
    );
}

#[test]
fn a_failed_get_counts_as_nothing_served() {
    let mut h = Harness::new();
    let pool = pool(&h, quiet(0, None));
    h.server.set_down(true);
    let p = pool.clone();
    let err = h
        .block_on(async move { p.get(NAME).await })
        .expect_err("down");
    assert_eq!(err.code(), "CONNECT_FAILED");
    let stats = pool.stats();
    assert_eq!((stats.hits, stats.misses, stats.waits), (0, 0, 0));
}
