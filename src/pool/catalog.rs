//! The per-server tool catalog: `tools/list` (all pages) cached in the pool, shared by every
//! lease, invalidated by `notifications/tools/list_changed` and by age, carried in snapshots.

use std::rc::Rc;

use super::lease::Lease;
use super::PoolInner;
use crate::error::Error;
use crate::json::RawValue;
use crate::protocol::methods;
use crate::time::expired;

/// A cached `tools/list` result.
#[derive(Debug, Clone)]
pub(super) struct Catalog {
    /// The merged result, as JSON text.
    pub(super) tools: Rc<str>,
    /// When it was fetched, on the pool's clock.
    pub(super) fetched_at_ms: u64,
    /// The server's own `ttlMs` for the list (stateless era), which caps the pool's TTL.
    pub(super) server_ttl_ms: Option<u64>,
}

impl Catalog {
    /// A catalog entry for `tools` fetched at `fetched_at_ms`.
    pub(super) fn restored(tools: &RawValue, fetched_at_ms: u64) -> Catalog {
        Catalog {
            tools: Rc::from(tools.get()),
            fetched_at_ms,
            server_ttl_ms: server_ttl(tools),
        }
    }
}

/// The `ttlMs` of a list result, if it has one.
fn server_ttl(tools: &RawValue) -> Option<u64> {
    if !tools.get().contains("\"ttlMs\"") {
        return None;
    }
    let list = crate::raw_object::RawObject::parse(tools.get()).ok()?;
    list.get("ttlMs")?.get().parse().ok()
}

/// A server's catalog state: the cached result and an epoch bumped by every invalidation, so a
/// fetch that raced an invalidation does not store a stale list.
#[derive(Debug, Default)]
pub(super) struct CatalogSlot {
    pub(super) cached: Option<Catalog>,
    pub(super) epoch: u64,
}

impl CatalogSlot {
    /// Forgets the cached list (the server said it changed, or its session was re-created).
    pub(super) fn invalidate(&mut self) {
        self.cached = None;
        self.epoch += 1;
    }

    /// The cached list if younger than `ttl_ms` (0: caching off) and than the server's own
    /// `ttlMs` (stateless era; 0 there means always re-fetch).
    pub(super) fn fresh(&self, now: u64, ttl_ms: u64) -> Option<Rc<str>> {
        let cached = self.cached.as_ref()?;
        let ttl_ms = cached
            .server_ttl_ms
            .map_or(ttl_ms, |server| server.min(ttl_ms));
        (ttl_ms > 0 && !expired(now, cached.fetched_at_ms, ttl_ms)).then(|| cached.tools.clone())
    }
}

impl PoolInner {
    fn catalog_epoch(&self, server_id: u64) -> Option<u64> {
        let mut state = self.state.borrow_mut();
        state.server_by_id(server_id).map(|s| s.catalog.epoch)
    }

    fn cached_tools(&self, server_id: u64) -> Option<Rc<str>> {
        let now = self.rt.clock.now_ms();
        let ttl = self.options.tools_cache_ttl_ms;
        let mut state = self.state.borrow_mut();
        state.server_by_id(server_id)?.catalog.fresh(now, ttl)
    }

    fn store_tools(&self, server_id: u64, epoch: u64, tools: &RawValue) {
        let now = self.rt.clock.now_ms();
        let mut state = self.state.borrow_mut();
        if let Some(server) = state.server_by_id(server_id) {
            if server.catalog.epoch == epoch {
                server.catalog.cached = Some(Catalog::restored(tools, now));
            }
        }
    }

    /// Invalidates the catalog of the server named `name`.
    pub(super) fn invalidate_tools(&self, name: &str) {
        if let Some(server) = self.state.borrow_mut().servers.get_mut(name) {
            server.catalog.invalidate();
        }
    }
}

impl Lease {
    /// Every tool of the server (all pages), from the pool's catalog when it is fresh
    /// (`tools_cache_ttl_ms`, not invalidated by `notifications/tools/list_changed`), else
    /// fetched and cached. `fresh` skips the cache.
    ///
    /// # Errors
    /// As [`Lease::request`].
    pub async fn list_tools_raw(
        &self,
        fresh: bool,
        timeout_ms: Option<u64>,
    ) -> Result<RawValue, Error> {
        self.session()?;
        let pool = self.pool.upgrade();
        if !fresh {
            if let Some(cached) = pool.as_ref().and_then(|p| p.cached_tools(self.server_id)) {
                return crate::json::raw(cached.to_string())
                    .map_err(|e| Error::protocol(&self.server, e.to_string()));
            }
        }
        let epoch = pool.as_ref().and_then(|p| p.catalog_epoch(self.server_id));
        drop(pool);
        let raw = self
            .request_all_pages(methods::TOOLS_LIST, "tools", None, timeout_ms)
            .await?;
        if let (Some(pool), Some(epoch)) = (self.pool.upgrade(), epoch) {
            pool.store_tools(self.server_id, epoch, &raw);
        }
        Ok(raw)
    }
}
