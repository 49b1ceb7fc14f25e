//! The identifier of a health record.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::B256;
use uuid::Uuid;

use crate::db::InvalidInput;

/// A health record's id: a random (v4) UUID, shared by all its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct RecordId(pub Uuid);

impl RecordId {
    /// A fresh random id.
    pub fn new() -> Self {
        RecordId(Uuid::new_v4())
    }
}

impl RecordId {
    /// The id back from its contract word; `None` when the word is not a
    /// left-padded UUID.
    pub fn from_word(word: &B256) -> Option<Self> {
        let bytes = word.as_slice();
        if bytes[..16].iter().any(|b| *b != 0) {
            return None;
        }
        Uuid::from_slice(&bytes[16..]).ok().map(RecordId)
    }
}

/// A record id as the access contract sees it: the UUID's 16 bytes,
/// left-padded to 32.
impl From<RecordId> for B256 {
    fn from(id: RecordId) -> Self {
        let mut word = [0u8; 32];
        word[16..].copy_from_slice(id.0.as_bytes());
        B256::from(word)
    }
}

impl Default for RecordId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RecordId {
    /// Lowercase hyphenated, as hashed: `67e55044-10b1-426f-9247-bb680e5fe0c8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for RecordId {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s)
            .map(RecordId)
            .map_err(|_| InvalidInput::new("recordId", "must be a UUID"))
    }
}
