//! One registered server's state: its sessions, its wait queue, its counters, and the pure
//! decision of what a getter gets next.

use std::rc::Rc;

use futures_channel::oneshot;

use super::breaker::Breaker;
use super::catalog::CatalogSlot;
use super::identity::{Identity, Partitions};
use super::lease::Lease;
use crate::error::Error;
use crate::options::PoolOptions;
use crate::policy::Limiter;
use crate::runtime::Runtime;
use crate::session::{ServerLink, Session, SessionConfig};

/// What a queued getter is finally handed.
pub(super) enum Grant {
    /// A lease on a session (released again if the getter is gone), and how it was taken.
    Lease(Lease, Taken),
    /// The session opened on this getter's behalf failed to open.
    Fail(Error),
}

/// A getter waiting in the FIFO queue.
pub(super) struct Waiter {
    pub(super) id: u64,
    pub(super) tx: oneshot::Sender<Grant>,
    /// A session is being opened on this waiter's behalf.
    pub(super) open_pending: bool,
    /// Who the session is for.
    pub(super) identity: Identity,
}

/// How a lease was taken from its session, recorded when it is taken: what the getter's stats
/// and its probe on acquire go by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Taken {
    /// The session's first lease: it was opened for a getter (or by a health probe).
    pub(super) first: bool,
    /// The session was idle and quiet past the probe threshold: probe it before handing it out.
    pub(super) probe: bool,
}

/// One session of the server and its use.
pub(super) struct Conn {
    pub(super) id: u64,
    pub(super) session: Session,
    /// Who the session is for: it serves no one else.
    pub(super) identity: Identity,
    pub(super) leases: usize,
    /// When it joined the pool (opened, or resumed from a snapshot): its age counts from here.
    pub(super) opened_ms: u64,
    /// It was leased at least once.
    pub(super) used: bool,
    /// When `leases` last dropped to zero (or the session opened).
    pub(super) idle_since_ms: u64,
    /// When a lease was last taken.
    pub(super) last_used_ms: u64,
    /// A request over it failed at the transport level: hand it out no more, close when idle.
    pub(super) broken: bool,
    /// A health check is running on it.
    pub(super) checking: bool,
}

/// A session open under way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Opening {
    pub(super) id: u64,
    /// The waiter it was started for (0: a health probe).
    pub(super) waiter_id: u64,
    pub(super) started_ms: u64,
    /// Who the session is for.
    pub(super) identity: Identity,
}

/// How long past its own timeout an open may stay unanswered before it is presumed dead: in
/// Cloudflare Workers an open whose request ended never settles at all.
pub(super) const OPEN_GRACE_MS: u64 = 5_000;

/// Cumulative counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Counters {
    pub(super) total_connections: u64,
    pub(super) connection_errors: u64,
    pub(super) health_checks_passed: u64,
    pub(super) health_checks_failed: u64,
    pub(super) restored_connections: u64,
    /// Sessions closed because they outlived the session lifetime.
    pub(super) retired_connections: u64,
    /// Getters served at once by an existing session (idle, or shared).
    pub(super) hits: u64,
    /// Getters served by a session opened for them (they waited for its handshake).
    pub(super) misses: u64,
    /// Getters that queued and were served by an existing session another lease gave back.
    pub(super) waits: u64,
    /// The time the `waits` spent before they were served, in ms, summed.
    pub(super) wait_ms: u64,
}

impl Counters {
    pub(super) fn add(&mut self, other: &Counters) {
        self.total_connections += other.total_connections;
        self.connection_errors += other.connection_errors;
        self.health_checks_passed += other.health_checks_passed;
        self.health_checks_failed += other.health_checks_failed;
        self.restored_connections += other.restored_connections;
        self.retired_connections += other.retired_connections;
        self.hits += other.hits;
        self.misses += other.misses;
        self.waits += other.waits;
        self.wait_ms = self.wait_ms.saturating_add(other.wait_ms);
    }
}

/// Limits in force for one server (pool options with the server's overrides applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Limits {
    pub(super) max_connections: usize,
    pub(super) max_leases: Option<usize>,
    pub(super) acquire_timeout_ms: u64,
    /// Most sessions (open or opening) of one identity.
    pub(super) max_per_identity: Option<usize>,
    /// Sessions older than this take no new lease (0: no limit).
    pub(super) max_lifetime_ms: u64,
    /// Idle sessions quiet for this long are probed before they are handed out (0: never).
    pub(super) probe_idle_after_ms: u64,
}

