//! Per-user request quotas: each signed-in user may send
//! `CARELEDGER_USER_RATE` GraphQL requests a second on average, in bursts of
//! up to twice that (a token bucket per user, in this instance's memory).
//! Past it, a request is answered HTTP 429 `RATE_LIMITED` with
//! `Retry-After` before anything is read, checked or written — nothing was
//! asked of the contract, so there is no access decision to audit; the count
//! is in `/metrics`. One account, stolen or scripted, then holds at most its
//! share of the api and of the trail, whatever it sends. Anonymous requests
//! are bounded by the login throttle and the introspection limit instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

const SHARDS: usize = 16;
/// A shard past this many users forgets those whose bucket is full again.
const PRUNE_AT: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

#[derive(Debug)]
pub struct Quotas {
    /// Requests a second per user; `None`: no quota.
    rate: Option<f64>,
    shards: Vec<Mutex<HashMap<i64, Bucket>>>,
    refused: AtomicU64,
}

impl Quotas {
    pub fn new(rate: Option<u32>) -> Self {
        Self {
            rate: rate.map(f64::from),
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            refused: AtomicU64::new(0),
        }
    }

    /// Takes one request from `user`'s quota, or says how long until one is
    /// free (counted).
    pub fn take(&self, user: i64) -> Result<(), Duration> {
        self.take_at(user, Instant::now())
    }

    fn take_at(&self, user: i64, now: Instant) -> Result<(), Duration> {
        let Some(rate) = self.rate else { return Ok(()) };
        let burst = 2.0 * rate;
        let shard = &self.shards[user.rem_euclid(SHARDS as i64) as usize];
        let Ok(mut buckets) = shard.lock() else { return Ok(()) };
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(&user) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(user).or_insert(Bucket { tokens: burst, at: now });
        let refilled =
            bucket.tokens + now.saturating_duration_since(bucket.at).as_secs_f64() * rate;
        bucket.tokens = refilled.min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        drop(buckets);
        self.refused.fetch_add(1, Ordering::Relaxed);
        Err(Duration::from_secs_f64((1.0 - refilled) / rate))
    }

    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// What a caller past their quota is told.
pub const MESSAGE: &str = "too many requests from this account; nothing was done, please slow down";

/// A wait in whole seconds, at least one (`Retry-After`, `retryAfterSeconds`).
pub fn retry_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// The answer to a request past its user's quota, shaped like a GraphQL
/// error so clients read it as they read any other.
pub fn refused(wait: Duration) -> Response {
    let seconds = retry_seconds(wait);
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": MESSAGE,
            "extensions": { "code": careledger_vocab::ErrorCode::RateLimited.as_str(), "retryAfterSeconds": seconds },
        }],
    });
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, seconds.to_string())], axum::Json(body))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_twice_the_rate_then_the_rate() {
        let quotas = Quotas::new(Some(5));
        let start = Instant::now();
        let taken = (0..12).filter(|_| quotas.take_at(7, start).is_ok()).count();
        assert_eq!(taken, 10, "a burst of twice the rate");
        assert_eq!(quotas.refused(), 2);
        // The wait: one token at 5 a second.
        assert_eq!(quotas.take_at(7, start), Err(Duration::from_millis(200)));
        // Another user is not touched.
        assert_eq!(quotas.take_at(8, start), Ok(()));
        // Half a second later, two and a half tokens: two requests.
        let later = start + Duration::from_millis(500);
        let taken = (0..4).filter(|_| quotas.take_at(7, later).is_ok()).count();
        assert_eq!(taken, 2);
    }

    #[test]
    fn no_rate_no_quota() {
        let quotas = Quotas::new(None);
        assert!((0..10_000).all(|_| quotas.take(1).is_ok()));
        assert_eq!(quotas.refused(), 0);
    }
}
