//! What a file has already named, so a second line for the same account fails: the identity
//! value, the username, and the account each line resolved to. Kept as 64-bit hashes in one set
//! (about 20 bytes per line at a million lines); a collision between two different keys is
//! vanishingly unlikely.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Kinds of key, so equal text under two kinds never collides.
#[derive(Hash, Clone, Copy)]
pub(super) enum Key<'a> {
    Identity(&'a str),
    Username(&'a str),
    Account(i64),
}

#[derive(Debug, Default)]
pub(super) struct Seen(HashSet<u64>);

fn hash(key: Key<'_>) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl Seen {
    pub fn contains(&self, key: Key<'_>) -> bool {
        self.0.contains(&hash(key))
    }

    /// Records `key`; false when it was already there.
    pub fn insert(&mut self, key: Key<'_>) -> bool {
        self.0.insert(hash(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_different_kinds_never_meet() {
        let mut seen = Seen::default();
        assert!(seen.insert(Key::Username("e1")));
        assert!(!seen.contains(Key::Identity("e1")));
        assert!(!seen.insert(Key::Username("e1")));
        assert!(seen.insert(Key::Account(5)));
        assert!(seen.contains(Key::Account(5)));
    }
}
