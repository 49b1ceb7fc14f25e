//! The gate: every access request and every lifecycle record goes to the
//! access contract through here, and each caller gets back its own on-chain
//! verdict and receipt.
//!
//! Two strategies share one interface:
//! - [`group`] (the default) does group commit: when nothing is in flight a
//!   request is sent at once; while a transaction is being mined, arriving
//!   requests gather into the next batch; several batches may be in flight,
//!   with nonces assigned by the gate. Each waiter is answered from its own
//!   `AccessRequested` event.
//! - [`naive`] sends one transaction per request and waits for its receipt,
//!   the design most systems use, kept for benchmarks.

mod group;
pub mod journal;
mod naive;
pub mod outbox;
mod submit;
mod vocabulary;

use std::sync::Arc;

use alloy::primitives::B256;

use crate::chain::deployment::Deployment;
use crate::chain::Chain;
use crate::config::GateMode;
pub use vocabulary::{AccessRequest, Action, LifecycleEntry, LifecycleKind, Resource};

/// Gas for one settings call: a matrix word or the duration, one event.
const SETTINGS_GAS: u64 = 120_000;

/// A fresh random 32-byte identifier (request ids, lifecycle entry ids).
pub fn random_id() -> B256 {
    B256::from(rand::random::<[u8; 32]>())
}

/// Where one event the request produced sits on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReceipt {
    /// The request id (`AccessRequested`) or lifecycle entry id the event carries.
    pub id: B256,
    pub transaction_hash: B256,
    pub block_number: u64,
    pub log_index: u64,
    pub approved: bool,
}

/// The contract's answer to one access request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub approved: bool,
    pub receipt: AuditReceipt,
}

/// Why a request got no verdict. Nothing is answered without its event.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum GateError {
    #[error("the chain did not accept the access request: {0}")]
    Rejected(String),
    #[error("the chain could not be reached: {0}")]
    Unavailable(String),
    #[error("the transaction was mined but carries no event for this request")]
    MissingEvent,
    #[error("the gate is shutting down")]
    Closed,
}

/// Sends access requests and lifecycle records to the contract.
#[derive(Clone)]
pub struct Gate {
    inner: Arc<Inner>,
}

enum Inner {
    Group(group::GroupGate),
    Naive(naive::NaiveGate),
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match &*self.inner {
            Inner::Group(_) => "Gate(group)",
            Inner::Naive(_) => "Gate(naive)",
        })
    }
}

impl Gate {
    /// Starts the gate for the deployed contract, without a journal (tests
    /// of the gate itself; the api uses [`Gate::start_journaled`]).
    pub async fn start(
        chain: &Chain,
        deployment: &Deployment,
        mode: GateMode,
    ) -> Result<Self, GateError> {
        Self::launch(chain, deployment, mode, None).await
    }

    /// Starts the gate journaling every mined transaction before answering
    /// its requests, and the journal's watcher, which records again whatever
    /// the chain loses (see [`journal`]).
    pub async fn start_journaled(
        chain: &Chain,
        deployment: &Deployment,
        mode: GateMode,
        journal: journal::Journal,
    ) -> Result<Self, GateError> {
        Self::launch(chain, deployment, mode, Some(journal)).await
    }

    async fn launch(
        chain: &Chain,
        deployment: &Deployment,
        mode: GateMode,
        journal: Option<journal::Journal>,
    ) -> Result<Self, GateError> {
        let submitter = submit::Submitter::new(chain, deployment).await?;
        if let Some(journal) = &journal {
            journal.clone().watch(submitter.clone());
        }
        let inner = match mode {
            GateMode::Group => Inner::Group(group::GroupGate::start(submitter, journal)),
            GateMode::Naive => Inner::Naive(naive::NaiveGate::new(chain, deployment, journal)),
        };
        Ok(Self { inner: Arc::new(inner) })
    }

    /// Asks the contract to decide `request`, and waits for its verdict.
    pub async fn authorize(&self, request: AccessRequest) -> Result<Verdict, GateError> {
        match &*self.inner {
            Inner::Group(g) => g.authorize(request).await,
            Inner::Naive(n) => n.authorize(request).await,
        }
    }

    /// Asks the contract to decide several requests in one transaction (a
    /// search and the patients it lists, say), and waits for every verdict;
    /// one per request, in order. No request, no transaction.
    pub async fn authorize_all(
        &self,
        requests: Vec<AccessRequest>,
    ) -> Result<Vec<Verdict>, GateError> {
        if requests.is_empty() {
            return Ok(Vec::new());
        }
        match &*self.inner {
            Inner::Group(g) => g.authorize_all(requests).await,
            Inner::Naive(n) => n.authorize_all(requests).await,
        }
    }

    /// Records committed changes on chain; returns one receipt per entry, in order.
    pub async fn record(
        &self,
        entries: Vec<LifecycleEntry>,
    ) -> Result<Vec<AuditReceipt>, GateError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        match &*self.inner {
            Inner::Group(g) => g.record(entries).await,
            Inner::Naive(n) => n.record(entries).await,
        }
    }

    /// Sends one call of the contract's settings (`setPermission`,
    /// `setBreakGlassDuration`) in a transaction of its own and returns its
    /// receipt. Settings are the contract's own state, not a record of
    /// something the database holds: they are not journaled (a chain that
    /// loses the transaction has lost the change, and the matrix shows it).
    pub async fn call(
        &self,
        input: alloy::primitives::Bytes,
    ) -> Result<alloy::rpc::types::TransactionReceipt, GateError> {
        let receipt = match &*self.inner {
            Inner::Group(g) => g.call(input, SETTINGS_GAS).await?,
            Inner::Naive(n) => n.call(input).await?,
        };
        if !receipt.status() {
            return Err(GateError::Rejected(format!(
                "transaction {} reverted",
                receipt.transaction_hash
            )));
        }
        Ok(receipt)
    }

    /// Requests plus entries per transaction (group commit only).
    pub fn batch_sizes(&self) -> Option<&crate::metrics::Histogram> {
        match &*self.inner {
            Inner::Group(g) => Some(g.batch_sizes()),
            Inner::Naive(_) => None,
        }
    }

    /// Seconds from sending a transaction to holding its receipt (group commit only).
    pub fn confirm_seconds(&self) -> Option<&crate::metrics::Histogram> {
        match &*self.inner {
            Inner::Group(g) => Some(g.confirm_seconds()),
            Inner::Naive(_) => None,
        }
    }

    /// Counters for metrics and tests: (transactions sent, requests decided).
    pub fn stats(&self) -> GateStats {
        match &*self.inner {
            Inner::Group(g) => g.stats(),
            Inner::Naive(n) => n.stats(),
        }
    }
}

/// What the gate has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GateStats {
    pub transactions: u64,
    pub requests: u64,
    pub lifecycle_entries: u64,
    pub in_flight: u64,
}
