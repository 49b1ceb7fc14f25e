use alloy::primitives::B256;
use sqlx::PgPool;

use super::{department_entries, enqueue_user_event};
use crate::db::{Entity, StoreError};
use crate::gate::outbox::{self, Outbox};
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, Role, User, UserId};

/// Gives an account a new role, in the database and on chain (`RoleChanged`;
/// becoming or ceasing to be staff with a department, `DepartmentAssigned`).
/// Setting the role it already has changes nothing and records no event.
#[tracing::instrument(skip(pool, outbox))]
pub async fn set_role(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    id: UserId,
    role: Role,
) -> Result<Written<User>, ServiceError> {
    let mut tx = pool.begin().await?;
    outbox::name_actor(&mut tx, actor).await?;
    let before = repo::get(&mut *tx, id)
        .await?
        .filter(|u| !u.is_deleted())
        .ok_or(StoreError::NotFound(Entity::User))?;
    if before.role == role {
        return Ok(Written::unchanged(before));
    }
    let user = repo::set_role(&mut tx, id, role).await?;
    let entry =
        enqueue_user_event(&mut tx, LifecycleKind::RoleChanged, actor, &user, Some(role)).await?;
    let mut entries = vec![(entry, "RoleChanged")];
    entries.extend(department_entries(&mut tx, &user).await?);
    tx.commit().await?;
    tracing::info!(user = %user.id, from = %before.role, to = %role, "changed a role");
    let events = deliver(outbox, &entries).await;
    Ok(Written { value: user, events })
}
