//! Health records through the API: created as version 1 and anchored on
//! chain, updated with optimistic concurrency, read by version and instant,
//! and found only by patient id.

use alloy::primitives::B256;
use alloy::sol_types::SolEvent;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{
    audit, fingerprint, log_of, record_input, word, Hospital, CREATE_RECORD, UPDATE_RECORD,
};
use crate::support::code;

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
    let out = h
        .run(
            Role::Doctor,
            CREATE_RECORD,
            json!({"input": record_input(&patient.id.to_string(), "Hypertension")}),
        )
        .await;
    let created = &out["data"]["createRecord"];
    assert_eq!(created["version"], 1, "{out}");
    assert_eq!(created["title"], "Hypertension");
    assert_eq!(created["author"]["username"], "dr.grey");
    assert_eq!(created["patient"]["id"], patient.id.to_string());
    assert_eq!(
        created["content"],
        json!({"condition": "Essential hypertension", "icd10": "I10", "status": "provisional"})
    );
    let id = created["id"].as_str().expect("id");
    let hash = stored_hash(&h.app.state.pool, id, 1).await;
    assert_eq!(created["contentHash"], format!("0x{}", hex::encode(&hash)));

    let notes = audit(&out);
    let events: Vec<(&str, bool)> = notes
        .iter()
        .map(|n| (n["event"].as_str().expect("event"), n["approved"].as_bool().expect("approved")))
        .collect();
    assert_eq!(events, [("AccessRequested", true), ("RecordVersionCreated", true)]);

    let access = log_of(&h.app, &notes[0])
        .await
        .log_decode::<CareLedgerAccess::AccessRequested>()
        .expect("decode")
        .inner
        .data;
    assert_eq!((access.actor, access.subject), (word(h.user(Role::Doctor)), word(patient)));
    assert_eq!((access.action, access.resource, access.approved), (0, 1, true));

    let log = log_of(&h.app, &notes[1]).await;
    assert_eq!(log.topic0(), Some(&CareLedgerAccess::RecordVersionCreated::SIGNATURE_HASH));
    let e = log.log_decode::<CareLedgerAccess::RecordVersionCreated>().expect("decode").inner.data;
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
    let update = |v: i32, title: &str| json!({"id": id, "v": v, "input": {"title": title}});
    let first = h.run(Role::Doctor, UPDATE_RECORD, update(1, "Hypertension, confirmed")).await;
    assert_eq!(first["data"]["updateRecord"]["version"], 2, "{first}");
    let events: Vec<Value> = audit(&first).iter().map(|n| n["event"].clone()).collect();
    assert_eq!(events, [json!("AccessRequested"), json!("RecordVersionCreated")]);

    let before = fingerprint(&h.app.state.pool).await;
    let stale = h.run(Role::Nurse, UPDATE_RECORD, update(1, "Edited from an old screen")).await;
    assert_eq!(code(&stale), "CONFLICT", "{stale}");
    assert_eq!(stale["errors"][0]["extensions"]["currentVersion"], 2);
    assert_eq!(stale["errors"][0]["extensions"]["field"], "expectedVersion");
    assert_eq!(stale["data"], Value::Null);
    let events: Vec<Value> = audit(&stale).iter().map(|n| n["event"].clone()).collect();
    assert_eq!(events, [json!("AccessRequested")], "no lifecycle event");
    assert_eq!(versions(&h.app.state.pool, &id).await, 2, "no new version");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);

    // An update that changes nothing writes no version and records no event.
    let same = h.run(Role::Doctor, UPDATE_RECORD, update(2, "Hypertension, confirmed")).await;
    assert_eq!(same["data"]["updateRecord"]["version"], 2, "{same}");
    assert_eq!(audit(&same).len(), 1);
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn history_versions_and_as_of_read_every_version_and_delete_keeps_them(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let id = h.record("Hypertension").await;
    h.run(
        Role::Doctor,
        UPDATE_RECORD,
        json!({"id": id, "v": 1, "input": {"content": {"status": "confirmed"}}}),
    )
    .await;
    let history = h
        .run(Role::Nurse, "query($id: ID!) { recordHistory(id: $id) { version content validFrom validTo author { username } } }", json!({"id": id}))
        .await;
    let versions =
        history["data"]["recordHistory"].as_array().unwrap_or_else(|| panic!("{history}"));
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["version"], 1);
    assert_eq!(versions[0]["validTo"], versions[1]["validFrom"]);
    assert_eq!(versions[1]["validTo"], Value::Null);
    assert_eq!(versions[1]["content"], json!({"status": "confirmed"}));

    let at = versions[0]["validFrom"].clone();
    let as_of = h
        .run(
            Role::Doctor,
            "query($id: ID!, $at: DateTime!) { recordAsOf(id: $id, at: $at) { version } }",
            json!({"id": id, "at": at}),
        )
        .await;
    assert_eq!(as_of["data"]["recordAsOf"]["version"], 1, "{as_of}");
    let v1 = h
        .run(
            Role::Patient,
            "query($id: ID!) { recordVersion(id: $id, version: 1) { title version } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(v1["data"]["recordVersion"], json!({"title": "Hypertension", "version": 1}));

    let deleted = h
        .run(Role::Doctor, "mutation($id: ID!) { deleteRecord(id: $id) }", json!({"id": id}))
        .await;
    assert_eq!(deleted["data"]["deleteRecord"], true, "{deleted}");
    let events: Vec<Value> = audit(&deleted).iter().map(|n| n["event"].clone()).collect();
    assert_eq!(events, [json!("AccessRequested"), json!("RecordDeleted")]);
    let gone =
        h.run(Role::Doctor, "query($id: ID!) { record(id: $id) { id } }", json!({"id": id})).await;
    assert_eq!(gone["data"]["record"], Value::Null);
    let kept = h
        .run(
            Role::Doctor,
            "query($id: ID!) { recordHistory(id: $id) { version } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(kept["data"]["recordHistory"], json!([{"version": 1}, {"version": 2}]));
}

#[sqlx::test(migrations = "../migrations")]
async fn patient_records_lists_a_patients_records_with_authors_loaded_once(pool: PgPool) {
    let h = Hospital::new(pool).await;
    for title in ["Asthma", "Hypertension", "Migraine"] {
        h.record(title).await;
    }
    let patient = h.user(Role::Patient).id.to_string();
    let out = h
        .run(Role::Nurse, "query($p: ID!) { patientRecords(patientId: $p) { title author { username } patient { username } } }", json!({"p": patient}))
        .await;
    let records = out["data"]["patientRecords"].as_array().unwrap_or_else(|| panic!("{out}"));
    let mut titles: Vec<&str> =
        records.iter().map(|r| r["title"].as_str().expect("title")).collect();
    titles.sort();
    assert_eq!(titles, ["Asthma", "Hypertension", "Migraine"]);
    assert!(records
        .iter()
        .all(|r| r["author"]["username"] == "dr.grey" && r["patient"]["username"] == "pat.one"));
    // The other patient has none.
    let other = h.other_patient.id.to_string();
    let none = h
        .run(
            Role::Doctor,
            "query($p: ID!) { patientRecords(patientId: $p) { id } }",
            json!({"p": other}),
        )
        .await;
    assert_eq!(none["data"]["patientRecords"], json!([]));
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
