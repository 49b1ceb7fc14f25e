use alloy::primitives::B256;
use sqlx::PgPool;

use super::{department_entries, enqueue_user_event};
use crate::db::{Entity, StoreError};
use crate::gate::outbox::{self, Outbox};
use crate::gate::LifecycleKind;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, User, UserChanges, UserId};

/// Changes an account's details (`UserModified`; a staff member's new
/// department also `DepartmentAssigned`, by `actor`). A change that leaves
/// every field as it was writes nothing and records no event.
#[tracing::instrument(skip(pool, outbox, changes))]
pub async fn update(
    pool: &PgPool,
    outbox: &Outbox,
    actor: B256,
    id: UserId,
    changes: &UserChanges,
) -> Result<Written<User>, ServiceError> {
    let mut tx = pool.begin().await?;
    outbox::name_actor(&mut tx, actor).await?;
    let before = repo::get(&mut *tx, id)
        .await?
        .filter(|u| !u.is_deleted())
        .ok_or(StoreError::NotFound(Entity::User))?;
    if changes.is_empty() {
        return Ok(Written::unchanged(before));
    }
    let after = repo::update(&mut tx, id, changes).await?;
    if same_details(&before, &after) {
        tx.rollback().await?;
        return Ok(Written::unchanged(before));
    }
    let entry =
        enqueue_user_event(&mut tx, LifecycleKind::UserModified, actor, &after, None).await?;
    let mut entries = vec![(entry, "UserModified")];
    entries.extend(department_entries(&mut tx, &after).await?);
    tx.commit().await?;
    let events = deliver(outbox, &entries).await;
    Ok(Written { value: after, events })
}

fn same_details(a: &User, b: &User) -> bool {
    a.full_name == b.full_name
        && a.address == b.address
        && a.department == b.department
        && a.position == b.position
        && a.password_hash == b.password_hash
}
