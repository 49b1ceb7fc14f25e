//! Introspection is a feature (GraphiQL needs it) but a costly one to answer
//! over and over, so anonymous callers get a per-address token bucket:
//! [`BURST`] introspection requests at once, then one every
//! [`REFILL_EVERY`]. Past that, the request is refused with RATE_LIMITED
//! (and `extensions.retryAfterSeconds`). Signed-in callers are not limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Variables};

use super::session::Session;

/// Introspection requests an anonymous address may make at once.
pub const BURST: f64 = 10.0;
/// How long it takes to earn one more.
pub const REFILL_EVERY: Duration = Duration::from_secs(6);
/// Most addresses tracked; the fullest buckets are dropped beyond this.
const MAX_TRACKED: usize = 10_000;

/// Token buckets per client address.
#[derive(Debug, Default)]
pub struct Buckets {
    buckets: Mutex<HashMap<Option<IpAddr>, (f64, Instant)>>,
}

impl Buckets {
    /// Takes one token for `address` at `now`; `Err(wait)` when there is none.
    pub fn take(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Duration> {
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&address) {
            let refill = REFILL_EVERY.as_secs_f64();
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() / refill < BURST
            });
        }
        let (tokens, at) = buckets.entry(address).or_insert((BURST, now));
        let earned = now.saturating_duration_since(*at).as_secs_f64() / REFILL_EVERY.as_secs_f64();
        *tokens = (*tokens + earned).min(BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(REFILL_EVERY.mul_f64(1.0 - *tokens))
        }
    }
}

/// The schema extension that applies the buckets.
#[derive(Debug, Default, Clone)]
pub struct IntrospectionLimit {
    buckets: Arc<Buckets>,
}

impl ExtensionFactory for IntrospectionLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for IntrospectionLimit {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let Some(session) = ctx.data_opt::<Arc<Session>>() else { return Ok(document) };
        if session.caller().is_ok() || !introspects(&document) {
            return Ok(document);
        }
        match self.buckets.take(session.address, Instant::now()) {
            Ok(()) => Ok(document),
            Err(wait) => {
                let mut error = ServerError::new(
                    "too many introspection requests from this address: sign in, or try again shortly",
                    None,
                );
                let mut extensions = async_graphql::ErrorExtensionValues::default();
                extensions.set("code", careledger_vocab::ErrorCode::RateLimited.as_str());
                extensions.set("retryAfterSeconds", wait.as_secs().max(1));
                error.extensions = Some(extensions);
                Err(error)
            }
        }
    }
}

/// Whether any operation asks for `__schema` or `__type` (at any depth, also
/// through fragments).
fn introspects(document: &ExecutableDocument) -> bool {
    let in_fragments =
        document.fragments.values().any(|f| set_introspects(&f.node.selection_set.node, 0));
    in_fragments
        || document.operations.iter().any(|(_, op)| set_introspects(&op.node.selection_set.node, 0))
}

fn set_introspects(set: &SelectionSet, depth: usize) -> bool {
    if depth > 64 {
        return true;
    }
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => {
            let name = field.node.name.node.as_str();
            name == "__schema"
                || name == "__type"
                || set_introspects(&field.node.selection_set.node, depth + 1)
        }
        Selection::InlineFragment(inline) => {
            set_introspects(&inline.node.selection_set.node, depth + 1)
        }
        Selection::FragmentSpread(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_refills_one_per_interval() {
        let buckets = Buckets::default();
        let start = Instant::now();
        let me: Option<IpAddr> = Some("10.0.0.1".parse().expect("ip"));
        for _ in 0..10 {
            assert_eq!(buckets.take(me, start), Ok(()));
        }
        assert_eq!(buckets.take(me, start), Err(REFILL_EVERY));
        // Another address has its own bucket.
        assert_eq!(buckets.take(Some("10.0.0.2".parse().expect("ip")), start), Ok(()));
        assert_eq!(buckets.take(me, start + REFILL_EVERY), Ok(()));
        assert!(buckets.take(me, start + REFILL_EVERY).is_err());
    }
}
