//! `get`: a lease from the queue; a probe of an idle session that sat quiet past the probe
//! threshold, before it is handed out (a failed probe evicts it and the getter tries again); and
//! the acquisition stats (hits, misses, waits and the time spent waiting).

use std::rc::Rc;

use futures_channel::oneshot;
use futures_util::future::{self, Either, FutureExt, LocalBoxFuture};

use super::server::{Grant, Taken};
use super::{health, Enqueued, GetOptions, Lease, PoolInner, WaiterGuard};
use crate::error::Error;
use crate::time::elapsed;

/// The acquire timeout's timer and its length, armed when first needed: a getter served at once
/// and without a probe arms none.
struct Deadline {
    timeout_ms: u64,
    timer: LocalBoxFuture<'static, ()>,
}

impl Deadline {
    /// A timer for what is left of `timeout_ms` since `started`.
    fn arm(pool: &PoolInner, started: u64, timeout_ms: u64) -> Deadline {
        let spent = elapsed(pool.rt.clock.now_ms(), started);
        Deadline {
            timeout_ms,
            timer: pool.rt.clock.sleep(timeout_ms.saturating_sub(spent)),
        }
    }
}

/// See [`super::Pool::get_with`].
pub(super) async fn acquire(
    pool: &Rc<PoolInner>,
    name: &str,
    options: GetOptions,
) -> Result<Lease, Error> {
    pool.ensure_health_loop();
    if let Some(identity) = &options.identity {
        super::identity::check_identity(identity)?;
    }
    let identity: super::identity::Identity = options.identity.as_deref().map(Rc::from);
    let started = pool.rt.clock.now_ms();
    let mut cancel = options
        .cancel
        .unwrap_or_else(|| future::pending().boxed_local());
    let mut deadline: Option<Deadline> = None;
    let timed_out = |d: &Deadline| Error::AcquireTimeout {
        server: name.to_owned(),
        timeout_ms: d.timeout_ms,
    };
    loop {
        let (lease, taken, queued) = match pool.enqueue(name, identity.clone())? {
            Enqueued::Ready(lease, taken) => (lease, taken, false),
            Enqueued::Waiting {
                rx,
                server_id,
                waiter_id,
                timeout_ms,
            } => {
                let waiter = WaiterGuard {
                    pool: Rc::downgrade(pool),
                    server_id,
                    waiter_id,
                };
                let d = deadline.get_or_insert_with(|| {
                    Deadline::arm(pool, started, options.timeout_ms.unwrap_or(timeout_ms))
                });
                let outcome =
                    match future::select(rx, future::select(&mut d.timer, &mut cancel)).await {
                        Either::Left((Ok(Grant::Lease(lease, taken)), _)) => Ok((lease, taken)),
                        Either::Left((Ok(Grant::Fail(e)), _)) => Err(e),
                        Either::Left((Err(oneshot::Canceled), _)) => Err(Error::PoolClosed),
                        Either::Right((Either::Left(_), _)) => Err(timed_out(d)),
                        Either::Right((Either::Right(_), _)) => Err(Error::Aborted),
                    };
                drop(waiter);
                let (lease, taken) = outcome?;
                (lease, taken, true)
            }
        };
        if !taken.probe {
            pool.record_served(&lease, taken, queued, started);
            return Ok(lease);
        }
        let Some((request_timeout_ms, acquire_timeout_ms)) = pool.timeouts_of(lease.server_id)
        else {
            // The server was unregistered meanwhile: its session is being closed.
            return Err(Error::UnknownServer {
                server: name.to_owned(),
            });
        };
        let d = deadline.get_or_insert_with(|| {
            Deadline::arm(
                pool,
                started,
                options.timeout_ms.unwrap_or(acquire_timeout_ms),
            )
        });
        let probe = Box::pin(health::probe(lease.session.clone(), request_timeout_ms));
        match future::select(probe, future::select(&mut d.timer, &mut cancel)).await {
            Either::Left((alive, _)) => {
                pool.probed(&lease, alive);
                if alive {
                    pool.record_served(&lease, taken, queued, started);
                    return Ok(lease);
                }
                // Evicted (closed once this lease, its last, is dropped): try again.
                drop(lease);
            }
            Either::Right((Either::Left(_), _)) => return Err(timed_out(d)),
            Either::Right((Either::Right(_), _)) => return Err(Error::Aborted),
        }
    }
}

impl PoolInner {
    /// The request and acquire timeouts of the server with this id.
    fn timeouts_of(&self, server_id: u64) -> Option<(u64, u64)> {
        let mut state = self.state.borrow_mut();
        let server = state.server_by_id(server_id)?;
        Some((
            server.config.request_timeout_ms,
            server.limits.acquire_timeout_ms,
        ))
    }

    /// Counts a probe on acquire as a health check (it drives the breaker as the health loop's
    /// pings do); a failed one marks the session broken, so that it is closed with its last
    /// lease and handed out no more.
    fn probed(self: &Rc<Self>, lease: &Lease, alive: bool) {
        let now = self.rt.clock.now_ms();
        {
            let mut state = self.state.borrow_mut();
            let Some(server) = state.server_by_id(lease.server_id) else {
                return;
            };
            server.record_check(alive, now, &self.options);
        }
        if !alive {
            self.mark_broken(lease.server_id, lease.conn_id);
        }
    }

    /// Counts a served getter: a hit (served at once), a miss (by a session opened for it) or a
    /// wait (by a session another lease gave back), with the time it waited.
    fn record_served(&self, lease: &Lease, taken: Taken, queued: bool, started: u64) {
        let now = self.rt.clock.now_ms();
        let mut state = self.state.borrow_mut();
        let Some(server) = state.server_by_id(lease.server_id) else {
            return;
        };
        let counters = &mut server.counters;
        if !queued {
            counters.hits += 1;
        } else if taken.first {
            counters.misses += 1;
        } else {
            counters.waits += 1;
            counters.wait_ms = counters.wait_ms.saturating_add(elapsed(now, started));
        }
    }
}
