//! After recovery: what the chain (read directly with `eth_getLogs`), the
//! database and the audit views hold, checked against every response the
//! clients got.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::Filter;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::records::RecordId;
use careledger_bench::client::{Client, Outcome};
use sqlx::PgPool;

use crate::load::{Acked, Response};
use crate::ops::{self, trail_page};

/// Where one event sits on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct At {
    pub tx: B256,
    pub log_index: u64,
}

/// One `RecordVersionCreated`: where, the hash it anchored, its entry id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub at: At,
    pub content_hash: B256,
    pub entry_id: B256,
}

/// The contract's events, from its deployment to the head.
#[derive(Debug, Default)]
pub struct OnChain {
    /// Request id → each `AccessRequested` carrying it, with its verdict.
    pub access: HashMap<B256, Vec<(At, bool)>>,
    /// (record, version) → each `RecordVersionCreated`.
    pub versions: HashMap<(B256, u64), Vec<Anchor>>,
    /// Id → the original transaction of each `ReRecorded` naming it.
    pub re_recorded: HashMap<B256, Vec<B256>>,
    /// Every log of the contract.
    pub logs: HashSet<At>,
}

pub async fn read_chain(url: &str, contract: Address, from: u64) -> OnChain {
    let provider = ProviderBuilder::new().connect_http(url.parse().expect("chain url"));
    let head = provider.get_block_number().await.expect("the chain answers");
    let mut chain = OnChain::default();
    let mut start = from;
    while start <= head {
        let end = (start + 4_999).min(head);
        let filter = Filter::new().address(contract).from_block(start).to_block(end);
        for log in provider.get_logs(&filter).await.expect("eth_getLogs") {
            let at = At {
                tx: log.transaction_hash.expect("mined"),
                log_index: log.log_index.expect("mined"),
            };
            chain.logs.insert(at);
            if let Ok(e) = log.log_decode::<CareLedgerAccess::AccessRequested>() {
                let e = e.inner.data;
                chain.access.entry(e.requestId).or_default().push((at, e.approved));
            } else if let Ok(e) = log.log_decode::<CareLedgerAccess::RecordVersionCreated>() {
                let e = e.inner.data;
                chain.versions.entry((e.recordId, e.version)).or_default().push(Anchor {
                    at,
                    content_hash: e.contentHash,
                    entry_id: e.entryId,
                });
            } else if let Ok(e) = log.log_decode::<CareLedgerAccess::ReRecorded>() {
                let e = e.inner.data;
                chain.re_recorded.entry(e.id).or_default().push(e.originalTransaction);
            }
        }
        start = end + 1;
    }
    chain
}

/// The on-chain key of an acknowledged write.
pub fn version_key(acked: &Acked) -> (B256, u64) {
    let id: RecordId = acked.record.parse().expect("a record id");
    (B256::from(id), u64::try_from(acked.version).expect("a version"))
}

fn hash(text: &str) -> B256 {
    text.parse().expect("a 0x-prefixed hash")
}

/// Every `AccessRequested` the responses name (each response's own request ids).
pub fn access_notes(responses: &[Response]) -> Vec<(B256, bool, B256)> {
    responses
        .iter()
        .flat_map(|r| &r.notes)
        .filter(|n| n.event == "AccessRequested")
        .map(|n| (n.id, n.approved, n.transaction_hash))
        .collect()
}

pub fn acked(responses: &[Response]) -> Vec<&Acked> {
    responses.iter().filter_map(|r| r.acked.as_ref()).collect()
}

/// What is still missing: request ids not on chain, acknowledged versions
/// not on chain, journal rows the watcher has not re-recorded yet, and
/// request ids or versions the audit index does not hold yet.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pending {
    pub requests_not_on_chain: usize,
    pub versions_not_on_chain: usize,
    pub journal_lost: i64,
    pub requests_not_indexed: i64,
    pub versions_not_indexed: i64,
}

