//! The chain journal: nothing acknowledged is lost, whatever the node does.
//!
//! Every transaction the gate had mined is written to `chain_journal`
//! (migration 0042) — its calldata, the request ids it carried with their
//! verdicts, its entry ids, where it was mined — before any request in it is
//! answered. One row per transaction, not per request: group commit keeps
//! its economy.
//!
//! A node can lose blocks it had mined: Anvil restarted from a state file
//! saved before them, a reorganisation, a node replaced by one restored from
//! a backup. The watcher notices (the newest journaled block is above the
//! head, or has another hash there), finds the newest journaled block the chain still holds
//! (a block's hash covers all before it), and asks for the receipt of every
//! journaled transaction above it. Each one the chain no longer holds is sent
//! again through `recommit`, with its original request and entry ids, verdicts,
//! transaction, block and time, so the contract's events say it is a
//! re-recording and when the access really happened.
//!
//! **Safe.** A transaction is safe once its block is [`SAFE_DEPTH`] blocks
//! below the head and it was journaled at least [`SAFE_AGE`] ago, and its
//! receipt is still there: beyond any reorganisation a private chain makes,
//! and beyond the local Anvil's state-file lag (docs/RELIABILITY.md). Only
//! then do its lifecycle entries count as delivered (`chain_outbox.safe_at`).
//! A loss found later still re-records anything above the fork point, safe
//! or not.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Bytes, B256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::submit::{BatchResult, Sent, Submitter};
use super::GateError;
use crate::chain::bindings::{CareLedgerAccess, ICareLedgerAccess};

/// Blocks below the head before a transaction can be safe.
pub const SAFE_DEPTH: u64 = 12;
/// Time since journaling before a transaction can be safe.
pub const SAFE_AGE: Duration = Duration::from_secs(120);
/// How often the watcher looks.
const TICK: Duration = Duration::from_secs(1);
/// Rows checked per query.
const CHUNK: i64 = 500;

/// One mined transaction, as the journal keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mined {
    pub hash: B256,
    pub block_number: u64,
    pub block_hash: B256,
    /// The block's timestamp (Unix seconds).
    pub timestamp: u64,
    pub input: Bytes,
    /// Request ids in calldata order, each with its verdict.
    pub requests: Vec<(B256, bool)>,
    pub entries: Vec<B256>,
}

impl Mined {
    /// The journal row for a sent transaction and what its receipt said.
    pub fn new(sent: &Sent, result: &BatchResult, requests: &[B256], entries: &[B256]) -> Self {
        Self {
            hash: sent.hash,
            block_number: result.block_number,
            block_hash: result.block_hash,
            timestamp: result.timestamp,
            input: sent.input.clone(),
            requests: requests
                .iter()
                .map(|id| (*id, result.requests.get(id).is_some_and(|r| r.approved)))
                .collect(),
            entries: entries.to_vec(),
        }
    }
}

/// What the journal has done since the api started, for `/metrics`.
#[derive(Debug, Default)]
pub struct JournalCounts {
    pub journaled: AtomicU64,
    pub safe: AtomicU64,
    pub lost: AtomicU64,
    pub re_recorded: AtomicU64,
    pub rollbacks: AtomicU64,
}

/// The journal's table.
#[derive(Clone, Debug)]
pub struct Journal {
    pool: PgPool,
    pub counts: Arc<JournalCounts>,
}

