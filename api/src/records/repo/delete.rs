use sqlx::{Acquire, PgConnection};

use super::temporal;
use crate::db::{corrupt, Entity, StoreError};
use crate::records::{RecordId, RecordVersion};
use crate::users::UserId;

/// Deletes a record, by `actor`: its current version moves to history with its
/// period closed (and `closed_by` = `actor`); every version stays readable
/// through `history`, `version` and `as_of`. Returns that last version.
#[tracing::instrument(skip(conn))]
pub async fn delete(
    conn: &mut PgConnection,
    id: RecordId,
    actor: UserId,
) -> Result<RecordVersion, StoreError> {
    let mut tx = conn.begin().await?;
    // The delete trigger reads who is deleting from this transaction-local setting.
    sqlx::query_scalar!("SELECT set_config('careledger.actor_id', $1, true)", actor.0.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let deleted =
        sqlx::query_scalar!("DELETE FROM health_records WHERE id = $1 RETURNING version", id.0)
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query_scalar!("SELECT set_config('careledger.actor_id', '', true)")
        .fetch_one(&mut *tx)
        .await?;
    let version = deleted.ok_or(StoreError::NotFound(Entity::Record))?;
    let last = temporal::version(&mut *tx, id, version)
        .await?
        .ok_or_else(|| corrupt("health_records_history: deleted version missing"))?;
    tx.commit().await?;
    Ok(last)
}
