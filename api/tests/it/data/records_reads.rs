//! Batched reads (`records::reads`): many requests at once each get exactly
//! their own rows, in the order one read alone would give, and a read sees
//! every change committed before it was asked.

use careledger::records::reads::Reads;
use careledger::records::{self, RecordChanges, RecordId};
use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use super::support::{content, doctor, new_record, patient, title, user};

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_reads_each_get_their_own_rows(pool: PgPool) -> anyhow::Result<()> {
    let (first, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let second = user(&pool, "sam.lee", "Sam Lee", Role::Patient).await?;
    let nobody = user(&pool, "no.records", "Noa Records", Role::Patient).await?;
    let mut conn = pool.acquire().await?;
    let mut written = Vec::new();
    for (patient, n) in [(&first, 3), (&second, 2)] {
        for _ in 0..n {
            written
                .push(records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?);
        }
    }
    drop(conn);
    let reads = Reads::start(pool.clone());

    // 60 requests at once: by patient (with one who has no records) and by id
    // (with an id that does not exist).
    let patients = [first.id, second.id, nobody.id];
    let ids: Vec<RecordId> = written.iter().map(|r| r.id).chain([RecordId::new()]).collect();
    let lists: Vec<_> = (0..30)
        .map(|i| {
            let (reads, patient) = (reads.clone(), patients[i % 3]);
            tokio::spawn(async move { reads.for_patient(patient).await })
        })
        .collect();
    let ones: Vec<_> = (0..30)
        .map(|i| {
            let (reads, id) = (reads.clone(), ids[i % ids.len()]);
            tokio::spawn(async move { reads.get(id).await })
        })
        .collect();

    for (i, list) in lists.into_iter().enumerate() {
        let got: Vec<RecordId> = list.await??.iter().map(|r| r.id).collect();
        let alone: Vec<RecordId> = records::repo::for_patient(&pool, patients[i % 3])
            .await?
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(got, alone, "request {i}");
    }
    assert_eq!(records::repo::for_patient(&pool, first.id).await?.len(), 3);
    for (i, one) in ones.into_iter().enumerate() {
        let expected = written.get(i % ids.len()).map(|r| (r.id, r.patient_id, r.version));
        assert_eq!(one.await??.map(|r| (r.id, r.patient_id, r.version)), expected, "request {i}");
    }
    let [by_id, by_patient] = reads.stats();
    assert_eq!(by_id.keys.load(std::sync::atomic::Ordering::Relaxed), 30);
    assert_eq!(by_patient.keys.load(std::sync::atomic::Ordering::Relaxed), 30);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_read_sees_the_change_committed_before_it(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let reads = Reads::start(pool.clone());
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    assert_eq!(reads.get(record.id).await?.map(|r| r.version), Some(1));

    let changes = RecordChanges {
        title: Some(title("Hypertension, stage 2")),
        content: Some(content(json!({"code": "I10"}))),
    };
    records::repo::update(&mut conn, record.id, 1, &changes, doctor.id).await?;
    let now = reads.get(record.id).await?.expect("live");
    assert_eq!((now.version, now.title.as_str()), (2, "Hypertension, stage 2"));
    let list = reads.for_patient(patient.id).await?;
    assert_eq!(list.iter().map(|r| (r.id, r.version)).collect::<Vec<_>>(), vec![(record.id, 2)]);

    records::repo::delete(&mut conn, record.id, doctor.id).await?;
    assert!(reads.get(record.id).await?.is_none(), "a deleted record is not read");
    assert!(reads.for_patient(patient.id).await?.is_empty());
    Ok(())
}
