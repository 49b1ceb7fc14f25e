//! Two editors, one version: exactly one wins.

use careledger::db::{Conflict, StoreError};
use careledger::records::{self, RecordChanges, UpdateOutcome};
use serde_json::json;
use sqlx::PgPool;

use super::support::{content, doctor, history_rows, new_record, patient, title};

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_updates_from_the_same_version_one_wins(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let record =
        records::repo::create(&mut *pool.acquire().await?, &new_record(patient.id, doctor.id))
            .await?;

    let mine =
        RecordChanges { title: Some(title("Mine")), content: Some(content(json!({"by": "a"}))) };
    let theirs =
        RecordChanges { title: Some(title("Theirs")), content: Some(content(json!({"by": "b"}))) };
    let mut a = pool.acquire().await?;
    let mut b = pool.acquire().await?;
    let (ra, rb) = tokio::join!(
        records::repo::update(&mut a, record.id, 1, &mine, doctor.id),
        records::repo::update(&mut b, record.id, 1, &theirs, doctor.id),
    );

    let (winner, loser) = match (ra, rb) {
        (Ok(w), Err(l)) => (w, l),
        (Err(l), Ok(w)) => (w, l),
        other => panic!("expected exactly one winner, got {other:?}"),
    };
    let UpdateOutcome::Updated(won) = winner else { panic!("the winner wrote nothing") };
    assert_eq!(won.version, 2);
    assert!(
        matches!(loser, StoreError::Conflict(Conflict::StaleVersion { current: 2 })),
        "{loser:?}"
    );

    let versions = records::repo::history(&pool, record.id).await?;
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(versions[1].title, won.title);
    assert_eq!(versions[0].title, "Hypertension", "version 1 is kept, not lost");
    assert_eq!(history_rows(&pool, record.id).await?, 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn an_update_inside_a_callers_transaction_rolls_back_with_it(
    pool: PgPool,
) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let record =
        records::repo::create(&mut *pool.acquire().await?, &new_record(patient.id, doctor.id))
            .await?;

    let mut tx = pool.begin().await?;
    let changes = RecordChanges { title: Some(title("Uncommitted")), content: None };
    let outcome = records::repo::update(&mut tx, record.id, 1, &changes, doctor.id).await?;
    assert!(outcome.is_updated());
    tx.rollback().await?;

    assert_eq!(records::repo::get(&pool, record.id).await?.map(|r| r.version), Some(1));
    assert_eq!(history_rows(&pool, record.id).await?, 0);
    Ok(())
}
