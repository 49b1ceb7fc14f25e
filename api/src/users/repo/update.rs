use sqlx::PgConnection;

use super::optional_text;
use super::row::UserRow;
use crate::db::{Entity, StoreError};
use crate::users::{Role, User, UserChanges, UserId};

/// Applies the fields set in `changes` to a live account and returns it.
/// A deleted or unknown user is `NotFound`.
#[tracing::instrument(skip(conn))]
pub async fn update(
    conn: &mut PgConnection,
    id: UserId,
    changes: &UserChanges,
) -> Result<User, StoreError> {
    let (set_address, address) = split(&changes.address);
    let (set_department, department) = split(&changes.department);
    let (set_position, position) = split(&changes.position);
    sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users SET
            full_name     = coalesce($2, full_name),
            address       = CASE WHEN $3 THEN $4 ELSE address END,
            department    = CASE WHEN $5 THEN $6 ELSE department END,
            position      = CASE WHEN $7 THEN $8 ELSE position END,
            password_hash = coalesce($9, password_hash)
         WHERE id = $1 AND deleted_at IS NULL
        RETURNING id, system_id, username, password_hash, full_name, address, department,
                  position, role AS "role: Role", created_at, updated_at, deleted_at
        "#,
        id.0,
        changes.full_name.as_ref().map(|n| n.as_str()),
        set_address,
        address,
        set_department,
        department,
        set_position,
        position,
        changes.password_hash.as_ref().map(|h| h.as_str()),
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound(Entity::User))?
    .try_into()
}

/// Gives a live account a new role and returns it. A deleted or unknown user
/// is `NotFound`.
#[tracing::instrument(skip(conn))]
pub async fn set_role(conn: &mut PgConnection, id: UserId, role: Role) -> Result<User, StoreError> {
    sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users SET role = $2
         WHERE id = $1 AND deleted_at IS NULL
        RETURNING id, system_id, username, password_hash, full_name, address, department,
                  position, role AS "role: Role", created_at, updated_at, deleted_at
        "#,
        id.0,
        role as Role,
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound(Entity::User))?
    .try_into()
}

/// `(whether to set, the value to set)` for an optional field.
fn split(change: &Option<Option<String>>) -> (bool, Option<&str>) {
    match change {
        Some(value) => (true, optional_text(value.as_deref())),
        None => (false, None),
    }
}
