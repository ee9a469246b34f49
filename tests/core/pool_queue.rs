//! The FIFO wait queue: order, acquire timeout, abort, and no leaked waiters.

use futures_channel::oneshot;
use std::future::Future;

use crate::support::{
    counts, get_now, limits, pool_with, spawn_get, spawn_get_timeout, Harness, NAME,
};
use futures_util::FutureExt;
use mcp_edge_pool::GetOptions;

#[test]
fn waiters_are_served_in_arrival_order() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let holder = get_now(&mut h, &pool);
    let waiters: Vec<_> = (0..3).map(|_| spawn_get(&h, &pool)).collect();
    h.run();
    assert_eq!(pool.stats().waiting, 3);
    assert!(waiters.iter().all(|w| !w.is_done()));

    holder.release().expect("release");
    h.run();
    assert!(waiters[0].is_done() && !waiters[1].is_done() && !waiters[2].is_done());
    assert_eq!(pool.stats().waiting, 2);
    let first = waiters[0].output("first").expect("lease");

    drop(first);
    h.run();
    assert!(waiters[1].is_done() && !waiters[2].is_done());
    let second = waiters[1].output("second").expect("lease");
    drop(second);
    h.run();
    let third = waiters[2].output("third").expect("lease");
    assert_eq!(counts(&pool.stats()), (1, 0, 0, 1, 1));
    assert_eq!(
        h.server.count("initialize"),
        1,
        "one session served everyone in turn"
    );
    drop(third);
}

#[test]
fn a_waiter_times_out_at_the_acquire_timeout_and_leaves_the_queue() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let _holder = get_now(&mut h, &pool);
    let waiter = spawn_get_timeout(&h, &pool, 1_000);
    h.advance(999);
    assert!(!waiter.is_done());
    assert_eq!(pool.stats().waiting, 1);
    h.advance(1);
    let error = waiter.output("waiter").expect_err("times out");
    assert_eq!(error.code(), "ACQUIRE_TIMEOUT");
    assert_eq!(pool.stats().waiting, 0);
}

#[test]
fn the_default_acquire_timeout_is_the_pools() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let _holder = get_now(&mut h, &pool);
    let waiter = spawn_get(&h, &pool);
    h.advance(9_999);
    assert!(!waiter.is_done());
    h.advance(1);
    assert_eq!(
        waiter.output("waiter").map(|_| ()).map_err(|e| e.code()),
        Err("ACQUIRE_TIMEOUT")
    );
}

#[test]
fn a_timed_out_waiter_does_not_take_the_next_lease() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let holder = get_now(&mut h, &pool);
    let impatient = spawn_get_timeout(&h, &pool, 100);
    let patient = spawn_get(&h, &pool);
    h.advance(100);
    assert!(impatient.output("impatient").is_err());
    holder.release().expect("release");
    h.run();
    let lease = patient
        .output("patient")
        .expect("the patient one is served");
    assert_eq!(counts(&pool.stats()), (1, 0, 0, 1, 1));
    drop(lease);
}

#[test]
fn an_aborted_waiter_leaves_the_queue_with_aborted() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let holder = get_now(&mut h, &pool);
    let (abort, aborted) = oneshot::channel::<()>();
    let p = pool.clone();
    let waiter = h.exec.spawn_task(async move {
        let cancel = aborted.map(|_| ()).boxed_local();
        p.get_with(
            NAME,
            GetOptions {
                timeout_ms: None,
                cancel: Some(cancel),
                identity: None,
            },
        )
        .await
    });
    h.run();
    assert_eq!(pool.stats().waiting, 1);
    abort.send(()).expect("waiter alive");
    h.run();
    assert_eq!(
        waiter.output("waiter").map(|_| ()).map_err(|e| e.code()),
        Err("ABORTED")
    );
    assert_eq!(pool.stats().waiting, 0);
    drop(holder);
    assert_eq!(
        counts(&pool.stats()),
        (0, 1, 0, 0, 1),
        "the lease went back to idle, not to the gone waiter"
    );
}

#[test]
fn a_grant_to_a_getter_that_vanished_goes_back_to_the_pool() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let holder = get_now(&mut h, &pool);
    // Poll a getter once by hand so that it queues, then let the grant reach its channel and
    // drop the getter before it ever reads it.
    let mut getter = Box::pin(pool.get(NAME));
    let waker = futures_util::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(getter.as_mut().poll(&mut cx).is_pending());
    assert_eq!(pool.stats().waiting, 1);
    holder.release().expect("release");
    assert_eq!(pool.stats().leases, 1, "granted to the queued getter");
    drop(getter);
    h.run();
    assert_eq!(
        counts(&pool.stats()),
        (0, 1, 0, 0, 1),
        "the unread grant was released"
    );
    let again = get_now(&mut h, &pool);
    assert!(again.session().is_ok());
}
