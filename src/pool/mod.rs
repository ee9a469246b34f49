//! The pool: named servers, leases on shared sessions, a fair wait queue, health and idle
//! eviction, statistics and a clean close.
//!
//! All state lives in one `RefCell` that is never borrowed across an `.await` or while user code
//! (a grant's receiver, a notification handler) runs: every operation computes what to do under
//! the borrow, releases it, then acts.

mod acquire;
mod breaker;
mod catalog;
mod dispatch;
mod health;
mod identity;
mod lease;
mod naming;
mod server;
mod snapshot;
mod stats;
mod tools;

use std::cell::RefCell;
use std::fmt;
use std::rc::{Rc, Weak};
use std::sync::atomic::{AtomicU64, Ordering};

use futures_channel::oneshot;
use futures_util::future::{self, AbortHandle, LocalBoxFuture};

pub use breaker::CircuitState;
pub use lease::Lease;
pub use naming::{qualify as qualified_tool_name, MAX_NAME as MAX_TOOL_NAME};
pub use snapshot::{PoolSnapshot, ServerSnapshot, ToolsSnapshot, SNAPSHOT_VERSION};
pub use stats::{ServerStats, Stats};
pub use tools::{AllTools, Collision, QualifiedTool};

use crate::config::{validate_server_name, validate_url};
use crate::error::Error;
use crate::jsonrpc::Notification;
use crate::options::{PoolOptions, ServerOptions};
use crate::policy::{LimitedTransport, Limiter};
use crate::runtime::Runtime;
use crate::session::{ServerLink, Session, SessionConfig};
use server::{Counters, Grant, Limits, Server, Taken, Waiter};
use std::collections::BTreeMap;

/// Distinguishes pools, so a lease from another pool is recognised.
static NEXT_POOL_ID: AtomicU64 = AtomicU64::new(1);

/// Called for every notification a server sends on any session of the pool, with the server's
/// name and the identity the session was opened for (`None`: the server's shared sessions). It
/// must not call back into the pool synchronously.
pub type PoolNotificationHandler = Rc<dyn Fn(&str, Option<&str>, &Notification)>;

/// Options of one [`Pool::get_with`] call.
#[derive(Default)]
pub struct GetOptions {
    /// Overrides the acquire timeout, in ms.
    pub timeout_ms: Option<u64>,
    /// Completes when the caller aborts: the getter leaves the queue with [`Error::Aborted`].
    pub cancel: Option<LocalBoxFuture<'static, ()>>,
    /// Who the session is for (a user, a tenant): sessions opened for one identity never serve
    /// another, and they are opened with the identity's credentials (see
    /// [`ServerOptions::identity`]). `None`: the server's shared sessions.
    pub identity: Option<String>,
}

impl fmt::Debug for GetOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetOptions")
            .field("timeout_ms", &self.timeout_ms)
            .field("cancel", &self.cancel.is_some())
            .field("identity", &self.identity.is_some())
            .finish()
    }
}

/// A pool of MCP sessions to named servers. Clone it freely: clones share the pool.
///
/// Nothing happens in [`Pool::new`]: no timer, no request. The health loop starts with the first
/// [`Pool::get`], so a pool can be built at module scope in a Cloudflare Worker.
#[derive(Clone)]
pub struct Pool {
    inner: Rc<PoolInner>,
}

pub(crate) struct PoolInner {
    id: u64,
    options: PoolOptions,
    rt: Runtime,
    /// Bounds the HTTP requests in flight across all servers.
    limiter: Rc<Limiter>,
    state: RefCell<PoolState>,
    on_notification: RefCell<Option<PoolNotificationHandler>>,
    /// Qualified tool name → (server, tool), from the last `list_all_tools`.
    routes: RefCell<BTreeMap<String, (String, String)>>,
}