/// A registered server.
pub(super) struct Server {
    pub(super) id: u64,
    pub(super) name: Rc<str>,
    pub(super) config: Rc<SessionConfig>,
    /// The server's HTTP stack (its policy layers over the transport with its concurrency
    /// limits) and what is known of it: shared by its sessions.
    pub(super) link: Rc<ServerLink>,
    /// The pool's runtime (its clock and spawner; HTTP goes through `link`).
    pub(super) rt: Runtime,
    /// Bounds this server's requests in flight (unbounded unless configured).
    pub(super) limiter: Rc<Limiter>,
    pub(super) limits: Limits,
    pub(super) conns: Vec<Conn>,
    /// Sessions being opened, oldest first.
    pub(super) opening: Vec<Opening>,
    /// Ids for [`Opening`]s.
    pub(super) next_open_id: u64,
    /// Getters waiting, in arrival order.
    pub(super) waiters: Vec<Waiter>,
    pub(super) counters: Counters,
    pub(super) breaker: Breaker,
    pub(super) catalog: CatalogSlot,
    /// The partitions of the identities that have sessions.
    pub(super) partitions: Partitions,
}

/// What opening one session of a server takes.
pub(super) struct Opener {
    pub(super) config: Rc<SessionConfig>,
    pub(super) link: Rc<ServerLink>,
    pub(super) rt: Runtime,
    /// Who the session is for.
    pub(super) identity: Identity,
}

impl Server {
    /// What [`super::PoolInner::spawn_open`] needs to open a session of this server (for no
    /// identity).
    pub(super) fn opener(&self) -> Opener {
        Opener {
            config: self.config.clone(),
            link: self.link.clone(),
            rt: self.rt.clone(),
            identity: None,
        }
    }

    /// What opening a session for `identity` needs: its partition's configuration and stack.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when the server's identity hook gave invalid headers.
    pub(super) fn opener_for(&mut self, identity: &Identity) -> Result<Opener, Error> {
        let Some(identity) = identity else {
            return Ok(self.opener());
        };
        let partition = self
            .partitions
            .get_or_make(identity, &self.config, &self.link)?;
        Ok(Opener {
            config: partition.config.clone(),
            link: partition.link.clone(),
            rt: self.rt.clone(),
            identity: Some(identity.clone()),
        })
    }

    /// Counts one health check (the loop's ping, or a probe on acquire) and tells the breaker.
    pub(super) fn record_check(&mut self, ok: bool, now: u64, options: &PoolOptions) {
        if ok {
            self.counters.health_checks_passed += 1;
            self.breaker.success();
        } else {
            self.counters.health_checks_failed += 1;
            self.breaker.failure(
                now,
                options.circuit_breaker_threshold,
                options.circuit_breaker_cooldown_ms,
            );
        }
    }

    /// Forgets the partitions of identities with no session, open, opening or waited for.
    pub(super) fn prune_partitions(&mut self) {
        if self.partitions.len() == 0 {
            return;
        }
        let (conns, opening, waiters) = (&self.conns, &self.opening, &self.waiters);
        let mine = |i: &Identity, id: &Rc<str>| i.as_deref() == Some(&**id);
        self.partitions.retain(|id| {
            conns.iter().any(|c| mine(&c.identity, id))
                || opening.iter().any(|o| mine(&o.identity, id))
                || waiters.iter().any(|w| mine(&w.identity, id))
        });
    }
}

/// The decision for the getter at the head of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    /// Lease the idle session at this index (the most recently used idle one).
    Idle(usize),
    /// Open a new session: fewer than the maximum exist or are opening.
    Open,
    /// Close the idle session at this index (another identity's, the least recently used) and
    /// open one in its place: the server is at its maximum.
    Evict(usize),
    /// Share the session at this index (fewest leases, room under the per-session cap).
    Share(usize),
    /// Nothing now: wait.
    Wait,
}

impl Server {
    /// True when the session outlived the server's session lifetime at `now`: it takes no new
    /// lease, and is closed once idle.
    pub(super) fn aged(&self, conn: &Conn, now: u64) -> bool {
        let limit = self.limits.max_lifetime_ms;
        limit > 0 && crate::time::expired(now, conn.opened_ms, limit)
    }

