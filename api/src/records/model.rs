//! What a record is, as written and as stored.

use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::hash::{ContentHash, ContentSalt};
use super::{RecordContent, RecordId, RecordTitle, RecordType};
use crate::users::UserId;

/// A record to create (as its version 1).
#[derive(Debug, Clone)]
pub struct NewRecord {
    /// Must be a live user with role PATIENT.
    pub patient_id: UserId,
    pub record_type: RecordType,
    pub title: RecordTitle,
    pub content: RecordContent,
    pub author_id: UserId,
}

/// A change to a record: `None` keeps the current value. A change whose
/// result equals the current version creates no new version.
#[derive(Debug, Clone, Default)]
pub struct RecordChanges {
    pub title: Option<RecordTitle>,
    pub content: Option<RecordContent>,
}

/// The current version of a live record.
#[derive(Clone)]
pub struct HealthRecord {
    pub id: RecordId,
    pub patient_id: UserId,
    pub record_type: RecordType,
    pub title: String,
    pub content: Value,
    /// Who wrote this version.
    pub author_id: UserId,
    /// When version 1 was written.
    pub created_at: DateTime<Utc>,
    /// When this version was written: the start of its validity period.
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub content_hash: ContentHash,
    pub content_salt: ContentSalt,
}

/// One version of a record, current or past, with the period it was current:
/// `[valid_from, valid_to)`, `valid_to` being `None` while it still is.
#[derive(Clone)]
pub struct RecordVersion {
    pub record_id: RecordId,
    pub version: i32,
    pub patient_id: UserId,
    pub record_type: RecordType,
    pub title: String,
    pub content: Value,
    /// Who wrote this version.
    pub author_id: UserId,
    /// When version 1 of the record was written.
    pub created_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    /// Who ended this version: the author of the next one or whoever deleted
    /// the record; `None` while current (or when deleted outside the api).
    pub closed_by: Option<UserId>,
    pub content_hash: ContentHash,
    pub content_salt: ContentSalt,
}

/// What an update did.
#[derive(Debug, Clone)]
pub enum UpdateOutcome {
    /// A new version was written; here it is.
    Updated(HealthRecord),
    /// The change equalled the current version: nothing was written, and the
    /// record is returned as it is.
    Unchanged(HealthRecord),
}

impl UpdateOutcome {
    pub fn record(&self) -> &HealthRecord {
        match self {
            UpdateOutcome::Updated(r) | UpdateOutcome::Unchanged(r) => r,
        }
    }

    pub fn into_record(self) -> HealthRecord {
        match self {
            UpdateOutcome::Updated(r) | UpdateOutcome::Unchanged(r) => r,
        }
    }

    pub fn is_updated(&self) -> bool {
        matches!(self, UpdateOutcome::Updated(_))
    }
}

/// Identifiers and version only: titles and content stay out of logs.
impl fmt::Debug for HealthRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthRecord")
            .field("id", &self.id)
            .field("record_type", &self.record_type)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RecordVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordVersion")
            .field("record_id", &self.record_id)
            .field("version", &self.version)
            .field("valid_from", &self.valid_from)
            .field("valid_to", &self.valid_to)
            .finish_non_exhaustive()
    }
}
