//! Rows as the queries return them, and their conversion to the model.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::db::{corrupt, StoreError};
use crate::records::{ContentHash, ContentSalt, HealthRecord, RecordId, RecordType, RecordVersion};
use crate::users::UserId;
use uuid::Uuid;

/// A `health_records` row.
pub(super) struct RecordRow {
    pub id: Uuid,
    pub patient_id: i64,
    pub record_type: RecordType,
    pub title: String,
    pub content: Value,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub content_hash: Vec<u8>,
    pub content_salt: Vec<u8>,
}

/// A `health_record_versions` row, its period split into its bounds.
pub(super) struct VersionRow {
    pub id: Uuid,
    pub version: i32,
    pub patient_id: i64,
    pub record_type: RecordType,
    pub title: String,
    pub content: Value,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
    pub content_hash: Vec<u8>,
    pub content_salt: Vec<u8>,
}

pub(super) fn hash_of(bytes: &[u8]) -> Result<ContentHash, StoreError> {
    ContentHash::from_slice(bytes).ok_or_else(|| corrupt("content_hash"))
}

pub(super) fn salt_of(bytes: &[u8]) -> Result<ContentSalt, StoreError> {
    ContentSalt::from_slice(bytes).ok_or_else(|| corrupt("content_salt"))
}

impl TryFrom<RecordRow> for HealthRecord {
    type Error = StoreError;

    fn try_from(row: RecordRow) -> Result<Self, Self::Error> {
        Ok(HealthRecord {
            id: RecordId(row.id),
            patient_id: UserId(row.patient_id),
            record_type: row.record_type,
            title: row.title,
            content: row.content,
            author_id: UserId(row.author_id),
            created_at: row.created_at,
            updated_at: row.updated_at,
            version: row.version,
            content_hash: hash_of(&row.content_hash)?,
            content_salt: salt_of(&row.content_salt)?,
        })
    }
}

impl TryFrom<VersionRow> for RecordVersion {
    type Error = StoreError;

    fn try_from(row: VersionRow) -> Result<Self, Self::Error> {
        Ok(RecordVersion {
            record_id: RecordId(row.id),
            version: row.version,
            patient_id: UserId(row.patient_id),
            record_type: row.record_type,
            title: row.title,
            content: row.content,
            author_id: UserId(row.author_id),
            created_at: row.created_at,
            valid_from: row.valid_from,
            valid_to: row.valid_to,
            closed_by: row.closed_by.map(UserId),
            content_hash: hash_of(&row.content_hash)?,
            content_salt: salt_of(&row.content_salt)?,
        })
    }
}
