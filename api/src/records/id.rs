//! The identifier of a health record.

use std::fmt;
use std::str::FromStr;

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
