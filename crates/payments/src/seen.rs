//! The single-use hook shared by pay codes and merchant request signing: a set of values already
//! seen (pay-code nonces, request nonces) that the caller owns, so the store can persist it.
//!
//! The verifiers only ask "is this the first sighting?" after every other check has passed, so a
//! forged or stale input never takes a slot. `keep_until` tells a persistent store when the entry
//! may be forgotten: after that instant the time check alone rejects the input.

use std::collections::HashSet;
use std::hash::Hash;

use jiff::Timestamp;

/// Values already seen; a store implements this over its own table.
pub trait SeenSet<K> {
    /// Records `key`; `true` if it was not seen before (the caller may proceed), `false` if it was.
    fn first_sighting(&mut self, key: K, keep_until: Timestamp) -> bool;
}

/// An in-memory set that never forgets; for tests and single-process use.
impl<K: Eq + Hash> SeenSet<K> for HashSet<K> {
    fn first_sighting(&mut self, key: K, _keep_until: Timestamp) -> bool {
        self.insert(key)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn hash_set_reports_only_the_first_sighting() {
        let mut seen: HashSet<u32> = HashSet::new();
        let t = Timestamp::UNIX_EPOCH;
        assert!(seen.first_sighting(7, t));
        assert!(!seen.first_sighting(7, t));
        assert!(seen.first_sighting(8, t));
    }
}
