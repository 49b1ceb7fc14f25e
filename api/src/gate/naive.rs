//! One transaction per request, each awaited through the provider's usual
//! fillers (nonce, gas estimate, fees) and receipt polling: the common design,
//! kept so benchmarks can compare group commit against it on the same chain.
//!
//! Sends are taken one at a time (fill, sign, hand to the node), so
//! concurrent requests never read the same pending nonce; the waits for
//! receipts overlap. Without this, concurrent requests sign with the same
//! nonce, and a node that queues a transaction behind a nonce gap (Ganache)
//! leaves its request waiting for ever.

use std::sync::atomic::{AtomicU64, Ordering};

use alloy::primitives::Address;
use alloy::providers::DynProvider;

use super::submit::decode;
use super::{AccessRequest, AuditReceipt, GateError, GateStats, LifecycleEntry, Verdict};
use crate::chain::bindings::CareLedgerAccess;
use crate::chain::deployment::Deployment;
use crate::chain::Chain;

pub struct NaiveGate {
    provider: DynProvider,
    contract: Address,
    transactions: AtomicU64,
    requests: AtomicU64,
    entries: AtomicU64,
    sending: tokio::sync::Mutex<()>,
}

impl NaiveGate {
    pub fn new(chain: &Chain, deployment: &Deployment) -> Self {
        Self {
            provider: chain.provider().clone(),
            contract: deployment.address,
            transactions: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            sending: tokio::sync::Mutex::new(()),
        }
    }

    pub async fn authorize(&self, request: AccessRequest) -> Result<Verdict, GateError> {
        let id = super::random_id();
        let contract = CareLedgerAccess::new(self.contract, &self.provider);
        let pending = {
            let _one_at_a_time = self.sending.lock().await;
            contract.authorize(vec![request.to_abi(id)]).send().await
        };
        let receipt = pending
            .map_err(|e| GateError::Unavailable(e.to_string()))?
            .get_receipt()
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(1, Ordering::Relaxed);
        let result = decode(&receipt)?;
        let r = result.requests.get(&id).ok_or(GateError::MissingEvent)?;
        Ok(Verdict { approved: r.approved, receipt: *r })
    }

    pub async fn record(
        &self,
        entries: Vec<LifecycleEntry>,
    ) -> Result<Vec<AuditReceipt>, GateError> {
        let contract = CareLedgerAccess::new(self.contract, &self.provider);
        let pending = {
            let _one_at_a_time = self.sending.lock().await;
            contract.recordLifecycle(entries.iter().map(|e| e.to_abi()).collect()).send().await
        };
        let receipt = pending
            .map_err(|e| GateError::Unavailable(e.to_string()))?
            .get_receipt()
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.entries.fetch_add(entries.len() as u64, Ordering::Relaxed);
        let result = decode(&receipt)?;
        entries
            .iter()
            .map(|e| result.entries.get(&e.entry_id).copied().ok_or(GateError::MissingEvent))
            .collect()
    }

    pub fn stats(&self) -> GateStats {
        GateStats {
            transactions: self.transactions.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            lifecycle_entries: self.entries.load(Ordering::Relaxed),
            in_flight: 0,
        }
    }
}
