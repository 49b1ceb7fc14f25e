//! The development chains' well-known accounts. Their private keys are
//! published (Anvil, Hardhat and Ganache print them at start), so anyone can
//! sign as them: on a chain that matters, a gateway or contract admin holding
//! one would let anybody write the audit trail or add gateways.
//!
//! The api accepts one only on a local development chain: reached over
//! loopback (`127.0.0.0/8`, `::1` or `localhost`) *and* with a development
//! chain id (31337: Anvil, Hardhat; 1337: Ganache, `geth --dev`). Only
//! addresses are listed here, never the keys.

use alloy::primitives::{address, Address};

/// Anvil's (and Hardhat's) accounts 0–9: the mnemonic "test test test test
/// test test test test test test test junk", `m/44'/60'/0'/0/i`. `make run`
/// starts Ganache with the same mnemonic, so its accounts are these too.
pub const ANVIL: [Address; 10] = [
    address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
    address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
    address!("90F79bf6EB2c4f870365E785982E1f101E93b906"),
    address!("15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
    address!("9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
    address!("976EA74026E726554dB657fA54763abd0C3a0aa9"),
    address!("14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
    address!("23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
    address!("a0Ee7A142d267C1f36714E4a8F75612F20a79720"),
];

/// Ganache's accounts 0–9 when started with `--wallet.deterministic` (`-d`):
/// the mnemonic "myth like bonus scare over problem client lizard pioneer
/// submit female collect".
pub const GANACHE_DETERMINISTIC: [Address; 10] = [
    address!("90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"),
    address!("FFcf8FDEE72ac11b5c542428B35EEF5769C409f0"),
    address!("22d491Bde2303f2f43325b2108D26f1eAbA1e32b"),
    address!("E11BA2b4D45Eaed5996Cd0823791E0C93114882d"),
    address!("d03ea8624C8C5987235048901fB614fDcA89b117"),
    address!("95cED938F7991cd0dFcb48F0a06a40FA1aF46EBC"),
    address!("3E5e9111Ae8eB78Fe1CC3bb8915d5D461F3Ef9A9"),
    address!("28a8746e75304c0780E011BEd21C72cD78cd535E"),
    address!("ACa94ef8bD5ffEE41947b4585a84BdA5a3d3DA6E"),
    address!("1dF62f291b2E969fB0849d99D9Ce41e2F137006e"),
];

/// Chain ids of local development chains: Anvil's and Hardhat's default,
/// and Ganache's (as `make run` starts it) and `geth --dev`'s.
pub const DEV_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// One of the well-known development accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WellKnown {
    /// Anvil's (and Hardhat's) account `#n`.
    Anvil(usize),
    /// Ganache's deterministic account `#n`.
    Ganache(usize),
}

impl std::fmt::Display for WellKnown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Anvil(n) => write!(f, "Anvil's (and Hardhat's) development account #{n}"),
            Self::Ganache(n) => write!(f, "Ganache's deterministic development account #{n}"),
        }
    }
}

/// Which well-known development account `address` is, if it is one.
pub fn well_known(address: Address) -> Option<WellKnown> {
    if let Some(n) = ANVIL.iter().position(|a| *a == address) {
        return Some(WellKnown::Anvil(n));
    }
    GANACHE_DETERMINISTIC.iter().position(|a| *a == address).map(WellKnown::Ganache)
}

/// Whether the JSON-RPC endpoint is on this machine: a loopback address, or
/// the name `localhost` (which always means loopback, RFC 6761).
pub fn is_loopback(rpc_url: &str) -> bool {
    let Ok(url) = rpc_url.parse::<alloy::transports::http::reqwest::Url>() else { return false };
    let Some(host) = url.host_str() else { return false };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A local development chain: on loopback and with a development chain id.
pub fn is_local_dev_chain(rpc_url: &str, chain_id: u64) -> bool {
    is_loopback(rpc_url) && DEV_CHAIN_IDS.contains(&chain_id)
}

/// A well-known development account offered where it is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{what} is {account} ({address}), whose private key is published: anyone could sign as it. \
     It is accepted only on a local development chain (CHAIN_RPC_URL on loopback and chain id \
     31337 or 1337), and this chain is {url} with chain id {chain_id}. Generate a key of your own \
     with `careledger key generate` (README, \"Chain keys\")."
)]
pub struct WellKnownAccount {
    /// What was offered: "CHAIN_GATEWAY_KEY", "CHAIN_ADMIN_ADDRESS", "the new gateway"…
    pub what: &'static str,
    pub account: WellKnown,
    pub address: Address,
    pub url: String,
    pub chain_id: u64,
}

