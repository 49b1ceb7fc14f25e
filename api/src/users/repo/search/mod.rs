//! User search for the directory page: every live account except root and
//! admin, by name or username, prefix or fuzzy, a page at a time; and, apart
//! from it, root's list of administrators.

mod administrators;
mod browse;
mod cursor;
mod matching;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub use cursor::SearchCursor;

use super::row::UserRow;
use crate::db::{InvalidInput, StoreError};
use crate::users::{Role, User};

/// Most results one page may ask for.
pub const MAX_PAGE_SIZE: i64 = careledger_vocab::limits::SEARCH_PAGE_MAX;
/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = careledger_vocab::limits::SEARCH_QUERY_MAX_CHARS;

/// One page of results.
#[derive(Debug, Clone)]
pub struct UserPage {
    pub edges: Vec<UserEdge>,
    pub has_next_page: bool,
}

impl UserPage {
    /// The cursor to pass as `after` for the next page.
    pub fn end_cursor(&self) -> Option<SearchCursor> {
        self.edges.last().map(|e| e.cursor)
    }
}

/// A result and the cursor that resumes the search after it.
#[derive(Debug, Clone)]
pub struct UserEdge {
    pub cursor: SearchCursor,
    pub user: User,
}

/// Live accounts matching `query` (and `role`, if given), never root or
/// admin, even asked for by exact username or by role.
///
/// A query matches a username or full name that equals it, starts with it
/// (for names: any word of it), or, from three characters on, is similar to
/// it by trigrams (`pg_trgm`'s `%` and `<%` with their default thresholds).
/// Results come exact matches first, then prefix matches, then by similarity,
/// then by name and id. Without a query: every searchable account, by name.
/// `first` is the page size (1 to 100); `after` resumes after a previous
/// page's cursor (from the same query).
#[tracing::instrument(skip(db, query), fields(has_query = query.is_some()))]
pub async fn search(
    db: impl PgExecutor<'_>,
    query: Option<&str>,
    role: Option<Role>,
    first: i64,
    after: Option<&SearchCursor>,
) -> Result<UserPage, StoreError> {
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(InvalidInput::new("first", "must be 1 to 100").into());
    }
    let query = query.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
    let rows = match query {
        None => browse::rows(db, role, first + 1, after).await?,
        Some(q) if q.chars().count() > MAX_QUERY_CHARS => {
            return Err(InvalidInput::new("query", "must be at most 100 characters").into());
        }
        Some(q) => matching::rows(db, &q, role, first + 1, after).await?,
    };
    page(rows, first)
}

/// Live ADMIN accounts, by name, a page at a time: root's list of
/// administrators (whoever may ask is the contract's to decide, before this
/// runs). `first` and `after` as for [`search`].
#[tracing::instrument(skip(db))]
pub async fn administrators(
    db: impl PgExecutor<'_>,
    first: i64,
    after: Option<&SearchCursor>,
) -> Result<UserPage, StoreError> {
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(InvalidInput::new("first", "must be 1 to 100").into());
    }
    page(administrators::rows(db, first + 1, after).await?, first)
}

/// The first `first` of `rows` (one more was fetched, to tell whether a next page exists).
fn page(rows: Vec<SearchRow>, first: i64) -> Result<UserPage, StoreError> {
    let has_next_page = rows.len() as i64 > first;
    let edges = rows
        .into_iter()
        .take(first as usize)
        .map(SearchRow::into_edge)
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(UserPage { edges, has_next_page })
}

/// A `users` row with its sort key.
struct SearchRow {
    id: i64,
    system_id: Option<Vec<u8>>,
    username: String,
    password_hash: String,
    full_name: String,
    address: Option<String>,
    department: Option<String>,
    position: Option<String>,
    role: Role,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    rank: i32,
    neg_score: f32,
}

impl SearchRow {
    fn into_edge(self) -> Result<UserEdge, StoreError> {
        let cursor = SearchCursor::new(self.rank, self.neg_score, self.id);
        let user = User::try_from(UserRow {
            id: self.id,
            system_id: self.system_id,
            username: self.username,
            password_hash: self.password_hash,
            full_name: self.full_name,
            address: self.address,
            department: self.department,
            position: self.position,
            role: self.role,
            created_at: self.created_at,
            updated_at: self.updated_at,
            deleted_at: self.deleted_at,
        })?;
        Ok(UserEdge { cursor, user })
    }
}
