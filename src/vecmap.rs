//! A small ordered map: a `Vec` of `(key, value)` pairs kept sorted by key and searched by
//! binary search.
//!
//! The pool's maps hold a handful of entries (servers, tools), where a sorted `Vec` is as fast as
//! a `BTreeMap` and each key/value type costs far less code in the WebAssembly build. Iteration is
//! in key order, like `BTreeMap`'s.

use std::borrow::Borrow;
use std::fmt;

/// An ordered map over a sorted `Vec<(K, V)>`: lookups are `O(log n)`, inserts and removals
/// `O(n)`. Iterates in key order.
#[derive(Clone, PartialEq, Eq)]
pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

/// The iterator of [`VecMap::iter`]: `(&key, &value)` in key order.
pub type Iter<'a, K, V> =
    std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

fn pair_ref<K, V>(entry: &(K, V)) -> (&K, &V) {
    (&entry.0, &entry.1)
}

impl<K, V> VecMap<K, V> {
    /// An empty map.
    pub const fn new() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `(&key, &value)` in key order.
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(pair_ref as fn(&(K, V)) -> (&K, &V))
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The values, in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The values, mutable, in key order.
    pub fn values_mut(&mut self) -> impl DoubleEndedIterator<Item = &mut V> + ExactSizeIterator {
        self.entries.iter_mut().map(|(_, v)| v)
    }

    /// The values, by value, in key order.
    pub fn into_values(self) -> impl DoubleEndedIterator<Item = V> + ExactSizeIterator {
        self.entries.into_iter().map(|(_, v)| v)
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// `Ok(index)` of `key`, or `Err(index)` where it would be inserted.
    fn search<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let at = self.search(key).ok()?;
        self.entries.get(at).map(|(_, v)| v)
    }

    /// The value of `key`, mutable.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let at = self.search(key).ok()?;
        self.entries.get_mut(at).map(|(_, v)| v)
    }

    /// True when `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.search(key).is_ok()
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.search(&key) {
            Ok(at) => self
                .entries
                .get_mut(at)
                .map(|(_, v)| std::mem::replace(v, value)),
            Err(at) => {
                self.entries.insert(at, (key, value));
                None
            }
        }
    }

    /// Removes `key`; returns its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        let at = self.search(key).ok()?;
        Some(self.entries.remove(at).1)
    }
}

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        VecMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    /// `(key, value)` in key order.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a VecMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Iter<'a, K, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<K: Ord, V> VecMap<K, V> {
    /// A map of `pairs` in any order, in `O(n log n)` (inserting one by one would move `O(n²)`
    /// entries); a later pair replaces an earlier one with the same key, as in `BTreeMap`.
    pub fn from_pairs(pairs: Vec<(K, V)>) -> Self {
        let mut tagged: Vec<(usize, (K, V))> = pairs.into_iter().enumerate().collect();
        heapsort(&mut tagged, |(i, (a, _)), (j, (b, _))| {
            a.cmp(b).then(i.cmp(j)).is_lt()
        });
        let mut entries: Vec<(K, V)> = Vec::with_capacity(tagged.len());
        for (_, (k, v)) in tagged {
            match entries.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => entries.push((k, v)),
            }
        }
        VecMap { entries }
    }
}

