//! `close()` with waiters, leases and opens outstanding; `unregister`.

use crate::support::{get_now, limits, pool_with, spawn_get, Harness, NAME};

#[test]
fn close_rejects_waiters_and_terminates_every_session() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(2, Some(1)));
    let a = get_now(&mut h, &pool);
    let _b = get_now(&mut h, &pool);
    let waiters: Vec<_> = (0..3).map(|_| spawn_get(&h, &pool)).collect();
    h.run();
    assert_eq!(pool.stats().waiting, 3);

    let p = pool.clone();
    h.block_on(async move { p.close().await });
    for w in &waiters {
        assert_eq!(
            w.output("waiter").map(|_| ()).map_err(|e| e.code()),
            Err("POOL_CLOSED")
        );
    }
    assert_eq!(h.server.deletes().len(), 2, "both sessions DELETEd");
    assert_eq!(h.server.open_sessions(), 0);
    assert!(pool.is_closed());
    let stats = pool.stats();
    assert_eq!(
        (stats.registered_servers, stats.waiting, stats.leases),
        (0, 0, 0)
    );
    assert_eq!(stats.total_connections, 2, "history survives close");

    // Leases still out fail cleanly, and releasing them is harmless.
    let ping = h.block_on(async move {
        let r = a.ping().await;
        (r, a)
    });
    assert_eq!(ping.0.map_err(|e| e.code()), Err("SESSION_CLOSED"));
    assert!(ping.1.release().is_ok());
    let p = pool.clone();
    h.block_on(async move { p.close().await });
    assert!(pool
        .register_http("again", crate::support::URL, Default::default())
        .is_err());
}

#[test]
fn a_session_that_finishes_opening_after_close_is_closed_too() {
    let mut h = Harness::new();
    h.server.delay_initialize_ms(1_000);
    let pool = pool_with(&h, limits(1, None));
    let getter = spawn_get(&h, &pool);
    h.run();
    assert_eq!(pool.stats().opening_connections, 1);
    let p = pool.clone();
    h.block_on(async move { p.close().await });
    assert_eq!(
        getter.output("getter").map(|_| ()).map_err(|e| e.code()),
        Err("POOL_CLOSED")
    );
    h.advance(1_000);
    assert_eq!(h.server.count("initialize"), 1);
    assert_eq!(
        h.server.deletes().len(),
        1,
        "the late session was not leaked"
    );
    assert_eq!(h.server.open_sessions(), 0);
}

#[test]
fn unregister_fails_waiters_and_closes_sessions_but_keeps_history() {
    let mut h = Harness::new();
    let pool = pool_with(&h, limits(1, Some(1)));
    let _held = get_now(&mut h, &pool);
    let waiter = spawn_get(&h, &pool);
    h.run();
    let p = pool.clone();
    h.block_on(async move { p.unregister(NAME).await })
        .expect("unregister");
    assert_eq!(
        waiter.output("waiter").map(|_| ()).map_err(|e| e.code()),
        Err("UNKNOWN_SERVER")
    );
    assert_eq!(h.server.deletes().len(), 1);
    let stats = pool.stats();
    assert_eq!((stats.registered_servers, stats.total_connections), (0, 1));
    assert!(pool.servers().is_empty());
    let p = pool.clone();
    let again = h.block_on(async move { p.unregister(NAME).await });
    assert_eq!(again.map_err(|e| e.code()), Err("UNKNOWN_SERVER"));
}
