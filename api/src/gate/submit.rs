//! Turning one batch into one signed transaction, sending it, and reading
//! every verdict and receipt out of the mined logs.
//!
//! Transactions are signed locally, so their hash is known before sending: a
//! send whose answer was lost is re-sent byte for byte (same nonce, same
//! hash), which can never produce a second copy of the events.
//!
//! While transactions are in flight one task watches the chain head, and each
//! confirmation asks for its receipt when a new block appears, rather than
//! every confirmation polling on its own timer: a receipt is picked up within
//! a millisecond or two of its block, for one cheap `eth_blockNumber` per poll
//! whatever the number in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::SolCall;
use tokio::sync::{watch, Mutex, Notify};

use super::{AuditReceipt, GateError};
use crate::chain::bindings::{CareLedgerAccess, ICareLedgerAccess};
use crate::chain::deployment::Deployment;
use crate::chain::Chain;

/// Gas for the transaction itself plus each request / lifecycle entry; the
/// contract's measured cost is well under these (see contracts/README.md).
const GAS_BASE: u64 = 120_000;
const GAS_PER_REQUEST: u64 = 30_000;
const GAS_PER_ENTRY: u64 = 50_000;
const GAS_PER_RE_RECORDED: u64 = 60_000;
/// How long a sent transaction may stay unmined before it is re-broadcast, and
/// how many times, before its requests get an error.
const MINE_TIMEOUT: Duration = Duration::from_secs(30);
const REBROADCASTS: u32 = 2;
/// The head watcher polls this often right after a new block, backing off to
/// [`HEAD_POLL_MAX`] while none comes (a chain with block times in seconds).
const HEAD_POLL_MIN: Duration = Duration::from_millis(1);
const HEAD_POLL_MAX: Duration = Duration::from_millis(10);
/// A confirmation also asks at least this often, should the watcher fail.
const RECEIPT_FALLBACK: Duration = Duration::from_millis(50);
/// How often a transaction still without a receipt is looked for in the
/// node, and how many looks in a row may find it unknown before its waiters
/// get an error: a node that restarted from older state, or rolled back,
/// has forgotten it and will never mine it (its nonce is given out again).
const LOST_CHECK: Duration = Duration::from_secs(1);
const LOST_AFTER_UNKNOWN: u32 = 2;

/// What one mined batch produced.
#[derive(Debug, Default)]
pub struct BatchResult {
    pub block_number: u64,
    pub block_hash: B256,
    /// The block's timestamp (Unix seconds), from the events it carries.
    pub timestamp: u64,
    /// request id → receipt (with the verdict).
    pub requests: HashMap<B256, AuditReceipt>,
    /// entry id → receipt: `approved` when applied, false when the contract
    /// refused it (`LifecycleRefused`: replayed or stale).
    pub entries: HashMap<B256, AuditReceipt>,
}

/// A transaction signed and sent, not yet mined.
pub struct Sent {
    pub hash: B256,
    /// The call it carries (journaled once mined).
    pub input: Bytes,
    raw: Bytes,
}

impl Sent {
    /// A transaction sent by someone else (the naive gate, through alloy's
    /// fillers) and already mined: enough to journal it.
    pub fn mined(hash: B256, input: Bytes) -> Self {
        Self { hash, input, raw: Bytes::new() }
    }
}

/// Signs and sends batches for the gateway account, assigning nonces in order.
pub struct Submitter {
    provider: DynProvider,
    wallet: EthereumWallet,
    from: Address,
    contract: Address,
    chain_id: u64,
    nonce: Mutex<u64>,
    gas_price: AtomicU64,
    pub transactions: AtomicU64,
    head: Arc<Head>,
    /// Seconds from sending a transaction to holding its receipt.
    pub confirm_seconds: crate::metrics::Histogram,
}

/// The chain head as last seen, and how many confirmations are waiting on it.
struct Head {
    number: watch::Sender<u64>,
    waiting: AtomicUsize,
    wake: Notify,
}

/// Counts one waiting confirmation while alive.
struct Waiting<'a>(&'a Head);

