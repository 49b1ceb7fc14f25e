//! The load engine: closed loop (a fixed number of clients, each sending its
//! next request when the last one answers) or open loop (requests started at
//! a fixed rate whatever the answers, latency measured from when each was due,
//! so a slow server cannot hide its queueing).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;
use tokio::task::JoinSet;

use crate::client::Outcome;
use crate::scenario::{self, Scenario, Shared};

/// When the run stops.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    After(Duration),
    Requests(u64),
}

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub scenario: Scenario,
    pub stop: Stop,
    pub concurrency: usize,
    /// Open loop at this many requests per second; closed loop when `None`.
    pub rate: Option<f64>,
}

/// What the clients saw.
#[derive(Debug)]
pub struct Observed {
    pub requests: u64,
    pub elapsed: Duration,
    pub latency_us: Histogram<u64>,
    /// The same latencies split by when each request began (open loop: was
    /// due), in windows of [`WINDOW`]: where in a long run the slow ones were.
    pub windows: Vec<Histogram<u64>>,
    pub outcomes: BTreeMap<String, u64>,
    pub expected_events: u64,
}

/// The length of one window of [`Observed::windows`].
pub const WINDOW: Duration = Duration::from_secs(10);

/// Latencies in microseconds, overall and per window.
struct Latencies {
    all: Histogram<u64>,
    windows: Vec<Histogram<u64>>,
}

impl Latencies {
    fn new() -> Self {
        Self { all: histogram(), windows: Vec::new() }
    }

    /// Window `n`, created (with any before it) when first needed.
    fn window(&mut self, n: usize) -> &mut Histogram<u64> {
        if self.windows.len() <= n {
            self.windows.resize_with(n + 1, histogram);
        }
        &mut self.windows[n]
    }

    fn record(&mut self, began: Duration, micros: u64) {
        let micros = micros.max(1);
        let _ = self.all.record(micros);
        let _ = self.window((began.as_secs_f64() / WINDOW.as_secs_f64()) as usize).record(micros);
    }

    fn add(&mut self, other: Latencies) {
        let _ = self.all.add(other.all);
        for (n, h) in other.windows.into_iter().enumerate() {
            let _ = self.window(n).add(h);
        }
    }
}

#[derive(Default)]
struct Tally {
    requests: u64,
    outcomes: BTreeMap<String, u64>,
    expected_events: u64,
}

impl Tally {
    fn add(&mut self, done: &scenario::Done) {
        self.requests += 1;
        self.expected_events += done.expected_events;
        let key = match &done.outcome {
            Outcome::Ok => "OK".to_owned(),
            Outcome::Error(code) => code.clone(),
            Outcome::Transport(what) => format!("TRANSPORT:{what}"),
        };
        *self.outcomes.entry(key).or_default() += 1;
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3)
        .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()))
}

pub async fn run(shared: Arc<Shared>, plan: Plan) -> Observed {
    let started = Instant::now();
    let (tally, latency) = match plan.rate {
        None => closed(shared, plan, started).await,
        Some(rate) => open(shared, plan, rate, started).await,
    };
    Observed {
        requests: tally.requests,
        elapsed: started.elapsed(),
        latency_us: latency.all,
        windows: latency.windows,
        outcomes: tally.outcomes,
        expected_events: tally.expected_events,
    }
}

fn keep_going(stop: Stop, started: Instant, issued: u64) -> bool {
    match stop {
        Stop::After(d) => started.elapsed() < d,
        Stop::Requests(n) => issued < n,
    }
}

async fn closed(shared: Arc<Shared>, plan: Plan, started: Instant) -> (Tally, Latencies) {
    let issued = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut workers = JoinSet::new();
    for worker in 0..plan.concurrency {
        let (shared, issued) = (shared.clone(), issued.clone());
        workers.spawn(async move {
            let mut tally = Tally::default();
            let mut latency = Latencies::new();
            loop {
                let n = issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if !keep_going(plan.stop, started, n) {
                    break;
                }
                let t = Instant::now();
                let done = scenario::request(&shared, plan.scenario, worker, n).await;
                latency.record(t - started, t.elapsed().as_micros() as u64);
                tally.add(&done);
            }
            (tally, latency)
        });
    }
    let mut total = Tally::default();
    let mut latency = Latencies::new();
    while let Some(Ok((tally, l))) = workers.join_next().await {
        total.requests += tally.requests;
        total.expected_events += tally.expected_events;
        for (k, v) in tally.outcomes {
            *total.outcomes.entry(k).or_default() += v;
        }
        latency.add(l);
    }
    (total, latency)
}

async fn open(shared: Arc<Shared>, plan: Plan, rate: f64, started: Instant) -> (Tally, Latencies) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let results = Arc::new(Mutex::new((Tally::default(), Latencies::new())));
    let mut in_flight = JoinSet::new();
    let mut n = 0u64;
    while keep_going(plan.stop, started, n) {
        let due = started + interval.mul_f64(n as f64);
        tokio::time::sleep_until(due.into()).await;
        let (shared, results) = (shared.clone(), results.clone());
        let worker = (n as usize) % plan.concurrency.max(1);
        in_flight.spawn(async move {
            let done = scenario::request(&shared, plan.scenario, worker, n).await;
            let waited = due.elapsed().as_micros() as u64;
            let mut r = results.lock().await;
            r.1.record(due - started, waited);
            r.0.add(&done);
        });
        n += 1;
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
    let mut guard = results.lock().await;
    std::mem::replace(&mut *guard, (Tally::default(), Latencies::new()))
}
