//! A bounded in-memory map from a stream to the hash of one of its versions ("head").
//!
//! Stored events are immutable, so the hash of `(stream, version)` never changes once committed:
//! a remembered head can never be stale, only absent. The PostgreSQL backend uses it to link a
//! new event to its predecessor without looking the predecessor up: if the stream has moved on
//! meanwhile, the unique index on `(stream_id, stream_version)` still rejects the append. A miss
//! falls back to the lookup inside the insert statement.

use std::collections::HashMap;
use std::sync::Mutex;

/// At most this many streams are remembered; past it the map starts afresh.
const CAPACITY: usize = 50_000;

#[derive(Debug, Default)]
pub struct Heads {
    map: Mutex<HashMap<String, (u64, [u8; 32])>>,
}

impl Heads {
    /// The hash of `stream` at `version`, if remembered.
    pub fn get(&self, stream: &str, version: u64) -> Option<[u8; 32]> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match map.get(stream) {
            Some((v, hash)) if *v == version => Some(*hash),
            _ => None,
        }
    }

    /// Remembers a committed `(stream, version) → hash`, keeping the highest version per stream.
    pub fn remember(&self, stream: &str, version: u64, hash: [u8; 32]) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if map.len() >= CAPACITY && !map.contains_key(stream) {
            map.clear();
        }
        match map.get_mut(stream) {
            Some(entry) if entry.0 >= version => {}
            Some(entry) => *entry = (version, hash),
            None => {
                map.insert(stream.to_owned(), (version, hash));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_is_found_only_at_its_own_version() {
        let heads = Heads::default();
        heads.remember("case-1", 3, [3; 32]);
        assert_eq!(heads.get("case-1", 3), Some([3; 32]));
        assert_eq!(heads.get("case-1", 2), None);
        assert_eq!(heads.get("case-2", 3), None);
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one() {
        let heads = Heads::default();
        heads.remember("case-1", 5, [5; 32]);
        heads.remember("case-1", 4, [4; 32]);
        assert_eq!(heads.get("case-1", 5), Some([5; 32]));
    }
}
