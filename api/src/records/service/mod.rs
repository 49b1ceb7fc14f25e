//! The use cases on health records. Each write is one database transaction
//! that stores the version and its lifecycle outbox row (with the version's
//! salted content hash), then delivers the event on chain (see
//! [`crate::lifecycle`]). Access decisions are the caller's (the GraphQL
//! guard).

mod create;
mod delete;
mod update;

pub use create::create;
pub use delete::delete;
pub use update::update;

use alloy::primitives::B256;
use sqlx::PgConnection;

use crate::db::InvalidInput;
use crate::gate::outbox::{self, Change};
use crate::gate::{LifecycleEntry, LifecycleKind};
use crate::lifecycle::ServiceError;
use crate::records::RecordId;
use crate::users::UserId;

/// The patient's identifier on chain: the subject of every event on their records.
async fn patient_word(conn: &mut PgConnection, patient: UserId) -> Result<B256, ServiceError> {
    crate::users::repo::get(&mut *conn, patient)
        .await?
        .and_then(|p| p.system_id)
        .map(B256::from)
        .ok_or(ServiceError::Store(
            InvalidInput::new("patientId", "must be a registered patient").into(),
        ))
}

#[allow(clippy::too_many_arguments)]
async fn enqueue_record_event(
    conn: &mut PgConnection,
    kind: LifecycleKind,
    actor: B256,
    patient: UserId,
    record: RecordId,
    version: i32,
    content_hash: B256,
) -> Result<LifecycleEntry, ServiceError> {
    let subject = patient_word(conn, patient).await?;
    let change = Change {
        record: record.into(),
        version: u64::try_from(version).unwrap_or(0),
        ..Change::user(kind, actor, subject, 0)
    }
    .with_record(record.into(), content_hash);
    Ok(outbox::enqueue(conn, change).await?)
}
