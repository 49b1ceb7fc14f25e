//! The indexer: restarts, reorganisations, rebuilds and duplicate deliveries.

use alloy::primitives::B256;
use alloy::providers::Provider;
use careledger::audit::indexer::Indexer;
use careledger::audit::{Audit, AuditKind, Filter};
use careledger::gate::{LifecycleEntry, LifecycleKind};
use careledger::users::Role;
use sqlx::PgPool;

use super::{caught_up, chain_events};
use crate::ops::{me, Me};
use crate::support::{self, id, TestApp, ROOT_PASSWORD};

/// The index's rows as (transaction hash, log index, duplicate), in chain order.
async fn rows(pool: &PgPool) -> Vec<(String, i64, bool)> {
    let rows: Vec<(Vec<u8>, i64, bool)> = sqlx::query_as(
        "SELECT transaction_hash, log_index, duplicate FROM audit_events ORDER BY block_number, log_index",
    )
    .fetch_all(pool)
    .await
    .expect("rows");
    rows.into_iter().map(|(tx, i, d)| (B256::from_slice(&tx).to_string(), i, d)).collect()
}

/// What the chain says the rows must be (no duplicate deliveries here).
async fn expected(app: &TestApp) -> Vec<(String, i64, bool)> {
    chain_events(app)
        .await
        .into_iter()
        .map(|e| (e.transaction_hash.to_string(), e.log_index as i64, false))
        .collect()
}

fn indexer(app: &TestApp) -> Indexer {
    Indexer::new(app.state.pool.clone(), app.state.chain.clone(), &app.state.deployment)
}

#[sqlx::test(migrations = "../migrations")]
async fn a_restarted_indexer_has_no_gap_and_no_duplicate(pool: PgPool) {
    let app = support::app(pool).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    for _ in 0..3 {
        app.run::<Me>(Some(&token), me::Variables).await;
    }
    caught_up(&app).await;
    let head = app.state.chain.block_number().await.expect("head");
    let health = careledger::http::health::check(&app.state).await;
    assert_eq!(
        health.audit,
        careledger::http::health::AuditHealth { last_indexed_block: head, lag: Some(0) }
    );
    let before = rows(&app.state.pool).await;
    assert_eq!(before, expected(&app).await);

    // Stopped mid-stream: what happens now is not indexed...
    app.state.audit.stop();
    for _ in 0..4 {
        app.run::<Me>(Some(&token), me::Variables).await;
    }
    app.add_user("late.comer", "a sound password", Role::Nurse).await;
    assert_eq!(rows(&app.state.pool).await, before);
    let all = expected(&app).await;
    assert_eq!(all.len(), before.len() + 5);

    // ...until a new indexer resumes from the stored position.
    let resumed = Audit::start(indexer(&app), None);
    let head = app.state.chain.block_number().await.expect("head");
    assert!(resumed.wait_for(head, std::time::Duration::from_secs(30)).await);
    assert_eq!(rows(&app.state.pool).await, all);
    resumed.stop();

    // Rebuilding from scratch gives the same table.
    assert_eq!(indexer(&app).reindex().await.expect("reindex"), all.len() as u64);
    assert_eq!(rows(&app.state.pool).await, all);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reorganisation_keeps_the_rows_of_the_abandoned_blocks_as_lost(pool: PgPool) {
    let app = support::app(pool).await;
    app.state.audit.stop();
    let indexer = indexer(&app);
    indexer.catch_up().await.expect("index");
    let provider = app.state.chain.provider();
    let snapshot: alloy::primitives::U256 =
        provider.raw_request("evm_snapshot".into(), ()).await.expect("snapshot");
    let kept = rows(&app.state.pool).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    for _ in 0..2 {
        app.run::<Me>(Some(&token), me::Variables).await;
    }
    indexer.catch_up().await.expect("index");
    // The sign-in (SIGNED_IN) and the two reads.
    let lost: Vec<_> = rows(&app.state.pool).await.split_off(kept.len());
    assert_eq!(lost.len(), 3);
    let head = provider.get_block_number().await.expect("head");

    // The node abandons those blocks for a longer branch without them.
    let reverted: bool =
        provider.raw_request("evm_revert".into(), (snapshot,)).await.expect("revert");
    assert!(reverted);
    let _: serde_json::Value =
        provider.raw_request("anvil_mine".into(), (format!("{:#x}", 5),)).await.expect("mine");
    assert!(provider.get_block_number().await.expect("head") > head);

    let step = indexer.step().await.expect("step");
    assert!(step.rewound > 0, "{step:?}");
    assert_eq!(step.lost, 3, "{step:?}");
    indexer.catch_up().await.expect("index");
    assert_eq!(rows(&app.state.pool).await, expected(&app).await);
    // The rows of the abandoned blocks are kept, set aside as lost, never
    // deleted: an auditor can still see them (the journal re-records them).
    let abandoned: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT transaction_hash, log_index FROM audit_lost_events ORDER BY block_number, log_index",
    )
    .fetch_all(&app.state.pool)
    .await
    .expect("lost rows");
    let abandoned: Vec<(String, i64, bool)> = abandoned
        .into_iter()
        .map(|(tx, i)| (B256::from_slice(&tx).to_string(), i, false))
        .collect();
    assert_eq!(abandoned, lost);
    let page = careledger::audit::search::search(
        &app.state.pool,
        &Filter { include_lost: true, ..Filter::default() },
        500,
        None,
    )
    .await
    .expect("search");
    let lost_shown: Vec<String> = page
        .events
        .iter()
        .filter(|e| e.lost_at.is_some())
        .map(|e| e.transaction_hash.to_string())
        .collect();
    assert_eq!(lost_shown.len(), 3);
    let default = careledger::audit::search::search(&app.state.pool, &Filter::default(), 500, None)
        .await
        .expect("search");
    assert!(default.events.iter().all(|e| e.lost_at.is_none()));
}

