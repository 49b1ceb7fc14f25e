//! The contract's gateways and its admin (OpenZeppelin `AccessControl`):
//! `GATEWAY_ROLE` lets an account record access decisions and changes (each
//! api server signs with one), `DEFAULT_ADMIN_ROLE` lets an account add and
//! remove gateways. Changes are signed by the admin: a connection made with
//! [`Signer::Admin`](super::Signer). Every change is a `RoleGranted` or
//! `RoleRevoked` event, which the audit index keeps (GATEWAY_ADDED,
//! GATEWAY_REMOVED, CONTRACT_ADMIN_ADDED, CONTRACT_ADMIN_REMOVED).
//!
//! For an admin that is a multisig, [`Call`] is the transaction to propose
//! instead (`careledger gateway add --calldata`).

use alloy::primitives::{keccak256, Address, Bytes, B256};
use alloy::rpc::types::Filter;
use alloy::sol_types::{SolCall, SolEvent};

use super::bindings::CareLedgerAccess;
use super::{Chain, ChainError};

/// `DEFAULT_ADMIN_ROLE`: the zero word.
pub const ADMIN_ROLE: B256 = B256::ZERO;

/// Most blocks asked for in one `eth_getLogs` (as the audit indexer).
const LOG_RANGE: u64 = 2_000;

/// `GATEWAY_ROLE`: keccak256("GATEWAY_ROLE").
pub fn gateway_role() -> B256 {
    keccak256("GATEWAY_ROLE")
}

/// Which of the contract's roles an account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles {
    pub gateway: bool,
    pub admin: bool,
}

/// The roles `account` holds on the contract at `contract`.
pub async fn roles(
    chain: &Chain,
    contract: Address,
    account: Address,
) -> Result<Roles, ChainError> {
    let access = CareLedgerAccess::new(contract, chain.provider());
    let (gateway, admin) =
        tokio::try_join!(async { access.hasRole(gateway_role(), account).call().await }, async {
            access.hasRole(ADMIN_ROLE, account).call().await
        },)
        .map_err(contract_error)?;
    Ok(Roles { gateway, admin })
}

fn contract_error(e: alloy::contract::Error) -> ChainError {
    match e {
        alloy::contract::Error::TransportError(t) => ChainError::Rpc(t),
        other => ChainError::Call(other.to_string()),
    }
}

/// A transaction for the admin to send: where, and its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub to: Address,
    pub data: Bytes,
}

impl Call {
    pub fn add_gateway(contract: Address, gateway: Address) -> Self {
        let data = CareLedgerAccess::grantRoleCall { role: gateway_role(), account: gateway };
        Self { to: contract, data: data.abi_encode().into() }
    }
    pub fn remove_gateway(contract: Address, gateway: Address) -> Self {
        let data = CareLedgerAccess::revokeRoleCall { role: gateway_role(), account: gateway };
        Self { to: contract, data: data.abi_encode().into() }
    }
    pub fn add_admin(contract: Address, admin: Address) -> Self {
        let data = CareLedgerAccess::grantRoleCall { role: ADMIN_ROLE, account: admin };
        Self { to: contract, data: data.abi_encode().into() }
    }
    /// The current admin gives up its role (it must send this itself).
    pub fn renounce_admin(contract: Address, admin: Address) -> Self {
        let data =
            CareLedgerAccess::renounceRoleCall { role: ADMIN_ROLE, callerConfirmation: admin };
        Self { to: contract, data: data.abi_encode().into() }
    }
}

/// A mined change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mined {
    pub transaction: B256,
    pub block: u64,
}

/// What a request to change the roles did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Changed(Mined),
    /// Nothing to do: the account already was (or was not) a gateway.
    Unchanged,
}

/// Why a change was refused before anything was sent, or failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(
        "CHAIN_ADMIN_KEY's account {account} is not the admin of the contract at {contract}: only \
         the admin adds and removes gateways"
    )]
    NotAdmin { account: Address, contract: Address },
    #[error(
        "{0} is the contract's admin: an admin that is also a gateway would be one key ruling \
         everything. Give the gateway a key of its own (`careledger key generate`)."
    )]
    AdminAsGateway(Address),
    #[error("the zero address cannot hold a role")]
    Zero,
    #[error("transaction {0} reverted")]
    Reverted(B256),
    #[error("sending the transaction failed: {0}")]
    Send(String),
    #[error(transparent)]
    Chain(#[from] ChainError),
}

