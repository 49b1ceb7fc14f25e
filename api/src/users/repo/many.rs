use sqlx::PgExecutor;

use super::row::UserRow;
use crate::db::StoreError;
use crate::users::{Role, SystemId, User, UserId};

/// The accounts with these internal ids, deleted or not, in one query (for
/// the per-request loader of record authors and patients).
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn get_many(db: impl PgExecutor<'_>, ids: &[UserId]) -> Result<Vec<User>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, system_id, username, password_hash, full_name, address, department,
               position, role AS "role: Role", created_at, updated_at, deleted_at
          FROM users
         WHERE id = ANY($1)
        "#,
        &ids,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(User::try_from)
    .collect()
}

/// The accounts holding these system-wide identifiers, deleted or not, in
/// one query (for the loader of the people an audit page names). An
/// identifier no account holds is simply absent from the result.
#[tracing::instrument(skip_all, fields(n = ids.len()))]
pub async fn get_many_by_system_id(
    db: impl PgExecutor<'_>,
    ids: &[SystemId],
) -> Result<Vec<User>, StoreError> {
    let ids: Vec<Vec<u8>> = ids.iter().map(|id| id.as_bytes().to_vec()).collect();
    sqlx::query_as!(
        UserRow,
        r#"
        SELECT id, system_id, username, password_hash, full_name, address, department,
               position, role AS "role: Role", created_at, updated_at, deleted_at
          FROM users
         WHERE system_id = ANY($1)
        "#,
        &ids,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(User::try_from)
    .collect()
}