fn db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl Journal {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, counts: Arc::default() }
    }

    /// Writes the row; the transaction's requests may be answered once this
    /// returns. A failure means they must not be.
    pub async fn record(&self, mined: &Mined) -> Result<(), GateError> {
        self.insert(&self.pool, mined).await.map_err(|e| {
            GateError::Unavailable(format!("the chain journal could not be written: {e}"))
        })?;
        self.counts.journaled.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    async fn insert(
        &self,
        db_conn: impl sqlx::PgExecutor<'_>,
        m: &Mined,
    ) -> Result<(), sqlx::Error> {
        let mined_at = i64::try_from(m.timestamp)
            .ok()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .unwrap_or_else(Utc::now);
        sqlx::query!(
            "INSERT INTO chain_journal
                 (transaction_hash, block_number, block_hash, mined_at, calldata, request_ids, verdicts, entry_ids)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (transaction_hash) DO UPDATE
                SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,
                    mined_at = EXCLUDED.mined_at, state = 'MINED', settled_at = NULL",
            m.hash.as_slice(),
            db(m.block_number),
            m.block_hash.as_slice(),
            mined_at,
            m.input.as_ref(),
            &m.requests.iter().map(|(id, _)| id.to_vec()).collect::<Vec<_>>(),
            &m.requests.iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
            &m.entries.iter().map(|id| id.to_vec()).collect::<Vec<_>>(),
        )
        .execute(db_conn)
        .await?;
        Ok(())
    }

    /// Transactions journaled and not yet safe.
    pub async fn unsettled(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM chain_journal WHERE state IN ('MINED', 'LOST')"#
        )
        .fetch_one(&self.pool)
        .await
    }

    /// Watches the chain for lost transactions until the process ends.
    pub fn watch(self, submitter: Arc<Submitter>) {
        tokio::spawn(async move {
            let mut watcher = Watcher { journal: self, submitter, suspect: true, last_seen: None };
            loop {
                match watcher.tick().await {
                    Ok(()) => watcher.suspect = false,
                    Err(error) => {
                        // The chain or the database is away: look everything over once back.
                        tracing::warn!(%error, "journal: cannot check the chain now; will retry");
                        watcher.suspect = true;
                    }
                }
                tokio::time::sleep(TICK).await;
            }
        });
    }
}