impl<'a> Waiting<'a> {
    fn new(head: &'a Head) -> Self {
        head.waiting.fetch_add(1, Ordering::AcqRel);
        head.wake.notify_one();
        Self(head)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Polls the block number while anything waits on it; sleeps otherwise.
/// Ends when the submitter is gone.
async fn watch_head(provider: DynProvider, head: Weak<Head>) {
    let mut pause = HEAD_POLL_MIN;
    loop {
        let Some(h) = head.upgrade() else { return };
        if h.waiting.load(Ordering::Acquire) == 0 {
            // Re-checked after a wake-up or now and then, so a dropped submitter ends the task.
            let _ = tokio::time::timeout(Duration::from_secs(5), h.wake.notified()).await;
            pause = HEAD_POLL_MIN;
            continue;
        }
        let moved = match provider.get_block_number().await {
            Ok(n) => h.number.send_if_modified(|seen| std::mem::replace(seen, n) != n),
            Err(_) => false,
        };
        drop(h);
        pause = if moved { HEAD_POLL_MIN } else { (pause * 2).min(HEAD_POLL_MAX) };
        tokio::time::sleep(pause).await;
    }
}

impl Submitter {
    pub async fn new(chain: &Chain, deployment: &Deployment) -> Result<Arc<Self>, GateError> {
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_provider(chain.provider().clone())
            .erased();
        let from = chain.gateway();
        let nonce = provider.get_transaction_count(from).pending().await.map_err(unavailable)?;
        let gas_price = provider.get_gas_price().await.map_err(unavailable)?;
        let head = Arc::new(Head {
            number: watch::channel(0).0,
            waiting: AtomicUsize::new(0),
            wake: Notify::new(),
        });
        tokio::spawn(watch_head(provider.clone(), Arc::downgrade(&head)));
        Ok(Arc::new(Self {
            provider,
            wallet: chain.wallet().clone(),
            from,
            contract: deployment.address,
            chain_id: deployment.chain_id,
            nonce: Mutex::new(nonce),
            gas_price: AtomicU64::new(headroom(gas_price)),
            transactions: AtomicU64::new(0),
            head,
            confirm_seconds: crate::metrics::Histogram::new(crate::metrics::LATENCY_BOUNDS),
        }))
    }

    /// Signs the batch with the next nonce and sends it. Sends are serialised
    /// so nonces reach the node in order.
    pub async fn send(
        &self,
        requests: Vec<ICareLedgerAccess::AccessRequest>,
        entries: Vec<ICareLedgerAccess::LifecycleEntry>,
    ) -> Result<Sent, GateError> {
        let gas = GAS_BASE
            + GAS_PER_REQUEST * requests.len() as u64
            + GAS_PER_ENTRY * entries.len() as u64;
        let input = CareLedgerAccess::commitCall { requests, entries }.abi_encode();
        self.send_input(input.into(), gas).await
    }

    /// Gas for a `recommit` of this many requests and entries: a re-recorded
    /// request also marks its id in storage.
    pub fn recommit_gas(requests: usize, entries: usize) -> u64 {
        GAS_BASE + GAS_PER_RE_RECORDED * requests as u64 + GAS_PER_ENTRY * entries as u64
    }

    /// The provider the submitter sends through.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// Takes the node's nonce again (after the node lost blocks, the nonces
    /// of their transactions are free again).
    pub async fn resync(&self) {
        let mut nonce = self.nonce.lock().await;
        if let Ok(n) = self.provider.get_transaction_count(self.from).pending().await {
            *nonce = n;
        }
    }

    /// Signs a call to the contract (`commit` or `recommit`) with this gas
    /// limit, and sends it.
    pub async fn send_input(&self, input: Bytes, gas: u64) -> Result<Sent, GateError> {
        let mut nonce = self.nonce.lock().await;
        // A node that refuses the nonce or the price (another sender used the
        // same key, or the base fee rose) gets one retry after re-reading both.
        for attempt in 0..2 {
            let tx = TransactionRequest::default()
                .with_from(self.from)
                .with_to(self.contract)
                .with_input(input.clone())
                .with_nonce(*nonce)
                .with_chain_id(self.chain_id)
                .with_gas_limit(gas)
                .with_gas_price(u128::from(self.gas_price.load(Ordering::Relaxed)));
            let envelope = tx
                .build(&self.wallet)
                .await
                .map_err(|e| GateError::Rejected(format!("signing failed: {e}")))?;
            let sent = Sent {
                hash: *envelope.tx_hash(),
                input: input.clone(),
                raw: Bytes::from(envelope.encoded_2718()),
            };
            match self.broadcast(&sent).await {
                Ok(()) => {
                    *nonce += 1;
                    self.transactions.fetch_add(1, Ordering::Relaxed);
                    return Ok(sent);
                }
                Err(e) => {
                    if let Ok(n) = self.provider.get_transaction_count(self.from).pending().await {
                        *nonce = n;
                    }
                    if let Ok(p) = self.provider.get_gas_price().await {
                        self.gas_price.store(headroom(p), Ordering::Relaxed);
                    }
                    let retryable = matches!(&e, GateError::Rejected(m)
                        if ["nonce", "underpriced", "fee"].iter().any(|w| m.to_lowercase().contains(w)));
                    if attempt == 1 || !retryable {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, "gate: node refused nonce or price; retrying once");
                }
            }
        }
        Err(GateError::Rejected("the node refused the transaction twice".into()))
    }

    async fn broadcast(&self, sent: &Sent) -> Result<(), GateError> {
        let mut attempt = 0u32;
        loop {
            match self.provider.send_raw_transaction(&sent.raw).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    let text = e.to_string().to_lowercase();
                    if text.contains("already known") || text.contains("already imported") {
                        return Ok(());
                    }
                    let transport = matches!(e, alloy::transports::RpcError::Transport(_));
                    if transport && attempt < 3 {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                        continue;
                    }
                    return Err(if transport {
                        unavailable(e)
                    } else {
                        GateError::Rejected(e.to_string())
                    });
                }
            }
        }
    }

