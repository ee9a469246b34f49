//! Request-scoped runtimes (Cloudflare Workers): work started during a request that ends is
//! dropped and never settles. The pool must get its capacity back and keep working.

use std::cell::Cell;
use std::rc::Rc;

use crate::support::{limits, spawn_get, spawn_get_timeout, Harness, NAME, URL};
use futures_util::future::LocalBoxFuture;
use mcp_edge_pool::{Pool, PoolOptions, Runtime, ServerOptions, Spawner};

/// A spawner whose tasks die at once while `dead` is set, like tasks of a finished request.
struct ScopedSpawner {
    inner: Rc<dyn Spawner>,
    dead: Rc<Cell<bool>>,
}

impl Spawner for ScopedSpawner {
    fn spawn(&self, task: LocalBoxFuture<'static, ()>) {
        if self.dead.get() {
            drop(task);
        } else {
            self.inner.spawn(task);
        }
    }
}

fn scoped_pool(h: &Harness, options: PoolOptions) -> (Pool, Rc<Cell<bool>>) {
    let dead = Rc::new(Cell::new(false));
    let base = h.runtime();
    let spawner = Rc::new(ScopedSpawner {
        inner: base.spawner.clone(),
        dead: dead.clone(),
    });
    let rt = Runtime::new(base.transport.clone(), base.clock.clone(), spawner);
    let pool = Pool::new(options, rt).expect("pool");
    pool.register_http(NAME, URL, ServerOptions::default())
        .expect("register");
    (pool, dead)
}

#[test]
fn an_open_that_died_with_its_request_is_reaped_after_its_timeout() {
    let mut h = Harness::new();
    let options = PoolOptions {
        request_timeout_ms: 2_000,
        health_check_interval_ms: 0,
        ..limits(1, None)
    };
    let (pool, dead) = scoped_pool(&h, options);
    dead.set(true);
    let first = spawn_get_timeout(&h, &pool, 1_000);
    h.advance(1_000);
    assert_eq!(
        first.output("first").map(|_| ()).map_err(|e| e.code()),
        Err("ACQUIRE_TIMEOUT")
    );
    assert_eq!(
        pool.stats().opening_connections,
        1,
        "the dead open still holds the only slot"
    );
    assert_eq!(h.server.count("initialize"), 0);

    dead.set(false);
    // Before the open's timeout plus grace the slot stays taken...
    let early = spawn_get_timeout(&h, &pool, 100);
    h.advance(100);
    assert!(early.output("early").is_err());
    // ...after it, the next getter reaps it and opens a fresh session.
    h.clock.advance(2_000 + 5_000);
    let late = spawn_get(&h, &pool);
    h.run();
    assert!(late.output("late").is_ok());
    let stats = pool.stats();
    assert_eq!((stats.opening_connections, stats.total_connections), (0, 1));
    assert_eq!(h.server.count("initialize"), 1);
}

#[test]
fn a_slow_open_within_its_timeout_is_not_reaped_or_doubled() {
    let mut h = Harness::new();
    h.server.delay_initialize_ms(10_000);
    let options = PoolOptions {
        request_timeout_ms: 20_000,
        acquire_timeout_ms: 30_000,
        health_check_interval_ms: 0,
        ..limits(1, None)
    };
    let (pool, _dead) = scoped_pool(&h, options);
    let slow = spawn_get(&h, &pool);
    h.advance(9_000);
    let second = spawn_get(&h, &pool);
    h.run();
    assert_eq!(pool.stats().opening_connections, 1, "still the one open");
    h.advance(1_000);
    assert!(slow.output("slow").is_ok());
    assert!(second.output("second").is_ok(), "shares the one session");
    let stats = pool.stats();
    assert_eq!(
        (
            stats.opening_connections,
            stats.total_connections,
            stats.leases
        ),
        (0, 1, 0)
    );
    assert_eq!(h.server.count("initialize"), 1);
}

#[test]
fn without_a_health_loop_get_still_retires_expired_idle_sessions() {
    let mut h = Harness::new();
    let options = PoolOptions {
        idle_timeout_ms: 1_000,
        health_check_interval_ms: 0,
        ..limits(2, None)
    };
    let (pool, _dead) = scoped_pool(&h, options);
    let first = spawn_get(&h, &pool);
    h.run();
    drop(first.output("first").expect("lease"));
    assert_eq!(pool.stats().idle_connections, 1);
    h.clock.advance(999);
    let again = spawn_get(&h, &pool);
    h.run();
    drop(again.output("again").expect("reused"));
    assert_eq!(h.server.count("initialize"), 1, "not yet expired: reused");
    h.clock.advance(1_000);
    let fresh = spawn_get(&h, &pool);
    h.run();
    assert!(fresh.output("fresh").is_ok());
    assert_eq!(
        h.server.count("initialize"),
        2,
        "the expired session was not handed out"
    );
    assert_eq!(
        h.server.deletes().len(),
        1,
        "it was closed in the background"
    );
    assert_eq!(pool.stats().total_connections, 2);
}