/// transaction hash, kind, approved, duplicate, refusal
type Copy = (Vec<u8>, String, bool, bool, Option<i16>);

async fn copies_of(app: &TestApp, entry: B256) -> Vec<Copy> {
    sqlx::query_as(
        "SELECT transaction_hash, kind, approved, duplicate, refusal FROM audit_events
          WHERE entry_id = $1 ORDER BY block_number",
    )
    .bind(entry.as_slice())
    .fetch_all(&app.state.pool)
    .await
    .expect("copies")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_role_entry_delivered_twice_is_applied_once_and_the_copy_indexed_as_refused(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    let entry = LifecycleEntry {
        entry_id: id(77),
        kind: LifecycleKind::UserAdded,
        actor: careledger::bootstrap::SYSTEM_ACTOR,
        subject: id(5),
        record: B256::ZERO,
        version: 0,
        content_hash: id(9),
        role: 7, // PATIENT
        sequence: 1,
        ..LifecycleEntry::default()
    };
    let first = app.state.gate.record(vec![entry]).await.expect("first");
    let second = app.state.gate.record(vec![entry]).await.expect("again");
    assert_eq!((first[0].approved, second[0].approved), (true, false), "applied, then refused");
    caught_up(&app).await;
    assert_eq!(
        copies_of(&app, id(77)).await,
        [
            (first[0].transaction_hash.to_vec(), "USER_ADDED".to_owned(), true, false, None),
            (
                second[0].transaction_hash.to_vec(),
                "LIFECYCLE_REFUSED".to_owned(),
                false,
                false,
                Some(0)
            ),
        ]
    );
    let filter = Filter { subject: Some(id(5)), ..Filter::default() };
    let page = careledger::audit::search::search(&app.state.pool, &filter, 10, None)
        .await
        .expect("search");
    let kinds: Vec<AuditKind> = page.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [AuditKind::LifecycleRefused, AuditKind::UserAdded],
        "the refusal is on the trail, newest first"
    );
    assert_eq!(page.events[0].refusal, Some(0), "REPLAYED");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_entry_that_changes_no_state_delivered_twice_is_indexed_once_and_a_duplicate(
    pool: PgPool,
) {
    let app = support::app(pool).await;
    let entry = LifecycleEntry {
        entry_id: id(78),
        kind: LifecycleKind::UserModified,
        actor: careledger::bootstrap::SYSTEM_ACTOR,
        subject: id(6),
        record: B256::ZERO,
        version: 0,
        content_hash: id(9),
        role: 0,
        sequence: 0,
        ..LifecycleEntry::default()
    };
    let first = app.state.gate.record(vec![entry]).await.expect("first");
    let second = app.state.gate.record(vec![entry]).await.expect("again");
    assert_eq!((first[0].approved, second[0].approved), (true, true), "emitted both times");
    caught_up(&app).await;
    assert_eq!(
        copies_of(&app, id(78)).await,
        [
            (first[0].transaction_hash.to_vec(), "USER_MODIFIED".to_owned(), true, false, None),
            (second[0].transaction_hash.to_vec(), "USER_MODIFIED".to_owned(), true, true, None),
        ],
        "the second copy is flagged a duplicate"
    );
    let filter = Filter { subject: Some(id(6)), ..Filter::default() };
    let page = careledger::audit::search::search(&app.state.pool, &filter, 10, None)
        .await
        .expect("search");
    assert_eq!(page.events.len(), 1, "the trail shows the change once");
    assert_eq!(page.events[0].transaction_hash, first[0].transaction_hash);
}
