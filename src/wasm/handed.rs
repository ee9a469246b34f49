//! The leases one `McpPool` handed out, so `release(name, client)` recognises exactly its own
//! clients.

use std::rc::Weak;

use js_sys::WeakRef;

use crate::pool::Lease;

/// Leases handed out by one `McpPool`, by lease id, each with a weak reference to the JS
/// `McpClient` object that carries it, so `release(name, client)` recognises exactly its own
/// clients: a plain object with a matching `leaseId`, or a client of another pool, is refused.
#[derive(Debug, Default)]
pub(crate) struct Handed {
    /// Sorted by lease id (ids only grow, so a new one goes last): found by binary search.
    list: Vec<(u64, Weak<Lease>, WeakRef)>,
    /// Entries of clients the JS garbage collector freed are dropped when the list reaches this
    /// size, which then doubles: amortised O(1) per `get`, even while the GC lags behind.
    prune_at: usize,
}

impl Handed {
    /// Forgets a released client.
    pub(crate) fn remove(&mut self, id: u64) {
        if let Ok(i) = self.find(id) {
            self.list.remove(i);
        }
    }

    fn find(&self, id: u64) -> Result<usize, usize> {
        self.list.binary_search_by_key(&id, |entry| entry.0)
    }

    pub(crate) fn get(&self, id: u64) -> Option<(Weak<Lease>, WeakRef)> {
        let (_, lease, client) = self.list.get(self.find(id).ok()?)?;
        Some((lease.clone(), client.clone()))
    }

    pub(crate) fn insert(&mut self, id: u64, lease: Weak<Lease>, client: WeakRef) {
        if self.list.len() >= self.prune_at.max(1024) {
            self.list.retain(|(_, lease, _)| lease.strong_count() > 0);
            self.prune_at = self.list.len() * 2;
        }
        if let Err(i) = self.find(id) {
            self.list.insert(i, (id, lease, client));
        }
    }
}
