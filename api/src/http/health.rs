//! `/healthz`: is the database reachable, is the chain reachable, and where
//! the contract lives. 200 when everything is up, 503 otherwise.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;

use crate::app::AppState;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
    pub database: Component,
    pub chain: ChainHealth,
    pub audit: AuditHealth,
}

/// How far the audit index is behind the chain.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuditHealth {
    /// The last block whose events are indexed.
    pub last_indexed_block: u64,
    /// Chain head minus the last indexed block (when the chain answered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<u64>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Component {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ChainHealth {
    pub ok: bool,
    pub chain_id: u64,
    pub contract: String,
    pub deploy_block: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block_number: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

pub async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let health = check(&state).await;
    let code = if health.status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(health))
}

/// Probes the database and the chain.
pub async fn check(state: &AppState) -> Health {
    let (db, block) = tokio::join!(
        sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(&state.pool),
        state.chain.block_number()
    );
    let database = match db {
        Ok(_) => Component { ok: true, error: None },
        Err(e) => {
            tracing::warn!(error = %e, "health: database unreachable");
            Component { ok: false, error: Some("database unreachable".into()) }
        }
    };
    let (block_number, chain_error) = match block {
        Ok(n) => (Some(n), None),
        Err(e) => {
            tracing::warn!(error = %e, "health: chain unreachable");
            (None, Some("chain unreachable".to_owned()))
        }
    };
    let chain = ChainHealth {
        ok: block_number.is_some(),
        chain_id: state.deployment.chain_id,
        contract: state.deployment.address.to_string(),
        deploy_block: state.deployment.block,
        block_number,
        error: chain_error,
    };
    let last_indexed_block = state.audit.status().last_indexed();
    let audit = AuditHealth {
        last_indexed_block,
        lag: chain.block_number.map(|head| head.saturating_sub(last_indexed_block)),
    };
    let status = if database.ok && chain.ok { "ok" } else { "degraded" };
    Health { status, version: env!("CARGO_PKG_VERSION"), database, chain, audit }
}
