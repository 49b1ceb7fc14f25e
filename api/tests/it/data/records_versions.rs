//! The life of a record: version 1, a new version per change, none for a
//! change that changes nothing, stale edits refused, deletion keeping history.

use careledger::db::{Conflict, Entity, InvalidInput, StoreError};
use careledger::records::{self, RecordChanges, RecordType, UpdateOutcome};
use careledger::users::{self, Role};
use serde_json::json;
use sqlx::PgPool;

use super::support::{content, doctor, history_rows, new_record, patient, title, user};

#[sqlx::test(migrations = "../migrations")]
async fn create_writes_version_1(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;

    assert_eq!(record.version, 1);
    assert_eq!(record.patient_id, patient.id);
    assert_eq!(record.author_id, doctor.id);
    assert_eq!(record.record_type, RecordType::Diagnosis);
    assert_eq!(record.title, "Hypertension");
    assert_eq!(record.content, json!({"code": "I10", "severity": "moderate"}));
    assert_eq!(record.created_at, record.updated_at);

    let history = records::repo::history(&pool, record.id).await?;
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].version, history[0].valid_from, history[0].valid_to),
        (1, record.updated_at, None)
    );
    assert_eq!(history_rows(&pool, record.id).await?, 0);
    assert_eq!(records::repo::get(&pool, record.id).await?.map(|r| r.version), Some(1));
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_change_writes_version_2_and_keeps_version_1(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let nurse = user(&pool, "n.kim", "Kim Lee", Role::Nurse).await?;
    let mut conn = pool.acquire().await?;
    let v1 = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;

    let changes = RecordChanges {
        title: Some(title("Hypertension, stage 2")),
        content: Some(content(json!({"code": "I10", "severity": "severe"}))),
    };
    let outcome = records::repo::update(&mut conn, v1.id, 1, &changes, nurse.id).await?;
    let UpdateOutcome::Updated(v2) = outcome else {
        panic!("expected a new version, got {outcome:?}")
    };
    assert_eq!(v2.version, 2);
    assert_eq!(v2.id, v1.id);
    assert_eq!(v2.title, "Hypertension, stage 2");
    assert_eq!(v2.content, json!({"code": "I10", "severity": "severe"}));
    assert_eq!(v2.author_id, nurse.id);
    assert_eq!(v2.created_at, v1.created_at);
    assert!(v2.updated_at > v1.updated_at);
    assert_eq!(v2.content_salt, v1.content_salt);
    assert_ne!(v2.content_hash, v1.content_hash);

    let history = records::repo::history(&pool, v1.id).await?;
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    let (old, new) = (&history[0], &history[1]);
    assert_eq!(old.title, "Hypertension");
    assert_eq!(old.content, json!({"code": "I10", "severity": "moderate"}));
    assert_eq!(old.author_id, doctor.id);
    assert_eq!(old.content_hash, v1.content_hash);
    assert_eq!(old.valid_from, v1.updated_at);
    assert_eq!(old.valid_to, Some(new.valid_from), "periods meet exactly");
    assert_eq!(old.closed_by, Some(nurse.id));
    assert_eq!((new.valid_from, new.valid_to, new.closed_by), (v2.updated_at, None, None));
    assert_eq!(history_rows(&pool, v1.id).await?, 1);

    let one = records::repo::version(&pool, v1.id, 1).await?.expect("version 1 kept");
    assert_eq!(one.title, "Hypertension");
    assert!(records::repo::version(&pool, v1.id, 3).await?.is_none());
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn an_identical_update_writes_nothing(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let v1 = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    let changes = RecordChanges { title: Some(title("Hypertension II")), content: None };
    let v2 = records::repo::update(&mut conn, v1.id, 1, &changes, doctor.id).await?.into_record();
    assert_eq!(v2.version, 2);

    for same in [
        changes.clone(),
        RecordChanges::default(),
        // Same content however spelled: key order and number form do not matter.
        RecordChanges {
            title: Some(title("  Hypertension II ")),
            content: Some(content(json!({"severity": "moderate", "code": "I10"}))),
        },
    ] {
        let outcome = records::repo::update(&mut conn, v1.id, 2, &same, patient.id).await?;
        let UpdateOutcome::Unchanged(record) = outcome else {
            panic!("expected no new version, got {outcome:?}")
        };
        assert_eq!(
            (record.version, record.updated_at, record.author_id),
            (2, v2.updated_at, doctor.id)
        );
        assert_eq!(record.content_hash, v2.content_hash);
    }
    assert_eq!(history_rows(&pool, v1.id).await?, 1);
    assert_eq!(records::repo::history(&pool, v1.id).await?.len(), 2);
    assert_eq!(records::repo::get(&pool, v1.id).await?.map(|r| r.version), Some(2));
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stale_update_is_refused_naming_the_current_version(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let v1 = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    let first = RecordChanges { title: Some(title("First edit")), content: None };
    records::repo::update(&mut conn, v1.id, 1, &first, doctor.id).await?;

    let late = RecordChanges { title: Some(title("Late edit")), content: None };
    let err =
        records::repo::update(&mut conn, v1.id, 1, &late, doctor.id).await.expect_err("stale");
    assert!(matches!(err, StoreError::Conflict(Conflict::StaleVersion { current: 2 })), "{err:?}");
    assert_eq!(err.to_string(), "the record has changed: its current version is 2");

    let current = records::repo::get(&pool, v1.id).await?.expect("live");
    assert_eq!((current.version, current.title.as_str()), (2, "First edit"));
    assert_eq!(history_rows(&pool, v1.id).await?, 1);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn delete_keeps_every_version_readable(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let admin = user(&pool, "adm", "Ada Min", Role::Admin).await?;
    let mut conn = pool.acquire().await?;
    let v1 = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    let changes = RecordChanges { title: None, content: Some(content(json!({"code": "I11"}))) };
    let v2 = records::repo::update(&mut conn, v1.id, 1, &changes, doctor.id).await?.into_record();

    let last = records::repo::delete(&mut conn, v1.id, admin.id).await?;
    assert_eq!(last.version, 2);
    assert_eq!(last.valid_from, v2.updated_at);
    assert!(last.valid_to.is_some_and(|to| to > v2.updated_at));
    assert_eq!(last.closed_by, Some(admin.id));

    assert!(records::repo::get(&pool, v1.id).await?.is_none());
    assert!(records::repo::for_patient(&pool, patient.id).await?.is_empty());
    let history = records::repo::history(&pool, v1.id).await?;
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(history[0].valid_to, Some(history[1].valid_from));
    assert_eq!(history[1].valid_to, last.valid_to);
    assert_eq!(history[1].content, json!({"code": "I11"}));
    assert_eq!(history_rows(&pool, v1.id).await?, 2);

    for err in [
        records::repo::delete(&mut conn, v1.id, admin.id).await.expect_err("gone"),
        records::repo::update(&mut conn, v1.id, 2, &changes, doctor.id).await.expect_err("gone"),
    ] {
        assert!(matches!(err, StoreError::NotFound(Entity::Record)), "{err:?}");
    }

    // History is append-only, even for the database owner.
    let tamper = sqlx::query("DELETE FROM health_records_history").execute(&pool).await;
    assert!(tamper.is_err());
    assert_eq!(history_rows(&pool, v1.id).await?, 2);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn only_a_live_patient_can_have_records(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;

    let not_patient = records::repo::create(&mut conn, &new_record(doctor.id, doctor.id)).await;
    let unknown = records::repo::create(
        &mut conn,
        &new_record(careledger::users::UserId(999_999), doctor.id),
    )
    .await;
    users::repo::soft_delete(&mut conn, patient.id).await?;
    let deleted = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await;
    for result in [not_patient, unknown, deleted] {
        let err = result.expect_err("refused");
        assert!(
            matches!(
                err,
                StoreError::InvalidInput(InvalidInput {
                    field: "patientId",
                    reason: "must be an active patient"
                })
            ),
            "{err:?}"
        );
    }

    let other = user(&pool, "pat.two", "Pat Two", Role::Patient).await?;
    let bad_author =
        records::repo::create(&mut conn, &new_record(other.id, careledger::users::UserId(999_999)))
            .await;
    assert!(
        matches!(bad_author, Err(StoreError::InvalidInput(InvalidInput { field: "authorId", .. }))),
        "{bad_author:?}"
    );
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM health_record_versions").fetch_one(&pool).await?;
    assert_eq!(count, 0);
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patients_records_are_listed_latest_change_first(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let other = user(&pool, "pat.two", "Pat Two", Role::Patient).await?;
    let mut conn = pool.acquire().await?;
    let a = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    let b = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    records::repo::create(&mut conn, &new_record(other.id, doctor.id)).await?;
    let changes = RecordChanges { title: Some(title("Amended")), content: None };
    records::repo::update(&mut conn, a.id, 1, &changes, doctor.id).await?;

    let listed = records::repo::for_patient(&pool, patient.id).await?;
    assert_eq!(
        listed.iter().map(|r| (r.id, r.version)).collect::<Vec<_>>(),
        [(a.id, 2), (b.id, 1)]
    );
    Ok(())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_records_subject_is_its_patient_even_after_deletion(pool: PgPool) -> anyhow::Result<()> {
    let (patient, doctor) = (patient(&pool).await?, doctor(&pool).await?);
    let mut conn = pool.acquire().await?;
    let record = records::repo::create(&mut conn, &new_record(patient.id, doctor.id)).await?;
    assert_eq!(records::repo::subject_of(&pool, record.id).await?, patient.system_id);
    records::repo::delete(&mut conn, record.id, doctor.id).await?;
    assert_eq!(records::repo::subject_of(&pool, record.id).await?, patient.system_id);
    assert_eq!(records::repo::subject_of(&pool, records::RecordId::new()).await?, None);
    Ok(())
}