async fn pending(db: &PgPool, chain: &OnChain, responses: &[Response]) -> Pending {
    let notes = access_notes(responses);
    let acked = acked(responses);
    let ids: Vec<Vec<u8>> = notes.iter().map(|(id, _, _)| id.to_vec()).collect();
    let indexed: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT entry_id) FROM audit_events
          WHERE kind = 'ACCESS_REQUESTED' AND NOT duplicate AND entry_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(db)
    .await
    .expect("audit_events");
    let keys: Vec<(B256, u64)> = acked.iter().map(|a| version_key(a)).collect();
    let records: Vec<Vec<u8>> = keys.iter().map(|(r, _)| r.to_vec()).collect();
    let versions: Vec<i64> = keys.iter().map(|(_, v)| *v as i64).collect();
    let versions_indexed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT DISTINCT record_id, version FROM audit_events
          WHERE kind = 'RECORD_VERSION_CREATED' AND NOT duplicate
            AND (record_id, version) IN (SELECT * FROM unnest($1::bytea[], $2::bigint[]))) v",
    )
    .bind(&records)
    .bind(&versions)
    .fetch_one(db)
    .await
    .expect("audit_events");
    let distinct_ids: HashSet<B256> = notes.iter().map(|(id, _, _)| *id).collect();
    let distinct_keys: HashSet<(B256, u64)> = keys.iter().copied().collect();
    Pending {
        requests_not_on_chain: distinct_ids
            .iter()
            .filter(|id| !chain.access.contains_key(*id))
            .count(),
        versions_not_on_chain: distinct_keys
            .iter()
            .filter(|k| !chain.versions.contains_key(*k))
            .count(),
        journal_lost: sqlx::query_scalar("SELECT count(*) FROM chain_journal WHERE state = 'LOST'")
            .fetch_one(db)
            .await
            .expect("chain_journal"),
        requests_not_indexed: distinct_ids.len() as i64 - indexed,
        versions_not_indexed: distinct_keys.len() as i64 - versions_indexed,
    }
}