    /// Decides what the next getter for `identity` gets at `now`. Pure: reads the state,
    /// changes nothing.
    pub(super) fn pick(&self, identity: &Identity, now: u64) -> Pick {
        let usable = |c: &&Conn| !c.broken && !c.session.is_closed() && !self.aged(c, now);
        let idle = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.identity == *identity && usable(c) && c.leases == 0)
            .max_by_key(|(_, c)| c.last_used_ms);
        if let Some((i, _)) = idle {
            return Pick::Idle(i);
        }
        let total = self.conns.len() + self.opening.len();
        let own = || {
            self.conns
                .iter()
                .filter(|c| c.identity == *identity)
                .count()
                + self
                    .opening
                    .iter()
                    .filter(|o| o.identity == *identity)
                    .count()
        };
        let under_own_cap =
            identity.is_none() || self.limits.max_per_identity.map_or(true, |max| own() < max);
        if under_own_cap && total < self.limits.max_connections {
            return Pick::Open;
        }
        let room = |c: &Conn| self.limits.max_leases.map_or(true, |max| c.leases < max);
        let shared = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.identity == *identity && usable(c) && room(c))
            .min_by_key(|(_, c)| c.leases);
        if let Some((i, _)) = shared {
            return Pick::Share(i);
        }
        // At the maximum with nothing of its own: another identity's idle session makes room.
        if under_own_cap {
            let spare = self
                .conns
                .iter()
                .enumerate()
                .filter(|(_, c)| c.identity != *identity && c.leases == 0 && !c.checking)
                .min_by_key(|(_, c)| c.last_used_ms);
            if let Some((i, _)) = spare {
                return Pick::Evict(i);
            }
        }
        Pick::Wait
    }

    /// The index of the session with this id.
    pub(super) fn conn_index(&self, conn_id: u64) -> Option<usize> {
        self.conns.iter().position(|c| c.id == conn_id)
    }

    /// Removes the idle sessions that are broken, closed, idle past `idle_timeout_ms` (0:
    /// never) or past the session lifetime, and returns them to be closed. Pure bookkeeping: no
    /// I/O.
    pub(super) fn take_expired(&mut self, now: u64, idle_timeout_ms: u64) -> Vec<Session> {
        let (gone, kept): (Vec<Conn>, Vec<Conn>) =
            std::mem::take(&mut self.conns).into_iter().partition(|c| {
                c.leases == 0
                    && (c.broken
                        || c.session.is_closed()
                        || self.aged(c, now)
                        || (idle_timeout_ms > 0
                            && crate::time::expired(now, c.idle_since_ms, idle_timeout_ms)))
            });
        self.conns = kept;
        let retired = gone
            .iter()
            .filter(|c| !c.broken && !c.session.is_closed() && self.aged(c, now))
            .count();
        self.counters.retired_connections += retired as u64;
        if !gone.is_empty() {
            self.prune_partitions();
        }
        gone.into_iter().map(|c| c.session).collect()
    }

    /// Adds an idle session (just opened, or resumed from a snapshot).
    pub(super) fn push_idle(&mut self, id: u64, session: Session, identity: Identity, now: u64) {
        self.conns.push(Conn {
            id,
            session,
            identity,
            leases: 0,
            opened_ms: now,
            used: false,
            idle_since_ms: now,
            last_used_ms: now,
            broken: false,
            checking: false,
        });
    }

    /// True when the server has no session, live or opening.
    pub(super) fn is_empty(&self) -> bool {
        self.conns.is_empty() && self.opening.is_empty()
    }

    /// Records an open started for `waiter_id`; returns its id.
    pub(super) fn start_open(&mut self, waiter_id: u64, identity: Identity, now: u64) -> u64 {
        self.next_open_id += 1;
        let id = self.next_open_id;
        self.opening.push(Opening {
            id,
            waiter_id,
            started_ms: now,
            identity,
        });
        id
    }

    /// Forgets the open `id` and returns it (`None` when it was reaped earlier).
    pub(super) fn end_open(&mut self, id: u64) -> Option<Opening> {
        let at = self.opening.iter().position(|o| o.id == id)?;
        Some(self.opening.remove(at))
    }

    /// A waiter that leaves the queue (served by another session, timed out, aborted) hands the
    /// open started for it to the next waiter that has none, so that no waiter starts an open
    /// while one is already coming for nobody.
    pub(super) fn hand_over_open(&mut self, from_waiter: u64) {
        let Some(open) = self.opening.iter_mut().find(|o| o.waiter_id == from_waiter) else {
            return;
        };
        match self
            .waiters
            .iter_mut()
            .find(|w| !w.open_pending && w.id != from_waiter && w.identity == open.identity)
        {
            Some(next) => {
                next.open_pending = true;
                open.waiter_id = next.id;
            }
            None => open.waiter_id = 0,
        }
    }

    /// Drops opens that outlived their timeout by [`OPEN_GRACE_MS`] (their task died with the
    /// request that ran it), so their capacity comes back; their waiters may open again.
    pub(super) fn reap_stale_opens(&mut self, now: u64) {
        let limit = self.config.request_timeout_ms.saturating_add(OPEN_GRACE_MS);
        let stale: Vec<Opening> = self
            .opening
            .iter()
            .filter(|o| crate::time::expired(now, o.started_ms, limit))
            .cloned()
            .collect();
        for open in stale {
            let _ = self.end_open(open.id);
            if let Some(waiter) = self.waiters.iter_mut().find(|w| w.id == open.waiter_id) {
                waiter.open_pending = false;
            }
        }
    }

    /// Removes the waiter with this id, if it is still queued.
    pub(super) fn remove_waiter(&mut self, waiter_id: u64) -> Option<Waiter> {
        let at = self.waiters.iter().position(|w| w.id == waiter_id)?;
        let waiter = self.waiters.remove(at);
        if waiter.open_pending {
            self.hand_over_open(waiter.id);
        }
        Some(waiter)
    }
}