/// Grants `GATEWAY_ROLE` to `gateway`, signed by the admin `chain` connects as.
pub async fn add(
    chain: &Chain,
    contract: Address,
    gateway: Address,
) -> Result<Outcome, GatewayError> {
    check_admin(chain, contract).await?;
    if gateway == Address::ZERO {
        return Err(GatewayError::Zero);
    }
    chain.check_not_well_known("the new gateway", gateway)?;
    let held = roles(chain, contract, gateway).await?;
    if held.admin || gateway == chain.account() {
        return Err(GatewayError::AdminAsGateway(gateway));
    }
    if held.gateway {
        return Ok(Outcome::Unchanged);
    }
    send(chain, Call::add_gateway(contract, gateway)).await.map(Outcome::Changed)
}

/// Revokes `GATEWAY_ROLE` from `gateway`, signed by the admin.
pub async fn remove(
    chain: &Chain,
    contract: Address,
    gateway: Address,
) -> Result<Outcome, GatewayError> {
    check_admin(chain, contract).await?;
    if !roles(chain, contract, gateway).await?.gateway {
        return Ok(Outcome::Unchanged);
    }
    send(chain, Call::remove_gateway(contract, gateway)).await.map(Outcome::Changed)
}

/// Hands the admin role from the account `chain` signs as to `new_admin`:
/// grants it, then renounces its own. Returns both transactions.
pub async fn transfer_admin(
    chain: &Chain,
    contract: Address,
    new_admin: Address,
) -> Result<(Mined, Mined), GatewayError> {
    check_admin(chain, contract).await?;
    if new_admin == Address::ZERO {
        return Err(GatewayError::Zero);
    }
    chain.check_not_well_known("the new admin", new_admin)?;
    if new_admin == chain.account() || roles(chain, contract, new_admin).await?.gateway {
        return Err(GatewayError::AdminAsGateway(new_admin));
    }
    let granted = send(chain, Call::add_admin(contract, new_admin)).await?;
    let renounced = send(chain, Call::renounce_admin(contract, chain.account())).await?;
    Ok((granted, renounced))
}

async fn check_admin(chain: &Chain, contract: Address) -> Result<(), GatewayError> {
    if !roles(chain, contract, chain.account()).await?.admin {
        return Err(GatewayError::NotAdmin { account: chain.account(), contract });
    }
    chain.check_funds().await?;
    Ok(())
}

async fn send(chain: &Chain, call: Call) -> Result<Mined, GatewayError> {
    use alloy::providers::Provider;
    let request =
        alloy::rpc::types::TransactionRequest::default().to(call.to).input(call.data.into());
    let receipt = chain
        .provider()
        .send_transaction(request)
        .await
        .map_err(|e| GatewayError::Send(e.to_string()))?
        .get_receipt()
        .await
        .map_err(|e| GatewayError::Send(e.to_string()))?;
    if !receipt.status() {
        return Err(GatewayError::Reverted(receipt.transaction_hash));
    }
    Ok(Mined {
        transaction: receipt.transaction_hash,
        block: receipt.block_number.unwrap_or_default(),
    })
}

/// The accounts holding `role` now, from the contract's `RoleGranted` and
/// `RoleRevoked` events since `from_block` (the deployment block), each
/// confirmed with `hasRole`. In the order they were first granted.
pub async fn members(
    chain: &Chain,
    contract: Address,
    role: B256,
    from_block: u64,
) -> Result<Vec<Address>, ChainError> {
    use alloy::providers::Provider;
    let head = chain.block_number().await?;
    let mut seen: Vec<Address> = Vec::new();
    let mut start = from_block;
    while start <= head {
        let end = head.min(start + LOG_RANGE - 1);
        let filter = Filter::new()
            .address(contract)
            .event_signature(vec![
                CareLedgerAccess::RoleGranted::SIGNATURE_HASH,
                CareLedgerAccess::RoleRevoked::SIGNATURE_HASH,
            ])
            .topic1(role)
            .from_block(start)
            .to_block(end);
        for log in chain.provider().get_logs(&filter).await? {
            // The account is the second indexed topic of both events.
            if let Some(word) = log.topics().get(2) {
                let account = Address::from_word(*word);
                if !seen.contains(&account) {
                    seen.push(account);
                }
            }
        }
        start = end + 1;
    }
    let access = CareLedgerAccess::new(contract, chain.provider());
    let mut members = Vec::new();
    for account in seen {
        if access.hasRole(role, account).call().await.map_err(contract_error)? {
            members.push(account);
        }
    }
    Ok(members)
}
