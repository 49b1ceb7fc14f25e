use alloy::primitives::B256;
use sqlx::PgPool;

use super::enqueue_record_event;
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::records::{repo, HealthRecord, RecordChanges, RecordId, UpdateOutcome};
use crate::users::UserId;

/// Writes a new version by `author` if the editor saw the current one
/// (otherwise `Conflict::StaleVersion` and nothing is written), and anchors
/// it on chain (`RecordVersionCreated`). A change that equals the current
/// version writes nothing and records no event.
#[tracing::instrument(skip(pool, outbox, changes))]
pub async fn update(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    author: UserId,
    id: RecordId,
    expected_version: i32,
    changes: &RecordChanges,
) -> Result<Written<HealthRecord>, ServiceError> {
    let mut tx = pool.begin().await?;
    let outcome = repo::update_in(&mut tx, id, expected_version, changes, author).await?;
    let record = match outcome {
        UpdateOutcome::Unchanged(record) => {
            tx.rollback().await?;
            return Ok(Written::unchanged(record));
        }
        UpdateOutcome::Updated(record) => record,
    };
    let hash = B256::from(record.content_hash);
    let entry = enqueue_record_event(
        &mut tx,
        LifecycleKind::RecordVersionCreated,
        actor,
        record.patient_id,
        record.id,
        record.version,
        hash,
    )
    .await?;
    tx.commit().await?;
    let events = deliver(outbox, &[(entry, "RecordVersionCreated")]).await;
    Ok(Written { value: record, events })
}
