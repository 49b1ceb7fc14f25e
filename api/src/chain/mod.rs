//! The chain: a connection to an Ethereum JSON-RPC node, the access contract's
//! bindings, and its deployment. This module knows contracts and
//! transactions, nothing of users or records.

pub mod bindings;
pub mod deployment;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::signers::local::PrivateKeySigner;
use secrecy::{ExposeSecret, SecretString};

/// Why the chain cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("CHAIN_GATEWAY_KEY is not a valid secp256k1 private key")]
    BadKey,
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
}

/// A signing connection to the chain, as the api's gateway account.
#[derive(Clone)]
pub struct Chain {
    provider: DynProvider,
    wallet: EthereumWallet,
    gateway: Address,
    rpc_url: String,
}

impl std::fmt::Debug for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chain")
            .field("gateway", &self.gateway)
            .field("rpc_url", &self.rpc_url)
            .finish()
    }
}

impl Chain {
    /// Connects to `rpc_url`, signing with the gateway key, and checks the
    /// node answers.
    pub async fn connect(rpc_url: &str, gateway_key: &SecretString) -> Result<Self, ChainError> {
        let signer: PrivateKeySigner =
            gateway_key.expose_secret().parse().map_err(|_| ChainError::BadKey)?;
        let gateway = signer.address();
        let url = rpc_url.parse().map_err(|_| ChainError::BadUrl(rpc_url.to_owned()))?;
        let wallet = EthereumWallet::from(signer);
        let provider = ProviderBuilder::new().wallet(wallet.clone()).connect_http(url).erased();
        provider
            .get_chain_id()
            .await
            .map_err(|source| ChainError::Unreachable { url: rpc_url.to_owned(), source })?;
        Ok(Self { provider, wallet, gateway, rpc_url: rpc_url.to_owned() })
    }

    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The gateway's signing wallet.
    pub fn wallet(&self) -> &EthereumWallet {
        &self.wallet
    }

    /// The gateway account that signs every transaction of this api.
    pub fn gateway(&self) -> Address {
        self.gateway
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
}
