//! The CareLedger load generator: drives the real HTTPS GraphQL API with
//! many concurrent clients and checks, on chain, that every request made
//! produced exactly its events.

pub mod chain;
pub mod client;
pub mod fixture;
pub mod load;
pub mod naive;
pub mod report;
pub mod scenario;

use std::sync::Arc;
use std::time::Duration;

/// Runs one plan and counts, on chain, what it produced.
pub async fn measure(
    probe: &chain::ChainProbe,
    shared: Arc<scenario::Shared>,
    plan: load::Plan,
    gate: &str,
) -> anyhow::Result<report::Report> {
    let before = probe.block_number().await?;
    let observed = load::run(shared, plan).await;
    // Every answer waited for its events, so they are mined; a short pause
    // lets the node's head settle.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = probe.block_number().await?;
    let chain = probe.count(before, after).await?;
    Ok(report::Report::new(plan.scenario, gate, plan.concurrency, plan.rate, &observed, chain))
}