/// Polls until nothing is pending (the journal watcher re-records within
/// seconds, the indexer follows each block) or `within` passes; returns how
/// long it took and the chain as last read. The assertions come after.
pub async fn settle(
    db: &PgPool,
    chain_url: &str,
    contract: Address,
    from: u64,
    responses: &[Response],
    within: Duration,
) -> (Duration, OnChain, Pending) {
    let began = Instant::now();
    loop {
        let chain = read_chain(chain_url, contract, from).await;
        let left = pending(db, &chain, responses).await;
        if left == Pending::default() || began.elapsed() > within {
            if left.versions_not_on_chain > 0 {
                explain_unanchored(db, &chain, responses).await;
            }
            return (began.elapsed(), chain, left);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// For a failure: what the outbox and the journal say of each acknowledged
/// version the chain does not hold.
async fn explain_unanchored(db: &PgPool, chain: &OnChain, responses: &[Response]) {
    type OutboxRow = (Option<Vec<u8>>, Option<i64>, bool, bool, bool, Option<String>);
    for acked in acked(responses) {
        let (record, version) = version_key(acked);
        if chain.versions.contains_key(&(record, version)) {
            continue;
        }
        let row: Option<OutboxRow> = sqlx::query_as(
            "SELECT o.sent_tx, o.sent_block, o.sent_at IS NOT NULL, o.claimed_until IS NOT NULL,
                    o.safe_at IS NOT NULL, j.state
               FROM chain_outbox o LEFT JOIN chain_journal j ON j.transaction_hash = o.sent_tx
              WHERE o.record_id = $1 AND o.version = $2",
        )
        .bind(record.as_slice())
        .bind(version as i64)
        .fetch_optional(db)
        .await
        .expect("chain_outbox");
        println!(
            "chaos: not anchored: record {} version {version}: outbox (sent_tx, sent_block, sent, \
             claimed, safe, journal state) = {:?}",
            acked.record,
            row.map(|(tx, block, sent, claimed, safe, state)| (
                tx.map(|t| B256::from_slice(&t)),
                block,
                sent,
                claimed,
                safe,
                state
            ))
        );
    }
}

/// The first few of a list, for a failure message.
fn some<T: std::fmt::Debug>(items: &[T]) -> String {
    format!("{} (first: {:?})", items.len(), &items[..items.len().min(5)])
}

/// Every request id a response named is on chain exactly once, with the
/// verdict the response reported; one whose first transaction the chain lost
/// is there as a re-recording of that transaction.
pub fn every_named_access_is_on_chain_once(chain: &OnChain, responses: &[Response]) {
    let mut missing = Vec::new();
    let mut twice = Vec::new();
    let mut wrong_verdict = Vec::new();
    let mut unmarked = Vec::new();
    for (id, approved, first_tx) in access_notes(responses) {
        match chain.access.get(&id).map(Vec::as_slice) {
            None | Some([]) => missing.push(id),
            Some([(at, on_chain)]) => {
                if *on_chain != approved {
                    wrong_verdict.push(id);
                }
                let re_recorded = chain.re_recorded.get(&id).is_some_and(|o| o == &[first_tx]);
                if at.tx != first_tx && !re_recorded {
                    unmarked.push(id);
                }
            }
            Some(_) => twice.push(id),
        }
    }
    assert!(missing.is_empty(), "requests answered but not on chain: {}", some(&missing));
    assert!(twice.is_empty(), "requests on chain more than once: {}", some(&twice));
    assert!(wrong_verdict.is_empty(), "verdicts differ from the answers: {}", some(&wrong_verdict));
    assert!(
        unmarked.is_empty(),
        "requests moved to another transaction without a ReRecorded naming the first: {}",
        some(&unmarked)
    );
}

/// Every acknowledged write's version is in the database, rehashes to the
/// hash the api answered with, and is anchored on chain exactly once with
/// that hash (by the entry the response named, when it named one).
pub async fn every_acknowledged_write_is_stored_and_anchored(
    db: &PgPool,
    chain: &OnChain,
    responses: &[Response],
) {
    let mut rehashed: HashMap<RecordId, Vec<careledger::records::VersionCheck>> = HashMap::new();
    let mut problems = Vec::new();
    for r in responses {
        let Some(acked) = &r.acked else { continue };
        let id: RecordId = acked.record.parse().expect("record id");
        let checks = match rehashed.entry(id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                e.insert(careledger::records::repo::verify(db, id).await.expect("rehash"))
            }
        };
        let answered = hash(&acked.content_hash);
        let stored = checks.iter().find(|c| i64::from(c.version) == acked.version);
        match stored {
            None => problems.push(format!("{}: version {} not in the database", id, acked.version)),
            Some(c) if !c.is_intact() || B256::from(c.stored) != answered => problems
                .push(format!("{id}: version {} does not rehash to the answer", acked.version)),
            Some(_) => {}
        }
        let entry = r.notes.iter().find(|n| n.event == "RecordVersionCreated").map(|n| n.id);
        match chain.versions.get(&version_key(acked)).map(Vec::as_slice) {
            Some([Anchor { content_hash: anchored, entry_id, .. }]) => {
                if *anchored != answered {
                    problems.push(format!(
                        "{id}: version {} anchored with another hash",
                        acked.version
                    ));
                }
                if entry.is_some_and(|e| e != *entry_id) {
                    problems
                        .push(format!("{id}: version {} anchored by another entry", acked.version));
                }
            }
            None | Some([]) => {
                problems.push(format!("{id}: version {} not anchored on chain", acked.version))
            }
            Some(_) => problems.push(format!("{id}: version {} anchored twice", acked.version)),
        }
    }
    assert!(problems.is_empty(), "acknowledged writes: {}", some(&problems));
}

/// The audit index holds no entry twice (duplicate deliveries aside) and
/// every request the responses named exactly once.
pub async fn the_index_holds_each_entry_once(db: &PgPool, responses: &[Response]) {
    let twice: Vec<(String, Vec<u8>, i64)> = sqlx::query_as(
        "SELECT kind, entry_id, count(*) FROM audit_events
          WHERE NOT duplicate AND entry_id IS NOT NULL
          GROUP BY kind, entry_id HAVING count(*) > 1",
    )
    .fetch_all(db)
    .await
    .expect("audit_events");
    let twice: Vec<String> =
        twice.iter().map(|(k, id, n)| format!("{k} {} x{n}", hex::encode(id))).collect();
    assert!(twice.is_empty(), "entries indexed twice: {}", some(&twice));
    let ids: Vec<Vec<u8>> = access_notes(responses).iter().map(|(id, _, _)| id.to_vec()).collect();
    let distinct: HashSet<&Vec<u8>> = ids.iter().collect();
    let indexed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
          WHERE kind = 'ACCESS_REQUESTED' AND NOT duplicate AND entry_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(db)
    .await
    .expect("audit_events");
    assert_eq!(indexed, distinct.len() as i64, "each named request indexed exactly once");
}

/// Every row of the audit index (duplicate deliveries too) is an event the
/// chain holds: the rows of blocks the chain lost are gone.
pub async fn the_index_holds_only_what_the_chain_holds(db: &PgPool, chain: &OnChain) {
    let rows: Vec<(Vec<u8>, i64, String)> =
        sqlx::query_as("SELECT transaction_hash, log_index, kind FROM audit_events")
            .fetch_all(db)
            .await
            .expect("audit_events");
    let gone: Vec<String> = rows
        .iter()
        .filter(|(tx, index, _)| {
            !chain.logs.contains(&At { tx: B256::from_slice(tx), log_index: *index as u64 })
        })
        .map(|(tx, index, kind)| format!("{kind} {}:{index}", B256::from_slice(tx)))
        .collect();
    assert!(gone.is_empty(), "index rows of events the chain does not hold: {}", some(&gone));
}

/// One row of the trail as the auditor's search returns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TrailRow {
    kind: String,
    at: (String, i64),
    record_version: Option<(String, i64)>,
    duplicate: bool,
}

/// The audit trail as an auditor searches it (every page): nothing listed
/// twice, nothing listed that the chain does not hold, and every event the
/// responses named listed once. Reads the chain again afterwards, so the
/// auditor's own searches are on it.
pub async fn the_auditors_trail_lists_each_event_once(
    client: &Client,
    auditor: &str,
    chain_url: &str,
    contract: Address,
    from: u64,
    responses: &[Response],
) {
    let mut rows = Vec::new();
    let mut after = None;
    loop {
        let variables = trail_page::Variables { first: Some(500), after: after.clone() };
        let page = ops::send::<ops::TrailPage>(client, Some(auditor), variables).await;
        assert_eq!(page.outcome, Outcome::Ok, "the auditor's search");
        let events = page.data.expect("a page").audit_events;
        for edge in &events.edges {
            let n = &edge.node;
            rows.push(TrailRow {
                kind: n.kind.clone(),
                at: (n.transaction_hash.to_lowercase(), n.log_index),
                record_version: n.record_id.clone().zip(n.version),
                duplicate: n.duplicate,
            });
        }
        after = events.edges.last().map(|e| e.cursor.clone());
        if !events.page_info.has_next_page {
            break;
        }
    }
    let chain = read_chain(chain_url, contract, from).await;
    let mut seen = HashMap::new();
    for row in &rows {
        *seen.entry(row.at.clone()).or_insert(0) += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).map(|(at, _)| at.clone()).collect();
    assert!(twice.is_empty(), "events listed twice in the trail: {}", some(&twice));
    assert!(rows.iter().all(|r| !r.duplicate), "the default trail lists no duplicate deliveries");
    let mut versions: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for rv in rows
        .iter()
        .filter(|r| r.kind == "RECORD_VERSION_CREATED")
        .filter_map(|r| r.record_version.clone())
    {
        *versions.entry(rv).or_default() += 1;
    }
    let twice: Vec<_> = versions.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "record versions listed twice in the trail: {}", some(&twice));
    let on_chain = |at: &(String, i64)| {
        chain.logs.contains(&At {
            tx: at.0.parse().expect("tx hash"),
            log_index: u64::try_from(at.1).expect("log index"),
        })
    };
    let gone: Vec<_> = rows.iter().filter(|r| !on_chain(&r.at)).collect();
    assert!(gone.is_empty(), "the trail lists events the chain does not hold: {}", some(&gone));
    let listed: HashSet<At> = rows
        .iter()
        .map(|r| At { tx: r.at.0.parse().expect("tx"), log_index: r.at.1 as u64 })
        .collect();
    let mut unlisted = Vec::new();
    for (id, _, _) in access_notes(responses) {
        for (at, _) in chain.access.get(&id).into_iter().flatten() {
            if !listed.contains(at) {
                unlisted.push(id);
            }
        }
    }
    for acked in acked(responses) {
        for anchor in chain.versions.get(&version_key(acked)).into_iter().flatten() {
            if !listed.contains(&anchor.at) {
                unlisted.push(anchor.at.tx);
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "events the responses named missing from the trail: {}",
        some(&unlisted)
    );
}
