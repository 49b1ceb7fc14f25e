use alloy::primitives::B256;
use secrecy::SecretString;
use sqlx::PgPool;

use super::enqueue_user_event;
use crate::auth::password::{self, PasswordHashString};
use crate::db::{Entity, StoreError};
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, PasswordHash, User, UserChanges, UserId};

/// A signed-in user changes their own password: the current one must verify,
/// the new one must follow the rules (12 to 128 characters). Recorded as
/// `UserModified` with the user as both actor and subject. Every other token
/// of the user is revoked in the same transaction (migration 0047); `keep`,
/// the token the change was made with, stays valid.
#[tracing::instrument(skip(pool, outbox, current, new))]
pub async fn change_password(
    pool: &PgPool,
    outbox: &Outbox,
    id: UserId,
    keep: uuid::Uuid,
    current: SecretString,
    new: SecretString,
) -> Result<Written<User>, ServiceError> {
    let user = repo::get(pool, id)
        .await?
        .filter(|u| !u.is_deleted())
        .ok_or(StoreError::NotFound(Entity::User))?;
    let stored = PasswordHashString::from_stored(user.password_hash.as_str().to_owned());
    if !password::verify(current, stored).await {
        return Err(ServiceError::WrongPassword);
    }
    let phc = password::hash(new).await?;
    let hash = PasswordHash::from_phc(phc.as_str().to_owned()).map_err(StoreError::from)?;
    let actor = user.system_id.map(B256::from).ok_or(ServiceError::NotRegistered("the user"))?;
    let changes = UserChanges { password_hash: Some(hash), ..UserChanges::default() };
    let mut tx = pool.begin().await?;
    sqlx::query!("SELECT set_config('careledger.keep_token', $1, true)", keep.to_string())
        .fetch_one(&mut *tx)
        .await?;
    let updated = repo::update(&mut tx, id, &changes).await?;
    let entry =
        enqueue_user_event(&mut tx, LifecycleKind::UserModified, actor, &updated, None).await?;
    tx.commit().await?;
    tracing::info!(user = %id, "password changed");
    let events = deliver(outbox, &[(entry, "UserModified")]).await;
    Ok(Written { value: updated, events })
}
