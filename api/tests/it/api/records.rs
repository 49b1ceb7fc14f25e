//! Health records through the API: created as version 1 and anchored on
//! chain, updated with optimistic concurrency, read by version and instant,
//! and found only by patient id.

use alloy::primitives::B256;
use alloy::sol_types::SolEvent;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use super::{fingerprint, log_of, record_input, word, Hospital};
use crate::ops::{
    create_record, delete_record, patient_records, record_as_of, record_by_id, record_history,
    record_version, update_record, CreateRecord, DeleteRecord, PatientRecords, RecordAsOf,
    RecordById, RecordHistory, RecordVersion, UpdateRecord,
};

fn record_word(id: &str) -> B256 {
    B256::from(id.parse::<careledger::records::RecordId>().expect("record id"))
}

async fn stored_hash(pool: &PgPool, id: &str, version: i32) -> Vec<u8> {
    sqlx::query_scalar(
        "SELECT content_hash FROM health_record_versions WHERE id = $1::uuid AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_one(pool)
    .await
    .expect("hash")
}

async fn versions(pool: &PgPool, id: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM health_record_versions WHERE id = $1::uuid")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("count")
}

#[sqlx::test(migrations = "../migrations")]
async fn create_record_is_version_1_with_its_hash_anchored_on_chain(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let patient = h.user(Role::Patient);
    let input = record_input(&patient.id.to_string(), "Hypertension");
    let out = h.run::<CreateRecord>(Role::Doctor, create_record::Variables { input }).await;
    let created = &out.ok().create_record;
    assert_eq!(created.version, 1, "{out:?}");
    assert_eq!(created.title, "Hypertension");
    assert_eq!(created.author.full_name, "Test dr.grey");
    assert_eq!(created.patient.id, patient.id.to_string());
    assert_eq!(
        created.content,
        json!({"condition": "Essential hypertension", "icd10": "I10", "status": "provisional"})
    );
    let id = &created.id;
    let hash = stored_hash(&h.app.state.pool, id, 1).await;
    assert_eq!(created.content_hash, format!("0x{}", hex::encode(&hash)));

    let notes = &out.audit;
    let events: Vec<(&str, bool)> = notes.iter().map(|n| (n.event.as_str(), n.approved)).collect();
    assert_eq!(events, [("AccessRequested", true), ("RecordVersionCreated", true)]);

    let access = log_of(&h.app, &notes[0])
        .await
        .log_decode::<CareLedgerAccess::AccessRequested>()
        .expect("decode")
        .inner
        .data;
    assert_eq!((access.actor, access.subject), (word(h.user(Role::Doctor)), word(patient)));
    assert_eq!((access.action, access.resource, access.approved), (0, 1, true));
    assert_eq!(notes[0].id, access.requestId, "the note names the request id");

    let log = log_of(&h.app, &notes[1]).await;
    assert_eq!(log.topic0(), Some(&CareLedgerAccess::RecordVersionCreated::SIGNATURE_HASH));
    let e = log.log_decode::<CareLedgerAccess::RecordVersionCreated>().expect("decode").inner.data;
    assert_eq!(notes[1].id, e.entryId, "the note names the entry id");
    assert_eq!(e.contentHash, B256::from_slice(&hash), "the on-chain hash is the stored one");
    assert_eq!(e.version, 1);
    assert_eq!(
        (e.actor, e.subject, e.recordId),
        (word(h.user(Role::Doctor)), word(patient), record_word(id))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stale_update_is_a_conflict_naming_the_current_version_and_writes_nothing(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let id = h.record("Hypertension").await;
    let update = |expected_version: i64, title: &str| update_record::Variables {
        id: id.clone(),
        expected_version,
        input: update_record::UpdateRecordInput { title: Some(title.to_owned()), content: None },
    };
    let first = h.run::<UpdateRecord>(Role::Doctor, update(1, "Hypertension, confirmed")).await;
    assert_eq!(first.ok().update_record.version, 2, "{first:?}");
    assert_eq!(first.events(), ["AccessRequested", "RecordVersionCreated"]);

    let before = fingerprint(&h.app.state.pool).await;
    let stale = h.run::<UpdateRecord>(Role::Nurse, update(1, "Edited from an old screen")).await;
    assert_eq!(stale.code(), "CONFLICT", "{stale:?}");
    assert_eq!(stale.extension("currentVersion"), 2);
    assert_eq!(stale.extension("field"), "expectedVersion");
    assert_eq!(stale.data, None);
    assert_eq!(stale.events(), ["AccessRequested"], "no lifecycle event");
    assert_eq!(versions(&h.app.state.pool, &id).await, 2, "no new version");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);

    // An update that changes nothing writes no version and records no event.
    let same = h.run::<UpdateRecord>(Role::Doctor, update(2, "Hypertension, confirmed")).await;
    assert_eq!(same.ok().update_record.version, 2, "{same:?}");
    assert_eq!(same.audit.len(), 1);
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn history_versions_and_as_of_read_every_version_and_delete_keeps_them(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let id = h.record("Hypertension").await;
    let input = update_record::UpdateRecordInput {
        title: None,
        content: Some(json!({"status": "confirmed"})),
    };
    h.run::<UpdateRecord>(
        Role::Doctor,
        update_record::Variables { id: id.clone(), expected_version: 1, input },
    )
    .await
    .ok();
    let history =
        h.run::<RecordHistory>(Role::Nurse, record_history::Variables { id: id.clone() }).await;
    let versions = &history.ok().record_history;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].version, 1);
    assert_eq!(versions[0].valid_to.as_ref(), Some(&versions[1].valid_from));
    assert_eq!(versions[1].valid_to, None);
    assert_eq!(versions[1].content, json!({"status": "confirmed"}));

    let at = versions[0].valid_from.clone();
    let as_of =
        h.run::<RecordAsOf>(Role::Doctor, record_as_of::Variables { id: id.clone(), at }).await;
    assert_eq!(as_of.ok().record_as_of.as_ref().map(|v| v.version), Some(1), "{as_of:?}");
    let v1 = h
        .run::<RecordVersion>(
            Role::Patient,
            record_version::Variables { id: id.clone(), version: 1 },
        )
        .await;
    assert_eq!(
        v1.ok().record_version,
        Some(record_version::RecordVersionRecordVersion {
            title: "Hypertension".to_owned(),
            version: 1
        })
    );

    let deleted =
        h.run::<DeleteRecord>(Role::Doctor, delete_record::Variables { id: id.clone() }).await;
    assert!(deleted.ok().delete_record, "{deleted:?}");
    assert_eq!(deleted.events(), ["AccessRequested", "RecordDeleted"]);
    let gone = h.run::<RecordById>(Role::Doctor, record_by_id::Variables { id: id.clone() }).await;
    assert_eq!(gone.ok().record, None);
    let kept = h.run::<RecordHistory>(Role::Doctor, record_history::Variables { id }).await;
    let kept: Vec<i64> = kept.ok().record_history.iter().map(|v| v.version).collect();
    assert_eq!(kept, [1, 2]);
}

#[sqlx::test(migrations = "../migrations")]
async fn patient_records_lists_a_patients_records_with_authors_loaded_once(pool: PgPool) {
    let h = Hospital::new(pool).await;
    for title in ["Asthma", "Hypertension", "Migraine"] {
        h.record(title).await;
    }
    let patient_id = h.user(Role::Patient).id.to_string();
    let out = h.run::<PatientRecords>(Role::Nurse, patient_records::Variables { patient_id }).await;
    let records = &out.ok().patient_records;
    let mut titles: Vec<&str> = records.iter().map(|r| r.title.as_str()).collect();
    titles.sort();
    assert_eq!(titles, ["Asthma", "Hypertension", "Migraine"]);
    assert!(records
        .iter()
        .all(|r| r.author.full_name == "Test dr.grey" && r.patient.full_name == "Test pat.one"));
    // The other patient is not in the doctor's care: refused, as such, and recorded.
    let patient_id = h.other_patient.id.to_string();
    let refused =
        h.run::<PatientRecords>(Role::Doctor, patient_records::Variables { patient_id }).await;
    assert_eq!(refused.code(), "FORBIDDEN");
    assert_eq!(refused.extension("careRelationship"), &serde_json::json!(false));
    assert_eq!(refused.audit.len(), 1);
    assert!(!refused.audit[0].approved);
}

/// The schema offers no way to find records but the patient's id: every
/// query returning records takes either `patientId` or a record `id`.
#[test]
fn records_are_reachable_only_by_patient_id_or_record_id() {
    let sdl = careledger::graphql::sdl();
    let query =
        sdl.split("type Query {").nth(1).and_then(|s| s.split("\n}").next()).expect("Query type");
    let fields: Vec<&str> = query
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('"') && l.contains(':'))
        .collect();
    let record_fields: Vec<&str> =
        fields.iter().copied().filter(|f| f.contains("HealthRecord")).collect();
    assert_eq!(
        record_fields,
        [
            "patientRecords(patientId: ID!): [HealthRecord!]!",
            "record(id: ID!): HealthRecord",
            "recordHistory(id: ID!): [HealthRecordVersion!]!",
            "recordVersion(id: ID!, version: Int!): HealthRecordVersion",
            "recordAsOf(id: ID!, at: DateTime!): HealthRecordVersion",
        ]
    );
    // Only patientRecords lists records; the others need a record id already known.
    let lists: Vec<&&str> =
        record_fields.iter().filter(|f| f.contains("[HealthRecord!]")).collect();
    assert_eq!(lists, [&"patientRecords(patientId: ID!): [HealthRecord!]!"]);
}
