//! Group commit. One dispatcher task owns the queue: when no transaction is
//! in flight it sends what is waiting at once; while transactions are being
//! mined, arrivals gather into the next batch, and a further batch is sent
//! early only when enough have gathered. Each batch's confirmation runs on
//! its own task and answers every waiter from that waiter's own event.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use alloy::primitives::B256;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

use super::journal::{Journal, Mined};
use super::submit::{BatchResult, Sent, Submitter};
use super::{AccessRequest, AuditReceipt, GateError, GateStats, LifecycleEntry, Verdict};

/// Most requests (plus entries) in one transaction, well inside a block's gas.
const MAX_BATCH: usize = 400;
/// Most transactions sent and not yet mined.
const MAX_IN_FLIGHT: usize = 4;
/// Waiters needed to send another batch while one is already in flight.
const EARLY_BATCH: usize = 32;

enum Job {
    /// One or more requests, always sent in one transaction.
    Access {
        requests: Vec<(B256, AccessRequest)>,
        reply: oneshot::Sender<Result<Vec<Verdict>, GateError>>,
    },
    Record {
        entries: Vec<LifecycleEntry>,
        reply: oneshot::Sender<Result<Vec<AuditReceipt>, GateError>>,
    },
}

impl Job {
    fn weight(&self) -> usize {
        match self {
            Job::Access { requests, .. } => requests.len(),
            Job::Record { entries, .. } => entries.len(),
        }
    }
    fn fail(self, error: GateError) {
        match self {
            Job::Access { reply, .. } => {
                let _ = reply.send(Err(error));
            }
            Job::Record { reply, .. } => {
                let _ = reply.send(Err(error));
            }
        }
    }
    fn answer(self, result: &BatchResult) {
        match self {
            Job::Access { requests, reply } => {
                let verdicts = requests
                    .iter()
                    .map(|(id, _)| {
                        result
                            .requests
                            .get(id)
                            .map(|r| Verdict { approved: r.approved, receipt: *r })
                            .ok_or(GateError::MissingEvent)
                    })
                    .collect();
                let _ = reply.send(verdicts);
            }
            Job::Record { entries, reply } => {
                let receipts = entries
                    .iter()
                    .map(|e| {
                        result.entries.get(&e.entry_id).copied().ok_or(GateError::MissingEvent)
                    })
                    .collect();
                let _ = reply.send(receipts);
            }
        }
    }
}

struct Counters {
    requests: AtomicU64,
    entries: AtomicU64,
    in_flight: AtomicU64,
    /// Requests plus entries per transaction sent.
    batch: crate::metrics::Histogram,
}

impl Default for Counters {
    fn default() -> Self {
        Self {
            requests: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            batch: crate::metrics::Histogram::new(crate::metrics::BATCH_BOUNDS),
        }
    }
}

pub struct GroupGate {
    queue: mpsc::UnboundedSender<Job>,
    submitter: Arc<Submitter>,
    counters: Arc<Counters>,
}

/// What the dispatcher and each confirmation share.
struct Shared {
    submitter: Arc<Submitter>,
    counters: Arc<Counters>,
    journal: Option<Journal>,
}

impl GroupGate {
    /// Starts the dispatcher; with a journal, every mined transaction is
    /// journaled before its requests are answered.
    pub fn start(submitter: Arc<Submitter>, journal: Option<Journal>) -> Self {
        let (queue, jobs) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        let shared =
            Arc::new(Shared { submitter: submitter.clone(), counters: counters.clone(), journal });
        tokio::spawn(dispatch(jobs, shared));
        Self { queue, submitter, counters }
    }

    /// Sends one call of the contract's settings (`setPermission`, …) in a
    /// transaction of its own, with the submitter's nonces, and waits for it.
    pub async fn call(
        &self,
        input: alloy::primitives::Bytes,
        gas: u64,
    ) -> Result<alloy::rpc::types::TransactionReceipt, GateError> {
        let sent = self.submitter.send_input(input, gas).await?;
        self.submitter.confirm_receipt(&sent).await
    }

    pub async fn authorize(&self, request: AccessRequest) -> Result<Verdict, GateError> {
        let verdicts = self.authorize_all(vec![request]).await?;
        verdicts.into_iter().next().ok_or(GateError::MissingEvent)
    }

    /// Several requests that must go in one transaction (so one waiter's
    /// requests are never split between batches); one verdict each, in order.
    pub async fn authorize_all(
        &self,
        requests: Vec<AccessRequest>,
    ) -> Result<Vec<Verdict>, GateError> {
        let (reply, answer) = oneshot::channel();
        let requests = requests.into_iter().map(|r| (super::random_id(), r)).collect();
        self.queue.send(Job::Access { requests, reply }).map_err(|_| GateError::Closed)?;
        answer.await.map_err(|_| GateError::Closed)?
    }

