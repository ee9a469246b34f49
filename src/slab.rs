//! A slab: values in reusable slots, for the wasm face's thread-local tables of tasks and
//! awaited promises (smaller in wasm than a `HashMap`, and no hashing; portable, so its tests run
//! natively). A [`Key`] names a slot and the stamp its value got when inserted, so a stale key
//! (its value removed, the slot reused) finds nothing.

/// Names a value of a [`Table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    /// The slot.
    pub(crate) slot: u32,
    /// The stamp of the insertion (a counter of the table, wrapping).
    pub(crate) stamp: u32,
}

struct Entry<T> {
    stamp: u32,
    value: Option<T>,
}

/// Values under [`Key`]s; removed slots are reused.
pub(crate) struct Table<T> {
    entries: Vec<Entry<T>>,
    free: Vec<u32>,
    stamp: u32,
}

impl<T> Table<T> {
    /// An empty table.
    pub(crate) const fn new() -> Self {
        Table {
            entries: Vec::new(),
            free: Vec::new(),
            stamp: 0,
        }
    }

    /// Stores `value`; returns its key.
    pub(crate) fn insert(&mut self, value: T) -> Key {
        self.stamp = self.stamp.wrapping_add(1);
        let entry = Entry {
            stamp: self.stamp,
            value: Some(value),
        };
        let reused = self
            .free
            .pop()
            .and_then(|slot| Some((slot, self.entries.get_mut(slot as usize)?)));
        let slot = match reused {
            Some((slot, free)) => {
                *free = entry;
                slot
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        Key {
            slot,
            stamp: self.stamp,
        }
    }

    /// The value under `key`, if it is still there.
    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        self.entries
            .get_mut(key.slot as usize)
            .filter(|e| e.stamp == key.stamp)?
            .value
            .as_mut()
    }

    /// Takes the value under `key` out, freeing its slot.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let value = self
            .entries
            .get_mut(key.slot as usize)
            .filter(|e| e.stamp == key.stamp)?
            .value
            .take()?;
        self.free.push(key.slot);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_keys_find_nothing_and_slots_are_reused() {
        let mut table = Table::new();
        let a = table.insert("a");
        let b = table.insert("b");
        assert_eq!(table.remove(a), Some("a"));
        assert_eq!(table.remove(a), None);
        let c = table.insert("c");
        assert_eq!(c.slot, a.slot);
        assert_eq!(table.get_mut(a), None);
        assert_eq!(table.get_mut(c).copied(), Some("c"));
        assert_eq!(table.get_mut(b).copied(), Some("b"));
    }
}
