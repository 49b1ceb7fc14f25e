//! Versions of a record across time: all of them, one of them, or the one
//! current at an instant. These read `health_record_versions` (current ∪
//! history), so they work for deleted records too.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::row::VersionRow;
use crate::db::StoreError;
use crate::records::{RecordId, RecordType, RecordVersion};

/// Every version of a record, oldest first; empty if it never existed.
#[tracing::instrument(skip(db))]
pub async fn history(
    db: impl PgExecutor<'_>,
    id: RecordId,
) -> Result<Vec<RecordVersion>, StoreError> {
    sqlx::query_as!(
        VersionRow,
        r#"
        SELECT id AS "id!", version AS "version!", patient_id AS "patient_id!",
               record_type AS "record_type!: RecordType", title AS "title!",
               content AS "content!", author_id AS "author_id!", created_at AS "created_at!",
               lower(sys_period) AS "valid_from!", upper(sys_period) AS "valid_to?",
               closed_by AS "closed_by?", content_hash AS "content_hash!",
               content_salt AS "content_salt!"
          FROM health_record_versions
         WHERE id = $1
         ORDER BY version
        "#,
        id.0,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(RecordVersion::try_from)
    .collect()
}

/// One version of a record.
#[tracing::instrument(skip(db))]
pub async fn version(
    db: impl PgExecutor<'_>,
    id: RecordId,
    version: i32,
) -> Result<Option<RecordVersion>, StoreError> {
    sqlx::query_as!(
        VersionRow,
        r#"
        SELECT id AS "id!", version AS "version!", patient_id AS "patient_id!",
               record_type AS "record_type!: RecordType", title AS "title!",
               content AS "content!", author_id AS "author_id!", created_at AS "created_at!",
               lower(sys_period) AS "valid_from!", upper(sys_period) AS "valid_to?",
               closed_by AS "closed_by?", content_hash AS "content_hash!",
               content_salt AS "content_salt!"
          FROM health_record_versions
         WHERE id = $1 AND version = $2
        "#,
        id.0,
        version,
    )
    .fetch_optional(db)
    .await?
    .map(RecordVersion::try_from)
    .transpose()
}

/// The version that was current at `at`: the one whose period
/// `[valid_from, valid_to)` contains it. `None` before the record was created
/// and from the moment it was deleted.
#[tracing::instrument(skip(db))]
pub async fn as_of(
    db: impl PgExecutor<'_>,
    id: RecordId,
    at: DateTime<Utc>,
) -> Result<Option<RecordVersion>, StoreError> {
    sqlx::query_as!(
        VersionRow,
        r#"
        SELECT id AS "id!", version AS "version!", patient_id AS "patient_id!",
               record_type AS "record_type!: RecordType", title AS "title!",
               content AS "content!", author_id AS "author_id!", created_at AS "created_at!",
               lower(sys_period) AS "valid_from!", upper(sys_period) AS "valid_to?",
               closed_by AS "closed_by?", content_hash AS "content_hash!",
               content_salt AS "content_salt!"
          FROM health_record_versions
         WHERE id = $1 AND sys_period @> $2::timestamptz
        "#,
        id.0,
        at,
    )
    .fetch_optional(db)
    .await?
    .map(RecordVersion::try_from)
    .transpose()
}
