//! The access contract's deployment: made once, recorded in the database,
//! reused on every later start. A chain that lost the contract (a fresh chain,
//! another chain id) is reported, never silently redeployed over: the audit
//! trail recorded there would be orphaned.

use alloy::primitives::{keccak256, Address, B256};
use alloy::providers::Provider;
use sqlx::PgPool;

use super::bindings::CareLedgerAccess;
use super::{Chain, ChainError};

/// Where the contract lives on the connected chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    pub chain_id: u64,
    pub address: Address,
    pub block: u64,
    pub transaction: B256,
}

#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    #[error(
        "the chain at {url} (chain id {chain_id}) has no CareLedger contract at {address}, where this \
         database recorded deploying it in block {block}. The chain's audit trail is gone, or this is a \
         different chain. Restore the chain's data (the local chain keeps it in .data/anvil or .data/ganache), \
         or start a new, empty system with `make reset` (this deletes the database and the chain state)."
    )]
    ContractMissing { url: String, chain_id: u64, address: Address, block: u64 },
    #[error(
        "the code at {address} on chain {chain_id} is not the contract this database deployed there \
         (code hash {found}, recorded {recorded}); refusing to use it"
    )]
    CodeChanged { chain_id: u64, address: Address, found: B256, recorded: B256 },
    #[error(
        "the contract at {address} on chain {chain_id} is an older version than this api speaks \
         (its code hash {found}; this build's contract {built}). The api cannot use it, and never \
         deploys a new contract over an existing audit trail. For a development system, start anew \
         with `make reset` (this deletes the database and the chain state); otherwise run the api \
         version that deployed it."
    )]
    Outdated { chain_id: u64, address: Address, found: B256, built: B256 },
    #[error(
        "this database's audit trail is on chain id(s) {recorded:?}, but the node at {url} is chain id \
         {found}. Point CHAIN_RPC_URL at the original chain, or use a separate database for this chain."
    )]
    OtherChain { url: String, found: u64, recorded: Vec<i64> },
    #[error("deploying the access contract failed: {0}")]
    Deploy(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("reading or writing the deployment record failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Returns the recorded deployment after checking the contract is still on
/// chain, or deploys the contract and records it when this database has none.
pub async fn ensure(pool: &PgPool, chain: &Chain) -> Result<Deployment, DeploymentError> {
    let chain_id = chain.chain_id().await?;
    let chain_id_db = i64::try_from(chain_id)
        .map_err(|_| DeploymentError::Deploy(format!("chain id {chain_id} out of range")))?;
    let recorded = sqlx::query!(
        "SELECT chain_id, contract_address, deploy_block, deploy_tx, code_hash FROM chain_deployment"
    )
    .fetch_all(pool)
    .await?;
    if let Some(row) = recorded.iter().find(|r| r.chain_id == chain_id_db) {
        let deployment = Deployment {
            chain_id,
            address: Address::from_slice(&row.contract_address),
            block: u64::try_from(row.deploy_block).unwrap_or_default(),
            transaction: B256::from_slice(&row.deploy_tx),
        };
        let code =
            chain.provider().get_code_at(deployment.address).await.map_err(ChainError::from)?;
        if code.is_empty() {
            return Err(DeploymentError::ContractMissing {
                url: chain.rpc_url().to_owned(),
                chain_id,
                address: deployment.address,
                block: deployment.block,
            });
        }
        let found = keccak256(&code);
        let recorded_hash = B256::from_slice(&row.code_hash);
        if found != recorded_hash {
            return Err(DeploymentError::CodeChanged {
                chain_id,
                address: deployment.address,
                found,
                recorded: recorded_hash,
            });
        }
        let built = keccak256(&CareLedgerAccess::DEPLOYED_BYTECODE);
        if found != built {
            return Err(DeploymentError::Outdated {
                chain_id,
                address: deployment.address,
                found,
                built,
            });
        }
        return Ok(deployment);
    }
    if !recorded.is_empty() {
        return Err(DeploymentError::OtherChain {
            url: chain.rpc_url().to_owned(),
            found: chain_id,
            recorded: recorded.iter().map(|r| r.chain_id).collect(),
        });
    }
    deploy(pool, chain, chain_id_db).await
}

async fn deploy(
    pool: &PgPool,
    chain: &Chain,
    chain_id: i64,
) -> Result<Deployment, DeploymentError> {
    let gateway = chain.gateway();
    let receipt = CareLedgerAccess::deploy_builder(chain.provider(), gateway, gateway)
        .send()
        .await
        .map_err(|e| DeploymentError::Deploy(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| DeploymentError::Deploy(e.to_string()))?;
    if !receipt.status() {
        return Err(DeploymentError::Deploy(format!(
            "transaction {} reverted",
            receipt.transaction_hash
        )));
    }
    let address = receipt
        .contract_address
        .ok_or_else(|| DeploymentError::Deploy("the receipt names no contract address".into()))?;
    let block = receipt.block_number.unwrap_or_default();
    let code = chain.provider().get_code_at(address).await.map_err(ChainError::from)?;
    let code_hash = keccak256(&code);
    let deployment = Deployment {
        chain_id: chain_id as u64,
        address,
        block,
        transaction: receipt.transaction_hash,
    };
    sqlx::query!(
        "INSERT INTO chain_deployment (chain_id, contract_address, deploy_block, deploy_tx, code_hash)
         VALUES ($1, $2, $3, $4, $5)",
        chain_id,
        address.as_slice(),
        i64::try_from(block).unwrap_or(i64::MAX),
        receipt.transaction_hash.as_slice(),
        code_hash.as_slice(),
    )
    .execute(pool)
    .await?;
    tracing::info!(%address, block, chain_id, "deployed the access contract");
    Ok(deployment)
}
