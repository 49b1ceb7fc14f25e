use sqlx::PgConnection;

use super::row::RecordRow;
use crate::db::StoreError;
use crate::records::hash::{content_hash, ContentSalt, HashedFields};
use crate::records::{HealthRecord, NewRecord, RecordId, RecordType};

/// Creates a record as its version 1, with a fresh id and salt.
///
/// Errors: `InvalidInput { field: "patientId" }` when the patient is not a
/// live user with role PATIENT; `InvalidInput { field: "authorId" }` for an
/// unknown author.
#[tracing::instrument(skip_all, fields(record_type = %new.record_type))]
pub async fn create(conn: &mut PgConnection, new: &NewRecord) -> Result<HealthRecord, StoreError> {
    let id = RecordId::new();
    let salt = ContentSalt::random();
    let hash = content_hash(
        &salt,
        &HashedFields {
            record_id: id,
            patient_id: new.patient_id,
            author_id: new.author_id,
            record_type: new.record_type,
            title: new.title.as_str(),
            version: 1,
            content: new.content.canonical(),
        },
    );
    // version, created_at, updated_at and sys_period are set by the trigger.
    let row = sqlx::query_as!(
        RecordRow,
        r#"
        INSERT INTO health_records
            (id, patient_id, record_type, title, content, author_id, content_hash, content_salt)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id, patient_id, record_type AS "record_type: RecordType", title, content,
                  author_id, created_at, updated_at, version, content_hash, content_salt
        "#,
        id.0,
        new.patient_id.0,
        new.record_type as RecordType,
        new.title.as_str(),
        new.content.as_value(),
        new.author_id.0,
        hash.as_bytes().as_slice(),
        salt.as_bytes().as_slice(),
    )
    .fetch_one(conn)
    .await?;
    tracing::debug!(record_id = %id, "created health record");
    row.try_into()
}
