//! Reads answered together. A request that needs one row by key joins a queue;
//! while every query slot is busy the queue fills, and the next free slot
//! answers everything waiting with one query (`WHERE key = ANY($1)`). A lone
//! request finds a slot free and is answered at once, so batching costs
//! nothing at low load and, under load, saves the round trips (and the
//! server's per-statement work) of all but one of the requests in a batch —
//! what group commit does for the chain, done for reads.
//!
//! Every request is answered by a query that starts after it joined the
//! queue, so it sees everything committed before it asked.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Semaphore};

use super::StoreError;

/// What one batch query returns: the answer for each key that has one.
pub type Answers<K, V> = Result<HashMap<K, V>, StoreError>;
type Fetch<K, V> =
    dyn Fn(Vec<K>) -> Pin<Box<dyn Future<Output = Answers<K, V>> + Send>> + Send + Sync;
type Reply<V> = oneshot::Sender<Result<Option<V>, StoreError>>;

/// How many batch queries may run at once, and how many keys one may carry.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub in_flight: usize,
    pub max_keys: usize,
}

/// Requests answered and queries made, for `/metrics`.
#[derive(Debug, Default)]
pub struct BatchStats {
    pub keys: AtomicU64,
    pub queries: AtomicU64,
}

/// A queue of keys answered in batches by one fetch function.
pub struct Batcher<K, V> {
    queue: mpsc::UnboundedSender<(K, Reply<V>)>,
    stats: Arc<BatchStats>,
}

impl<K, V> Clone for Batcher<K, V> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone(), stats: self.stats.clone() }
    }
}

impl<K, V> std::fmt::Debug for Batcher<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").field("stats", &self.stats).finish()
    }
}

