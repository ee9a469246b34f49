//! Statistics: a `Copy`-cheap snapshot of the pool, totals and per server.

use std::collections::BTreeMap;

use serde::Serialize;

use super::breaker::CircuitState;
use super::server::{Counters, Server};
use super::PoolState;
use crate::policy::Limiter;

/// Counters of one server. A snapshot: it does not change after it was taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerStats {
    /// Sessions with at least one lease.
    pub active_connections: usize,
    /// Open sessions with no lease.
    pub idle_connections: usize,
    /// Sessions being opened.
    pub opening_connections: usize,
    /// Leases out on this server's sessions.
    pub leases: usize,
    /// Getters waiting in the queue.
    pub waiting: usize,
    /// Identities with a session of this server (open, opening or waited for); never the
    /// identities themselves.
    pub partitions: usize,
    /// Sessions ever opened.
    pub total_connections: u64,
    /// Failed session opens.
    pub connection_errors: u64,
    /// Health pings that succeeded.
    pub health_checks_passed: u64,
    /// Health pings that failed (each evicted its session).
    pub health_checks_failed: u64,
    /// Sessions resumed from a snapshot (no handshake).
    pub restored_connections: u64,
    /// The most sessions this server may have.
    pub max_connections: usize,
    /// HTTP requests to this server in flight.
    pub in_flight_requests: usize,
    /// HTTP requests to this server waiting for a concurrency permit.
    pub queued_requests: usize,
    /// The circuit breaker's state.
    pub circuit: CircuitState,
    /// How many times the circuit opened.
    pub circuit_opens: u64,
    /// Sessions closed because they outlived the session lifetime (`max_session_lifetime_ms`).
    pub retired_connections: u64,
    /// Getters served at once by an existing session (idle, or shared under the lease cap).
    pub hits: u64,
    /// Getters served by a session opened for them (they waited for its handshake).
    pub misses: u64,
    /// Getters that queued for a session another lease gave back.
    pub waits: u64,
    /// The time those `waits` spent in `get`, in ms, summed (`wait_time_ms / waits` is the mean).
    pub wait_time_ms: u64,
}

/// The pool's statistics: the seed's six counters plus idle, waiting, and the same per server.
/// A snapshot: it does not change after it was taken.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Registered servers.
    pub registered_servers: usize,
    /// Sessions with at least one lease, all servers.
    pub active_connections: usize,
    /// Open sessions with no lease, all servers.
    pub idle_connections: usize,
    /// Sessions being opened, all servers.
    pub opening_connections: usize,
    /// Leases out, all servers.
    pub leases: usize,
    /// Getters waiting, all servers.
    pub waiting: usize,
    /// Sessions ever opened (unregistered servers included).
    pub total_connections: u64,
    /// Failed session opens (unregistered servers included).
    pub connection_errors: u64,
    /// Health pings that succeeded (unregistered servers included).
    pub health_checks_passed: u64,
    /// Health pings that failed (unregistered servers included).
    pub health_checks_failed: u64,
    /// HTTP requests in flight, all servers (bounded by `max_concurrent_requests`).
    pub in_flight_requests: usize,
    /// HTTP requests waiting for a concurrency permit, all servers.
    pub queued_requests: usize,
    /// Sessions closed for their lifetime (unregistered servers included).
    pub retired_connections: u64,
    /// Getters served at once by an existing session (unregistered servers included).
    pub hits: u64,
    /// Getters served by a session opened for them (unregistered servers included).
    pub misses: u64,
    /// Getters that queued for a session another lease gave back (unregistered servers
    /// included).
    pub waits: u64,
    /// The time those `waits` spent in `get`, in ms, summed.
    pub wait_time_ms: u64,
    /// Per server, by name.
    pub servers: BTreeMap<String, ServerStats>,
}

fn server_stats(server: &Server) -> ServerStats {
    let active = server.conns.iter().filter(|c| c.leases > 0).count();
    ServerStats {
        active_connections: active,
        idle_connections: server.conns.len() - active,
        opening_connections: server.opening.len(),
        leases: server.conns.iter().map(|c| c.leases).sum(),
        waiting: server.waiters.len(),
        partitions: server.partitions.len(),
        total_connections: server.counters.total_connections,
        connection_errors: server.counters.connection_errors,
        health_checks_passed: server.counters.health_checks_passed,
        health_checks_failed: server.counters.health_checks_failed,
        restored_connections: server.counters.restored_connections,
        max_connections: server.limits.max_connections,
        in_flight_requests: server.limiter.in_use(),
        queued_requests: server.limiter.waiting(),
        circuit: server.breaker.state(),
        circuit_opens: server.breaker.opened,
        retired_connections: server.counters.retired_connections,
        hits: server.counters.hits,
        misses: server.counters.misses,
        waits: server.counters.waits,
        wait_time_ms: server.counters.wait_ms,
    }
}

pub(super) fn collect(state: &PoolState, limiter: &Limiter) -> Stats {
    let mut stats = Stats {
        registered_servers: state.servers.len(),
        in_flight_requests: limiter.in_use(),
        queued_requests: limiter.waiting(),
        ..Stats::default()
    };
    let mut counters: Counters = state.retired;
    for (name, server) in &state.servers {
        let s = server_stats(server);
        stats.active_connections += s.active_connections;
        stats.idle_connections += s.idle_connections;
        stats.opening_connections += s.opening_connections;
        stats.leases += s.leases;
        stats.waiting += s.waiting;
        counters.add(&server.counters);
        stats.servers.insert(name.clone(), s);
    }
    stats.total_connections = counters.total_connections;
    stats.connection_errors = counters.connection_errors;
    stats.health_checks_passed = counters.health_checks_passed;
    stats.health_checks_failed = counters.health_checks_failed;
    stats.retired_connections = counters.retired_connections;
    stats.hits = counters.hits;
    stats.misses = counters.misses;
    stats.waits = counters.waits;
    stats.wait_time_ms = counters.wait_ms;
    stats
}
