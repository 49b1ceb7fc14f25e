//! The chain journal against a chain that loses blocks: Anvil's `evm_revert`
//! drops every block mined after a snapshot, as a node restarted from an
//! older state file does. Every acknowledged access must come back on chain,
//! marked as a re-recording of the transaction the chain lost.

use std::time::{Duration, Instant};

use alloy::primitives::B256;
use alloy::providers::Provider;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::gate::{AccessRequest, Action, LifecycleEntry, LifecycleKind, Resource};
use sqlx::PgPool;

use crate::support::{self, id};

const PATIENT: u8 = 7;

fn read_own(patient: B256, record: u64) -> AccessRequest {
    AccessRequest {
        actor: patient,
        action: Action::Read,
        resource: Resource::HealthRecord,
        subject: patient,
        record: id(record),
        target_role: 0,
    }
}

async fn snapshot(app: &support::TestApp) -> String {
    let params = serde_json::json!([]);
    app.state.chain.provider().raw_request("evm_snapshot".into(), params).await.expect("snapshot")
}

async fn revert(app: &support::TestApp, snapshot: &str) -> bool {
    let params = serde_json::json!([snapshot]);
    app.state.chain.provider().raw_request("evm_revert".into(), params).await.expect("revert")
}

/// The journal row of `tx`: (state, re-recorded in).
async fn journal_row(pool: &PgPool, tx: B256) -> Option<(String, Option<Vec<u8>>)> {
    sqlx::query_as("SELECT state, re_recorded_in FROM chain_journal WHERE transaction_hash = $1")
        .bind(tx.as_slice())
        .fetch_optional(pool)
        .await
        .expect("journal")
}

