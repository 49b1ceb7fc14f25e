//! The indexer: follows the access contract's events with `eth_getLogs` in
//! bounded block ranges, from the deployment block onwards, and stores them
//! in `audit_events`.
//!
//! - **No gap, no duplicate.** The rows of a range and the new position (last
//!   indexed block and its hash) commit in one database transaction, so a
//!   restart resumes right after the last range that committed; the unique
//!   (transaction hash, log index) key makes a repeated insert a no-op anyway.
//!   Steps hold a PostgreSQL advisory lock, so two indexers (the api and
//!   `careledger audit reindex`) take turns instead of racing.
//! - **Lost blocks are kept, never deleted.** Before each range the stored
//!   hash of the last indexed block is compared with the chain's. When they
//!   differ the chain no longer holds what was indexed (a reorganisation, or
//!   a node restarted from an older state): the indexer walks back through
//!   the indexed blocks to the newest one the chain still holds, moves the
//!   rows of every later block to `audit_lost_events` (see
//!   `migrations/0044_audit_lost_and_checked.sql`) and indexes on from there.
//!   The chain journal re-records what the gate had sent; the re-recorded
//!   row names the lost one's transaction, block and time.
//! - **Lifecycle duplicates.** The outbox delivers at least once, so an entry
//!   id can be on chain twice; both rows are kept, later ones marked
//!   `duplicate` (see `migrations/0020_audit_events.sql`).
//! - **The feed.** Once a range commits, its rows go to the broadcast channel
//!   behind [`crate::audit::Audit::subscribe`]; sending never waits.

mod decode;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256};
use alloy::providers::Provider;
use alloy::rpc::types::Filter;
use sqlx::PgPool;
use tokio::sync::{broadcast, watch, Notify};

pub use decode::{decode, decode_all};
use store::Position;

use super::{AuditEvent, IndexStatus};
use crate::chain::deployment::Deployment;
use crate::chain::{Chain, ChainError};

/// Most blocks asked for in one `eth_getLogs`.
pub const RANGE: u64 = 2_000;
/// How many indexed blocks the walk back to the fork compares per query.
const FORK_PAGE: i64 = 256;
/// How often the indexer looks for new blocks when nobody wakes it.
pub const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("audit index database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the chain has no block {0}")]
    MissingBlock(u64),
}

impl From<alloy::transports::TransportError> for IndexError {
    fn from(e: alloy::transports::TransportError) -> Self {
        Self::Chain(ChainError::Rpc(e))
    }
}

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Step {
    /// Rows newly stored.
    pub indexed: usize,
    /// Blocks rewound after the chain lost some.
    pub rewound: u64,
    /// Rows moved to the lost events.
    pub lost: u64,
    /// The position after the step.
    pub position: u64,
    /// The chain head seen.
    pub head: u64,
}

/// Copies the contract's events into the index.
#[derive(Clone)]
pub struct Indexer {
    pool: PgPool,
    chain: Chain,
    contract: Address,
    first_block: u64,
    feed: Option<broadcast::Sender<Arc<AuditEvent>>>,
    status: Arc<IndexStatus>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("contract", &self.contract)
            .field("first_block", &self.first_block)
            .finish()
    }
}

impl Indexer {
    pub fn new(pool: PgPool, chain: Chain, deployment: &Deployment) -> Self {
        Self {
            pool,
            chain,
            contract: deployment.address,
            first_block: deployment.block,
            feed: None,
            status: Arc::default(),
        }
    }

    pub(crate) fn with_feed(
        self,
        feed: broadcast::Sender<Arc<AuditEvent>>,
        status: Arc<IndexStatus>,
    ) -> Self {
        Self { feed: Some(feed), status, ..self }
    }

