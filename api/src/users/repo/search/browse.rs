//! Without a query: every searchable account, by name.

use sqlx::PgExecutor;

use super::{SearchCursor, SearchRow};
use crate::db::StoreError;
use crate::users::Role;

/// Up to `limit` rows after `after`, in `lower(full_name), id` order (served
/// by the index `users_directory_idx`). Rank and score are 0 for all.
pub(super) async fn rows(
    db: impl PgExecutor<'_>,
    role: Option<Role>,
    limit: i64,
    after: Option<&SearchCursor>,
) -> Result<Vec<SearchRow>, StoreError> {
    Ok(sqlx::query_as!(
        SearchRow,
        r#"
        SELECT u.id, u.system_id, u.username, u.password_hash, u.full_name, u.address,
               u.department, u.position, u.role AS "role: Role", u.created_at, u.updated_at,
               u.deleted_at, 0 AS "rank!", 0::real AS "neg_score!"
          FROM users u
         WHERE u.deleted_at IS NULL
           AND u.role NOT IN ('ROOT', 'ADMIN')
           AND ($1::user_role IS NULL OR u.role = $1)
           AND ($2::bigint IS NULL
                OR (lower(u.full_name), u.id) > ((SELECT lower(c.full_name) FROM users c WHERE c.id = $2), $2))
         ORDER BY lower(u.full_name), u.id
         LIMIT $3
        "#,
        role as Option<Role>,
        after.map(|c| c.id),
        limit,
    )
    .fetch_all(db)
    .await?)
}
