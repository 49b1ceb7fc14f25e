use sqlx::PgConnection;

use super::row::UserRow;
use crate::db::{Entity, StoreError};
use crate::users::{Role, User, UserId};

/// Marks a live account deleted and returns it. The row stays (the audit trail
/// and health records point at it); the account can no longer log in, be found
/// by search or be changed. An unknown or already deleted user is `NotFound`.
#[tracing::instrument(skip(conn))]
pub async fn soft_delete(conn: &mut PgConnection, id: UserId) -> Result<User, StoreError> {
    sqlx::query_as!(
        UserRow,
        r#"
        UPDATE users SET deleted_at = now()
         WHERE id = $1 AND deleted_at IS NULL
        RETURNING id, system_id, username, password_hash, full_name, address, department,
                  position, role AS "role: Role", created_at, updated_at, deleted_at
        "#,
        id.0,
    )
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound(Entity::User))?
    .try_into()
}
