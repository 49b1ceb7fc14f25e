//! User search: never root, admin or deleted accounts; exact, prefix, then
//! fuzzy; stable keyset pages.

use careledger::db::{InvalidInput, StoreError};
use careledger::users::{self, Role, SearchCursor};
use sqlx::PgPool;

use super::support::user;

/// The directory every test here searches.
async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    user(pool, "root", "System Root", Role::Root).await?;
    user(pool, "admin.alice", "Alice Admin", Role::Admin).await?;
    user(pool, "alice", "Alice Wong", Role::Patient).await?;
    user(pool, "alice.doc", "Alice Doctor", Role::Doctor).await?;
    user(pool, "b.carter", "Bob Alicea", Role::Receptionist).await?;
    user(pool, "n.alicia", "Alicia Nurse", Role::Nurse).await?;
    user(pool, "m.hall", "Malice Hall", Role::Auditor).await?;
    user(pool, "zed", "Zed Brown", Role::Patient).await?;
    let gone = user(pool, "alice.gone", "Alice Gone", Role::Patient).await?;
    users::repo::soft_delete(&mut *pool.acquire().await?, gone.id).await?;
    Ok(())
}

async fn usernames(
    pool: &PgPool,
    query: Option<&str>,
    role: Option<Role>,
) -> anyhow::Result<Vec<String>> {
    let page = users::repo::search(pool, query, role, 100, None).await?;
    assert!(!page.has_next_page);
    Ok(page.edges.into_iter().map(|e| e.user.username.to_string()).collect())
}

#[sqlx::test(migrations = "../migrations")]
async fn exact_then_prefix_then_fuzzy_without_root_admin_or_deleted(
    pool: PgPool,
) -> anyhow::Result<()> {
    seed(&pool).await?;
    assert_eq!(
        usernames(&pool, Some(" ALICE "), None).await?,
        [
            "alice",     // exact username
            "alice.doc", // prefix, similarity 1
            "b.carter",  // a word of the name starts with it, similarity 0.83
            "n.alicia",  // fuzzy, 0.67, "alicia nurse" before
            "m.hall",    // fuzzy, 0.67, "malice hall"
        ]
    );
    assert_eq!(usernames(&pool, Some("malise hal"), None).await?, ["m.hall"], "a typo still finds");
    assert_eq!(usernames(&pool, Some("zed"), None).await?, ["zed"]);
    assert_eq!(usernames(&pool, Some("wong"), None).await?, ["alice"]);
    // Under three characters: prefixes only, by name.
    assert_eq!(
        usernames(&pool, Some("al"), None).await?,
        ["alice.doc", "alice", "n.alicia", "b.carter"]
    );
    for wildcard in ["%", "_", "\\"] {
        assert_eq!(
            usernames(&pool, Some(wildcard), None).await?,
            Vec::<String>::new(),
            "{wildcard} is literal"
        );
    }
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn root_and_admin_are_never_found(pool: PgPool) -> anyhow::Result<()> {
    seed(&pool).await?;
    // Not even by exact username or name; other accounts may still match.
    for (query, found) in [
        ("root", vec![]),
        ("system root", vec![]),
        ("admin", vec![]),
        ("admin.alice", vec!["alice.doc", "alice"]),
        ("alice admin", vec!["alice.doc", "alice"]),
    ] {
        assert_eq!(usernames(&pool, Some(query), None).await?, found, "{query}");
    }
    assert_eq!(usernames(&pool, None, Some(Role::Root)).await?, Vec::<String>::new());
    assert_eq!(usernames(&pool, Some("alice"), Some(Role::Admin)).await?, Vec::<String>::new());
    assert_eq!(usernames(&pool, Some("alice"), Some(Role::Doctor)).await?, ["alice.doc"]);
    // Deleted accounts neither: "Alice Gone" would match both of these.
    assert_eq!(usernames(&pool, Some("gone"), None).await?, Vec::<String>::new());
    assert_eq!(usernames(&pool, Some("alice.gone"), None).await?, ["alice.doc", "alice"]);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_query_everyone_searchable_by_name(pool: PgPool) -> anyhow::Result<()> {
    seed(&pool).await?;
    assert_eq!(
        usernames(&pool, None, None).await?,
        ["alice.doc", "alice", "n.alicia", "b.carter", "m.hall", "zed"]
    );
    assert_eq!(usernames(&pool, Some("   "), Some(Role::Patient)).await?, ["alice", "zed"]);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_follow_each_other_without_gaps_or_repeats(pool: PgPool) -> anyhow::Result<()> {
    seed(&pool).await?;
    for query in [Some("alice"), None] {
        let all = usernames(&pool, query, None).await?;
        for size in [1, 2, 3] {
            let mut seen = Vec::new();
            let mut after: Option<SearchCursor> = None;
            loop {
                let page = users::repo::search(&pool, query, None, size, after.as_ref()).await?;
                seen.extend(page.edges.iter().map(|e| e.user.username.to_string()));
                // Cursors survive the trip through a client as strings.
                after = page.end_cursor().map(|c| c.to_string().parse()).transpose()?;
                if !page.has_next_page {
                    break;
                }
            }
            assert_eq!(seen, all, "query {query:?}, page size {size}");
        }
    }
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_arguments_name_their_field(pool: PgPool) -> anyhow::Result<()> {
    for (first, query, field) in
        [(0, None, "first"), (101, None, "first"), (10, Some("x".repeat(101)), "query")]
    {
        let err = users::repo::search(&pool, query.as_deref(), None, first, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(err, StoreError::InvalidInput(InvalidInput { field: f, .. }) if f == field),
            "{err:?}"
        );
    }
    let err = "not-a-cursor".parse::<SearchCursor>().expect_err("refused");
    assert_eq!(err.field, "after");
    Ok(())
}
