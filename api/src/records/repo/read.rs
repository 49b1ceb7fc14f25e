use sqlx::PgExecutor;

use super::row::RecordRow;
use crate::db::StoreError;
use crate::records::{HealthRecord, RecordId, RecordType};
use crate::users::UserId;

/// The current version of a live record; `None` if there is no such record
/// (or it was deleted: its history stays readable through `temporal`).
pub async fn get(
    db: impl PgExecutor<'_>,
    id: RecordId,
) -> Result<Option<HealthRecord>, StoreError> {
    Ok(get_many(db, &[id]).await?.pop())
}

/// The current version of every live record of a patient, most recently
/// changed first.
pub async fn for_patient(
    db: impl PgExecutor<'_>,
    patient_id: UserId,
) -> Result<Vec<HealthRecord>, StoreError> {
    for_patients(db, &[patient_id]).await
}

/// The current version of each live record among `ids`, in no set order;
/// ids with no live record are left out.
#[tracing::instrument(skip_all, fields(ids = ids.len()))]
pub async fn get_many(
    db: impl PgExecutor<'_>,
    ids: &[RecordId],
) -> Result<Vec<HealthRecord>, StoreError> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
    sqlx::query_as!(
        RecordRow,
        r#"
        SELECT id, patient_id, record_type AS "record_type: RecordType", title, content,
               author_id, created_at, updated_at, version, content_hash, content_salt
          FROM health_records
         WHERE id = ANY($1)
        "#,
        &ids,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(HealthRecord::try_from)
    .collect()
}

/// [`for_patient`] for several patients in one query: every live record of
/// each, by patient, each patient's most recently changed first.
#[tracing::instrument(skip_all, fields(patients = patients.len()))]
pub async fn for_patients(
    db: impl PgExecutor<'_>,
    patients: &[UserId],
) -> Result<Vec<HealthRecord>, StoreError> {
    let patients: Vec<i64> = patients.iter().map(|p| p.0).collect();
    sqlx::query_as!(
        RecordRow,
        r#"
        SELECT id, patient_id, record_type AS "record_type: RecordType", title, content,
               author_id, created_at, updated_at, version, content_hash, content_salt
          FROM health_records
         WHERE patient_id = ANY($1)
         ORDER BY patient_id, updated_at DESC, id
        "#,
        &patients,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(HealthRecord::try_from)
    .collect()
}
