//! The administrative commands' side of the audit trail: connect without
//! starting the api, catch the index up, verify everything, export.

use anyhow::Context as _;
use sqlx::PgPool;

use super::indexer::Indexer;
use crate::chain::deployment::{self, Deployment};
use crate::chain::Chain;
use crate::config::Config;

/// The database, the deployment and an indexer, as the CLI needs them.
#[derive(Debug)]
pub struct Offline {
    pub pool: PgPool,
    pub chain: Chain,
    pub deployment: Deployment,
    pub indexer: Indexer,
}

/// Connects to the database (migrating it) and the chain; checks the contract.
pub async fn connect(config: &Config) -> anyhow::Result<Offline> {
    let pool = crate::app::database(config).await?;
    let key =
        config.gateway_key.as_ref().context("CHAIN_GATEWAY_KEY: required to reach the chain")?;
    let chain = Chain::connect(&config.chain_rpc_url, key).await?;
    let deployment = deployment::ensure(&pool, &chain, config.admin_address).await?;
    let indexer = Indexer::new(pool.clone(), chain.clone(), &deployment);
    Ok(Offline { pool, chain, deployment, indexer })
}
