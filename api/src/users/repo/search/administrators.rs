//! Root's list of administrators: the one place ADMIN accounts are listed,
//! since the directory search never shows them.

use sqlx::PgExecutor;

use super::{SearchCursor, SearchRow};
use crate::db::StoreError;
use crate::users::Role;

/// Up to `limit` live ADMIN accounts after `after`, in `lower(full_name), id`
/// order (served by the index `users_directory_idx`). Rank and score are 0.
pub(super) async fn rows(
    db: impl PgExecutor<'_>,
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
           AND u.role = 'ADMIN'
           AND ($1::bigint IS NULL
                OR (lower(u.full_name), u.id) > ((SELECT lower(c.full_name) FROM users c WHERE c.id = $1), $1))
         ORDER BY lower(u.full_name), u.id
         LIMIT $2
        "#,
        after.map(|c| c.id),
        limit,
    )
    .fetch_all(db)
    .await?)
}