    pub async fn record(
        &self,
        entries: Vec<LifecycleEntry>,
    ) -> Result<Vec<AuditReceipt>, GateError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Job::Record { entries, reply }).map_err(|_| GateError::Closed)?;
        answer.await.map_err(|_| GateError::Closed)?
    }

    pub fn batch_sizes(&self) -> &crate::metrics::Histogram {
        &self.counters.batch
    }

    pub fn confirm_seconds(&self) -> &crate::metrics::Histogram {
        &self.submitter.confirm_seconds
    }

    pub fn stats(&self) -> GateStats {
        GateStats {
            transactions: self.submitter.transactions.load(Ordering::Relaxed),
            requests: self.counters.requests.load(Ordering::Relaxed),
            lifecycle_entries: self.counters.entries.load(Ordering::Relaxed),
            in_flight: self.counters.in_flight.load(Ordering::Relaxed),
        }
    }
}

async fn dispatch(mut jobs: mpsc::UnboundedReceiver<Job>, shared: Arc<Shared>) {
    let mut waiting: Vec<Job> = Vec::new();
    let mut weight = 0usize;
    let mut in_flight: JoinSet<()> = JoinSet::new();
    let mut open = true;
    while open || !waiting.is_empty() || !in_flight.is_empty() {
        tokio::select! {
            job = jobs.recv(), if open => match job {
                Some(job) => { weight += job.weight(); waiting.push(job); }
                None => open = false,
            },
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
        while let Ok(job) = jobs.try_recv() {
            weight += job.weight();
            waiting.push(job);
        }
        while !waiting.is_empty()
            && (in_flight.is_empty() || (in_flight.len() < MAX_IN_FLIGHT && weight >= EARLY_BATCH))
        {
            let batch = take_batch(&mut waiting, &mut weight);
            if let Some(confirm) = send_batch(&shared, batch).await {
                in_flight.spawn(confirm);
            }
        }
    }
}

/// Takes jobs from the front, up to [`MAX_BATCH`] requests and entries
/// (a lifecycle job larger than that still goes whole, alone).
fn take_batch(waiting: &mut Vec<Job>, weight: &mut usize) -> Vec<Job> {
    let mut taken = 0;
    let mut n = 0;
    for job in waiting.iter() {
        if n > 0 && taken + job.weight() > MAX_BATCH {
            break;
        }
        taken += job.weight();
        n += 1;
    }
    *weight -= taken;
    waiting.drain(..n).collect()
}

/// Sends one batch (in nonce order, on the dispatcher) and returns the task
/// that confirms it; on a send failure every job gets the error at once.
async fn send_batch(
    shared: &Arc<Shared>,
    batch: Vec<Job>,
) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
    let mut requests = Vec::new();
    let mut entries = Vec::new();
    for job in &batch {
        match job {
            Job::Access { requests: r, .. } => {
                requests.extend(r.iter().map(|(id, request)| request.to_abi(*id)));
            }
            Job::Record { entries: e, .. } => entries.extend(e.iter().map(|e| e.to_abi())),
        }
    }
    let request_ids: Vec<B256> = requests.iter().map(|r| r.requestId).collect();
    let entry_ids: Vec<B256> = entries.iter().map(|e| e.entryId).collect();
    let (n_requests, n_entries) = (requests.len() as u64, entries.len() as u64);
    let (submitter, counters) = (&shared.submitter, &shared.counters);
    match submitter.send(requests, entries).await {
        Err(error) => {
            tracing::error!(%error, jobs = batch.len(), "gate: batch not accepted by the chain");
            batch.into_iter().for_each(|job| job.fail(error.clone()));
            None
        }
        Ok(sent) => {
            counters.batch.observe((n_requests + n_entries) as f64);
            counters.in_flight.fetch_add(1, Ordering::Relaxed);
            let shared = shared.clone();
            Some(async move {
                let outcome = shared.submitter.confirm(&sent).await;
                shared.counters.in_flight.fetch_sub(1, Ordering::Relaxed);
                // Mined: the next batch may go. Journaling and answering this
                // one must not hold it up (a database round trip per batch
                // would lengthen every group-commit cycle).
                tokio::spawn(journal_and_answer(
                    shared,
                    sent,
                    outcome,
                    batch,
                    request_ids,
                    entry_ids,
                ));
            })
        }
    }
}

/// Journals a mined batch, then answers its jobs: nothing is answered before
/// its transaction is journaled.
async fn journal_and_answer(
    shared: Arc<Shared>,
    sent: Sent,
    mut outcome: Result<BatchResult, GateError>,
    batch: Vec<Job>,
    request_ids: Vec<B256>,
    entry_ids: Vec<B256>,
) {
    let counters = &shared.counters;
    let (n_requests, n_entries) = (request_ids.len() as u64, entry_ids.len() as u64);
    if let (Ok(result), Some(journal)) = (&outcome, &shared.journal) {
        let mined = Mined::new(&sent, result, &request_ids, &entry_ids);
        if let Err(error) = journal.record(&mined).await {
            outcome = Err(error);
        }
    }
    match outcome {
        Ok(result) => {
            counters.requests.fetch_add(n_requests, Ordering::Relaxed);
            counters.entries.fetch_add(n_entries, Ordering::Relaxed);
            tracing::debug!(tx = %sent.hash, requests = n_requests, entries = n_entries, "gate: batch mined");
            batch.into_iter().for_each(|job| job.answer(&result));
        }
        Err(error) => {
            tracing::error!(%error, tx = %sent.hash, "gate: batch failed");
            batch.into_iter().for_each(|job| job.fail(error.clone()));
        }
    }
}