/// Sorts `items` by `less` in `O(n log n)`, in place: a heapsort, far less code in the .wasm than
/// the standard library's sorts (which this crate does not use for that reason).
fn heapsort<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    // Moves `node` down the max-heap held in `items[..end]`.
    let sift_down = |items: &mut [T], mut node: usize, end: usize| loop {
        let mut child = 2 * node + 1;
        if child >= end {
            return;
        }
        if child + 1 < end {
            if let (Some(a), Some(b)) = (items.get(child), items.get(child + 1)) {
                if less(a, b) {
                    child += 1;
                }
            }
        }
        match (items.get(node), items.get(child)) {
            (Some(a), Some(b)) if less(a, b) => items.swap(node, child),
            _ => return,
        }
        node = child;
    };
    let len = items.len();
    for node in (0..len / 2).rev() {
        sift_down(items, node, len);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    /// A later pair replaces an earlier one with the same key, as in `BTreeMap`.
    /// Inserts one by one: for the pool's small maps. A large map of unordered pairs is built with
    /// [`VecMap::from_pairs`].
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = VecMap::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::VecMap;

    fn sample() -> VecMap<String, u32> {
        let mut map = VecMap::new();
        for (k, v) in [("m", 1), ("b", 2), ("x", 3), ("a", 4)] {
            assert_eq!(map.insert(k.to_owned(), v), None);
        }
        map
    }

    #[test]
    fn iterates_in_key_order_whatever_the_insertion_order() {
        let map = sample();
        let pairs: Vec<(&str, u32)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(pairs, [("a", 4), ("b", 2), ("m", 1), ("x", 3)]);
        assert_eq!(
            map.keys().cloned().collect::<Vec<_>>(),
            ["a", "b", "m", "x"]
        );
        assert_eq!(map.values().copied().collect::<Vec<_>>(), [4, 2, 1, 3]);
        let by_ref: Vec<&String> = (&map).into_iter().map(|(k, _)| k).collect();
        assert_eq!(by_ref, ["a", "b", "m", "x"]);
        let owned: Vec<(String, u32)> = map.clone().into_iter().collect();
        assert_eq!(owned.first(), Some(&("a".to_owned(), 4)));
        assert_eq!(map.into_values().collect::<Vec<_>>(), [4, 2, 1, 3]);
    }

    #[test]
    fn get_insert_replace_remove() {
        let mut map = sample();
        assert_eq!(map.len(), 4);
        assert!(!map.is_empty());
        assert_eq!(map.get("b"), Some(&2));
        assert_eq!(map.get("c"), None);
        assert!(map.contains_key("x") && !map.contains_key("y"));
        assert_eq!(map.insert("b".to_owned(), 20), Some(2));
        assert_eq!(map.len(), 4);
        if let Some(v) = map.get_mut("m") {
            *v += 10;
        }
        assert_eq!(map.get("m"), Some(&11));
        for v in map.values_mut() {
            *v += 1;
        }
        assert_eq!(map.remove("a"), Some(5));
        assert_eq!(map.remove("a"), None);
        assert_eq!(map.get_mut("a"), None);
        let pairs: Vec<(&str, u32)> = map.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(pairs, [("b", 21), ("m", 12), ("x", 4)]);
        assert_eq!(map.remove("b"), Some(21));
        assert_eq!(map.remove("x"), Some(4));
        assert_eq!(map.remove("m"), Some(12));
        assert!(map.is_empty());
        assert_eq!(map, VecMap::default());
    }

    #[test]
    fn collects_with_later_duplicates_winning() {
        let map: VecMap<u8, &str> = [(3, "c"), (1, "a"), (3, "C"), (2, "b")]
            .into_iter()
            .collect();
        assert_eq!(format!("{map:?}"), r#"{1: "a", 2: "b", 3: "C"}"#);
    }

    #[test]
    fn heapsort_sorts() {
        let mut rng = 12_345_u64;
        for len in [0, 1, 2, 3, 10, 257] {
            let mut items: Vec<u64> = (0..len)
                .map(|_| {
                    rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (rng >> 40) % 50
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_unstable();
            super::heapsort(&mut items, |a, b| a < b);
            assert_eq!(items, expected, "len {len}");
        }
    }

    #[test]
    fn builds_from_many_unordered_pairs_with_later_duplicates_winning() {
        // 20,000 keys in a scrambled order, every key twice: the second value wins.
        let n = 20_000_u32;
        let key = |i: u32| (i.wrapping_mul(7_919) % n).to_string();
        let pairs: Vec<(String, u32)> = (0..n)
            .map(|i| (key(i), i))
            .chain((0..n).map(|i| (key(i), i + n)))
            .collect();
        let map = VecMap::from_pairs(pairs);
        assert_eq!(map.len(), n as usize);
        let keys: Vec<&String> = map.keys().collect();
        assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        assert_eq!(map.get(&key(5)), Some(&(5 + n)));
    }

    #[test]
    fn is_the_json_object_map_sorted_with_later_duplicates_winning() {
        let map = crate::json::parse_object(r#"{"z":1,"a":2,"z":3}"#).unwrap();
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "z"]);
        assert_eq!(crate::json::to_string(&map.into()), r#"{"a":2,"z":3}"#);
    }
}
