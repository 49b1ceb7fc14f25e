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

use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::DynProvider;
use alloy::rpc::types::TransactionReceipt;

use super::journal::{Journal, Mined};
use super::submit::{decode, BatchResult};
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
    journal: Option<Journal>,
}

impl NaiveGate {
    pub fn new(chain: &Chain, deployment: &Deployment, journal: Option<Journal>) -> Self {
        Self {
            provider: chain.provider().clone(),
            contract: deployment.address,
            transactions: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            sending: tokio::sync::Mutex::new(()),
            journal,
        }
    }

    /// Decodes the receipt and journals the transaction (when journaling)
    /// before anything in it is answered.
    async fn settle(
        &self,
        receipt: &TransactionReceipt,
        input: Bytes,
        requests: &[B256],
        entries: &[B256],
    ) -> Result<BatchResult, GateError> {
        let result = decode(receipt)?;
        if let Some(journal) = &self.journal {
            let sent = super::submit::Sent::mined(receipt.transaction_hash, input);
            journal.record(&Mined::new(&sent, &result, requests, entries)).await?;
        }
        Ok(result)
    }

    pub async fn authorize(&self, request: AccessRequest) -> Result<Verdict, GateError> {
        let verdicts = self.authorize_all(vec![request]).await?;
        verdicts.into_iter().next().ok_or(GateError::MissingEvent)
    }

    /// Several requests in one `authorize` transaction; one verdict each, in order.
    pub async fn authorize_all(
        &self,
        requests: Vec<AccessRequest>,
    ) -> Result<Vec<Verdict>, GateError> {
        let ids: Vec<B256> = requests.iter().map(|_| super::random_id()).collect();
        let contract = CareLedgerAccess::new(self.contract, &self.provider);
        let call =
            contract.authorize(requests.iter().zip(&ids).map(|(r, id)| r.to_abi(*id)).collect());
        let input = call.calldata().clone();
        let pending = {
            let _one_at_a_time = self.sending.lock().await;
            call.send().await
        };
        let receipt = pending
            .map_err(|e| GateError::Unavailable(e.to_string()))?
            .get_receipt()
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(ids.len() as u64, Ordering::Relaxed);
        let result = self.settle(&receipt, input, &ids, &[]).await?;
        ids.iter()
            .map(|id| {
                let r = result.requests.get(id).ok_or(GateError::MissingEvent)?;
                Ok(Verdict { approved: r.approved, receipt: *r })
            })
            .collect()
    }

    pub async fn record(
        &self,
        entries: Vec<LifecycleEntry>,
    ) -> Result<Vec<AuditReceipt>, GateError> {
        let contract = CareLedgerAccess::new(self.contract, &self.provider);
        let call = contract.recordLifecycle(entries.iter().map(|e| e.to_abi()).collect());
        let input = call.calldata().clone();
        let pending = {
            let _one_at_a_time = self.sending.lock().await;
            call.send().await
        };
        let receipt = pending
            .map_err(|e| GateError::Unavailable(e.to_string()))?
            .get_receipt()
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.entries.fetch_add(entries.len() as u64, Ordering::Relaxed);
        let ids: Vec<B256> = entries.iter().map(|e| e.entry_id).collect();
        let result = self.settle(&receipt, input, &[], &ids).await?;
        entries
            .iter()
            .map(|e| result.entries.get(&e.entry_id).copied().ok_or(GateError::MissingEvent))
            .collect()
    }

    /// Sends one call of the contract's settings (`setPermission`, …) on its own.
    pub async fn call(&self, input: Bytes) -> Result<TransactionReceipt, GateError> {
        use alloy::network::TransactionBuilder;
        use alloy::providers::Provider;
        let tx = alloy::rpc::types::TransactionRequest::default()
            .with_to(self.contract)
            .with_input(input);
        let pending = {
            let _one_at_a_time = self.sending.lock().await;
            self.provider.send_transaction(tx).await
        };
        let receipt = pending
            .map_err(|e| GateError::Unavailable(e.to_string()))?
            .get_receipt()
            .await
            .map_err(|e| GateError::Unavailable(e.to_string()))?;
        self.transactions.fetch_add(1, Ordering::Relaxed);
        Ok(receipt)
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
