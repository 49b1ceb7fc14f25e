//! System status through GraphQL: the same facts as `/healthz`.

use async_graphql::{Context, Object, SimpleObject};

use super::context;
use super::error::ApiError;

#[derive(Default)]
pub struct SystemQuery;

/// Whether the api's database and chain are reachable, and where the contract lives.
#[derive(SimpleObject)]
pub struct SystemStatus {
    /// `ok` when the database and the chain both answer, else `degraded`.
    pub status: String,
    pub version: String,
    pub database_ok: bool,
    pub chain_ok: bool,
    pub chain_id: String,
    /// Address of the access contract.
    pub contract: String,
    pub block_number: Option<String>,
    /// The last block whose events are in the audit index.
    pub audit_indexed_block: String,
    /// How many blocks the audit index is behind the chain head.
    pub audit_lag: Option<String>,
}

#[Object]
impl SystemQuery {
    /// The api's health: database, chain, contract address. Needs no login.
    async fn system_status(&self, ctx: &Context<'_>) -> Result<SystemStatus, ApiError> {
        let state = context::state(ctx)?;
        let h = crate::http::health::check(state).await;
        Ok(SystemStatus {
            status: h.status.to_owned(),
            version: h.version.to_owned(),
            database_ok: h.database.ok,
            chain_ok: h.chain.ok,
            chain_id: h.chain.chain_id.to_string(),
            contract: h.chain.contract,
            block_number: h.chain.block_number.map(|n| n.to_string()),
            audit_indexed_block: h.audit.last_indexed_block.to_string(),
            audit_lag: h.audit.lag.map(|n| n.to_string()),
        })
    }
}