#[derive(Default)]
struct PoolState {
    servers: BTreeMap<String, Server>,
    closed: bool,
    next_id: u64,
    health: Option<AbortHandle>,
    /// When the health loop last woke (or started).
    health_tick_ms: u64,
    /// Counters of servers that were unregistered.
    retired: Counters,
    /// Snapshot parts for servers not registered yet, applied when they register.
    pending_restore: BTreeMap<String, snapshot::ServerSnapshot>,
}

impl PoolState {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn server_by_id(&mut self, id: u64) -> Option<&mut Server> {
        self.servers.values_mut().find(|s| s.id == id)
    }
}

impl Pool {
    /// A pool with these options over this runtime. Starts nothing.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when an option is invalid.
    pub fn new(options: PoolOptions, rt: Runtime) -> Result<Pool, Error> {
        options.validate()?;
        Ok(Pool {
            inner: Rc::new(PoolInner {
                id: NEXT_POOL_ID.fetch_add(1, Ordering::Relaxed),
                limiter: Limiter::new(options.max_concurrent_requests),
                options,
                rt,
                state: RefCell::new(PoolState::default()),
                on_notification: RefCell::new(None),
                routes: RefCell::default(),
            }),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &PoolOptions {
        &self.inner.options
    }

    /// Registers a remote server reachable over Streamable HTTP.
    ///
    /// # Errors
    /// [`Error::InvalidServerName`], [`Error::InvalidUrl`], [`Error::InvalidConfig`],
    /// [`Error::DuplicateServer`], [`Error::PoolClosed`].
    pub fn register_http(
        &self,
        name: &str,
        url: &str,
        options: ServerOptions,
    ) -> Result<(), Error> {
        validate_server_name(name)?;
        let url = validate_url(url)?;
        options.validate()?;
        let pool = &self.inner.options;
        let limits = Limits {
            max_connections: options
                .max_connections
                .unwrap_or(pool.max_connections_per_server),
            max_leases: options
                .max_leases_per_connection
                .or(pool.max_leases_per_connection),
            acquire_timeout_ms: options
                .acquire_timeout_ms
                .unwrap_or(pool.acquire_timeout_ms),
            max_per_identity: options.max_connections_per_identity,
            max_lifetime_ms: options
                .max_session_lifetime_ms
                .unwrap_or(pool.max_session_lifetime_ms),
            probe_idle_after_ms: options
                .probe_idle_after_ms
                .unwrap_or_else(|| pool.effective_probe_idle_after_ms()),
        };
        let identity_hook = options.identity;
        let config = SessionConfig {
            server: name.to_owned(),
            url,
            headers: options.headers,
            request_timeout_ms: options
                .request_timeout_ms
                .unwrap_or(pool.request_timeout_ms),
            max_response_bytes: pool.max_response_bytes,
            client_info: pool.client_info.clone(),
            allow_cross_origin_redirects: options.allow_cross_origin_redirects,
            handlers: options.handlers,
            token_provider: options.token_provider,
            dpop: options.dpop,
            server_stream: options.server_stream,
            era: options.era,
            transport: options.transport,
        };
        let mut state = self.inner.state.borrow_mut();
        if state.closed {
            return Err(Error::PoolClosed);
        }
        if state.servers.contains_key(name) {
            return Err(Error::DuplicateServer {
                server: name.to_owned(),
            });
        }
        let id = state.next_id();
        let limiter = Limiter::new(
            pool.max_concurrent_requests_per_server
                .unwrap_or(usize::MAX),
        );
        let transport = LimitedTransport::new(
            self.inner.rt.transport.clone(),
            // Per server first: a request waiting for its server's permit holds no pool-wide one.
            vec![limiter.clone(), self.inner.limiter.clone()],
        );
        let transport: Rc<dyn crate::transport::HttpTransport> = Rc::new(transport);
        let link = ServerLink::new(&config, transport.clone());
        let server = Server {
            id,
            name: Rc::from(name),
            config: Rc::new(config),
            link,
            rt: self.inner.rt.clone(),
            limiter,
            limits,
            conns: Vec::new(),
            opening: Vec::new(),
            next_open_id: 0,
            waiters: Vec::new(),
            counters: Counters::default(),
            breaker: Default::default(),
            catalog: Default::default(),
            partitions: identity::Partitions::new(identity_hook, transport),
        };
        state.servers.insert(name.to_owned(), server);
        if let Some(pending) = state.pending_restore.remove(name) {
            self.inner.resume_into(&mut state, name, &pending);
        }
        Ok(())
    }

    /// Always fails: edge runtimes cannot spawn processes. Kept so that code written for the
    /// original API gets a clear, typed answer.
    ///
    /// # Errors
    /// Always [`Error::StdioUnsupported`].
    pub fn register_stdio(
        &self,
        name: &str,
        _command: &str,
        _args: &[String],
    ) -> Result<(), Error> {
        Err(Error::StdioUnsupported {
            server: crate::error::snippet(name, 80),
        })
    }

    /// Removes a server: its waiters fail with [`Error::UnknownServer`], its sessions are closed.
    /// Leases still out keep working until released or until the session's close lands.
    ///
    /// # Errors
    /// [`Error::UnknownServer`], [`Error::PoolClosed`].
    pub async fn unregister(&self, name: &str) -> Result<(), Error> {
        let server = {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return Err(Error::PoolClosed);
            }
            let server = state
                .servers
                .remove(name)
                .ok_or_else(|| Error::UnknownServer {
                    server: name.to_owned(),
                })?;
            state.retired.add(&server.counters);
            server
        };
        let error = Error::UnknownServer {
            server: name.to_owned(),
        };
        close_all(drain_server(server, &error), &self.inner.rt).await;
        Ok(())
    }

    /// The registered server names, sorted.
    pub fn servers(&self) -> Vec<String> {
        self.inner.state.borrow().servers.keys().cloned().collect()
    }

    /// Sets the handler that receives every server notification (progress, logging, list
    /// changes), with the server's name and the identity of the session it came on (if any).
    pub fn set_notification_handler(&self, handler: Option<PoolNotificationHandler>) {
        *self.inner.on_notification.borrow_mut() = handler;
    }

    /// A lease on a live session to `name`, with the pool's acquire timeout.
    ///
    /// # Errors
    /// See [`Pool::get_with`].
    pub async fn get(&self, name: &str) -> Result<Lease, Error> {
        self.get_with(name, GetOptions::default()).await
    }

    /// A lease on a live session to `name`: an idle session first (the most recently used),
    /// else a new one if fewer than the maximum exist or are opening, else a shared one with
    /// room, else a place in a FIFO queue until one frees up. An idle session with no successful
    /// exchange within the probe threshold ([`PoolOptions::probe_idle_after_ms`]) is probed
    /// first; if the probe fails it is evicted and the getter gets another session, all within
    /// the acquire timeout.
    ///
    /// # Errors
    /// [`Error::PoolClosed`], [`Error::UnknownServer`], [`Error::AcquireTimeout`],
    /// [`Error::Aborted`], [`Error::CircuitOpen`], [`Error::ConnectFailed`] or
    /// [`Error::UnsupportedProtocolVersion`] when the session opened for this getter failed.
    pub async fn get_with(&self, name: &str, options: GetOptions) -> Result<Lease, Error> {
        acquire::acquire(&self.inner, name, options).await
    }

    /// Gives a lease back, checking that it belongs to this pool and server.
    ///
    /// # Errors
    /// [`Error::ForeignLease`] for a lease of another pool or server, [`Error::LeaseReleased`]
    /// when it was already released.
    pub fn release(&self, server: &str, lease: &Lease) -> Result<(), Error> {
        if lease.pool_id != self.inner.id {
            return Err(Error::ForeignLease {
                reason: "it was handed out by another pool".into(),
            });
        }
        if &*lease.server != server {
            return Err(Error::ForeignLease {
                reason: format!(
                    "it is a lease on '{}', not on '{}'",
                    lease.server,
                    crate::error::snippet(server, 80)
                ),
            });
        }
        lease.release()
    }

    /// A snapshot of the counters, totals and per server.
    pub fn stats(&self) -> Stats {
        stats::collect(&self.inner.state.borrow(), &self.inner.limiter)
    }

    /// Runs one health and eviction pass now: closes sessions idle past the idle timeout and
    /// pings idle sessions that had no successful exchange within the health interval.
    pub async fn maintain(&self) {
        health::pass(&self.inner).await;
    }

    /// Closes the pool: new gets fail with [`Error::PoolClosed`], waiters are rejected, every
    /// session is terminated (`DELETE`), the health loop stops. Idempotent.
    ///
    /// The pool is closed when this returns (waiters rejected, registrations refused); the
    /// returned future finishes the sessions' `DELETE`s.
    pub fn close(&self) -> LocalBoxFuture<'static, ()> {
        let servers = {
            let mut state = self.inner.state.borrow_mut();
            if state.closed {
                return Box::pin(std::future::ready(()));
            }
            state.closed = true;
            if let Some(health) = state.health.take() {
                health.abort();
            }
            let servers = std::mem::take(&mut state.servers);
            for server in servers.values() {
                state.retired.add(&server.counters);
            }
            servers
        };
        let sessions: Vec<(Session, u64)> = servers
            .into_values()
            .flat_map(|server| drain_server(server, &Error::PoolClosed))
            .collect();
        let inner = self.inner.clone();
        Box::pin(async move { close_all(sessions, &inner.rt).await })
    }

    /// True once [`Pool::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.inner.state.borrow().closed
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("id", &self.inner.id)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        if let Some(health) = self.state.get_mut().health.take() {
            health.abort();
        }
    }
}

