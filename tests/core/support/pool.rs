//! Pool helpers: a pool over the harness, lease tasks, and compact stats assertions.

use mcp_edge_pool::EraPolicy;
use mcp_edge_pool::GetOptions;
use mcp_edge_pool::{Error, Lease, Pool, PoolOptions, ServerOptions, Stats};

use super::{Harness, TaskHandle, URL};

/// The server name every pool test registers.
pub const NAME: &str = "fake";

/// A pool over the harness with `options`, server [`NAME`] registered at [`URL`] in the session
/// era (the fake server's; the era probe has its own tests).
pub fn pool_with(h: &Harness, options: PoolOptions) -> Pool {
    let pool = Pool::new(options, h.runtime()).expect("valid options");
    pool.register_http(NAME, URL, legacy()).expect("registered");
    pool
}

/// Server options pinned to the session era.
pub fn legacy() -> ServerOptions {
    ServerOptions {
        era: EraPolicy::Legacy,
        ..ServerOptions::default()
    }
}

/// Options with the given session cap and per-session lease cap, other values default.
pub fn limits(max_connections: usize, max_leases: Option<usize>) -> PoolOptions {
    PoolOptions {
        max_connections_per_server: max_connections,
        max_leases_per_connection: max_leases,
        ..PoolOptions::default()
    }
}

/// Spawns `pool.get(NAME)`; the lease (or error) lands in the handle.
pub fn spawn_get(h: &Harness, pool: &Pool) -> TaskHandle<Result<Lease, Error>> {
    let pool = pool.clone();
    h.exec.spawn_task(async move { pool.get(NAME).await })
}

/// Spawns `pool.get_with(NAME, timeout)`.
pub fn spawn_get_timeout(
    h: &Harness,
    pool: &Pool,
    timeout_ms: u64,
) -> TaskHandle<Result<Lease, Error>> {
    let pool = pool.clone();
    h.exec.spawn_task(async move {
        let options = GetOptions {
            timeout_ms: Some(timeout_ms),
            cancel: None,
            identity: None,
        };
        pool.get_with(NAME, options).await
    })
}

/// Gets a lease, running the executor; panics on failure.
pub fn get_now(h: &mut Harness, pool: &Pool) -> Lease {
    let pool = pool.clone();
    h.block_on(async move { pool.get(NAME).await })
        .unwrap_or_else(|e| panic!("get failed: {e}"))
}

/// (active, idle, waiting, leases, total_connections) of the whole pool.
pub fn counts(stats: &Stats) -> (usize, usize, usize, usize, u64) {
    (
        stats.active_connections,
        stats.idle_connections,
        stats.waiting,
        stats.leases,
        stats.total_connections,
    )
}
