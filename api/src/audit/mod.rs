//! The audit trail: an index of every event the access contract emitted
//! (access requests and committed changes), kept in PostgreSQL by the
//! [`indexer`], searched by [`search`], pushed live to subscribers through
//! [`Audit::subscribe`], checked against the chain's logs by [`check`]; the
//! stored records are checked against the chain's anchors by [`verify`],
//! and exported as FHIR AuditEvent resources by [`export`].
//!
//! The chain is the record; the index is a copy that can be rebuilt from it
//! at any time (`careledger audit reindex`).

pub mod admin;
pub mod anchors;
pub mod check;
pub mod event;
pub mod export;
pub mod indexer;
pub mod search;
pub mod verify;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{broadcast, watch, Notify};

use crate::chain::{Chain, ChainError};

pub use event::{AuditEvent, AuditKind};
pub use search::{AuditPage, Filter};

/// How many events a subscriber may fall behind before it skips ahead.
pub const FEED_CAPACITY: usize = 4096;

/// The running audit index: its live feed and where it stands. Cheap to
/// clone; the indexer stops when the last clone is dropped or on [`Audit::stop`].
#[derive(Clone, Debug)]
pub struct Audit {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The chain the index follows: its head is what "caught up" means.
    chain: Chain,
    feed: broadcast::Sender<Arc<AuditEvent>>,
    status: Arc<IndexStatus>,
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    /// What the check against the chain found.
    check: Arc<check::CheckCounts>,
}

/// Where the indexer stands, updated after every poll.
#[derive(Debug)]
pub struct IndexStatus {
    /// The last block indexed completely (0 before the first poll).
    last_indexed: watch::Sender<u64>,
    /// The chain head seen at the last poll.
    head: AtomicU64,
}

impl Default for IndexStatus {
    fn default() -> Self {
        Self { last_indexed: watch::Sender::new(0), head: AtomicU64::new(0) }
    }
}

impl IndexStatus {
    pub fn last_indexed(&self) -> u64 {
        *self.last_indexed.borrow()
    }
    pub fn head(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }
    pub(crate) fn set(&self, last_indexed: u64, head: u64) {
        self.head.store(head, Ordering::Release);
        self.last_indexed.send_replace(last_indexed);
    }
}

impl Audit {
    /// A handle with its feed, not yet followed by an indexer.
    fn new(chain: Chain) -> (Self, watch::Receiver<bool>) {
        let (feed, _) = broadcast::channel(FEED_CAPACITY);
        let (stop, stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let inner =
            Inner { chain, feed, status: Arc::default(), wake, stop, check: Arc::default() };
        (Self { inner: Arc::new(inner) }, stopped)
    }

    /// Starts the indexer in the background: it catches up from its stored
    /// position, then follows the chain head. With `check_every`, the index
    /// is also checked against the chain that often (see [`check::watch`]).
    pub fn start(indexer: indexer::Indexer, check_every: Option<std::time::Duration>) -> Self {
        let (audit, stopped) = Self::new(indexer.chain().clone());
        let indexer = indexer.with_feed(audit.inner.feed.clone(), audit.inner.status.clone());
        if let Some(every) = check_every {
            let counts = audit.inner.check.clone();
            tokio::spawn(check::watch(indexer.clone(), every, counts, stopped.clone()));
        }
        tokio::spawn(indexer::follow(indexer, audit.inner.wake.clone(), stopped));
        audit
    }

    /// What the api's own check against the chain found so far.
    pub fn check_counts(&self) -> &check::CheckCounts {
        &self.inner.check
    }

    /// Every event indexed from now on (a receiver that falls more than
    /// [`FEED_CAPACITY`] events behind skips ahead).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<AuditEvent>> {
        self.inner.feed.subscribe()
    }

    pub fn status(&self) -> &IndexStatus {
        &self.inner.status
    }

    /// Asks the indexer to poll now (e.g. after a transaction was mined).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Waits until every block up to `block` is indexed, or `timeout` passed;
    /// returns whether it was.
    pub async fn wait_for(&self, block: u64, timeout: std::time::Duration) -> bool {
        let mut indexed = self.inner.status.last_indexed.subscribe();
        self.wake();
        tokio::time::timeout(timeout, indexed.wait_for(|b| *b >= block))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Waits until every block up to the chain's current head is indexed, or
    /// `timeout` passed; returns whether it was.
    pub async fn catch_up(&self, timeout: std::time::Duration) -> Result<bool, ChainError> {
        let head = self.inner.chain.block_number().await?;
        Ok(self.wait_for(head, timeout).await)
    }

    /// Stops the indexer (its current poll finishes first).
    pub fn stop(&self) {
        let _ = self.inner.stop.send(true);
    }
}