#[derive(Debug, thiserror::Error)]
enum WatchError {
    #[error("journal database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("chain error: {0}")]
    Chain(#[from] alloy::transports::TransportError),
    #[error(transparent)]
    Gate(#[from] GateError),
}

/// A journal row the watcher looks at.
struct Row {
    transaction_hash: Vec<u8>,
    block_number: i64,
    block_hash: Vec<u8>,
    mined_at: DateTime<Utc>,
    calldata: Vec<u8>,
    request_ids: Vec<Vec<u8>>,
    verdicts: Vec<bool>,
}

impl Row {
    fn hash(&self) -> B256 {
        word(&self.transaction_hash)
    }
}

fn word(bytes: &[u8]) -> B256 {
    if bytes.len() == 32 {
        B256::from_slice(bytes)
    } else {
        B256::ZERO
    }
}

struct Watcher {
    journal: Journal,
    submitter: Arc<Submitter>,
    /// Check every watched row (at start, and after an error).
    suspect: bool,
    /// At the last tick: the chain's head, and the newest journaled block
    /// with the hash it had then.
    last_seen: Option<(u64, u64, B256)>,
}

impl Watcher {
    async fn block_hash(&self, number: u64) -> Result<Option<B256>, WatchError> {
        let block =
            self.submitter.provider().get_block_by_number(BlockNumberOrTag::Number(number)).await?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn tick(&mut self) -> Result<(), WatchError> {
        let head = self.submitter.provider().get_block_number().await?;
        // The chain holds everything journaled iff it holds the newest
        // journaled block unchanged (a block's hash covers its ancestors).
        let newest = sqlx::query!(
            "SELECT block_number, block_hash FROM chain_journal
              WHERE state IN ('MINED', 'SAFE') ORDER BY block_number DESC LIMIT 1"
        )
        .fetch_optional(&self.journal.pool)
        .await?;
        let newest_row = newest
            .map(|r| (u64::try_from(r.block_number).unwrap_or_default(), word(&r.block_hash)));
        let rolled_back = match newest_row {
            Some((number, hash)) => number > head || self.block_hash(number).await? != Some(hash),
            None => false,
        };
        // A restarted node can mine past the newest journaled block before
        // this tick, and the gate journal new transactions there: the newest
        // row is then intact while older ones are gone. So the head must not
        // have gone back, and the block that was newest at the last tick must
        // still be there unchanged (a tick that found the chain away makes
        // the next one check every row anyway).
        let rolled_back = rolled_back
            || match self.last_seen {
                Some((last_head, number, hash)) => {
                    head < last_head
                        || number > head
                        || self.block_hash(number).await? != Some(hash)
                }
                None => false,
            };
        if rolled_back || self.suspect {
            if rolled_back {
                self.journal.counts.rollbacks.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    head,
                    "journal: the chain lost blocks it had mined; checking the journal"
                );
            }
            // Nonces the node forgot are free again.
            self.submitter.resync().await;
            // Every row not yet safe, wherever it sits (the lost and the
            // newly mined interleave above the fork); then the safe ones
            // above the fork, for a loss deeper than SAFE.
            self.check_above_where_mined(-1).await?;
            let fork = self.fork_point(head).await?;
            self.check_above(fork).await?;
        }
        // After a loss the newest row may be one just marked LOST: start afresh.
        self.last_seen = if rolled_back { None } else { newest_row.map(|(n, h)| (head, n, h)) };
        self.settle(head).await?;
        self.re_record_lost().await
    }

    /// Checks every MINED row above `block`, oldest first.
    async fn check_above_where_mined(&self, mut after: i64) -> Result<(), WatchError> {
        loop {
            let rows = sqlx::query_as!(
                Row,
                "SELECT transaction_hash, block_number, block_hash, mined_at, calldata, request_ids, verdicts
                   FROM chain_journal
                  WHERE block_number > $1 AND state = 'MINED'
                  ORDER BY block_number LIMIT $2",
                after,
                CHUNK,
            )
            .fetch_all(&self.journal.pool)
            .await?;
            let Some(last) = rows.last() else { return Ok(()) };
            let next = last.block_number;
            for row in &rows {
                self.check(row).await?;
            }
            if rows.len() < CHUNK as usize || next == after {
                return Ok(());
            }
            after = next;
        }
    }

    /// The newest journaled block the chain still holds unchanged (0 when
    /// none): every journaled block at or below it is intact, since a
    /// block's hash covers its ancestors.
    async fn fork_point(&self, head: u64) -> Result<u64, WatchError> {
        let blocks = sqlx::query!(
            "SELECT DISTINCT block_number, block_hash FROM chain_journal
              WHERE state <> 'RE_RECORDED' ORDER BY block_number DESC LIMIT 100000"
        )
        .fetch_all(&self.journal.pool)
        .await?;
        // Binary search for the first (newest) intact block in a list whose
        // intact entries form a suffix (older blocks).
        let intact = |i: usize| {
            let number = u64::try_from(blocks[i].block_number).unwrap_or_default();
            let hash = word(&blocks[i].block_hash);
            async move {
                Ok::<_, WatchError>(number <= head && self.block_hash(number).await? == Some(hash))
            }
        };
        let (mut lo, mut hi) = (0usize, blocks.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if intact(mid).await? {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(blocks.get(lo).map_or(0, |b| u64::try_from(b.block_number).unwrap_or_default()))
    }

    /// Asks for the receipt of every journaled transaction above `fork`;
    /// marks those the chain no longer holds LOST.
    async fn check_above(&self, fork: u64) -> Result<(), WatchError> {
        let mut after = db(fork);
        loop {
            let rows = self.rows_after(after).await?;
            let Some(last) = rows.last() else { return Ok(()) };
            after = last.block_number;
            for row in &rows {
                self.check(row).await?;
            }
            if rows.len() < CHUNK as usize {
                return Ok(());
            }
        }
    }

    async fn rows_after(&self, block: i64) -> Result<Vec<Row>, sqlx::Error> {
        sqlx::query_as!(
            Row,
            "SELECT transaction_hash, block_number, block_hash, mined_at, calldata, request_ids, verdicts
               FROM chain_journal
              WHERE block_number > $1 AND state IN ('MINED', 'SAFE')
              ORDER BY block_number LIMIT $2",
            block,
            CHUNK,
        )
        .fetch_all(&self.journal.pool)
        .await
    }

    /// Checks one row against the chain: still there (perhaps in another
    /// block), or lost.
    async fn check(&self, row: &Row) -> Result<(), WatchError> {
        let receipt = self.submitter.provider().get_transaction_receipt(row.hash()).await?;
        match receipt {
            Some(r) => {
                let number = r.block_number.unwrap_or_default();
                let hash = r.block_hash.unwrap_or_default();
                if db(number) != row.block_number || hash.as_slice() != row.block_hash.as_slice() {
                    // Mined again in another block: the same events, elsewhere.
                    sqlx::query!(
                        "UPDATE chain_journal SET block_number = $2, block_hash = $3, state = 'MINED', settled_at = NULL
                          WHERE transaction_hash = $1",
                        row.transaction_hash,
                        db(number),
                        hash.as_slice(),
                    )
                    .execute(&self.journal.pool)
                    .await?;
                }
            }
            None => {
                self.journal.counts.lost.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(tx = %row.hash(), block = row.block_number, "journal: the chain no longer holds a transaction; recording it again");
                sqlx::query!(
                    "UPDATE chain_journal SET state = 'LOST', settled_at = NULL WHERE transaction_hash = $1",
                    row.transaction_hash,
                )
                .execute(&self.journal.pool)
                .await?;
                // Its lifecycle entries are not delivered until re-recorded and safe.
                sqlx::query!(
                    "UPDATE chain_outbox SET safe_at = NULL WHERE sent_tx = $1",
                    row.transaction_hash
                )
                .execute(&self.journal.pool)
                .await?;
            }
        }
        Ok(())
    }

    /// Marks rows deep and old enough SAFE once their receipt is confirmed.
    async fn settle(&self, head: u64) -> Result<(), WatchError> {
        let Some(deep) = head.checked_sub(SAFE_DEPTH) else { return Ok(()) };
        let rows = sqlx::query_as!(
            Row,
            "SELECT transaction_hash, block_number, block_hash, mined_at, calldata, request_ids, verdicts
               FROM chain_journal
              WHERE state = 'MINED' AND block_number <= $1 AND journaled_at < now() - make_interval(secs => $2)
              ORDER BY block_number LIMIT $3",
            db(deep),
            SAFE_AGE.as_secs_f64(),
            CHUNK,
        )
        .fetch_all(&self.journal.pool)
        .await?;
        for row in rows {
            let receipt = self.submitter.provider().get_transaction_receipt(row.hash()).await?;
            let intact = receipt.is_some_and(|r| {
                r.block_hash.is_some_and(|h| h.as_slice() == row.block_hash.as_slice())
            });
            if !intact {
                // Lost or moved: the full check sorts it out.
                self.check(&row).await?;
                continue;
            }
            let mut tx = self.journal.pool.begin().await?;
            sqlx::query!(
                "UPDATE chain_journal SET state = 'SAFE', settled_at = now()
                  WHERE transaction_hash = $1 AND state = 'MINED'",
                row.transaction_hash
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "UPDATE chain_outbox SET safe_at = now() WHERE sent_tx = $1 AND safe_at IS NULL",
                row.transaction_hash
            )
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.journal.counts.safe.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Sends every LOST transaction again through `recommit`, oldest first.
    async fn re_record_lost(&self) -> Result<(), WatchError> {
        let rows = sqlx::query_as!(
            Row,
            "SELECT transaction_hash, block_number, block_hash, mined_at, calldata, request_ids, verdicts
               FROM chain_journal WHERE state = 'LOST' ORDER BY block_number LIMIT $1",
            CHUNK,
        )
        .fetch_all(&self.journal.pool)
        .await?;
        for row in rows {
            self.re_record(&row).await?;
        }
        Ok(())
    }

    async fn re_record(&self, row: &Row) -> Result<(), WatchError> {
        let Some(call) = recommit_call(row) else {
            tracing::error!(tx = %row.hash(), "journal: a lost transaction's calldata is not a commit or recommit call; left as LOST");
            return Ok(());
        };
        let requests: Vec<B256> = call.requests.iter().map(|r| r.requestId).collect();
        let entries: Vec<B256> = call.entries.iter().map(|e| e.entryId).collect();
        let gas = Submitter::recommit_gas(requests.len(), entries.len());
        let sent = self.submitter.send_input(call.abi_encode().into(), gas).await?;
        let result = self.submitter.confirm(&sent).await?;
        let mut mined = Mined::new(&sent, &result, &requests, &entries);
        // The verdicts a re-recording carries are the originals.
        for ((_, ok), original) in mined.requests.iter_mut().zip(&call.requestOriginals) {
            *ok = original.approved;
        }
        let mut tx = self.journal.pool.begin().await?;
        self.journal.insert(&mut *tx, &mined).await?;
        sqlx::query!(
            "UPDATE chain_journal SET state = 'RE_RECORDED', re_recorded_in = $2, settled_at = now()
              WHERE transaction_hash = $1",
            row.transaction_hash,
            sent.hash.as_slice(),
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE chain_outbox SET sent_tx = $2, sent_block = $3, safe_at = NULL WHERE sent_tx = $1",
            row.transaction_hash,
            sent.hash.as_slice(),
            db(result.block_number),
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.journal.counts.re_recorded.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(lost = %row.hash(), again = %sent.hash, requests = requests.len(), entries = entries.len(),
            "journal: recorded a lost transaction again");
        Ok(())
    }
}

/// The `recommit` call that records a lost transaction again: a lost
/// `commit` with its journaled verdicts and where it was first mined; a lost
/// `recommit` as it was (its originals are already the first recording's).
fn recommit_call(row: &Row) -> Option<CareLedgerAccess::recommitCall> {
    if let Ok(again) = CareLedgerAccess::recommitCall::abi_decode(&row.calldata) {
        return Some(again);
    }
    let first = CareLedgerAccess::commitCall::abi_decode(&row.calldata).ok()?;
    let original = |approved: bool| ICareLedgerAccess::Original {
        transactionHash: row.hash(),
        blockNumber: u64::try_from(row.block_number).unwrap_or_default(),
        timestamp: u64::try_from(row.mined_at.timestamp()).unwrap_or_default(),
        approved,
    };
    let request_originals = first
        .requests
        .iter()
        .map(|r| {
            let approved = row
                .request_ids
                .iter()
                .position(|id| id.as_slice() == r.requestId.as_slice())
                .and_then(|i| row.verdicts.get(i).copied())
                .unwrap_or(false);
            original(approved)
        })
        .collect();
    let entry_originals = first.entries.iter().map(|_| original(false)).collect();
    Some(CareLedgerAccess::recommitCall {
        requests: first.requests,
        requestOriginals: request_originals,
        entries: first.entries,
        entryOriginals: entry_originals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(n: u8) -> ICareLedgerAccess::AccessRequest {
        ICareLedgerAccess::AccessRequest {
            requestId: B256::repeat_byte(n),
            actor: B256::repeat_byte(0xa0),
            action: 1,
            resource: 1,
            subject: B256::repeat_byte(0xb0),
            recordId: B256::ZERO,
            targetRole: 0,
        }
    }

    fn row(calldata: Vec<u8>) -> Row {
        Row {
            transaction_hash: vec![7; 32],
            block_number: 41,
            block_hash: vec![9; 32],
            mined_at: DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("time"),
            calldata,
            request_ids: vec![vec![1; 32], vec![2; 32]],
            verdicts: vec![true, false],
        }
    }

    #[test]
    fn a_lost_commit_is_recorded_again_with_its_verdicts_and_origin() {
        let commit = CareLedgerAccess::commitCall {
            requests: vec![request(2), request(1)],
            entries: Vec::new(),
        };
        let call = recommit_call(&row(commit.abi_encode())).expect("a recommit");
        let verdicts: Vec<bool> = call.requestOriginals.iter().map(|o| o.approved).collect();
        assert_eq!(verdicts, [false, true], "each request keeps its own verdict");
        let o = &call.requestOriginals[0];
        assert_eq!(
            (o.transactionHash, o.blockNumber, o.timestamp),
            (B256::repeat_byte(7), 41, 1_800_000_000)
        );
        assert_eq!(call.requests, commit.requests);
    }

    #[test]
    fn a_lost_recommit_is_sent_as_it_was() {
        let again = CareLedgerAccess::recommitCall {
            requests: vec![request(1)],
            requestOriginals: vec![ICareLedgerAccess::Original {
                transactionHash: B256::repeat_byte(3),
                blockNumber: 5,
                timestamp: 1_700_000_000,
                approved: true,
            }],
            entries: Vec::new(),
            entryOriginals: Vec::new(),
        };
        assert_eq!(recommit_call(&row(again.abi_encode())), Some(again));
    }

    #[test]
    fn calldata_of_another_call_is_not_re_recorded() {
        assert_eq!(recommit_call(&row(vec![1, 2, 3, 4])), None);
    }
}