/// Fails a removed server's waiters with `error` (at once) and returns its sessions, each with
/// the timeout that bounds its close.
fn drain_server(mut server: Server, error: &Error) -> Vec<(Session, u64)> {
    for waiter in server.waiters.drain(..) {
        drop(waiter.tx.send(Grant::Fail(error.clone())));
    }
    let timeout_ms = server.config.request_timeout_ms;
    server
        .conns
        .drain(..)
        .map(|c| (c.session, timeout_ms))
        .collect()
}

/// Closes sessions concurrently, each bounded by its timeout.
async fn close_all(sessions: Vec<(Session, u64)>, rt: &Runtime) {
    future::join_all(
        sessions
            .into_iter()
            .map(|(s, ms)| dispatch::close_bounded(s, rt, ms)),
    )
    .await;
}

/// What [`PoolInner::enqueue`] did with a getter.
enum Enqueued {
    /// Served at once.
    Ready(Lease, Taken),
    /// Queued; the grant will come through `rx`.
    Waiting {
        rx: oneshot::Receiver<Grant>,
        server_id: u64,
        waiter_id: u64,
        timeout_ms: u64,
    },
}

/// Removes its waiter from the queue when the getter stops waiting (served, timed out, aborted
/// or dropped), so `waiting` never counts a getter that is gone.
struct WaiterGuard {
    pool: Weak<PoolInner>,
    server_id: u64,
    waiter_id: u64,
}

impl Drop for WaiterGuard {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.upgrade() {
            let removed = {
                let mut state = pool.state.borrow_mut();
                state
                    .server_by_id(self.server_id)
                    .and_then(|s| s.remove_waiter(self.waiter_id))
            };
            drop(removed);
        }
    }
}

impl PoolInner {
    fn new_waiter(
        state: &mut PoolState,
        server_name: &str,
        identity: identity::Identity,
    ) -> Option<(oneshot::Receiver<Grant>, u64, u64, u64)> {
        let waiter_id = state.next_id();
        let server = state.servers.get_mut(server_name)?;
        let (tx, rx) = oneshot::channel();
        server.waiters.push(Waiter {
            id: waiter_id,
            tx,
            open_pending: false,
            identity,
        });
        Some((rx, server.id, waiter_id, server.limits.acquire_timeout_ms))
    }
}
