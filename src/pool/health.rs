//! The health loop and one maintenance pass: idle eviction and pings of quiet sessions.
//!
//! The loop holds only a `Weak` reference to the pool between passes and ends when the pool is
//! closed or dropped; its pending timer is dropped (cancelled) with it. It is started lazily by
//! the first `get`, never by the constructor.

use std::rc::Rc;

use futures_util::future::{AbortHandle, Abortable, LocalBoxFuture};

use super::breaker::{Allow, CircuitState};
use super::dispatch::close_bounded;
use super::PoolInner;
use crate::session::Session;
use crate::time::expired;
use futures_util::future::join_all;

impl PoolInner {
    /// Starts the timer-driven health loop if it is enabled and not running. A loop whose timer
    /// stopped firing (in Workers, timers die with the request that started them) is replaced.
    pub(super) fn ensure_health_loop(self: &Rc<Self>) {
        let interval = self.options.health_check_interval_ms;
        if interval == 0 {
            return;
        }
        let now = self.rt.clock.now_ms();
        let registration = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return;
            }
            if let Some(running) = &state.health {
                if !expired(
                    now,
                    state.health_tick_ms,
                    interval.saturating_mul(2).saturating_add(1_000),
                ) {
                    return;
                }
                running.abort();
            }
            let (handle, registration) = AbortHandle::new_pair();
            state.health = Some(handle);
            state.health_tick_ms = now;
            registration
        };
        let weak = Rc::downgrade(self);
        let clock = self.rt.clock.clone();
        let task = async move {
            loop {
                clock.sleep_in_background(interval).await;
                let Some(pool) = weak.upgrade() else { break };
                {
                    let mut state = pool.state.borrow_mut();
                    if state.closed {
                        break;
                    }
                    state.health_tick_ms = pool.rt.clock.now_ms();
                }
                pass(&pool).await;
            }
        };
        self.rt.spawner.spawn(Box::pin(async move {
            let _ = Abortable::new(task, registration).await;
        }));
    }
}

/// A session picked for a health check.
struct Check {
    server_id: u64,
    conn_id: u64,
    session: Session,
}

/// One pass: closes idle sessions past the idle timeout (and broken or closed idle ones), then
/// pings idle sessions that had no successful exchange within the health interval; a failed
/// ping evicts and closes the session.
pub(super) async fn pass(pool: &Rc<PoolInner>) {
    let interval = pool.options.health_check_interval_ms;
    let idle_timeout = pool.options.idle_timeout_ms;
    let now = pool.rt.clock.now_ms();
    let mut evicted: Vec<Session> = Vec::new();
    let mut checks: Vec<Check> = Vec::new();
    let mut touched: Vec<u64> = Vec::new();
    let mut probes = Vec::new();
    {
        let mut state = pool.state.borrow_mut();
        if state.closed {
            return;
        }
        for server in state.servers.values_mut() {
            touched.push(server.id);
            server.reap_stale_opens(now);
            // An open circuit past its cooldown, with nobody waiting to probe it: probe it now,
            // so the pool recovers by itself once the server is back.
            if server.is_empty()
                && server.waiters.is_empty()
                && server.breaker.state() == CircuitState::Open
                && server.breaker.allow(now) == Allow::Probe
            {
                let open_id = server.start_open(0, None, now);
                probes.push((server.id, open_id, server.opener()));
            }
            evicted.extend(server.take_expired(now, idle_timeout));
            if interval == 0 {
                continue;
            }
            for conn in server.conns.iter_mut() {
                if conn.leases == 0
                    && !conn.checking
                    && expired(now, conn.session.last_ok_ms(), interval)
                {
                    conn.checking = true;
                    checks.push(Check {
                        server_id: server.id,
                        conn_id: conn.id,
                        session: conn.session.clone(),
                    });
                }
            }
        }
    }
    for (server_id, open_id, opener) in probes {
        // No waiter: the session joins the pool idle, and its outcome drives the breaker.
        pool.spawn_open(server_id, open_id, opener);
    }
    let ping_timeout = pool.options.request_timeout_ms.min(interval.max(1));
    // Closes are awaited, not spawned: a pass handed to a Worker's `ctx.waitUntil()` then covers
    // every DELETE it issues.
    let close_timeout = pool.options.request_timeout_ms;
    // One join for both, closes and pings (boxed to one type): they run concurrently.
    let closing = evicted.into_iter().map(|s| {
        let close: LocalBoxFuture<'_, Option<(Check, bool)>> = Box::pin(async move {
            close_bounded(s, &pool.rt, close_timeout).await;
            None
        });
        close
    });
    let pings = checks.into_iter().map(|check| {
        Box::pin(async move {
            let ok = probe(check.session.clone(), ping_timeout).await;
            Some((check, ok))
        }) as LocalBoxFuture<'_, _>
    });
    let results = join_all(closing.chain(pings)).await.into_iter().flatten();
    let mut dead: Vec<Session> = Vec::new();
    {
        let mut state = pool.state.borrow_mut();
        for (check, ok) in results {
            let Some(server) = state.server_by_id(check.server_id) else {
                continue;
            };
            server.record_check(ok, now, &pool.options);
            let Some(index) = server.conn_index(check.conn_id) else {
                continue;
            };
            let Some(conn) = server.conns.get_mut(index) else {
                continue;
            };
            conn.checking = false;
            if !ok {
                if conn.leases == 0 {
                    dead.push(server.conns.remove(index).session);
                } else {
                    conn.broken = true;
                }
            }
        }
    }
    join_all(
        dead.into_iter()
            .map(|s| close_bounded(s, &pool.rt, ping_timeout)),
    )
    .await;
    for server_id in touched {
        pool.dispatch(server_id);
    }
}

/// Asks whether a session is alive: `ping` (in the stateless era the session answers it with a
/// `server/discover`), within `timeout_ms`. What the health loop and the probe on acquire send.
pub(super) async fn probe(session: Session, timeout_ms: u64) -> bool {
    session.ping(Some(timeout_ms)).await.is_ok()
}
