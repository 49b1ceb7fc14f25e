use alloy::primitives::B256;
use sqlx::PgPool;

use super::enqueue_user_event;
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, User, UserId};

/// Deletes an account (`UserDeleted`; its role on chain becomes NONE). The
/// row stays, marked deleted: the trail and records name it.
#[tracing::instrument(skip(pool, outbox))]
pub async fn delete(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    id: UserId,
) -> Result<Written<User>, ServiceError> {
    let mut tx = pool.begin().await?;
    let user = repo::soft_delete(&mut tx, id).await?;
    let entry = enqueue_user_event(&mut tx, LifecycleKind::UserDeleted, actor, &user, None).await?;
    tx.commit().await?;
    tracing::info!(user = %user.id, "deleted an account");
    let events = deliver(outbox, &[(entry, "UserDeleted")]).await;
    Ok(Written { value: user, events })
}
