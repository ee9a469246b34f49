//! Handing out leases: the fast path, the FIFO queue, opening sessions on a waiter's behalf,
//! and taking leases back.

use std::rc::Rc;

use futures_util::future;

use super::breaker::Allow;
use super::identity::Identity;
use super::server::{Grant, Opener, Pick, Server, Taken};
use super::{Enqueued, Lease, PoolInner, PoolState};
use crate::error::Error;
use crate::runtime::Runtime;
use crate::session::{NotificationHandler, Session};

impl PoolInner {
    /// Serves a getter at once when nobody is queued and a session is available; otherwise
    /// queues it and lets [`PoolInner::dispatch`] decide (which may open a session for it).
    pub(super) fn enqueue(
        self: &Rc<Self>,
        name: &str,
        identity: Identity,
    ) -> Result<Enqueued, Error> {
        let now = self.rt.clock.now_ms();
        let mut expired = CloseLater {
            pool: self,
            sessions: Vec::new(),
        };
        let queued = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return Err(Error::PoolClosed);
            }
            let server = state
                .servers
                .get_mut(name)
                .ok_or_else(|| Error::UnknownServer {
                    server: name.to_owned(),
                })?;
            server.reap_stale_opens(now);
            // Lazy maintenance for runtimes whose timers die (Workers): an expired idle session
            // is never handed out; it is closed in the background, off the getter's path.
            expired.sessions = server.take_expired(now, self.options.idle_timeout_ms);
            if server.is_empty() {
                if let Some(retry_in_ms) = server.breaker.blocks(now) {
                    return Err(Error::CircuitOpen {
                        server: name.to_owned(),
                        retry_in_ms,
                    });
                }
            }
            // Nobody of its identity queued before it: an idle or shareable session of its own
            // is its at once.
            if !server.waiters.iter().any(|w| w.identity == identity) {
                if let Pick::Idle(i) | Pick::Share(i) = server.pick(&identity, now) {
                    if let Some((lease, taken)) = self.lease_on(server, i, now) {
                        return Ok(Enqueued::Ready(lease, taken));
                    }
                }
            }
            Self::new_waiter(&mut state, name, identity)
        };
        let Some((rx, server_id, waiter_id, timeout_ms)) = queued else {
            return Err(Error::UnknownServer {
                server: name.to_owned(),
            });
        };
        self.dispatch(server_id);
        Ok(Enqueued::Waiting {
            rx,
            server_id,
            waiter_id,
            timeout_ms,
        })
    }

    /// Takes one lease on the session at `index`, and says how (see [`Taken`]).
    fn lease_on(
        self: &Rc<Self>,
        server: &mut Server,
        index: usize,
        now: u64,
    ) -> Option<(Lease, Taken)> {
        let probe_after = server.limits.probe_idle_after_ms;
        let conn = server.conns.get_mut(index)?;
        // Quiet since its last successful exchange, or since it joined the pool: a session
        // resumed from a snapshot is taken as alive at its restore (no request before its first
        // use, as a restore promises; a forgotten one re-initializes on its `404` as before).
        let quiet_since = conn.session.last_ok_ms().max(conn.opened_ms);
        let taken = Taken {
            first: !conn.used,
            probe: conn.leases == 0
                && probe_after > 0
                && crate::time::expired(now, quiet_since, probe_after),
        };
        conn.used = true;
        conn.leases += 1;
        conn.last_used_ms = now;
        let lease = Lease {
            pool: Rc::downgrade(self),
            pool_id: self.id,
            server: server.name.clone(),
            server_id: server.id,
            conn_id: conn.id,
            session: conn.session.clone(),
            released: std::cell::Cell::new(false),
        };
        Some((lease, taken))
    }

    /// Serves queued getters in FIFO order (per identity; the first in line gets a free slot)
    /// for as long as something can be handed out, and starts session opens for waiters while
    /// the server is under its maximum.
    pub(super) fn dispatch(self: &Rc<Self>, server_id: u64) {
        let now = self.rt.clock.now_ms();
        let mut grants = Vec::new();
        let mut opens = Vec::new();
        let mut evicted = CloseLater {
            pool: self,
            sessions: Vec::new(),
        };
        {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return;
            }
            let Some(server) = state.server_by_id(server_id) else {
                return;
            };
            server.reap_stale_opens(now);
            // One pass over the queue in arrival order: each waiter takes what its identity can
            // have now. What is handed out only shrinks what is left, so a waiter passed over
            // stays passed over until the next dispatch.
            let mut at = 0;
            while let Some(waiter) = server.waiters.get(at) {
                let identity = waiter.identity.clone();
                let open_pending = waiter.open_pending;
                match server.pick(&identity, now) {
                    Pick::Idle(i) => {
                        let waiter = server.waiters.remove(at);
                        if waiter.open_pending {
                            server.hand_over_open(waiter.id);
                        }
                        if let Some((lease, taken)) = self.lease_on(server, i, now) {
                            grants.push((waiter.tx, Grant::Lease(lease, taken)));
                        }
                    }
                    // A waiter whose own session is opening waits for it: sessions fill up to
                    // the cap before they are shared.
                    Pick::Share(i) if !open_pending => {
                        let waiter = server.waiters.remove(at);
                        if let Some((lease, taken)) = self.lease_on(server, i, now) {
                            grants.push((waiter.tx, Grant::Lease(lease, taken)));
                        }
                    }
                    pick @ (Pick::Open | Pick::Evict(_)) if !open_pending => {
                        if let Allow::No(_) = server.breaker.allow(now) {
                            break;
                        }
                        if let Pick::Evict(i) = pick {
                            if i < server.conns.len() {
                                evicted.sessions.push(server.conns.remove(i).session);
                            }
                        }
                        match server.opener_for(&identity) {
                            Ok(opener) => {
                                let waiter_id = server.waiters.get(at).map_or(0, |w| w.id);
                                if let Some(waiter) = server.waiters.get_mut(at) {
                                    waiter.open_pending = true;
                                }
                                let open_id = server.start_open(waiter_id, identity, now);
                                opens.push((open_id, opener));
                                at += 1;
                            }
                            Err(e) => {
                                let waiter = server.waiters.remove(at);
                                grants.push((waiter.tx, Grant::Fail(e)));
                            }
                        }
                    }
                    _ => at += 1,
                }
            }
            server.prune_partitions();
            if server.is_empty() {
                if let Some(retry_in_ms) = server.breaker.blocks(now) {
                    let error = Error::CircuitOpen {
                        server: server.name.to_string(),
                        retry_in_ms,
                    };
                    for waiter in server.waiters.drain(..) {
                        grants.push((waiter.tx, Grant::Fail(error.clone())));
                    }
                }
            }
        }
        for (tx, grant) in grants {
            // A getter that left in the meantime: dropping the grant releases its lease.
            drop(tx.send(grant));
        }
        for (open_id, opener) in opens {
            self.spawn_open(server_id, open_id, opener);
        }
    }

    /// Opens a session in the background (open `open_id`, recorded with the waiter it is for). The open is not tied to the
    /// getter: if the getter gives up, the session still joins the pool for the next one. (In
    /// Workers the task belongs to the getter's request and may die with it: such an open is
    /// reaped after its timeout, see [`Server::reap_stale_opens`].)
    pub(super) fn spawn_open(self: &Rc<Self>, server_id: u64, open_id: u64, opener: Opener) {
        let Opener {
            config,
            link,
            rt,
            identity,
        } = opener;
        let weak = Rc::downgrade(self);
        let handler = self.forwarding_handler(identity);
        let timeout_ms = config.request_timeout_ms;
        let mut config = (*config).clone();
        // By default the standalone stream opens when something would hear it: the server's
        // handlers (the session checks those) or the pool's notification handler.
        if config.server_stream.is_none() && self.on_notification.borrow().is_some() {
            config.server_stream = Some(true);
        }
        self.rt.spawner.spawn(Box::pin(async move {
            let result = Session::connect_via(config, link, rt.clone(), Some(handler)).await;
            match weak.upgrade() {
                Some(pool) => pool.finish_open(server_id, open_id, result),
                None => {
                    if let Ok(session) = result {
                        close_bounded(session, &rt, timeout_ms).await;
                    }
                }
            }
        }));
    }

    fn finish_open(self: &Rc<Self>, server_id: u64, open_id: u64, result: Result<Session, Error>) {
        let now = self.rt.clock.now_ms();
        let mut orphan = None;
        let mut failed = None;
        {
            let mut state: std::cell::RefMut<'_, PoolState> = self.state.borrow_mut();
            let conn_id = state.next_id();
            let closed = state.closed;
            match state.server_by_id(server_id) {
                None => orphan = result.ok(),
                Some(server) => {
                    // The waiter the open is for now (it may have been handed over); none when
                    // it was presumed dead and reaped: its session is welcome all the same.
                    let (waiter_id, identity) = server
                        .end_open(open_id)
                        .map_or((0, None), |o| (o.waiter_id, o.identity));
                    match result {
                        Ok(session) if closed => orphan = Some(session),
                        Ok(session) => {
                            server.push_idle(conn_id, session, identity, now);
                            server.counters.total_connections += 1;
                            server.breaker.success();
                            if let Some(waiter) =
                                server.waiters.iter_mut().find(|w| w.id == waiter_id)
                            {
                                waiter.open_pending = false;
                            }
                        }
                        Err(e) => {
                            server.counters.connection_errors += 1;
                            server.breaker.failure(
                                now,
                                self.options.circuit_breaker_threshold,
                                self.options.circuit_breaker_cooldown_ms,
                            );
                            failed = server.remove_waiter(waiter_id).map(|w| (w, e));
                        }
                    }
                }
            }
        }
        if let Some((waiter, error)) = failed {
            drop(waiter.tx.send(Grant::Fail(error)));
        }
        if let Some(session) = orphan {
            self.spawn_close(session);
        }
        self.dispatch(server_id);
    }

    /// Takes one lease back; a broken session, or one past the session lifetime, whose last lease
    /// returns is closed.
    pub(super) fn release_conn(self: &Rc<Self>, server_id: u64, conn_id: u64) {
        let now = self.rt.clock.now_ms();
        let mut to_close = None;
        {
            let mut state = self.state.borrow_mut();
            let Some(server) = state.server_by_id(server_id) else {
                return;
            };
            let Some(index) = server.conn_index(conn_id) else {
                return;
            };
            if let Some(conn) = server.conns.get_mut(index) {
                conn.leases = conn.leases.saturating_sub(1);
                if conn.leases == 0 {
                    conn.idle_since_ms = now;
                }
            }
            // Past its lifetime, it took no new lease since: it goes with its last one.
            let close = server
                .conns
                .get(index)
                .is_some_and(|c| c.leases == 0 && (c.broken || server.aged(c, now)));
            if close {
                let conn = server.conns.remove(index);
                if !conn.broken {
                    server.counters.retired_connections += 1;
                }
                to_close = Some(conn.session);
            }
        }
        if let Some(session) = to_close {
            self.spawn_close(session);
        }
        self.dispatch(server_id);
    }

    /// Stops handing out a session that failed at the transport level; closes it once idle.
    pub(super) fn mark_broken(self: &Rc<Self>, server_id: u64, conn_id: u64) {
        let mut to_close = None;
        {
            let mut state = self.state.borrow_mut();
            let Some(server) = state.server_by_id(server_id) else {
                return;
            };
            let Some(index) = server.conn_index(conn_id) else {
                return;
            };
            if let Some(conn) = server.conns.get_mut(index) {
                conn.broken = true;
                if conn.leases == 0 {
                    to_close = Some(server.conns.remove(index).session);
                }
            }
        }
        if let Some(session) = to_close {
            self.spawn_close(session);
        }
        self.dispatch(server_id);
    }

    /// Closes a session in the background, bounded by its server's request timeout.
    pub(super) fn spawn_close(&self, session: Session) {
        let rt = self.rt.clone();
        let timeout_ms = self.options.request_timeout_ms;
        self.rt.spawner.spawn(Box::pin(async move {
            close_bounded(session, &rt, timeout_ms).await
        }));
    }

    /// A notification handler for the sessions of `identity` that forwards to the pool's
    /// current handler.
    pub(super) fn forwarding_handler(self: &Rc<Self>, identity: Identity) -> NotificationHandler {
        let weak = Rc::downgrade(self);
        Rc::new(move |server, notification| {
            let Some(pool) = weak.upgrade() else { return };
            if notification.method == crate::protocol::methods::TOOLS_LIST_CHANGED {
                pool.invalidate_tools(server);
            }
            let handler = pool.on_notification.borrow().clone();
            if let Some(handler) = handler {
                handler(server, identity.as_deref(), notification);
            }
        })
    }
}

/// Sessions to close in the background once the current operation is done (whatever way it
/// returns).
struct CloseLater<'a> {
    pool: &'a Rc<PoolInner>,
    sessions: Vec<Session>,
}

impl Drop for CloseLater<'_> {
    fn drop(&mut self) {
        for session in self.sessions.drain(..) {
            self.pool.spawn_close(session);
        }
    }
}

/// Closes `session`, giving up after `timeout_ms` (a hung server must not keep a task alive).
pub(super) async fn close_bounded(session: Session, rt: &Runtime, timeout_ms: u64) {
    let close = Box::pin(async move { session.close().await });
    let _ = future::select(close, rt.clock.sleep(timeout_ms)).await;
}
