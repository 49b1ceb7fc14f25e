//! The user directory: creation, uniqueness, login lookup, system ids, changes
//! and soft deletion.

use careledger::db::{Conflict, Entity, InvalidInput, StoreError};
use careledger::users::{self, FullName, Role, SystemId, UserChanges, Username};
use sqlx::PgPool;

use super::support::{new_user, user};

#[sqlx::test(migrations = "../migrations")]
async fn create_stores_the_account_with_a_system_id(pool: PgPool) -> anyhow::Result<()> {
    let mut new = new_user("Dr.Jones", "Dana Jones", Role::Doctor);
    new.department = Some("Cardiology".into());
    new.position = Some("Attending Physician".into());
    new.address = Some("  ".into());
    let mut conn = pool.acquire().await?;
    let created = users::repo::create(&mut conn, &new).await?;

    assert_eq!(created.username.as_str(), "dr.jones");
    assert_eq!(created.system_id, new.system_id);
    assert!(created.system_id.is_some());
    assert_eq!(created.role, Role::Doctor);
    assert_eq!(created.address, None, "a blank address is stored as none");
    assert_eq!(created.designation().as_deref(), Some("Cardiology — Attending Physician"));
    assert_eq!(created.deleted_at, None);

    let fetched = users::repo::get(&pool, created.id).await?.expect("just created");
    assert_eq!(fetched.username, created.username);
    let by_system_id =
        users::repo::get_by_system_id(&pool, &created.system_id.expect("set")).await?;
    assert_eq!(by_system_id.map(|u| u.id), Some(created.id));
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn duplicate_username_is_a_typed_conflict_whatever_the_case(
    pool: PgPool,
) -> anyhow::Result<()> {
    user(&pool, "nurse.kim", "Kim Lee", Role::Nurse).await?;
    let mut conn = pool.acquire().await?;

    let err = users::repo::create(&mut conn, &new_user("NURSE.KIM", "Kim Other", Role::Nurse))
        .await
        .expect_err("username taken");
    assert!(matches!(err, StoreError::Conflict(Conflict::DuplicateUsername)), "{err:?}");
    assert_eq!(Conflict::DuplicateUsername.field(), "username");

    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users").fetch_one(&pool).await?;
    assert_eq!(count, 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn deleted_users_cannot_log_in_but_stay_on_record(pool: PgPool) -> anyhow::Result<()> {
    let patient = user(&pool, "pat.gone", "Pat Gone", Role::Patient).await?;
    let username = Username::parse("Pat.Gone")?;
    let found = users::repo::get_by_username(&pool, &username).await?;
    assert_eq!(found.map(|u| u.id), Some(patient.id), "login lookup is case-insensitive");

    let mut conn = pool.acquire().await?;
    let deleted = users::repo::soft_delete(&mut conn, patient.id).await?;
    assert!(deleted.deleted_at.is_some());

    assert!(users::repo::get_by_username(&pool, &username).await?.is_none());
    let kept = users::repo::get(&pool, patient.id).await?.expect("row kept");
    assert!(kept.is_deleted());

    // A deleted account cannot be changed, deleted again, or given an identifier.
    for err in [
        users::repo::soft_delete(&mut conn, patient.id).await.expect_err("already deleted"),
        users::repo::set_role(&mut conn, patient.id, Role::Nurse).await.expect_err("deleted"),
        users::repo::update(&mut conn, patient.id, &UserChanges::default())
            .await
            .expect_err("deleted"),
        users::repo::assign_system_id(&mut conn, patient.id).await.expect_err("deleted"),
    ] {
        assert!(matches!(err, StoreError::NotFound(Entity::User)), "{err:?}");
    }

    // The username stays taken.
    let err = users::repo::create(&mut conn, &new_user("pat.gone", "Pat New", Role::Patient))
        .await
        .expect_err("never reused");
    assert!(matches!(err, StoreError::Conflict(Conflict::DuplicateUsername)), "{err:?}");
    Ok(())
}

/// The audit trail's people, by system id, in one query: deleted accounts
/// too (the trail keeps naming them), an identifier no one holds left out.
#[sqlx::test(migrations = "../migrations")]
async fn many_by_system_id_finds_deleted_accounts_and_skips_unknown_ids(
    pool: PgPool,
) -> anyhow::Result<()> {
    let nurse = user(&pool, "nurse.amy", "Amy Hart", Role::Nurse).await?;
    let gone = user(&pool, "dr.gone", "Dan Gone", Role::Doctor).await?;
    let mut conn = pool.acquire().await?;
    users::repo::soft_delete(&mut conn, gone.id).await?;
    let ids = [nurse.system_id.expect("set"), gone.system_id.expect("set"), SystemId::random()];

    let mut found: Vec<_> = users::repo::get_many_by_system_id(&pool, &ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.system_id, u.is_deleted()))
        .collect();
    found.sort_by_key(|f| f.0);
    assert_eq!(found, [(nurse.id, Some(ids[0]), false), (gone.id, Some(ids[1]), true)]);
    assert!(users::repo::get_many_by_system_id(&pool, &[]).await?.is_empty());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn an_imported_account_gets_one_system_id_even_under_concurrent_logins(
    pool: PgPool,
) -> anyhow::Result<()> {
    let mut new = new_user("imported", "Ima Ported", Role::Patient);
    new.system_id = None;
    let mut conn = pool.acquire().await?;
    let created = users::repo::create(&mut conn, &new).await?;
    assert_eq!(created.system_id, None);

    let mut a = pool.acquire().await?;
    let mut b = pool.acquire().await?;
    let (first, second) = tokio::join!(
        users::repo::assign_system_id(&mut a, created.id),
        users::repo::assign_system_id(&mut b, created.id),
    );
    let (first, second) = (first?, second?);
    assert_eq!(first, second);

    let again = users::repo::assign_system_id(&mut conn, created.id).await?;
    assert_eq!(again, first, "an assigned identifier never changes");
    let stored = users::repo::get(&pool, created.id).await?.and_then(|u| u.system_id);
    assert_eq!(stored, Some(first));

    let unknown =
        users::repo::assign_system_id(&mut conn, careledger::users::UserId(999_999)).await;
    assert!(matches!(unknown, Err(StoreError::NotFound(Entity::User))), "{unknown:?}");
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn update_changes_only_the_fields_given(pool: PgPool) -> anyhow::Result<()> {
    let mut new = new_user("dr.who", "John Smith", Role::Doctor);
    new.department = Some("Surgery".into());
    new.address = Some("1 Police Box Lane".into());
    let mut conn = pool.acquire().await?;
    let created = users::repo::create(&mut conn, &new).await?;

    let changes = UserChanges {
        full_name: Some(FullName::parse("The Doctor")?),
        address: Some(None),
        position: Some(Some("Registrar".into())),
        ..UserChanges::default()
    };
    let updated = users::repo::update(&mut conn, created.id, &changes).await?;
    assert_eq!(updated.full_name, "The Doctor");
    assert_eq!(updated.address, None);
    assert_eq!(updated.department.as_deref(), Some("Surgery"));
    assert_eq!(updated.position.as_deref(), Some("Registrar"));
    assert_eq!(updated.password_hash, created.password_hash);
    assert!(updated.updated_at > created.updated_at);

    let promoted = users::repo::set_role(&mut conn, created.id, Role::Nurse).await?;
    assert_eq!(promoted.role, Role::Nurse);

    // A value the schema refuses names its field.
    let too_long =
        UserChanges { department: Some(Some("x".repeat(101))), ..UserChanges::default() };
    let err = users::repo::update(&mut conn, created.id, &too_long).await.expect_err("too long");
    assert!(
        matches!(err, StoreError::InvalidInput(InvalidInput { field: "department", .. })),
        "{err:?}"
    );
    Ok(())
}