    /// Waits until the transaction is mined and reads its events, asking
    /// for the receipt at each new block. A transaction unseen for too long
    /// is re-broadcast as the same bytes; one the node no longer knows at all
    /// (it restarted from older state, or rolled back) fails its waiters
    /// within [`LOST_AFTER_UNKNOWN`] × [`LOST_CHECK`], and the nonce is taken
    /// from the node again, so later transactions are not stuck behind it.
    pub async fn confirm(&self, sent: &Sent) -> Result<BatchResult, GateError> {
        decode(&self.confirm_receipt(sent).await?)
    }

    /// [`Submitter::confirm`]'s wait, answering with the receipt itself.
    pub async fn confirm_receipt(&self, sent: &Sent) -> Result<TransactionReceipt, GateError> {
        let started = Instant::now();
        let _waiting = Waiting::new(&self.head);
        let mut blocks = self.head.number.subscribe();
        let mut rebroadcasts = 0;
        let mut deadline = started + MINE_TIMEOUT;
        let mut next_look = started + LOST_CHECK;
        let mut unknown = 0;
        loop {
            // A block seen from here on wakes the wait below, even one mined
            // while the receipt is being asked for.
            blocks.mark_unchanged();
            match self.provider.get_transaction_receipt(sent.hash).await {
                Ok(Some(receipt)) => {
                    self.confirm_seconds.observe(started.elapsed().as_secs_f64());
                    return Ok(receipt);
                }
                Ok(None) if Instant::now() >= next_look => {
                    next_look = Instant::now() + LOST_CHECK;
                    match self.provider.get_transaction_by_hash(sent.hash).await {
                        Ok(None) => unknown += 1,
                        Ok(Some(_)) => unknown = 0,
                        Err(_) => {}
                    }
                    if unknown >= LOST_AFTER_UNKNOWN {
                        self.resync().await;
                        return Err(GateError::Unavailable(format!(
                            "the chain lost transaction {} before it was mined (it restarted or \
                             rolled back); nothing in it was answered",
                            sent.hash
                        )));
                    }
                }
                Ok(None) => {}
                Err(e) if Instant::now() > deadline => return Err(unavailable(e)),
                Err(_) => {}
            }
            if Instant::now() > deadline {
                if rebroadcasts == REBROADCASTS {
                    return Err(GateError::Unavailable(format!(
                        "transaction {} was not mined",
                        sent.hash
                    )));
                }
                rebroadcasts += 1;
                deadline = Instant::now() + MINE_TIMEOUT;
                let _ = self.broadcast(sent).await;
            }
            let _ = tokio::time::timeout(RECEIPT_FALLBACK, blocks.changed()).await;
        }
    }
}

