//! As-of queries: the version current at any instant, across updates and
//! deletion.

use careledger::records::{self, RecordChanges};
use chrono::Duration;
use serde_json::json;
use sqlx::PgPool;

use super::support::{content, doctor, new_record, patient};

#[sqlx::test(migrations = "../migrations")]
async fn as_of_returns_the_version_current_at_each_instant(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    for n in 2..=3 {
        let changes = RecordChanges { title: None, content: Some(content(json!({"reading": n}))) };
        records::repo::update(&mut conn, record.id, n - 1, &changes, doctor.id).await?;
    }
    records::repo::delete(&mut conn, record.id, doctor.id).await?;

    let versions = records::repo::history(&pool, record.id).await?;
    let [v1, v2, v3] = versions.as_slice() else { panic!("expected 3 versions, got {versions:?}") };
    let (t1, t2, t3) = (v1.valid_from, v2.valid_from, v3.valid_from);
    let deleted_at = v3.valid_to.expect("closed by the delete");
    let micro = Duration::microseconds(1);

    let at = |t| records::repo::as_of(&pool, record.id, t);
    assert!(at(t1 - micro).await?.is_none(), "before creation");
    for (t, want) in [
        (t1, 1),
        (t1 + (t2 - t1) / 2, 1),
        (t2 - micro, 1),
        (t2, 2),
        (t3 - micro, 2),
        (t3, 3),
        (deleted_at - micro, 3),
    ] {
        let found = at(t).await?.map(|v| v.version);
        assert_eq!(found, Some(want), "at {t}");
    }
    assert!(at(deleted_at).await?.is_none(), "deleted");

    let middle = at(t2).await?.expect("version 2");
    assert_eq!(middle.content, json!({"reading": 2}));
    assert_eq!((middle.valid_from, middle.valid_to), (t2, Some(t3)));
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn as_of_now_is_the_current_version(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    let now: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT clock_timestamp()").fetch_one(&pool).await?;
    let found = records::repo::as_of(&pool, record.id, now).await?.expect("current");
    assert_eq!((found.version, found.valid_to), (1, None));
    Ok(())
}
