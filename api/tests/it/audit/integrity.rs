//! The integrity proof: `verifyRecord` and the routine behind `careledger verify`.

use careledger::audit::verify::{self, Summary};
use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use super::{caught_up, create_record, update_record};
use crate::ops::IntegrityStatus::{self, Mismatch, MissingInDatabase, MissingOnChain, Verified};
use crate::ops::{verify_record, VerifyRecord};
use crate::support::{self, TestApp};

type Report = verify_record::VerifyRecordVerifyRecord;

async fn statuses(
    app: &TestApp,
    token: &str,
    id: &careledger::records::RecordId,
) -> (Report, Vec<(i64, IntegrityStatus)>) {
    let vars = verify_record::Variables { id: id.to_string() };
    let out = app.run::<VerifyRecord>(Some(token), vars).await;
    let report = out.ok().verify_record.clone();
    assert_eq!(report.record_id, id.to_string());
    let list = report.versions.iter().map(|v| (v.version, v.status)).collect();
    (report, list)
}

async fn tamper(pool: &PgPool, sql: &str, id: &careledger::records::RecordId) {
    // As an attacker with database access would: switch off the triggers that
    // version and protect the rows, change them, switch the triggers back on.
    let mut tx = pool.begin().await.expect("begin");
    for table in ["health_records", "health_records_history"] {
        sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await
            .expect("disable");
    }
    let done = sqlx::query(sql).bind(id.0).execute(&mut *tx).await.expect("tamper");
    assert_eq!(done.rows_affected(), 1, "{sql}");
    for table in ["health_records", "health_records_history"] {
        sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
            .execute(&mut *tx)
            .await
            .expect("enable");
    }
    tx.commit().await.expect("commit");
}

#[sqlx::test(migrations = "../migrations")]
async fn tampering_behind_the_api_is_reported_and_an_untouched_database_verifies(pool: PgPool) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    let patient = app.add_user("pat.verify", pw, Role::Patient).await;
    let doctor = app.add_user("dr.verify", pw, Role::Doctor).await;
    app.care_for(&patient, &doctor).await;
    let token = app.login("dr.verify", pw).await;

    let edited = create_record(&app, &patient, &doctor).await;
    let edited_v2 = update_record(&app, &edited, &patient, &doctor).await;
    let pruned = create_record(&app, &patient, &doctor).await;
    update_record(&app, &pruned, &patient, &doctor).await;
    let swapped = create_record(&app, &patient, &doctor).await;

    // Untouched: everything verifies, and the report names what was anchored.
    caught_up(&app).await;
    let (report, list) = statuses(&app, &token, &edited.id).await;
    assert_eq!(list, [(1, Verified), (2, Verified)]);
    assert!(report.verified);
    assert_eq!(report.versions[1].stored_hash, Some(edited_v2.content_hash.to_string()));
    assert_eq!(report.versions[1].anchored_hash, Some(edited_v2.content_hash.to_string()));
    let (clean, problems) =
        verify::all(&app.state.pool, &app.state.chain, &app.state.deployment, |_, _| {})
            .await
            .expect("verify all");
    assert_eq!(clean, Summary { records: 3, verified: 5, ..Summary::default() });
    assert!(clean.clean() && problems.is_empty());

    // A record stored but never anchored.
    let mut conn = app.state.pool.acquire().await.expect("conn");
    let unanchored = careledger::records::repo::create(
        &mut conn,
        &careledger::records::NewRecord {
            patient_id: patient.id,
            record_type: careledger::records::RecordType::Allergy,
            title: careledger::records::RecordTitle::parse("Penicillin").expect("title"),
            content: careledger::records::RecordContent::parse(json!({"severity": "high"}))
                .expect("content"),
            author_id: doctor.id,
        },
    )
    .await
    .expect("create");
    drop(conn);

    // Content edited in place, a history row deleted, a hash swapped.
    tamper(
        &app.state.pool,
        r#"UPDATE health_records SET content = '{"code": "I11"}' WHERE id = $1"#,
        &edited.id,
    )
    .await;
    tamper(
        &app.state.pool,
        "DELETE FROM health_records_history WHERE id = $1 AND version = 1",
        &pruned.id,
    )
    .await;
    tamper(
        &app.state.pool,
        "UPDATE health_records SET content_hash = sha256(content_hash) WHERE id = $1",
        &swapped.id,
    )
    .await;

    let (report, list) = statuses(&app, &token, &edited.id).await;
    assert_eq!(list, [(1, Verified), (2, Mismatch)]);
    assert!(!report.verified);
    assert_eq!(report.versions[1].anchored_hash, Some(edited_v2.content_hash.to_string()));
    assert_ne!(report.versions[1].stored_hash, Some(edited_v2.content_hash.to_string()));
    let (report, list) = statuses(&app, &token, &pruned.id).await;
    assert_eq!(list, [(1, MissingInDatabase), (2, Verified)]);
    assert_eq!(report.versions[0].stored_hash, None);
    assert_eq!(statuses(&app, &token, &swapped.id).await.1, [(1, Mismatch)]);
    let (report, list) = statuses(&app, &token, &unanchored.id).await;
    assert_eq!(list, [(1, MissingOnChain)]);
    assert_eq!(report.versions[0].anchored_hash, None);

    let (summary, problems) =
        verify::all(&app.state.pool, &app.state.chain, &app.state.deployment, |_, _| {})
            .await
            .expect("verify all");
    assert_eq!(
        summary,
        Summary {
            records: 4,
            verified: 2,
            mismatch: 2,
            missing_on_chain: 1,
            missing_in_database: 1
        }
    );
    assert!(!summary.clean());
    let mut ids: Vec<_> = problems.iter().map(|r| r.record_id).collect();
    ids.sort_by_key(|id| id.0);
    let mut want = vec![edited.id, pruned.id, swapped.id, unanchored.id];
    want.sort_by_key(|id| id.0);
    assert_eq!(ids, want);
}