fn headroom(gas_price: u128) -> u64 {
    // Twice the node's price, so a rising base fee does not strand a batch.
    u64::try_from(gas_price.saturating_mul(2)).unwrap_or(u64::MAX)
}

fn unavailable(e: impl std::fmt::Display) -> GateError {
    GateError::Unavailable(e.to_string())
}

/// Reads every CareLedger event of a mined transaction.
pub fn decode(receipt: &TransactionReceipt) -> Result<BatchResult, GateError> {
    if !receipt.status() {
        return Err(GateError::Rejected(format!(
            "transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    let block_number = receipt.block_number.unwrap_or_default();
    let mut result = BatchResult {
        block_number,
        block_hash: receipt.block_hash.unwrap_or_default(),
        ..BatchResult::default()
    };
    for log in receipt.inner.logs() {
        let at = |id: B256, approved: bool| AuditReceipt {
            id,
            transaction_hash: receipt.transaction_hash,
            block_number,
            log_index: log.log_index.unwrap_or_default(),
            approved,
        };
        if let Ok(event) = log.log_decode::<CareLedgerAccess::ReRecorded>() {
            // A re-recording's own time; the events it marks carry the original's.
            result.timestamp = event.inner.data.timestamp;
        } else if let Ok(event) = log.log_decode::<CareLedgerAccess::AccessRequested>() {
            let e = event.inner.data;
            if result.timestamp == 0 {
                result.timestamp = e.timestamp;
            }
            result.requests.insert(e.requestId, at(e.requestId, e.approved));
        } else if let Some(entry_id) = lifecycle_entry_id(log) {
            result.entries.insert(entry_id, at(entry_id, true));
        } else if let Ok(event) = log.log_decode::<CareLedgerAccess::LifecycleRefused>() {
            // Handled before (a re-sent copy) or older than the subject's last
            // role change: the entry is done either way; the refusal is its event.
            let e = event.inner.data;
            tracing::warn!(entry = %e.entryId, reason = e.reason, "gate: the contract refused a lifecycle entry");
            result.entries.insert(e.entryId, at(e.entryId, false));
        }
    }
    Ok(result)
}

fn lifecycle_entry_id(log: &alloy::rpc::types::Log) -> Option<B256> {
    use CareLedgerAccess as C;
    if let Ok(e) = log.log_decode::<C::UserAdded>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::UserModified>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::UserDeleted>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::RoleChanged>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::RecordVersionCreated>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::RecordDeleted>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::AuthenticationRecorded>() {
        return Some(e.inner.data.entryId);
    }
    care_entry_id(log)
}

/// The entry id of a care event (relationships, admissions, departments,
/// break-the-glass, restrictions).
fn care_entry_id(log: &alloy::rpc::types::Log) -> Option<B256> {
    use CareLedgerAccess as C;
    if let Ok(e) = log.log_decode::<C::CareRelationshipAdded>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::CareRelationshipEnded>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::PatientAdmitted>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::PatientDischarged>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::DepartmentAssigned>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::GlassBroken>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::GlassReviewed>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::AccessRestricted>() {
        return Some(e.inner.data.entryId);
    }
    if let Ok(e) = log.log_decode::<C::RestrictionLifted>() {
        return Some(e.inner.data.entryId);
    }
    None
}