impl<K, V> Batcher<K, V>
where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    /// Starts the task that takes batches off the queue and runs `fetch` on
    /// them. It ends when the last clone of the batcher is dropped.
    pub fn start<F, Fut>(limits: Limits, fetch: F) -> Self
    where
        F: Fn(Vec<K>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Answers<K, V>> + Send + 'static,
    {
        // Unbounded: what waits here is bounded by the requests in progress
        // (CARELEDGER_MAX_IN_PROGRESS) and the fields each may ask for.
        let (queue, waiting) = mpsc::unbounded_channel();
        let stats = Arc::new(BatchStats::default());
        let fetch: Arc<Fetch<K, V>> = Arc::new(move |keys| Box::pin(fetch(keys)));
        tokio::spawn(run(waiting, limits, fetch, stats.clone()));
        Self { queue, stats }
    }

    /// The answer for `key`: `None` when the fetch found nothing for it.
    pub async fn load(&self, key: K) -> Result<Option<V>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((key, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    pub fn stats(&self) -> &BatchStats {
        &self.stats
    }
}

async fn run<K, V>(
    mut waiting: mpsc::UnboundedReceiver<(K, Reply<V>)>,
    limits: Limits,
    fetch: Arc<Fetch<K, V>>,
    stats: Arc<BatchStats>,
) where
    K: Eq + Hash + Clone + Send + 'static,
    V: Clone + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(limits.in_flight.max(1)));
    loop {
        // A slot first, then everything that queued while none was free.
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let Some(first) = waiting.recv().await else { return };
        let mut batch = vec![first];
        while batch.len() < limits.max_keys.max(1) {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (fetch, stats) = (fetch.clone(), stats.clone());
        tokio::spawn(async move {
            let mut seen = HashSet::new();
            let keys: Vec<K> =
                batch.iter().map(|(k, _)| k.clone()).filter(|k| seen.insert(k.clone())).collect();
            stats.keys.fetch_add(batch.len() as u64, Ordering::Relaxed);
            stats.queries.fetch_add(1, Ordering::Relaxed);
            match fetch(keys).await {
                Ok(mut answers) => {
                    // Each answer moves to its last asker; earlier ones get copies.
                    let mut askers: HashMap<K, usize> = HashMap::new();
                    for (key, _) in &batch {
                        *askers.entry(key.clone()).or_default() += 1;
                    }
                    for (key, reply) in batch {
                        let left = askers.get_mut(&key).map(|n| {
                            *n -= 1;
                            *n
                        });
                        let answer = if left == Some(0) {
                            answers.remove(&key)
                        } else {
                            answers.get(&key).cloned()
                        };
                        let _ = reply.send(Ok(answer));
                    }
                }
                Err(error) => {
                    let cause = shared(error);
                    for (_, reply) in batch {
                        let _ = reply.send(Err(StoreError::Shared(cause.clone())));
                    }
                }
            }
            drop(slot);
        });
    }
}

fn stopped() -> StoreError {
    StoreError::Internal(sqlx::Error::WorkerCrashed)
}

/// A batch's error, to hand to each of its requests. Reads fail only as
/// internal errors; anything else keeps its message (never patient data).
fn shared(error: StoreError) -> Arc<sqlx::Error> {
    match error {
        StoreError::Internal(cause) => Arc::new(cause),
        StoreError::Shared(cause) => cause,
        other => Arc::new(sqlx::Error::Protocol(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use tokio::sync::Notify;
    use tokio::task::JoinHandle;

    use super::*;

    /// A fetch that records each query's keys, answers `key * 10 + query
    /// number` for even keys (odd ones have no answer), fails on key 13, and
    /// waits for `hold` before its first query answers.
    /// The keys of each query the fetch was asked, in order.
    type Queries = Arc<Mutex<Vec<Vec<u32>>>>;

    fn recording(hold: Arc<Notify>) -> (Batcher<u32, u32>, Queries) {
        let queries = Queries::default();
        let seen = queries.clone();
        let batcher =
            Batcher::start(Limits { in_flight: 1, max_keys: 8 }, move |keys: Vec<u32>| {
                let (seen, hold) = (seen.clone(), hold.clone());
                async move {
                    let number = {
                        let mut seen = seen.lock().expect("lock");
                        seen.push(keys.clone());
                        seen.len() as u32
                    };
                    if number == 1 {
                        hold.notified().await;
                    }
                    if keys.contains(&13) {
                        return Err(StoreError::Internal(sqlx::Error::PoolTimedOut));
                    }
                    Ok(keys.iter().filter(|k| *k % 2 == 0).map(|k| (*k, k * 10 + number)).collect())
                }
            });
        (batcher, queries)
    }

    /// Waits until the fetch has been called `n` times.
    async fn queries_made(queries: &Mutex<Vec<Vec<u32>>>, n: usize) {
        while queries.lock().expect("lock").len() < n {
            tokio::task::yield_now().await;
        }
    }

    fn spawn_load(
        batcher: &Batcher<u32, u32>,
        key: u32,
    ) -> JoinHandle<Result<Option<u32>, StoreError>> {
        let batcher = batcher.clone();
        tokio::spawn(async move { batcher.load(key).await })
    }

    /// A batcher whose first query (for key 2) is running and held until
    /// `hold` is notified, so its one slot is busy.
    async fn first_query_held(
    ) -> (Arc<Notify>, Batcher<u32, u32>, Queries, JoinHandle<Result<Option<u32>, StoreError>>)
    {
        let hold = Arc::new(Notify::new());
        let (batcher, queries) = recording(hold.clone());
        let first = spawn_load(&batcher, 2);
        queries_made(&queries, 1).await;
        (hold, batcher, queries, first)
    }

    #[tokio::test]
    async fn a_lone_request_is_answered_by_its_own_query() {
        let hold = Arc::new(Notify::new());
        hold.notify_one();
        let (batcher, queries) = recording(hold);
        assert_eq!(batcher.load(4).await.expect("answer"), Some(41));
        assert_eq!(batcher.load(3).await.expect("answer"), None, "no row: no answer");
        assert_eq!(*queries.lock().expect("lock"), vec![vec![4], vec![3]]);
        assert_eq!(batcher.stats().keys.load(Ordering::Relaxed), 2);
        assert_eq!(batcher.stats().queries.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn requests_that_wait_for_a_slot_share_the_next_query() {
        let (hold, batcher, queries, first) = first_query_held().await;
        // The only slot is busy: these queue, asking for 2 again among them.
        let later: Vec<_> =
            [4, 2, 6, 7, 4].into_iter().map(|key| spawn_load(&batcher, key)).collect();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            queries.lock().expect("lock").len(),
            1,
            "nothing else runs while the slot is taken"
        );
        hold.notify_one();

        assert_eq!(first.await.expect("task").expect("answer"), Some(21));
        let mut answers = Vec::new();
        for task in later {
            answers.push(task.await.expect("task").expect("answer"));
        }
        // Each answered by the second query, which started after they asked.
        assert_eq!(answers, vec![Some(42), Some(22), Some(62), None, Some(42)]);
        assert_eq!(
            *queries.lock().expect("lock"),
            vec![vec![2], vec![4, 2, 6, 7]],
            "one query, each key once"
        );
        assert_eq!(batcher.stats().keys.load(Ordering::Relaxed), 6);
        assert_eq!(batcher.stats().queries.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn a_failed_query_fails_each_of_its_requests() {
        let (hold, batcher, _, first) = first_query_held().await;
        let failing: Vec<_> = [13, 4].into_iter().map(|key| spawn_load(&batcher, key)).collect();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        hold.notify_one();
        assert_eq!(first.await.expect("task").expect("answer"), Some(21));
        for task in failing {
            let error = task.await.expect("task").expect_err("the batch failed");
            assert!(
                matches!(&error, StoreError::Shared(cause) if matches!(**cause, sqlx::Error::PoolTimedOut)),
                "{error:?}"
            );
        }
        // The batcher goes on.
        assert_eq!(batcher.load(6).await.expect("answer"), Some(63));
    }
}
