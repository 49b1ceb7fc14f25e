//! The chain: a connection to an Ethereum JSON-RPC node, the access contract's
//! bindings, and its deployment. This module knows contracts and
//! transactions, nothing of users or records.

pub mod bindings;
pub mod deployment;
pub mod gateways;
pub mod well_known;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, Log};
use alloy::signers::local::PrivateKeySigner;
use secrecy::{ExposeSecret, SecretString};

/// Which configured key a connection signs with: the api's gateway key, or
/// the contract admin's (only `careledger gateway` and `careledger
/// contract-admin` use it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signer {
    Gateway,
    Admin,
}

impl Signer {
    /// The variable that holds the key.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Gateway => "CHAIN_GATEWAY_KEY",
            Self::Admin => "CHAIN_ADMIN_KEY",
        }
    }
}

/// Why the chain cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("{0} is not a valid secp256k1 private key")]
    BadKey(&'static str),
    #[error(transparent)]
    WellKnownKey(#[from] well_known::WellKnownAccount),
    #[error(
        "{variable}'s account {account} holds no ether on the chain at {url}, which charges for gas: \
         fund it (the local chain `make run` starts is funded for you), or run the chain with a zero \
         gas price, as a private Besu network usually does"
    )]
    Unfunded { variable: &'static str, account: Address, url: String },
    #[error("CHAIN_RPC_URL `{0}` is not a valid URL")]
    BadUrl(String),
    #[error("the chain at {url} does not answer: {source}")]
    Unreachable {
        url: String,
        #[source]
        source: alloy::transports::TransportError,
    },
    #[error("chain request failed: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    #[error("calling the contract failed: {0}")]
    Call(String),
    #[error("the chain no longer holds block {0} (it reorganised or lost blocks)")]
    BlockGone(alloy::primitives::B256),
}

/// A signing connection to the chain: as the api's gateway account, or (for
/// the administrative commands) as the contract's admin.
#[derive(Clone)]
pub struct Chain {
    provider: DynProvider,
    wallet: EthereumWallet,
    account: Address,
    signer: Signer,
    chain_id: u64,
    rpc_url: String,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("account", &self.account)
            .field("signer", &self.signer)
            .field("rpc_url", &self.rpc_url)
            .finish()
    }
}

impl Chain {
    /// Connects to `rpc_url`, signing with the gateway key, and checks the
    /// node answers. A well-known development key is refused unless the
    /// chain is a local development chain ([`well_known`]).
    pub async fn connect(rpc_url: &str, gateway_key: &SecretString) -> Result<Self, ChainError> {
        Self::connect_as(rpc_url, gateway_key, Signer::Gateway).await
    }

    /// Connects signing with `key`, the one `signer` names.
    pub async fn connect_as(
        rpc_url: &str,
        key: &SecretString,
        signer: Signer,
    ) -> Result<Self, ChainError> {
        let local: PrivateKeySigner =
            key.expose_secret().parse().map_err(|_| ChainError::BadKey(signer.variable()))?;
        let account = local.address();
        let url = rpc_url.parse().map_err(|_| ChainError::BadUrl(rpc_url.to_owned()))?;
        let wallet = EthereumWallet::from(local);
        let provider = ProviderBuilder::new().wallet(wallet.clone()).connect_http(url).erased();
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(|source| ChainError::Unreachable { url: rpc_url.to_owned(), source })?;
        well_known::check(signer.variable(), account, rpc_url, chain_id)?;
        Ok(Self { provider, wallet, account, signer, chain_id, rpc_url: rpc_url.to_owned() })
    }

    /// Refuses to go on when the signing account cannot pay for gas: no
    /// ether, on a chain whose gas price is not zero.
    pub async fn check_funds(&self) -> Result<(), ChainError> {
        let (balance, gas_price) = tokio::try_join!(
            self.provider.get_balance(self.account),
            self.provider.get_gas_price()
        )?;
        if balance.is_zero() && gas_price > 0 {
            return Err(ChainError::Unfunded {
                variable: self.signer.variable(),
                account: self.account,
                url: self.rpc_url.clone(),
            });
        }
        Ok(())
    }

    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The gateway's signing wallet.
    pub fn wallet(&self) -> &EthereumWallet {
        &self.wallet
    }

    /// The account that signs: for the api, the gateway that signs every
    /// transaction it sends.
    pub fn gateway(&self) -> Address {
        self.account
    }

    /// The account that signs (the gateway's, or the admin's).
    pub fn account(&self) -> Address {
        self.account
    }

    /// Which configured key signs.
    pub fn signer(&self) -> Signer {
        self.signer
    }

    /// Whether this is a local development chain (loopback, development
    /// chain id), where the well-known development accounts are accepted.
    pub fn is_local_dev_chain(&self) -> bool {
        well_known::is_local_dev_chain(&self.rpc_url, self.chain_id)
    }

    /// Refuses `address` as `what` when it is a well-known development
    /// account and this is not a local development chain.
    pub fn check_not_well_known(
        &self,
        what: &'static str,
        address: Address,
    ) -> Result<(), ChainError> {
        Ok(well_known::check(what, address, &self.rpc_url, self.chain_id)?)
    }

    pub fn rpc_url(&self) -> &str {
        &self.rpc_url
    }

    pub async fn chain_id(&self) -> Result<u64, ChainError> {
        Ok(self.provider.get_chain_id().await?)
    }

    pub async fn block_number(&self) -> Result<u64, ChainError> {
        Ok(self.provider.get_block_number().await?)
    }

    /// The logs `filter` selects (`eth_getLogs`). An event that carries no
    /// time of its own (AccessControl's `RoleGranted` and `RoleRevoked`) gets
    /// its block's timestamp when the node left `blockTimestamp` out (Ganache
    /// does), read once per block by the block's hash.
    pub async fn logs(&self, filter: &Filter) -> Result<Vec<Log>, ChainError> {
        use alloy::sol_types::SolEvent;
        let mut logs = self.provider.get_logs(filter).await?;
        let untimed = |log: &Log| {
            log.block_timestamp.is_none()
                && log.topics().first().is_some_and(|t| {
                    *t == bindings::CareLedgerAccess::RoleGranted::SIGNATURE_HASH
                        || *t == bindings::CareLedgerAccess::RoleRevoked::SIGNATURE_HASH
                })
        };
        let mut times = std::collections::HashMap::new();
        for log in logs.iter_mut().filter(|l| untimed(l)) {
            let Some(hash) = log.block_hash else { continue };
            let time = match times.get(&hash) {
                Some(&time) => time,
                None => {
                    let block = self
                        .provider
                        .get_block_by_hash(hash)
                        .await?
                        .ok_or(ChainError::BlockGone(hash))?;
                    times.insert(hash, block.header.timestamp);
                    block.header.timestamp
                }
            };
            log.block_timestamp = Some(time);
        }
        Ok(logs)
    }
}
