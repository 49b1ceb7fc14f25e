use sqlx::PgExecutor;

use crate::db::{corrupt, StoreError};
use crate::records::RecordId;
use crate::users::SystemId;

/// The system-wide identifier of the patient a record belongs to, for access
/// decisions: also for a deleted record (its history is still the patient's).
/// `None` if no such record ever existed or the patient has no identifier yet.
#[tracing::instrument(skip(db))]
pub async fn subject_of(
    db: impl PgExecutor<'_>,
    id: RecordId,
) -> Result<Option<SystemId>, StoreError> {
    let system_id = sqlx::query_scalar!(
        r#"
        SELECT u.system_id
          FROM users u
         WHERE u.id = (SELECT v.patient_id FROM health_record_versions v WHERE v.id = $1 LIMIT 1)
        "#,
        id.0,
    )
    .fetch_optional(db)
    .await?
    .flatten();
    system_id
        .map(|bytes| SystemId::from_slice(&bytes).map_err(|_| corrupt("users.system_id")))
        .transpose()
}
