use alloy::primitives::B256;
use sqlx::{PgConnection, PgPool};

use super::enqueue_user_event;
use crate::gate::outbox::Outbox;
use crate::gate::{LifecycleEntry, LifecycleKind};
use crate::lifecycle::ServiceError;
use crate::users::{repo, NewUser, SystemId, User};

/// Stores a new account and enqueues its registration on chain (`UserAdded`
/// with its role) in the caller's transaction; the caller commits, then
/// delivers the entry. `new.system_id` must be set: the identifier the
/// contract is to know the account by.
pub async fn create_in(
    conn: &mut PgConnection,
    actor: B256,
    new: &NewUser,
) -> Result<(User, LifecycleEntry), ServiceError> {
    if new.system_id.is_none() {
        return Err(ServiceError::NotRegistered("the new account"));
    }
    let user = repo::create(conn, new).await?;
    let entry =
        enqueue_user_event(conn, LifecycleKind::UserAdded, actor, &user, Some(user.role)).await?;
    Ok((user, entry))
}

/// Creates an account and returns once it is registered on chain: for the
/// accounts the system makes itself (root at first start), where a failed
/// delivery is an error rather than left to the outbox sweep.
pub async fn register(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    new: &NewUser,
) -> Result<User, ServiceError> {
    let mut tx = pool.begin().await?;
    let (user, entry) = create_in(&mut tx, actor, new).await?;
    tx.commit().await?;
    outbox.deliver(&[entry]).await?;
    Ok(user)
}

/// An account imported without an identifier gets one (race-safe: of two
/// concurrent calls, both return the one stored) and is registered on chain
/// with its role; returns once delivered.
pub async fn register_existing(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    user: &User,
) -> Result<SystemId, ServiceError> {
    let mut tx = pool.begin().await?;
    let system_id = repo::assign_system_id(&mut tx, user.id).await?;
    let registered = User { system_id: Some(system_id), ..user.clone() };
    let entry =
        enqueue_user_event(&mut tx, LifecycleKind::UserAdded, actor, &registered, Some(user.role))
            .await?;
    tx.commit().await?;
    outbox.deliver(&[entry]).await?;
    Ok(system_id)
}
