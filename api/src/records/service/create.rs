use alloy::primitives::B256;
use sqlx::PgPool;

use super::enqueue_record_event;
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::records::{repo, HealthRecord, NewRecord};

/// Creates a record as version 1 and anchors its content hash on chain
/// (`RecordVersionCreated`). `actor` is the author's system-wide identifier.
#[tracing::instrument(skip_all, fields(record_type = %new.record_type))]
pub async fn create(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    new: &NewRecord,
) -> Result<Written<HealthRecord>, ServiceError> {
    let mut tx = pool.begin().await?;
    let record = repo::create(&mut tx, new).await?;
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
    tracing::info!(record_id = %record.id, "created a health record");
    let events = deliver(outbox, &[(entry, "RecordVersionCreated")]).await;
    Ok(Written { value: record, events })
}
