//! In-process memory of answers the database would give again, so a guarded
//! request does not pay a round trip for each of them:
//!
//! - [`subjects`]: whom a request is about (a user's system-wide identifier,
//!   a record's patient's). These never change once set, so a remembered
//!   answer cannot go stale.
//! - [`sessions`]: that a token's holder is still active and the token not
//!   revoked. That can change, so every api instance listens for the
//!   database's notice of such a change and forgets at once; while it cannot
//!   listen, it remembers nothing.

pub mod sessions;
pub mod subjects;

use std::collections::HashMap;
use std::hash::Hash;

/// A map that holds at most `capacity` entries: when full, it starts over.
/// Cheaper than tracking recency, and a miss only costs the lookup it saves.
#[derive(Debug)]
struct Bounded<K, V> {
    map: HashMap<K, V>,
    capacity: usize,
}

impl<K: Eq + Hash, V> Bounded<K, V> {
    fn new(capacity: usize) -> Self {
        Self { map: HashMap::new(), capacity }
    }

    fn get<Q: Eq + Hash + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.map.get(key)
    }

    fn insert(&mut self, key: K, value: V) {
        if self.map.len() >= self.capacity && !self.map.contains_key(&key) {
            self.map.clear();
        }
        self.map.insert(key, value);
    }

    fn remove<Q: Eq + Hash + ?Sized>(&mut self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
    {
        self.map.remove(key);
    }

    fn retain(&mut self, keep: impl FnMut(&K, &mut V) -> bool) {
        self.map.retain(keep);
    }

    fn clear(&mut self) {
        self.map.clear();
    }

    fn len(&self) -> usize {
        self.map.len()
    }
}

/// How often a cache answered from memory, for `/metrics`.
#[derive(Debug, Default)]
pub struct Counts {
    pub hits: std::sync::atomic::AtomicU64,
    pub misses: std::sync::atomic::AtomicU64,
}

impl Counts {
    fn count(&self, hit: bool) {
        let counter = if hit { &self.hits } else { &self.misses };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn a_full_map_starts_over_and_keeps_the_new_entry() {
        let mut map = Bounded::new(2);
        map.insert(1, "a");
        map.insert(2, "b");
        map.insert(2, "b2");
        assert_eq!((map.len(), map.get(&2)), (2, Some(&"b2")));
        map.insert(3, "c");
        assert_eq!((map.len(), map.get(&1), map.get(&3)), (1, None, Some(&"c")));
    }
}