/// Refuses `address` as `what` when it is a well-known development account
/// and the chain is not a local development chain.
pub fn check(
    what: &'static str,
    address: Address,
    rpc_url: &str,
    chain_id: u64,
) -> Result<(), WellKnownAccount> {
    match well_known(address) {
        Some(account) if !is_local_dev_chain(rpc_url, chain_id) => {
            Err(WellKnownAccount { what, account, address, url: rpc_url.to_owned(), chain_id })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: Address = address!("1111111111111111111111111111111111111111");

    #[test]
    fn loopback_means_this_machine() {
        for url in [
            "http://127.0.0.1:8545",
            "http://127.8.9.10:8545",
            "https://localhost:8545/rpc",
            "http://LOCALHOST",
            "http://[::1]:8545",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://chain:8545",
            "http://10.0.0.5:8545",
            "https://besu.internal:8545",
            "http://0.0.0.0:8545",
            "http://[::]:8545",
            "http://localhost.example.org:8545",
            "http://127.0.0.1.nip.io:8545",
            "not a url",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn a_local_dev_chain_needs_loopback_and_a_dev_chain_id() {
        assert!(is_local_dev_chain("http://127.0.0.1:8545", 31337));
        assert!(is_local_dev_chain("http://localhost:8545", 1337));
        assert!(!is_local_dev_chain("http://127.0.0.1:8545", 18471), "a Besu network on loopback");
        assert!(!is_local_dev_chain("http://127.0.0.1:8545", 1), "mainnet through a local node");
        assert!(!is_local_dev_chain("http://chain:8545", 31337), "Anvil in another container");
    }

    #[test]
    fn every_well_known_account_is_refused_off_a_local_dev_chain() {
        for (n, a) in ANVIL.into_iter().enumerate() {
            let err =
                check("CHAIN_GATEWAY_KEY", a, "http://chain:8545", 31337).expect_err("refused");
            assert_eq!(err.account, WellKnown::Anvil(n));
        }
        for (n, a) in GANACHE_DETERMINISTIC.into_iter().enumerate() {
            let err = check("CHAIN_ADMIN_ADDRESS", a, "http://127.0.0.1:8545", 18471)
                .expect_err("refused");
            assert_eq!(err.account, WellKnown::Ganache(n));
        }
    }

    #[test]
    fn well_known_accounts_pass_on_a_local_dev_chain_and_own_keys_everywhere() {
        assert_eq!(check("CHAIN_GATEWAY_KEY", ANVIL[0], "http://127.0.0.1:8545", 31337), Ok(()));
        assert_eq!(
            check("CHAIN_GATEWAY_KEY", GANACHE_DETERMINISTIC[9], "http://localhost:8545", 1337),
            Ok(())
        );
        assert_eq!(check("CHAIN_GATEWAY_KEY", OWN, "https://besu.internal:8545", 18471), Ok(()));
        assert_eq!(check("CHAIN_GATEWAY_KEY", OWN, "http://chain:8545", 31337), Ok(()));
    }

    #[test]
    fn the_refusal_names_the_variable_the_account_and_the_chain() {
        let err = check("CHAIN_GATEWAY_KEY", ANVIL[0], "http://chain:8545", 31337)
            .expect_err("refused")
            .to_string();
        assert!(
            err.starts_with(
                "CHAIN_GATEWAY_KEY is Anvil's (and Hardhat's) development account #0 \
                 (0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266), whose private key is published"
            ),
            "{err}"
        );
        assert!(err.contains("this chain is http://chain:8545 with chain id 31337"), "{err}");
    }
}
