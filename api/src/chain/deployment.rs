//! The access contract's deployment: made once, recorded in the database,
//! reused on every later start. A chain that lost the contract (a fresh chain,
//! another chain id) is reported, never silently redeployed over: the audit
//! trail recorded there would be orphaned.
//!
//! The gateway signs the deployment (it pays the gas) and names the admin, a
//! different account (`CHAIN_ADMIN_ADDRESS`, or `CHAIN_ADMIN_KEY`'s): the
//! constructor gives the admin `DEFAULT_ADMIN_ROLE` and the gateway
//! `GATEWAY_ROLE`, and the deployer itself keeps nothing. So the api never
//! needs the admin's key, which can stay offline (or be a multisig).

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
    #[error(
        "this database has no access contract on chain {chain_id} yet, so this first start deploys one \
         and needs its admin: the account that adds and removes gateways, which must not be the \
         gateway. Set CHAIN_ADMIN_ADDRESS (e.g. a multisig's address), or CHAIN_ADMIN_KEY (its address \
         is used; keep the key offline afterwards). `make run` generates one in .data/keys/."
    )]
    NoAdmin { chain_id: u64 },
    #[error(
        "the contract's admin must be another account than the gateway ({0}): one key would rule \
         everything. Give CHAIN_ADMIN_ADDRESS or CHAIN_ADMIN_KEY an account of its own."
    )]
    AdminIsGateway(Address),
    #[error(
        "CHAIN_GATEWAY_KEY's account {gateway} is not a gateway of the contract at {contract}, so the \
         contract would refuse everything this api sends. The contract's admin adds it with \
         `careledger gateway add {gateway}` (README, \"Rotating the gateway key\")."
    )]
    NotAGateway { gateway: Address, contract: Address },
    #[error(
        "CHAIN_GATEWAY_KEY's account {gateway} is also the admin of the contract at {contract} (a \
         deployment made before the keys were separated): whoever holds the api's key could add \
         gateways. Hand the admin role to an account of its own with `CHAIN_ADMIN_KEY=<the gateway \
         key> careledger contract-admin transfer <new admin address>`, or, for a development system, \
         start anew with `make reset`."
    )]
    GatewayIsAdmin { gateway: Address, contract: Address },
    #[error("deploying the access contract failed: {0}")]
    Deploy(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("reading or writing the deployment record failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// Returns the recorded deployment after checking the contract is still on
/// chain, or deploys the contract with `admin` as its admin and records it
/// when this database has none.
pub async fn ensure(
    pool: &PgPool,
    chain: &Chain,
    admin: Option<Address>,
) -> Result<Deployment, DeploymentError> {
    if let Some(deployment) = recorded(pool, chain).await? {
        return Ok(deployment);
    }
    let chain_id = chain.chain_id().await?;
    let chain_id_db = i64::try_from(chain_id)
        .map_err(|_| DeploymentError::Deploy(format!("chain id {chain_id} out of range")))?;
    let admin = admin.ok_or(DeploymentError::NoAdmin { chain_id })?;
    deploy(pool, chain, chain_id_db, admin).await
}

/// The deployment this database recorded for the connected chain, after
/// checking the contract is still there and is the one this build speaks;
/// `None` when this database recorded none at all.
pub async fn recorded(pool: &PgPool, chain: &Chain) -> Result<Option<Deployment>, DeploymentError> {
    let chain_id = chain.chain_id().await?;
    let recorded = all_recorded(pool).await?;
    let Some((deployment, recorded_hash)) = recorded.iter().find(|(d, _)| d.chain_id == chain_id)
    else {
        if recorded.is_empty() {
            return Ok(None);
        }
        return Err(DeploymentError::OtherChain {
            url: chain.rpc_url().to_owned(),
            found: chain_id,
            recorded: recorded.iter().map(|(d, _)| d.chain_id as i64).collect(),
        });
    };
    let code = chain.provider().get_code_at(deployment.address).await.map_err(ChainError::from)?;
    if code.is_empty() {
        return Err(DeploymentError::ContractMissing {
            url: chain.rpc_url().to_owned(),
            chain_id,
            address: deployment.address,
            block: deployment.block,
        });
    }
    let found = keccak256(&code);
    if found != *recorded_hash {
        return Err(DeploymentError::CodeChanged {
            chain_id,
            address: deployment.address,
            found,
            recorded: *recorded_hash,
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
    Ok(Some(deployment.clone()))
}

/// Every deployment this database recorded (one per chain id) with the code
/// hash recorded for it, read without asking the chain.
pub async fn all_recorded(pool: &PgPool) -> Result<Vec<(Deployment, B256)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT chain_id, contract_address, deploy_block, deploy_tx, code_hash FROM chain_deployment"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let deployment = Deployment {
                chain_id: u64::try_from(row.chain_id).unwrap_or_default(),
                address: Address::from_slice(&row.contract_address),
                block: u64::try_from(row.deploy_block).unwrap_or_default(),
                transaction: B256::from_slice(&row.deploy_tx),
            };
            (deployment, B256::from_slice(&row.code_hash))
        })
        .collect())
}

/// Checks the api's key is a gateway of the contract, and not its admin.
pub async fn check_gateway(chain: &Chain, deployment: &Deployment) -> Result<(), DeploymentError> {
    let gateway = chain.gateway();
    let roles = super::gateways::roles(chain, deployment.address, gateway).await?;
    if roles.admin {
        return Err(DeploymentError::GatewayIsAdmin { gateway, contract: deployment.address });
    }
    if !roles.gateway {
        return Err(DeploymentError::NotAGateway { gateway, contract: deployment.address });
    }
    Ok(())
}

async fn deploy(
    pool: &PgPool,
    chain: &Chain,
    chain_id: i64,
    admin: Address,
) -> Result<Deployment, DeploymentError> {
    let gateway = chain.gateway();
    if admin == gateway {
        return Err(DeploymentError::AdminIsGateway(gateway));
    }
    chain.check_not_well_known("CHAIN_ADMIN_ADDRESS", admin)?;
    let receipt = CareLedgerAccess::deploy_builder(chain.provider(), admin, gateway)
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
    tracing::info!(%address, block, chain_id, %admin, %gateway, "deployed the access contract");
    Ok(deployment)
}