    /// The chain it follows.
    pub(crate) fn chain(&self) -> &Chain {
        &self.chain
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The contract whose events it indexes.
    pub(crate) fn contract(&self) -> Address {
        self.contract
    }

    /// The deployment block: the first that can hold the contract's events.
    pub(crate) fn first_block(&self) -> u64 {
        self.first_block
    }

    /// The position before anything was indexed.
    fn origin(&self) -> Position {
        Position { block: self.first_block.saturating_sub(1), hash: None }
    }

    pub(crate) async fn block_hash(&self, number: u64) -> Result<Option<B256>, IndexError> {
        let block =
            self.chain.provider().get_block_by_number(BlockNumberOrTag::Number(number)).await?;
        Ok(block.map(|b| b.header.hash))
    }

    /// Indexes at most [`RANGE`] blocks after the stored position (after
    /// undoing a reorganisation, if the node had one). Steps are serialised
    /// across processes by a transaction-level advisory lock, so a running
    /// api and `careledger audit reindex` never index the same range twice.
    pub async fn step(&self) -> Result<Step, IndexError> {
        let mut tx = self.pool.begin().await?;
        store::lock(&mut tx).await?;
        let head = self.chain.block_number().await?;
        let position = store::position(&mut *tx).await?.unwrap_or_else(|| self.origin());
        if let Some(stored) = position.hash {
            if self.block_hash(position.block).await? != Some(stored) {
                return self.rewind(tx, position, head).await;
            }
        }
        if head <= position.block {
            tx.commit().await?;
            self.status.set(position.block, head);
            return Ok(Step { position: position.block, head, ..Step::default() });
        }
        let from = position.block + 1;
        let to = head.min(position.block + RANGE);
        let to_hash = self.block_hash(to).await?.ok_or(IndexError::MissingBlock(to))?;
        let filter = Filter::new().address(self.contract).from_block(from).to_block(to);
        let events = decode_all(self.chain.logs(&filter).await?);

        let stored = store::insert_all(&mut tx, &events).await?;
        store::set_position(&mut tx, Position { block: to, hash: Some(to_hash) }).await?;
        tx.commit().await?;

        self.status.set(to, head);
        let indexed = stored.len();
        if let Some(feed) = &self.feed {
            for row in stored {
                // No receiver is fine; a full receiver skips ahead, never blocks.
                let _ = feed.send(Arc::new(row));
            }
        }
        Ok(Step { indexed, position: to, head, ..Step::default() })
    }

    async fn rewind(
        &self,
        mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
        position: Position,
        head: u64,
    ) -> Result<Step, IndexError> {
        let origin = self.origin();
        let back = self.fork_point(&mut tx, position.block).await?.max(origin.block);
        let hash = if back == origin.block { None } else { self.block_hash(back).await? };
        let lost = store::lose_after(&mut tx, back).await?;
        store::set_position(&mut tx, Position { block: back, hash }).await?;
        tx.commit().await?;
        tracing::warn!(
            from = position.block,
            to = back,
            lost,
            "audit index: the chain no longer holds blocks it indexed; their rows are kept as lost"
        );
        self.status.set(back, head);
        Ok(Step { rewound: position.block - back, lost, position: back, head, ..Step::default() })
    }

    /// The newest indexed block at or below `below` that the chain still
    /// holds with the hash it had when indexed (the origin if none): every
    /// indexed block after it differs. One `eth_getBlockByNumber` per block
    /// with rows that the chain lost, plus one.
    async fn fork_point(
        &self,
        conn: &mut sqlx::PgConnection,
        below: u64,
    ) -> Result<u64, IndexError> {
        let mut before = below.saturating_add(1);
        loop {
            let blocks = store::indexed_blocks(&mut *conn, before, FORK_PAGE).await?;
            let Some(&(last, _)) = blocks.last() else { return Ok(self.origin().block) };
            for (number, hash) in blocks {
                if self.block_hash(number).await? == Some(hash) {
                    return Ok(number);
                }
            }
            before = last;
        }
    }

    /// Steps until the index has reached the chain head seen at the start;
    /// returns how many rows this indexer stored.
    pub async fn catch_up(&self) -> Result<u64, IndexError> {
        let target = self.chain.block_number().await?;
        let mut total = 0;
        loop {
            let step = self.step().await?;
            total += step.indexed as u64;
            if step.position >= target {
                return Ok(total);
            }
        }
    }

    /// Deletes the whole index and builds it again from the chain (a running
    /// api's indexer may take part); returns how many rows it then holds.
    pub async fn reindex(&self) -> Result<u64, IndexError> {
        let mut tx = self.pool.begin().await?;
        store::lock(&mut tx).await?;
        sqlx::query!("DELETE FROM audit_events").execute(&mut *tx).await?;
        store::set_position(&mut tx, self.origin()).await?;
        tx.commit().await?;
        self.catch_up().await?;
        Ok(store::count(&self.pool).await?)
    }
}

/// The background task: steps, then waits for [`POLL`] or a wake-up, until
/// stopped (or every handle is gone).
pub(crate) async fn follow(
    indexer: Indexer,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut failures = 0u32;
    loop {
        if *stopped.borrow() {
            break;
        }
        let pause = match indexer.step().await {
            Ok(step) if step.position < step.head => Duration::ZERO,
            Ok(_) => {
                failures = 0;
                POLL
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                if failures == 1 || failures % 50 == 0 {
                    tracing::warn!(%error, failures, "audit index: polling the chain failed; will retry");
                }
                POLL * failures.min(25)
            }
        };
        if pause.is_zero() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = wake.notified() => {}
            changed = stopped.changed() => if changed.is_err() { break },
        }
    }
    tracing::debug!("audit index: stopped");
}
