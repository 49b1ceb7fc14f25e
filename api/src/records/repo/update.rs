use sqlx::{Acquire, PgConnection, Postgres, Transaction};

use super::row::RecordRow;
use crate::db::{corrupt, Conflict, Entity, StoreError};
use crate::records::hash::{content_hash, HashedFields};
use crate::records::{
    CanonicalJson, HealthRecord, RecordChanges, RecordId, RecordType, UpdateOutcome,
};
use crate::users::UserId;

/// Writes a new version of a record, by `author`, if the editor saw the
/// current one.
///
/// - `expected_version` is the version the editor started from; if the record
///   has moved on, `Conflict::StaleVersion { current }` and nothing is written.
/// - If the result equals the current version (same type, title and content),
///   nothing is written: `UpdateOutcome::Unchanged` with the record as it is.
/// - Otherwise `UpdateOutcome::Updated` with the new version.
///
/// Runs in its own transaction (a savepoint if `conn` is already in one),
/// holding the record's row lock from the version check to the write.
pub async fn update(
    conn: &mut PgConnection,
    id: RecordId,
    expected_version: i32,
    changes: &RecordChanges,
    author: UserId,
) -> Result<UpdateOutcome, StoreError> {
    let mut tx = conn.begin().await?;
    let outcome = update_in(&mut tx, id, expected_version, changes, author).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// [`update`] inside the caller's transaction, without a savepoint of its
/// own (two round trips fewer): the record's row stays locked until the
/// caller commits or rolls back, and an error leaves the transaction to be
/// rolled back.
#[tracing::instrument(skip(tx, changes), fields(record_id = %id))]
pub async fn update_in(
    tx: &mut Transaction<'_, Postgres>,
    id: RecordId,
    expected_version: i32,
    changes: &RecordChanges,
    author: UserId,
) -> Result<UpdateOutcome, StoreError> {
    let current = sqlx::query!(
        r#"
        SELECT id, patient_id, record_type AS "record_type: RecordType", title, content,
               content::text AS "content_json!", author_id, created_at, updated_at, version,
               content_hash, content_salt
          FROM health_records
         WHERE id = $1
           FOR UPDATE
        "#,
        id.0,
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound(Entity::Record))?;

    if current.version != expected_version {
        return Err(Conflict::StaleVersion { current: current.version }.into());
    }

    let title = changes.title.as_ref().map_or(current.title.as_str(), |t| t.as_str());
    // Unchanged content is hashed as stored, and left as stored.
    let stored_content;
    let content = match &changes.content {
        Some(content) => content.canonical(),
        None => {
            stored_content = CanonicalJson::from_json_text(&current.content_json)
                .map_err(|_| corrupt("health_records.content"))?;
            &stored_content
        }
    };
    let salt = super::row::salt_of(&current.content_salt)?;
    let hash = content_hash(
        &salt,
        &HashedFields {
            record_id: id,
            patient_id: UserId(current.patient_id),
            author_id: author,
            record_type: current.record_type,
            title,
            version: current.version + 1,
            content,
        },
    );

    // The trigger skips the row when nothing changed, so no row comes back.
    let updated = sqlx::query_as!(
        RecordRow,
        r#"
        UPDATE health_records
           SET title = $2, content = coalesce($3, content), author_id = $4, content_hash = $5
         WHERE id = $1
        RETURNING id, patient_id, record_type AS "record_type: RecordType", title, content,
                  author_id, created_at, updated_at, version, content_hash, content_salt
        "#,
        id.0,
        title,
        changes.content.as_ref().map(|c| c.as_value()),
        author.0,
        hash.as_bytes().as_slice(),
    )
    .fetch_optional(&mut **tx)
    .await?;

    match updated {
        Some(row) => Ok(UpdateOutcome::Updated(HealthRecord::try_from(row)?)),
        None => {
            let unchanged = RecordRow {
                id: current.id,
                patient_id: current.patient_id,
                record_type: current.record_type,
                title: current.title,
                content: current.content,
                author_id: current.author_id,
                created_at: current.created_at,
                updated_at: current.updated_at,
                version: current.version,
                content_hash: current.content_hash,
                content_salt: current.content_salt,
            };
            Ok(UpdateOutcome::Unchanged(HealthRecord::try_from(unchanged)?))
        }
    }
}
