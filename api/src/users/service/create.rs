use alloy::primitives::B256;
use sqlx::PgPool;

use super::enqueue_user_event;
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, NewUser, User};

/// Creates an account and registers it on chain with its role (`UserAdded`).
/// `new.system_id` must be set: the identifier the access decision named.
#[tracing::instrument(skip_all, fields(role = %new.role))]
pub async fn create(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    new: &NewUser,
) -> Result<Written<User>, ServiceError> {
    if new.system_id.is_none() {
        return Err(ServiceError::NotRegistered("the new account"));
    }
    let mut tx = pool.begin().await?;
    let user = repo::create(&mut tx, new).await?;
    let entry =
        enqueue_user_event(&mut tx, LifecycleKind::UserAdded, actor, &user, Some(user.role))
            .await?;
    tx.commit().await?;
    tracing::info!(user = %user.id, "created an account");
    let events = deliver(outbox, &[(entry, "UserAdded")]).await;
    Ok(Written { value: user, events })
}
