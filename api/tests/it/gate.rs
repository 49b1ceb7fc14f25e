//! The gate on a real Anvil: group commit gives every concurrent caller its
//! own verdict from its own event, in fewer transactions than requests; the
//! outbox sends what a dead process left pending, leaves a writer's claimed
//! row to its writer, and marks concurrent deliveries with their own receipts.

use std::collections::HashSet;

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use careledger::bootstrap::SYSTEM_ACTOR;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::config::GateMode;
use careledger::gate::outbox::{self, Change, Outbox};
use careledger::gate::{AccessRequest, Action, Gate, LifecycleEntry, LifecycleKind, Resource};
use sqlx::PgPool;

use crate::support::{self, id};

const DOCTOR: u8 = 3;
const PATIENT: u8 = 7;

/// Registers the users and puts every doctor on every patient's care team
/// (the contract approves a doctor's health-record request only then).
async fn register(gate: &Gate, users: &[(B256, u8)]) {
    let mut entries: Vec<LifecycleEntry> = users
        .iter()
        .enumerate()
        .map(|(i, (subject, role))| LifecycleEntry {
            entry_id: id(9000 + i as u64),
            kind: LifecycleKind::UserAdded,
            actor: SYSTEM_ACTOR,
            subject: *subject,
            record: B256::ZERO,
            version: 0,
            content_hash: B256::ZERO,
            role: *role,
            sequence: 1,
            ..LifecycleEntry::default()
        })
        .collect();
    let of = |role| users.iter().filter(move |(_, r)| *r == role).map(|(id, _)| *id);
    for (i, (patient, doctor)) in
        of(PATIENT).flat_map(|p| of(DOCTOR).map(move |d| (p, d))).enumerate()
    {
        entries.push(LifecycleEntry {
            entry_id: id(9500 + i as u64),
            kind: LifecycleKind::CareAdded,
            actor: SYSTEM_ACTOR,
            subject: patient,
            counterpart: doctor,
            sequence: 1,
            ..LifecycleEntry::default()
        });
    }
    let receipts = gate.record(entries).await.expect("register");
    assert!(receipts.iter().all(|r| r.approved), "every entry applied");
}

/// Every event of one kind the stack's contract has emitted.
fn events_of(s: &support::Stack, signature: B256) -> Filter {
    Filter::new().address(s.deployment.address).event_signature(signature).from_block(0)
}

