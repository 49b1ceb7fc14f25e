//! Recomputing stored content hashes: the database side of the integrity check.

use sqlx::PgExecutor;

use super::row::{hash_of, salt_of};
use crate::db::{corrupt, StoreError};
use crate::records::hash::{content_hash, HashedFields};
use crate::records::{CanonicalJson, ContentHash, RecordId, RecordType};
use crate::users::UserId;

/// One version's stored hash beside the hash recomputed from its stored row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCheck {
    pub record_id: RecordId,
    pub version: i32,
    pub stored: ContentHash,
    pub recomputed: ContentHash,
}

impl VersionCheck {
    /// Whether the row still hashes to what was stored with it. (Whether the
    /// stored hash matches the one anchored on chain is the verifier's check.)
    pub fn is_intact(&self) -> bool {
        self.stored == self.recomputed
    }
}

/// Recomputes the content hash of every version of a record (current and
/// history, deleted records included) from the stored rows, oldest first.
#[tracing::instrument(skip(db))]
pub async fn verify(
    db: impl PgExecutor<'_>,
    id: RecordId,
) -> Result<Vec<VersionCheck>, StoreError> {
    let rows = sqlx::query!(
        r#"
        SELECT id AS "id!", version AS "version!", patient_id AS "patient_id!",
               author_id AS "author_id!", record_type AS "record_type!: RecordType",
               title AS "title!", content::text AS "content_json!",
               content_salt AS "content_salt!", content_hash AS "content_hash!"
          FROM health_record_versions
         WHERE id = $1
         ORDER BY version
        "#,
        id.0,
    )
    .fetch_all(db)
    .await?;

    rows.into_iter()
        .map(|row| {
            let content = CanonicalJson::from_json_text(&row.content_json)
                .map_err(|_| corrupt("health_record_versions.content"))?;
            let fields = HashedFields {
                record_id: RecordId(row.id),
                patient_id: UserId(row.patient_id),
                author_id: UserId(row.author_id),
                record_type: row.record_type,
                title: &row.title,
                version: row.version,
                content: &content,
            };
            Ok(VersionCheck {
                record_id: RecordId(row.id),
                version: row.version,
                stored: hash_of(&row.content_hash)?,
                recomputed: content_hash(&salt_of(&row.content_salt)?, &fields),
            })
        })
        .collect()
}
