use sqlx::PgExecutor;

use super::row::UserRow;
use crate::db::StoreError;
use crate::users::{Role, SystemId, User, UserId, Username};

/// The account with this internal id, deleted or not.
#[tracing::instrument(skip(db))]
pub async fn get(db: impl PgExecutor<'_>, id: UserId) -> Result<Option<User>, StoreError> {
    sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, system_id, username, password_hash, full_name, address, department,
               position, role AS "role: Role", created_at, updated_at, deleted_at
          FROM users
         WHERE id = $1
        "#,
        id.0,
    )
    .fetch_optional(db)
    .await?
    .map(User::try_from)
    .transpose()
}

/// The account with this system-wide identifier, deleted or not (the audit
/// trail names users by it).
#[tracing::instrument(skip(db))]
pub async fn get_by_system_id(
    db: impl PgExecutor<'_>,
    system_id: &SystemId,
) -> Result<Option<User>, StoreError> {
    sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, system_id, username, password_hash, full_name, address, department,
               position, role AS "role: Role", created_at, updated_at, deleted_at
          FROM users
         WHERE system_id = $1
        "#,
        system_id.as_bytes().as_slice(),
    )
    .fetch_optional(db)
    .await?
    .map(User::try_from)
    .transpose()
}

/// The live account with this username, for login: a deleted account is not
/// found.
#[tracing::instrument(skip_all)]
pub async fn get_by_username(
    db: impl PgExecutor<'_>,
    username: &Username,
) -> Result<Option<User>, StoreError> {
    sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, system_id, username, password_hash, full_name, address, department,
               position, role AS "role: Role", created_at, updated_at, deleted_at
          FROM users
         WHERE lower(username) = lower($1) AND deleted_at IS NULL
        "#,
        username.as_str(),
    )
    .fetch_optional(db)
    .await?
    .map(User::try_from)
    .transpose()
}
