//! With a query: exact, prefix and fuzzy matches, best first.

use sqlx::PgExecutor;

use super::{SearchCursor, SearchRow};
use crate::db::StoreError;
use crate::users::Role;

/// Trigram similarity means little for shorter queries (and matches nearly
/// everyone); below this many characters only exact and prefix matches count,
/// ordered by name.
const FUZZY_MIN_CHARS: usize = 3;

/// Up to `limit` rows matching `query` (trimmed, lowercased) after `after`.
pub(super) async fn rows(
    db: impl PgExecutor<'_>,
    query: &str,
    role: Option<Role>,
    limit: i64,
    after: Option<&SearchCursor>,
) -> Result<Vec<SearchRow>, StoreError> {
    let escaped = escape_like(query);
    let prefix = format!("{escaped}%");
    let word_prefix = format!("% {escaped}%");
    let fuzzy = query.chars().count() >= FUZZY_MIN_CHARS;
    Ok(sqlx::query_as!(
        SearchRow,
        r#"
        -- Candidates arm by arm, so each can use its own index: with every
        -- condition ORed in one WHERE the planner scans the table instead,
        -- running the costly trigram operators on every row.
        WITH candidates AS (
                  SELECT id FROM users WHERE username LIKE $2
            UNION SELECT id FROM users WHERE lower(full_name) LIKE $2
            UNION SELECT id FROM users WHERE lower(full_name) LIKE $3
            UNION SELECT id FROM users WHERE $4 AND username % $1
            UNION SELECT id FROM users WHERE $4 AND lower(full_name) % $1
            UNION SELECT id FROM users WHERE $4 AND $1 <% lower(full_name)
        ),
        matches AS (
            SELECT u.*,
                   CASE WHEN u.username = $1 OR lower(u.full_name) = $1 THEN 0
                        WHEN u.username LIKE $2 OR lower(u.full_name) LIKE $2
                             OR lower(u.full_name) LIKE $3 THEN 1
                        ELSE 2
                   END AS rank,
                   CASE WHEN $4 THEN -greatest(similarity(u.username, $1),
                                               similarity(lower(u.full_name), $1),
                                               word_similarity($1, lower(u.full_name)))
                        ELSE 0::real
                   END AS neg_score
              FROM users u
              JOIN candidates c ON c.id = u.id
             WHERE u.deleted_at IS NULL
               AND u.role NOT IN ('ROOT', 'ADMIN')
               AND ($5::user_role IS NULL OR u.role = $5)
        )
        SELECT m.id, m.system_id, m.username, m.password_hash, m.full_name, m.address,
               m.department, m.position, m.role AS "role: Role", m.created_at, m.updated_at,
               m.deleted_at, m.rank AS "rank!", m.neg_score AS "neg_score!"
          FROM matches m
         WHERE $6::bigint IS NULL
            OR (m.rank, m.neg_score, lower(m.full_name), m.id)
               > ($7::int, $8::real, (SELECT lower(c.full_name) FROM users c WHERE c.id = $6), $6)
         ORDER BY m.rank, m.neg_score, lower(m.full_name), m.id
         LIMIT $9
        "#,
        query,
        prefix,
        word_prefix,
        fuzzy,
        role as Option<Role>,
        after.map(|c| c.id),
        after.map(|c| c.rank),
        after.map(|c| c.neg_score),
        limit,
    )
    .fetch_all(db)
    .await?)
}

/// Escapes LIKE's wildcards (`%`, `_`) and its escape character.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"a_b%c\d"), r"a\_b\%c\\d");
    }
}
