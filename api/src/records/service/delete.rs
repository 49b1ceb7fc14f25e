use alloy::primitives::B256;
use sqlx::PgPool;

use super::enqueue_record_event;
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::records::{repo, RecordId, RecordVersion};
use crate::users::UserId;

/// Deletes a record by `author` (its history stays readable) and records it
/// on chain (`RecordDeleted` at its last version). Returns that last version.
#[tracing::instrument(skip(pool, outbox))]
pub async fn delete(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    author: UserId,
    id: RecordId,
) -> Result<Written<RecordVersion>, ServiceError> {
    let mut tx = pool.begin().await?;
    let last = repo::delete(&mut tx, id, author).await?;
    let entry = enqueue_record_event(
        &mut tx,
        LifecycleKind::RecordDeleted,
        actor,
        last.patient_id,
        id,
        last.version,
        B256::ZERO,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(record_id = %id, "deleted a health record");
    let events = deliver(outbox, &[(entry, "RecordDeleted")]).await;
    Ok(Written { value: last, events })
}
