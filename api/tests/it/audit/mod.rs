//! The audit trail: the indexer, the searches, the live feed, the integrity
//! proof, against a real Anvil and PostgreSQL.

mod check;
mod feed;
mod indexer;
mod integrity;
mod report;
mod websocket;

use std::time::Duration;

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::{Filter, Log};
use careledger::audit::AuditEvent;
use careledger::gate::outbox::{self, Change};
use careledger::gate::{LifecycleEntry, LifecycleKind};
use careledger::records::{HealthRecord, NewRecord, RecordContent, RecordTitle, RecordType};
use careledger::users::User;

use crate::support::TestApp;

/// Waits until the index holds every block mined so far.
pub async fn caught_up(app: &TestApp) {
    let head = app.state.chain.block_number().await.expect("head");
    assert!(
        app.state.audit.wait_for(head, Duration::from_secs(30)).await,
        "the index reaches block {head}"
    );
}

pub fn word(user: &User) -> B256 {
    B256::from(user.system_id.expect("system id"))
}

pub fn sid(user: &User) -> String {
    user.system_id.expect("system id").to_string()
}

/// Every log of the contract since its deployment, decoded as the index does.
pub async fn chain_events(app: &TestApp) -> Vec<AuditEvent> {
    let filter =
        Filter::new().address(app.state.deployment.address).from_block(app.state.deployment.block);
    let logs: Vec<Log> = app.state.chain.provider().get_logs(&filter).await.expect("logs");
    logs.iter().filter_map(careledger::audit::indexer::decode).collect()
}

/// What the record service does: store version 1 and anchor its hash, in
/// one database transaction, then deliver.
pub async fn create_record(app: &TestApp, patient: &User, author: &User) -> HealthRecord {
    let new = NewRecord {
        patient_id: patient.id,
        record_type: RecordType::Diagnosis,
        title: RecordTitle::parse("Hypertension").expect("title"),
        content: RecordContent::parse(serde_json::json!({"code": "I10"})).expect("content"),
        author_id: author.id,
    };
    let mut tx = app.state.pool.begin().await.expect("begin");
    let record = careledger::records::repo::create(&mut tx, &new).await.expect("create");
    let entry = anchor(&mut tx, &record, patient, author).await;
    tx.commit().await.expect("commit");
    app.state.outbox.deliver(&[entry]).await.expect("deliver");
    record
}

/// A new version of `record`, anchored likewise.
pub async fn update_record(
    app: &TestApp,
    record: &HealthRecord,
    patient: &User,
    author: &User,
) -> HealthRecord {
    let changes = careledger::records::RecordChanges {
        title: Some(RecordTitle::parse("Hypertension, controlled").expect("title")),
        content: None,
    };
    let mut tx = app.state.pool.begin().await.expect("begin");
    let updated =
        careledger::records::repo::update(&mut tx, record.id, record.version, &changes, author.id)
            .await
            .expect("update")
            .into_record();
    let entry = anchor(&mut tx, &updated, patient, author).await;
    tx.commit().await.expect("commit");
    app.state.outbox.deliver(&[entry]).await.expect("deliver");
    updated
}

async fn anchor(
    tx: &mut sqlx::PgConnection,
    record: &HealthRecord,
    patient: &User,
    author: &User,
) -> LifecycleEntry {
    outbox::enqueue(
        tx,
        Change {
            kind: LifecycleKind::RecordVersionCreated,
            actor: word(author),
            subject: word(patient),
            record: B256::from(record.id),
            version: u64::try_from(record.version).expect("version"),
            content_hash: B256::from(record.content_hash),
            role: 0,
            ..Change::default()
        },
    )
    .await
    .expect("enqueue")
}
