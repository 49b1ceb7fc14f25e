//! Chaos tests, with real processes: under a mixed read/write load over the
//! api's HTTPS endpoint, `kill -9` of the chain (Anvil, brought back by the
//! supervisor `make run` uses), of the api and of PostgreSQL (a cluster of the
//! test's own, made with initdb on a free port; the machine's server is never
//! touched). After recovery every answer is checked: each request id it named
//! is on chain once, each acknowledged write is in the database and anchored
//! with its hash, nothing is listed twice in the audit index or the auditor's
//! trail, and every error the clients saw was UNAVAILABLE.
//!
//! ```text
//! cargo test -p careledger --test chaos -- --nocapture        # figures printed
//! CHAOS_SECONDS=60 CHAOS_REPORT=$PWD/target/bench/chaos cargo test --release -p careledger --test chaos
//! ```
//! (`make bench` runs the second, longer form; docs/RELIABILITY.md has its figures.)

mod checks;
mod load;
mod ops;
mod procs;
mod report;
mod scenario;
mod stack;
mod supervisor;

use scenario::Fault;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_chain_under_load_loses_nothing() {
    scenario::run(Fault::Chain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_the_api_under_load_loses_nothing() {
    scenario::run(Fault::Api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_postgres_under_load_loses_nothing() {
    scenario::run(Fault::Postgres).await;
}
