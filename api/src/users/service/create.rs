use alloy::primitives::B256;
use sqlx::PgPool;

use super::{create_in, department_entries};
use crate::gate::outbox::{self, Outbox};
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{NewUser, User};

/// Creates an account and registers it on chain with its role (`UserAdded`;
/// a staff member with a department also `DepartmentAssigned`, by `actor`).
/// `new.system_id` must be set: the identifier the access decision named.
#[tracing::instrument(skip_all, fields(role = %new.role))]
pub async fn create(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    new: &NewUser,
) -> Result<Written<User>, ServiceError> {
    let mut tx = pool.begin().await?;
    outbox::name_actor(&mut tx, actor).await?;
    let (user, entry) = create_in(&mut tx, actor, new).await?;
    let mut entries = vec![(entry, "UserAdded")];
    entries.extend(department_entries(&mut tx, &user).await?);
    tx.commit().await?;
    tracing::info!(user = %user.id, "created an account");
    let events = deliver(outbox, &entries).await;
    Ok(Written { value: user, events })
}