#[sqlx::test(migrations = "../migrations")]
async fn accesses_the_chain_lost_are_recorded_again_with_their_origin(pool: PgPool) {
    let app = support::app(pool).await;
    let patient = id(21);
    let added = LifecycleEntry {
        entry_id: id(9021),
        kind: LifecycleKind::UserAdded,
        actor: careledger::bootstrap::SYSTEM_ACTOR,
        subject: patient,
        record: B256::ZERO,
        version: 0,
        content_hash: B256::ZERO,
        role: PATIENT,
        sequence: 1,
        ..LifecycleEntry::default()
    };
    app.state.gate.record(vec![added]).await.expect("patient on chain");

    let snapshot = snapshot(&app).await;
    let mut answered = Vec::new();
    for n in 0..3 {
        let verdict = app.state.gate.authorize(read_own(patient, n)).await.expect("verdict");
        assert!(verdict.approved, "a patient reads their own record");
        assert_eq!(
            journal_row(&app.state.pool, verdict.receipt.transaction_hash).await.map(|r| r.0),
            Some("MINED".to_owned()),
            "journaled before it was answered"
        );
        answered.push(verdict.receipt);
    }

    // The node loses every block since the snapshot.
    assert!(revert(&app, &snapshot).await, "reverted");
    let provider = app.state.chain.provider();
    for receipt in &answered {
        assert!(provider
            .get_transaction_receipt(receipt.transaction_hash)
            .await
            .expect("rpc")
            .is_none());
    }

    // The watcher notices within seconds and records each transaction again.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut again = Vec::new();
    for receipt in &answered {
        loop {
            match journal_row(&app.state.pool, receipt.transaction_hash).await {
                Some((state, Some(new))) if state == "RE_RECORDED" => {
                    again.push(B256::from_slice(&new));
                    break;
                }
                other => {
                    let c = &app.state.journal.counts;
                    let load = |a: &std::sync::atomic::AtomicU64| {
                        a.load(std::sync::atomic::Ordering::Relaxed)
                    };
                    assert!(
                        Instant::now() < deadline,
                        "not re-recorded in time: {other:?}; rollbacks {} lost {} re-recorded {}",
                        load(&c.rollbacks),
                        load(&c.lost),
                        load(&c.re_recorded)
                    )
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    for (receipt, new_tx) in answered.iter().zip(&again) {
        let mined = provider.get_transaction_receipt(*new_tx).await.expect("rpc").expect("mined");
        assert!(mined.status());
        let logs = mined.inner.logs();
        let access = logs
            .iter()
            .filter_map(|l| l.log_decode::<CareLedgerAccess::AccessRequested>().ok())
            .map(|l| l.inner.data)
            .collect::<Vec<_>>();
        let marks = logs
            .iter()
            .filter_map(|l| l.log_decode::<CareLedgerAccess::ReRecorded>().ok())
            .map(|l| l.inner.data)
            .collect::<Vec<_>>();
        assert_eq!((access.len(), marks.len()), (1, 1), "the access, then its mark");
        assert!(access[0].approved, "the verdict the api acted on");
        assert_eq!((access[0].actor, access[0].subject), (patient, patient));
        assert_eq!(marks[0].id, access[0].requestId);
        assert_eq!(marks[0].originalTransaction, receipt.transaction_hash);
        assert_eq!(marks[0].originalBlock, receipt.block_number);
        assert_eq!(
            access[0].timestamp, marks[0].originalTimestamp,
            "stamped when it really happened"
        );
        assert_eq!(
            journal_row(&app.state.pool, *new_tx).await.map(|r| r.0),
            Some("MINED".to_owned())
        );
    }
    assert_eq!(
        app.state.journal.counts.re_recorded.load(std::sync::atomic::Ordering::Relaxed),
        answered.len() as u64
    );

    // The gate goes on working on the shortened chain (its nonce taken again).
    let verdict = app.state.gate.authorize(read_own(patient, 9)).await.expect("after the loss");
    assert!(verdict.approved);
}

#[sqlx::test(migrations = "../migrations")]
async fn role_changes_are_numbered_per_user_and_a_stale_copy_changes_nothing(pool: PgPool) {
    use careledger::users::Role;
    let app = support::app(pool).await;
    let user = app.add_user("nurse.seq", "a sound password", Role::Nurse).await;
    let subject: B256 = user.system_id.expect("registered").into();
    careledger::users::service::set_role(
        &app.state.pool,
        &app.state.outbox,
        careledger::bootstrap::SYSTEM_ACTOR,
        user.id,
        Role::Doctor,
    )
    .await
    .expect("set role");
    let sequences: Vec<(i16, i64)> =
        sqlx::query_as("SELECT kind, sequence FROM chain_outbox WHERE subject = $1 ORDER BY id")
            .bind(subject.as_slice())
            .fetch_all(&app.state.pool)
            .await
            .expect("outbox");
    assert_eq!(sequences, [(0, 1), (3, 2)], "USER_ADDED is 1, the role change 2");
    let contract = CareLedgerAccess::new(app.state.deployment.address, app.state.chain.provider());
    assert_eq!(contract.roleOf(subject).call().await.expect("role"), Role::Doctor.contract_code());
    assert_eq!(contract.roleSequence(subject).call().await.expect("sequence"), 2);

    // An older change (sequence 1, to ROOT) arriving late is refused and changes nothing.
    let stale = LifecycleEntry {
        entry_id: id(31),
        kind: LifecycleKind::RoleChanged,
        actor: careledger::bootstrap::SYSTEM_ACTOR,
        subject,
        record: B256::ZERO,
        version: 0,
        content_hash: B256::ZERO,
        role: Role::Root.contract_code(),
        sequence: 1,
        ..LifecycleEntry::default()
    };
    let receipts = app.state.gate.record(vec![stale]).await.expect("recorded");
    assert!(!receipts[0].approved, "refused as stale");
    assert_eq!(contract.roleOf(subject).call().await.expect("role"), Role::Doctor.contract_code());
    assert_eq!(contract.roleSequence(subject).call().await.expect("sequence"), 2);
}
