use alloy::primitives::B256;
use sqlx::PgPool;

use super::create_in;
use crate::gate::outbox::Outbox;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{NewUser, User};

/// Creates an account and registers it on chain with its role (`UserAdded`).
/// `new.system_id` must be set: the identifier the access decision named.
#[tracing::instrument(skip_all, fields(role = %new.role))]
pub async fn create(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    new: &NewUser,
) -> Result<Written<User>, ServiceError> {
    let mut tx = pool.begin().await?;
    let (user, entry) = create_in(&mut tx, actor, new).await?;
    tx.commit().await?;
    tracing::info!(user = %user.id, "created an account");
    let events = deliver(outbox, &[(entry, "UserAdded")]).await;
    Ok(Written { value: user, events })
}
