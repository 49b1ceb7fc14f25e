//! What a run measured, as text and as JSON.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::chain::ChainCount;
use hdrhistogram::Histogram;

use crate::load::{Observed, WINDOW};
use crate::scenario::Scenario;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    pub gate: String,
    pub mode: String,
    pub concurrency: usize,
    pub offered_rate: Option<f64>,
    pub requests: u64,
    pub seconds: f64,
    pub throughput: f64,
    pub latency_ms: Latency,
    /// Latency per window of `window_seconds`, by when each request began.
    pub window_seconds: f64,
    pub windows: Vec<Window>,
    pub outcomes: BTreeMap<String, u64>,
    pub chain: ChainCount,
    pub expected_events: u64,
    /// True when the chain holds exactly the events the requests made must have produced.
    pub events_match: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

/// The requests that began in one window of the run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Window {
    pub start_seconds: f64,
    pub requests: u64,
    pub latency_ms: Latency,
}

impl Latency {
    fn of(h: &Histogram<u64>) -> Self {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Self { p50: ms(0.50), p95: ms(0.95), p99: ms(0.99), max: h.max() as f64 / 1000.0 }
    }
}

impl Report {
    pub fn new(
        scenario: Scenario,
        gate: &str,
        concurrency: usize,
        rate: Option<f64>,
        observed: &Observed,
        chain: ChainCount,
    ) -> Self {
        let window_seconds = WINDOW.as_secs_f64();
        let windows = observed
            .windows
            .iter()
            .enumerate()
            .map(|(n, h)| Window {
                start_seconds: n as f64 * window_seconds,
                requests: h.len(),
                latency_ms: Latency::of(h),
            })
            .collect();
        let seconds = observed.elapsed.as_secs_f64();
        Self {
            scenario,
            gate: gate.to_owned(),
            mode: if rate.is_some() { "open".into() } else { "closed".into() },
            concurrency,
            offered_rate: rate,
            requests: observed.requests,
            seconds,
            throughput: observed.requests as f64 / seconds.max(1e-9),
            latency_ms: Latency::of(&observed.latency_us),
            window_seconds,
            windows,
            outcomes: observed.outcomes.clone(),
            chain,
            expected_events: observed.expected_events,
            events_match: chain.events == observed.expected_events,
        }
    }

    pub fn print(&self) {
        println!(
            "{:?} ({} gate, {} loop, concurrency {}{}): {} requests in {:.1} s = {:.0} req/s",
            self.scenario,
            self.gate,
            self.mode,
            self.concurrency,
            self.offered_rate.map(|r| format!(", offered {r:.0}/s")).unwrap_or_default(),
            self.requests,
            self.seconds,
            self.throughput
        );
        let l = self.latency_ms;
        println!(
            "  latency ms: p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}",
            l.p50, l.p95, l.p99, l.max
        );
        // Only for runs of several windows, and only whole ones (the last is often short).
        let whole =
            self.windows.iter().filter(|w| w.start_seconds + self.window_seconds <= self.seconds);
        let slowest = whole.max_by(|a, b| a.latency_ms.p99.total_cmp(&b.latency_ms.p99));
        if let Some(worst) = slowest.filter(|_| self.windows.len() > 2) {
            println!(
                "  slowest {:.0} s window: from {:.0} s, p99 {:.1} ms ({} requests)",
                self.window_seconds, worst.start_seconds, worst.latency_ms.p99, worst.requests
            );
        }
        let outcomes: Vec<String> = self.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  outcomes: {}", outcomes.join(", "));
        println!(
            "  chain: {} transactions, {} events for {} expected ({})",
            self.chain.transactions,
            self.chain.events,
            self.expected_events,
            if self.events_match { "match" } else { "MISMATCH" }
        );
    }
}