fn read(actor: B256, subject: B256, record: u64) -> AccessRequest {
    AccessRequest {
        actor,
        action: Action::Read,
        resource: Resource::HealthRecord,
        subject,
        record: id(record),
        target_role: 0,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_requests_each_get_their_own_verdict_in_fewer_transactions(pool: PgPool) {
    let s = support::stack(&pool).await;
    let gate = s.gate(GateMode::Group).await;
    let (doctor, patient, other) = (id(1), id(2), id(3));
    register(&gate, &[(doctor, DOCTOR), (patient, PATIENT), (other, PATIENT)]).await;
    let before = gate.stats();

    // Even requests: the patient reads their own record (approved);
    // odd ones: the patient reads someone else's (denied).
    let calls: Vec<_> = (0..200u64)
        .map(|n| {
            let gate = gate.clone();
            let request =
                if n % 2 == 0 { read(patient, patient, n) } else { read(patient, other, n) };
            tokio::spawn(async move { (n, request, gate.authorize(request).await) })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut transactions = HashSet::new();
    for call in calls {
        let (n, request, verdict) = call.await.expect("task");
        let verdict = verdict.expect("verdict");
        assert_eq!(verdict.approved, n % 2 == 0, "request {n}");
        assert!(
            seen.insert((verdict.receipt.transaction_hash, verdict.receipt.log_index)),
            "each answer has its own event"
        );
        transactions.insert(verdict.receipt.transaction_hash);
        // Read the event back with a plain log query and check every field.
        let receipt = s
            .chain
            .provider()
            .get_transaction_receipt(verdict.receipt.transaction_hash)
            .await
            .expect("rpc")
            .expect("mined");
        let log = receipt
            .inner
            .logs()
            .iter()
            .find(|l| l.log_index == Some(verdict.receipt.log_index))
            .expect("the log named by the receipt");
        let event =
            log.log_decode::<CareLedgerAccess::AccessRequested>().expect("decode").inner.data;
        assert_eq!(
            (event.actor, event.subject, event.recordId),
            (request.actor, request.subject, request.record)
        );
        assert_eq!((event.action, event.resource, event.approved), (1, 1, n % 2 == 0));
    }
    let after = gate.stats();
    assert_eq!(after.requests - before.requests, 200);
    assert!(transactions.len() < 200, "group commit used {} transactions", transactions.len());
    assert_eq!(after.transactions - before.transactions, transactions.len() as u64);

    // Exactly 200 access events on chain, no more.
    let filter = events_of(&s, CareLedgerAccess::AccessRequested::SIGNATURE_HASH);
    assert_eq!(s.chain.provider().get_logs(&filter).await.expect("logs").len(), 200);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_naive_gate_sends_one_transaction_per_request(pool: PgPool) {
    let s = support::stack(&pool).await;
    let gate = s.gate(GateMode::Naive).await;
    let (doctor, patient) = (id(1), id(2));
    register(&gate, &[(doctor, DOCTOR), (patient, PATIENT)]).await;
    let mut hashes = HashSet::new();
    for n in 0..5 {
        let verdict = gate.authorize(read(doctor, patient, n)).await.expect("verdict");
        assert!(verdict.approved);
        hashes.insert(verdict.receipt.transaction_hash);
    }
    assert_eq!(hashes.len(), 5);
    assert_eq!(gate.stats().transactions, 6, "one to register, then one per request");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_outbox_sends_what_a_dead_process_left_pending(pool: PgPool) {
    let s = support::stack(&pool).await;
    // A "previous run" committed a change and its outbox row, then died
    // before sending it; its claim on the row has run out.
    let subject = id(42);
    let mut tx = pool.begin().await.expect("begin");
    let entry = outbox::enqueue(&mut tx, user_added(subject)).await.expect("enqueue").entry_id;
    tx.commit().await.expect("commit");
    sqlx::query("UPDATE chain_outbox SET claimed_until = now() - interval '1 second'")
        .execute(&pool)
        .await
        .expect("claim ran out");

    // The next start sends it.
    let gate = s.gate(GateMode::Group).await;
    let outbox = Outbox::new(pool.clone(), gate).start().await.expect("start");
    assert_eq!(outbox.pending().await.expect("pending"), 0);
    let filter = events_of(&s, CareLedgerAccess::UserAdded::SIGNATURE_HASH);
    let logs = s.chain.provider().get_logs(&filter).await.expect("logs");
    assert_eq!(logs.len(), 1);
    let event = logs[0].log_decode::<CareLedgerAccess::UserAdded>().expect("decode").inner.data;
    assert_eq!((event.entryId, event.subject, event.role), (entry, subject, PATIENT));
    let contract = CareLedgerAccess::new(s.deployment.address, s.chain.provider());
    assert_eq!(contract.roleOf(subject).call().await.expect("role"), PATIENT);
    let sent: (Option<Vec<u8>>, Option<i64>) =
        sqlx::query_as("SELECT sent_tx, sent_block FROM chain_outbox WHERE entry_id = $1")
            .bind(entry.as_slice())
            .fetch_one(&pool)
            .await
            .expect("row");
    assert_eq!(sent.0.as_deref(), Some(logs[0].transaction_hash.expect("tx").as_slice()));
    assert_eq!(sent.1, logs[0].block_number.map(|b| b as i64));
}

fn user_added(subject: B256) -> Change {
    Change {
        kind: LifecycleKind::UserAdded,
        actor: SYSTEM_ACTOR,
        subject,
        record: B256::ZERO,
        version: 0,
        content_hash: B256::ZERO,
        role: PATIENT,
        ..Change::default()
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sweep_leaves_a_writers_claimed_row_to_its_writer(pool: PgPool) {
    let s = support::stack(&pool).await;
    let outbox = Outbox::new(pool.clone(), s.gate(GateMode::Group).await);
    let mut tx = pool.begin().await.expect("begin");
    let entry = outbox::enqueue(&mut tx, user_added(id(42))).await.expect("enqueue");
    tx.commit().await.expect("commit");

    // Committed and claimed by its writer: a sweep now does not send it.
    assert_eq!(outbox.flush().await.expect("sweep"), 0);
    assert_eq!(outbox.pending().await.expect("pending"), 1);
    // Its writer does, once.
    let sent = outbox.deliver(&[entry]).await.expect("deliver");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, entry.entry_id);
    assert_eq!(outbox.pending().await.expect("pending"), 0);
    assert_eq!(outbox.flush().await.expect("sweep"), 0);
    let filter = events_of(&s, CareLedgerAccess::UserAdded::SIGNATURE_HASH);
    assert_eq!(s.chain.provider().get_logs(&filter).await.expect("logs").len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_deliveries_are_each_marked_with_their_own_receipt(pool: PgPool) {
    let s = support::stack(&pool).await;
    let outbox = Outbox::new(pool.clone(), s.gate(GateMode::Group).await);
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..60u64 {
        let (pool, outbox) = (pool.clone(), outbox.clone());
        writers.spawn(async move {
            let mut tx = pool.begin().await.expect("begin");
            let entry = outbox::enqueue(&mut tx, user_added(id(100 + n))).await.expect("enqueue");
            tx.commit().await.expect("commit");
            let sent = outbox.deliver(&[entry]).await.expect("deliver");
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].0, entry.entry_id);
            (entry.entry_id, sent[0].1)
        });
    }
    let mut receipts = Vec::new();
    while let Some(done) = writers.join_next().await {
        receipts.push(done.expect("writer"));
    }
    assert_eq!(outbox.pending().await.expect("pending"), 0);
    let transactions: HashSet<B256> = receipts.iter().map(|(_, r)| r.transaction_hash).collect();
    assert!(transactions.len() < 60, "grouped into fewer transactions: {}", transactions.len());
    for (entry, receipt) in receipts {
        let row: (Vec<u8>, i64, i64) = sqlx::query_as(
            "SELECT sent_tx, sent_block, sent_log_index FROM chain_outbox WHERE entry_id = $1",
        )
        .bind(entry.as_slice())
        .fetch_one(&pool)
        .await
        .expect("row");
        assert_eq!(row.0, receipt.transaction_hash.to_vec());
        assert_eq!(row.1, receipt.block_number as i64);
        assert_eq!(row.2, receipt.log_index as i64);
        let logs = s
            .chain
            .provider()
            .get_transaction_receipt(receipt.transaction_hash)
            .await
            .expect("receipt");
        let log = logs
            .expect("mined")
            .inner
            .logs()
            .iter()
            .find(|l| l.log_index == Some(receipt.log_index))
            .expect("log at its index")
            .log_decode::<CareLedgerAccess::UserAdded>()
            .expect("a UserAdded event")
            .inner
            .data;
        assert_eq!(log.entryId, entry);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_group_gate_recovers_when_another_sender_used_its_key(pool: PgPool) {
    let s = support::stack(&pool).await;
    let group = s.gate(GateMode::Group).await;
    let (doctor, patient) = (id(1), id(2));
    register(&group, &[(doctor, DOCTOR), (patient, PATIENT)]).await;
    // A naive api (another process: its own connection) on the same chain
    // with the same key moves the nonce on.
    let other = support::chain(&s.anvil).await;
    let naive = Gate::start(&other, &s.deployment, GateMode::Naive).await.expect("naive gate");
    for n in 0..3 {
        assert!(naive.authorize(read(doctor, patient, n)).await.expect("naive").approved);
    }
    // The group gate's cached nonce is now stale: it re-reads it and retries.
    let verdict = group.authorize(read(doctor, patient, 10)).await.expect("group after naive");
    assert!(verdict.approved);
    assert_eq!(group.stats().transactions, 2, "the refused attempt is not counted as sent");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_verdict_waits_for_its_block_and_arrives_when_it_is_mined(pool: PgPool) {
    let s = support::stack(&pool).await;
    let gate = s.gate(GateMode::Group).await;
    let (doctor, patient) = (id(1), id(2));
    register(&gate, &[(doctor, DOCTOR), (patient, PATIENT)]).await;
    let provider = s.chain.provider();
    let _: () =
        provider.raw_request("evm_setAutomine".into(), (false,)).await.expect("automine off");

    let call = {
        let gate = gate.clone();
        tokio::spawn(async move { gate.authorize(read(doctor, patient, 1)).await })
    };
    // Sent but not mined: no answer yet, however long it waits.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!call.is_finished(), "no verdict before its block");
    assert_eq!(gate.stats().in_flight, 1, "the transaction waits in the node's pool");

    let block_before = provider.get_block_number().await.expect("block");
    let _: String = provider.raw_request("evm_mine".into(), ()).await.expect("mine");
    let verdict = call.await.expect("task").expect("verdict");
    assert!(verdict.approved);
    assert_eq!(verdict.receipt.block_number, block_before + 1, "answered from the mined block");
    let confirmed = gate.confirm_seconds().expect("group gate").count();
    assert_eq!(confirmed, gate.stats().transactions, "every transaction's confirmation timed");
}