/// An insider edits a version's content, recomputes its salted hash exactly
/// as `records/hash.rs` documents, stores it with the row and writes it into
/// the audit index too: the proof still reads the anchor from the chain.
#[sqlx::test(migrations = "../migrations")]
async fn a_recomputed_hash_written_into_the_index_does_not_verify(pool: PgPool) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    let patient = app.add_user("pat.insider", pw, Role::Patient).await;
    let doctor = app.add_user("dr.insider", pw, Role::Doctor).await;
    app.care_for(&patient, &doctor).await;
    let token = app.login("dr.insider", pw).await;
    let record = create_record(&app, &patient, &doctor).await;
    caught_up(&app).await;

    let forged = serde_json::json!({"code": "Z99"});
    let content =
        careledger::records::CanonicalJson::from_json_text(&forged.to_string()).expect("canonical");
    let fields = careledger::records::hash::HashedFields {
        record_id: record.id,
        patient_id: record.patient_id,
        author_id: record.author_id,
        record_type: record.record_type,
        title: &record.title,
        version: record.version,
        content: &content,
    };
    let recomputed = careledger::records::hash::content_hash(&record.content_salt, &fields);
    tamper(
        &app.state.pool,
        &format!(
            "UPDATE health_records SET content = '{forged}', content_hash = '\\x{}' WHERE id = $1",
            alloy::hex::encode(recomputed.as_bytes())
        ),
        &record.id,
    )
    .await;
    let rewritten = sqlx::query(
        "UPDATE audit_events SET content_hash = $2
          WHERE kind = 'RECORD_VERSION_CREATED' AND record_id = $1 AND version = 1",
    )
    .bind(alloy::primitives::B256::from(record.id).as_slice())
    .bind(recomputed.as_bytes().as_slice())
    .execute(&app.state.pool)
    .await
    .expect("rewrite the index");
    assert_eq!(rewritten.rows_affected(), 1);
    // The stored row is self-consistent: only the chain can tell.
    let checks = careledger::records::repo::verify(&app.state.pool, record.id).await.expect("rows");
    assert!(checks[0].is_intact());

    let (report, list) = statuses(&app, &token, &record.id).await;
    assert_eq!(list, [(1, Mismatch)]);
    assert_eq!(report.versions[0].anchored_hash, Some(record.content_hash.to_string()));
    assert_eq!(report.versions[0].stored_hash, Some(recomputed.to_string()));
}

#[sqlx::test(migrations = "../migrations")]
async fn only_who_may_read_the_record_may_verify_it(pool: PgPool) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    let patient = app.add_user("pat.own", pw, Role::Patient).await;
    let other = app.add_user("pat.other", pw, Role::Patient).await;
    let doctor = app.add_user("dr.own", pw, Role::Doctor).await;
    let record = create_record(&app, &patient, &doctor).await;
    let own = app.login("pat.own", pw).await;
    assert_eq!(statuses(&app, &own, &record.id).await.1, [(1, Verified)]);
    let stranger = app.login("pat.other", pw).await;
    let vars = verify_record::Variables { id: record.id.to_string() };
    let out = app.run::<VerifyRecord>(Some(&stranger), vars).await;
    assert_eq!(out.code(), "FORBIDDEN");
    let _ = other;
}
