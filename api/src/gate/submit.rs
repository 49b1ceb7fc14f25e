//! Turning one batch into one signed transaction, sending it, and reading
//! every verdict and receipt out of the mined logs.
//!
//! Transactions are signed locally, so their hash is known before sending: a
//! send whose answer was lost is re-sent byte for byte (same nonce, same
//! hash), which can never produce a second copy of the events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy::eips::eip2718::Encodable2718;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::SolCall;
use tokio::sync::Mutex;

use super::{AuditReceipt, GateError};
use crate::chain::bindings::{CareLedgerAccess, ICareLedgerAccess};
use crate::chain::deployment::Deployment;
use crate::chain::Chain;

/// Gas for the transaction itself plus each request / lifecycle entry; the
/// contract's measured cost is well under these (see contracts/README.md).
const GAS_BASE: u64 = 120_000;
const GAS_PER_REQUEST: u64 = 30_000;
const GAS_PER_ENTRY: u64 = 45_000;
/// How long a sent transaction may stay unmined before it is re-broadcast, and
/// how many times, before its requests get an error.
const MINE_TIMEOUT: Duration = Duration::from_secs(30);
const REBROADCASTS: u32 = 2;

/// What one mined batch produced.
#[derive(Debug, Default)]
pub struct BatchResult {
    /// request id → receipt (with the verdict).
    pub requests: HashMap<B256, AuditReceipt>,
    /// entry id → receipt.
    pub entries: HashMap<B256, AuditReceipt>,
}

/// A transaction signed and sent, not yet mined.
pub struct Sent {
    pub hash: B256,
    raw: Bytes,
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
        Ok(Arc::new(Self {
            provider,
            wallet: chain.wallet().clone(),
            from,
            contract: deployment.address,
            chain_id: deployment.chain_id,
            nonce: Mutex::new(nonce),
            gas_price: AtomicU64::new(headroom(gas_price)),
            transactions: AtomicU64::new(0),
        }))
    }

    /// Signs the batch with the next nonce and sends it. Sends are serialised
    /// so nonces reach the node in order.
    pub async fn send(
        &self,
        requests: Vec<ICareLedgerAccess::AccessRequest>,
        entries: Vec<ICareLedgerAccess::LifecycleEntry>,
    ) -> Result<Sent, GateError> {
        let gas = GAS_BASE + GAS_PER_REQUEST * requests.len() as u64 + GAS_PER_ENTRY * entries.len() as u64;
        let input = CareLedgerAccess::commitCall { requests, entries }.abi_encode();
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
            let envelope =
                tx.build(&self.wallet).await.map_err(|e| GateError::Rejected(format!("signing failed: {e}")))?;
            let sent = Sent { hash: *envelope.tx_hash(), raw: Bytes::from(envelope.encoded_2718()) };
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
                    return Err(if transport { unavailable(e) } else { GateError::Rejected(e.to_string()) });
                }
            }
        }
    }

    /// Waits until the transaction is mined and reads its events. A
    /// transaction unseen for too long is re-broadcast as the same bytes.
    pub async fn confirm(&self, sent: &Sent) -> Result<BatchResult, GateError> {
        let mut rebroadcasts = 0;
        let mut waited = Duration::ZERO;
        let mut pause = Duration::from_millis(1);
        loop {
            match self.provider.get_transaction_receipt(sent.hash).await {
                Ok(Some(receipt)) => return decode(&receipt),
                Ok(None) => {}
                Err(e) if waited > MINE_TIMEOUT => return Err(unavailable(e)),
                Err(_) => {}
            }
            if waited > MINE_TIMEOUT {
                if rebroadcasts == REBROADCASTS {
                    return Err(GateError::Unavailable(format!("transaction {} was not mined", sent.hash)));
                }
                rebroadcasts += 1;
                waited = Duration::ZERO;
                let _ = self.broadcast(sent).await;
            }
            tokio::time::sleep(pause).await;
            waited += pause;
            pause = (pause * 2).min(Duration::from_millis(20));
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
        return Err(GateError::Rejected(format!("transaction {} reverted", receipt.transaction_hash)));
    }
    let mut result = BatchResult::default();
    let block_number = receipt.block_number.unwrap_or_default();
    for log in receipt.inner.logs() {
        let at = |approved: bool| AuditReceipt {
            transaction_hash: receipt.transaction_hash,
            block_number,
            log_index: log.log_index.unwrap_or_default(),
            approved,
        };
        if let Ok(event) = log.log_decode::<CareLedgerAccess::AccessRequested>() {
            let e = event.inner.data;
            result.requests.insert(e.requestId, at(e.approved));
        } else if let Some(entry_id) = lifecycle_entry_id(log) {
            result.entries.insert(entry_id, at(true));
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
    None
}
