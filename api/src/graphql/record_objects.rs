//! The `HealthRecord`, `HealthRecordVersion` and `RecordType` GraphQL types.
//! Their patient and author are loaded through the request's DataLoader and
//! shown as a [`PersonObject`]: a professional identity, never the whole account.

use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};

use super::error::ApiError;
use super::loaders;
use super::person_object::PersonObject;
use crate::records::{HealthRecord, RecordVersion};

/// What kind of record.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::records::RecordType")]
pub enum RecordType {
    Diagnosis,
    Prescription,
    LabResult,
    VitalSigns,
    Allergy,
    Procedure,
    ClinicalNote,
}

/// The current version of a health record.
pub struct HealthRecordObject(pub HealthRecord);

#[Object(name = "HealthRecord")]
impl HealthRecordObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Whom the record is about (their name and role; the whole account
    /// only through `user(id)`).
    async fn patient(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.patient_id).await?.into())
    }
    async fn record_type(&self) -> RecordType {
        self.0.record_type.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The structured content (a JSON object).
    async fn content(&self) -> async_graphql::Json<&serde_json::Value> {
        async_graphql::Json(&self.0.content)
    }
    /// Who wrote this version.
    async fn author(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.author_id).await?.into())
    }
    /// 1 for a new record, one more for each change.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When version 1 was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When this version was written.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The salted SHA-256 of this version (hex), as anchored on chain.
    async fn content_hash(&self) -> String {
        self.0.content_hash.to_string()
    }
}

/// One version of a record, current or past, with when it was current.
pub struct HealthRecordVersionObject(pub RecordVersion);

#[Object(name = "HealthRecordVersion")]
impl HealthRecordVersionObject {
    async fn id(&self) -> ID {
        ID(self.0.record_id.to_string())
    }
    /// Whom the record is about (their name and role; the whole account
    /// only through `user(id)`).
    async fn patient(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.patient_id).await?.into())
    }
    async fn record_type(&self) -> RecordType {
        self.0.record_type.into()
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn content(&self) -> async_graphql::Json<&serde_json::Value> {
        async_graphql::Json(&self.0.content)
    }
    /// Who wrote this version.
    async fn author(&self, ctx: &Context<'_>) -> Result<PersonObject, ApiError> {
        Ok(loaders::user(ctx, self.0.author_id).await?.into())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When version 1 of the record was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When this version was written (the same as `validFrom`).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.valid_from
    }
    /// Start of the period this version was current.
    async fn valid_from(&self) -> DateTime<Utc> {
        self.0.valid_from
    }
    /// End of that period; null while it still is.
    async fn valid_to(&self) -> Option<DateTime<Utc>> {
        self.0.valid_to
    }
    async fn content_hash(&self) -> String {
        self.0.content_hash.to_string()
    }
}
