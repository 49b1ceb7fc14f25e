//! The chain module: deployment bookkeeping and the contract's events, on a
//! real Anvil.

use alloy::primitives::B256;
use alloy::providers::Provider;
use careledger::chain::bindings::{CareLedgerAccess, ICareLedgerAccess};
use careledger::chain::deployment::{self, DeploymentError};
use sqlx::PgPool;

use crate::support::{self, id};

#[sqlx::test(migrations = "../migrations")]
async fn deploys_once_then_reuses_the_recorded_contract(pool: PgPool) {
    let s = support::stack(&pool).await;
    let height = s.chain.block_number().await.expect("block");
    let again = deployment::ensure(&pool, &s.chain, None).await.expect("reuse");
    assert_eq!(again, s.deployment);
    assert_eq!(s.chain.block_number().await.expect("block"), height, "nothing was deployed again");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM chain_deployment")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_chain_that_lost_the_contract_is_reported_not_redeployed(pool: PgPool) {
    let first = support::stack(&pool).await;
    let address = first.deployment.address;
    drop(first);
    let fresh = support::anvil();
    let chain = support::chain(&fresh).await;
    let err = deployment::ensure(&pool, &chain, None).await.expect_err("must refuse");
    match err {
        DeploymentError::ContractMissing { address: a, chain_id, .. } => {
            assert_eq!((a, chain_id), (address, 31337));
        }
        other => panic!("expected ContractMissing, got {other}"),
    }
    assert!(err_message_mentions_reset(&pool, &chain).await);
    assert_eq!(chain.block_number().await.expect("block"), 0, "nothing was deployed");
}

async fn err_message_mentions_reset(pool: &PgPool, chain: &careledger::chain::Chain) -> bool {
    let text = deployment::ensure(pool, chain, None).await.expect_err("refused").to_string();
    text.contains("make reset") && text.contains("has no CareLedger contract")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_different_chain_id_is_reported(pool: PgPool) {
    let _first = support::stack(&pool).await;
    let other = support::anvil_with(&["--chain-id", "1337"]);
    let chain = support::chain(&other).await;
    match deployment::ensure(&pool, &chain, None).await.expect_err("must refuse") {
        DeploymentError::OtherChain { found, recorded, .. } => {
            assert_eq!((found, recorded), (1337, vec![31337]))
        }
        other => panic!("expected OtherChain, got {other}"),
    }
}

fn request(
    n: u64,
    actor: B256,
    action: u8,
    resource: u8,
    subject: B256,
    target_role: u8,
) -> ICareLedgerAccess::AccessRequest {
    ICareLedgerAccess::AccessRequest {
        requestId: id(1000 + n),
        actor,
        action,
        resource,
        subject,
        recordId: id(500 + n),
        targetRole: target_role,
    }
}

fn user_added(n: u64, subject: B256, role: u8) -> ICareLedgerAccess::LifecycleEntry {
    ICareLedgerAccess::LifecycleEntry {
        entryId: id(2000 + n),
        kind: 0,
        actor: id(999),
        subject,
        recordId: B256::ZERO,
        version: 0,
        contentHash: B256::ZERO,
        role,
        sequence: 1,
        counterpart: B256::ZERO,
        department: 0,
        until: 0,
        detail: 0,
    }
}

/// Submits one batch straight to the contract and decodes every event.
#[sqlx::test(migrations = "../migrations")]
async fn a_batch_is_decided_and_every_event_decodes_with_its_fields(pool: PgPool) {
    let s = support::stack(&pool).await;
    let contract = CareLedgerAccess::new(s.deployment.address, s.chain.provider());
    let (doctor, patient, other_patient, stranger) = (id(1), id(2), id(3), id(4));
    let registered = contract
        .recordLifecycle(vec![
            user_added(1, doctor, 3),
            user_added(2, patient, 7),
            user_added(3, other_patient, 7),
            // The doctor cares for the first patient only.
            ICareLedgerAccess::LifecycleEntry {
                entryId: id(2004),
                kind: 12, // CARE_ADDED
                counterpart: doctor,
                ..user_added(4, patient, 0)
            },
        ])
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(registered.status());
    assert_eq!(contract.roleOf(doctor).call().await.expect("role"), 3);

    // HEALTH_RECORD = 1; READ = 1, CREATE = 0.
    let batch = vec![
        request(1, doctor, 1, 1, patient, 0), // doctor reads a patient's record: approved
        request(2, patient, 1, 1, patient, 0), // patient reads own record: approved
        request(3, patient, 1, 1, other_patient, 0), // patient reads another's: denied
        request(4, stranger, 1, 1, patient, 0), // unknown identifier: denied
        request(5, patient, 0, 1, patient, 0), // patient creates a record: denied
        request(6, doctor, 1, 1, other_patient, 0), // not on that patient's care team: denied
    ];
    let receipt = contract
        .authorize(batch.clone())
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status(), "a batch with denials must not revert");
    let events: Vec<_> = receipt
        .inner
        .logs()
        .iter()
        .map(|log| {
            log.log_decode::<CareLedgerAccess::AccessRequested>()
                .expect("AccessRequested")
                .inner
                .data
        })
        .collect();
    assert_eq!(events.len(), batch.len(), "exactly one event per request, and nothing else");
    let block = s
        .chain
        .provider()
        .get_block_by_number(receipt.block_number.expect("block").into())
        .await
        .expect("rpc")
        .expect("block");
    let expected_verdicts = [true, true, false, false, false, false];
    for ((event, req), approved) in events.iter().zip(&batch).zip(expected_verdicts) {
        assert_eq!(event.requestId, req.requestId);
        assert_eq!(event.actor, req.actor);
        assert_eq!(event.subject, req.subject);
        assert_eq!(event.recordId, req.recordId);
        assert_eq!(
            (event.action, event.resource, event.targetRole),
            (req.action, req.resource, req.targetRole)
        );
        assert_eq!(event.approved, approved, "request {}", req.requestId);
        assert_eq!(event.timestamp, block.header.timestamp);
    }
}
