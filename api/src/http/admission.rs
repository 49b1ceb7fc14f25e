//! A bound on GraphQL requests in progress. Past it, a request is answered at
//! once with HTTP 503 and `OVERLOADED` (with `Retry-After`) before anything is
//! read, checked or written, so an api offered more than it can serve keeps
//! its latency and memory bounded instead of queueing without end. Nothing
//! was asked of the contract for such a request, so there is no access
//! decision to audit; the count is in `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Seconds a refused client is asked to wait before trying again.
pub const RETRY_AFTER_SECONDS: u64 = 1;

#[derive(Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    max: usize,
    refused: AtomicU64,
}

impl Admission {
    pub fn new(max: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(max)), max, refused: AtomicU64::new(0) }
    }

    /// A place for one request, held until it is dropped; `None` when all
    /// are taken (counted).
    pub fn enter(&self) -> Option<OwnedSemaphorePermit> {
        let permit = self.permits.clone().try_acquire_owned().ok();
        if permit.is_none() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        permit
    }

    pub fn max(&self) -> usize {
        self.max
    }

    pub fn in_progress(&self) -> usize {
        self.max - self.permits.available_permits()
    }

    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// The answer to a request refused at the door: shaped like a GraphQL error
/// so clients read it as they read any other.
pub fn overloaded() -> Response {
    let body = serde_json::json!({
        "data": null,
        "errors": [{
            "message": "the service is at capacity; nothing was done, please retry",
            "extensions": { "code": careledger_vocab::ErrorCode::Overloaded.as_str(), "retryAfterSeconds": RETRY_AFTER_SECONDS },
        }],
    });
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string())],
        axum::Json(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_bounded_counted_and_given_back() {
        let admission = Admission::new(2);
        let first = admission.enter().expect("first");
        let _second = admission.enter().expect("second");
        assert_eq!(admission.in_progress(), 2);
        assert!(admission.enter().is_none());
        assert_eq!(admission.refused(), 1);
        drop(first);
        assert_eq!(admission.in_progress(), 1);
        assert!(admission.enter().is_some());
        assert_eq!(admission.refused(), 1);
    }
}
