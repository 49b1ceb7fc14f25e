//! Configuration: one typed struct, loaded once from the environment.
//!
//! Every variable has a documented default (see README.md, "Configuration").
//! A malformed value, or an unknown `CARELEDGER_*` variable (usually a typo),
//! stops the start with a message naming the variable. Secrets are wrapped in
//! [`SecretString`] so they never appear in `Debug` output or logs.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use secrecy::{ExposeSecret, SecretString};

/// How the gate sends access requests to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateMode {
    /// Group commit: concurrent requests share one transaction.
    Group,
    /// One transaction per request, each awaited: the usual design, kept for benchmarks.
    Naive,
}

impl std::str::FromStr for GateMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "group" => Ok(Self::Group),
            "naive" => Ok(Self::Naive),
            other => Err(format!("expected `group` or `naive`, got `{other}`")),
        }
    }
}

/// The api's whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// PostgreSQL connection string (`DATABASE_URL`).
    pub database_url: SecretString,
    /// Ethereum JSON-RPC endpoint of the chain (`CHAIN_RPC_URL`).
    pub chain_rpc_url: String,
    /// The gateway's signing key, hex (`CHAIN_GATEWAY_KEY`); submits every request.
    pub gateway_key: Option<SecretString>,
    /// The contract admin's signing key, hex (`CHAIN_ADMIN_KEY`): for
    /// `careledger gateway` and `careledger contract-admin` only. The api
    /// takes its address at the first start and drops the key before serving.
    pub admin_key: Option<SecretString>,
    /// The contract's admin (`CHAIN_ADMIN_ADDRESS`, or `CHAIN_ADMIN_KEY`'s
    /// address): given the admin role when the first start deploys the contract.
    pub admin_address: Option<Address>,
    /// Where the HTTPS server listens (`CARELEDGER_BIND`).
    pub bind: SocketAddr,
    /// Directory for generated state: TLS certificate, signing keys (`CARELEDGER_DATA_DIR`).
    pub data_dir: PathBuf,
    /// Certificate chain (PEM) to serve instead of the generated one (`TLS_CERT`).
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) for `TLS_CERT` (`TLS_KEY`).
    pub tls_key: Option<PathBuf>,
    /// Password for the root account created at first start (`CARELEDGER_ROOT_PASSWORD`).
    pub root_password: Option<SecretString>,
    /// The built web app served at `/` (`CARELEDGER_WEB_DIR`).
    pub web_dir: PathBuf,
    /// Group commit or one transaction per request (`CARELEDGER_GATE`).
    pub gate: GateMode,
    /// Maximum PostgreSQL connections (`CARELEDGER_DB_POOL`).
    pub db_pool_size: u32,
    /// Most GraphQL requests over HTTPS in progress at once; the excess is
    /// answered at once with 503 OVERLOADED (`CARELEDGER_MAX_IN_PROGRESS`).
    pub max_in_progress: usize,
    /// How often the api checks the newest indexed blocks against the chain
    /// (a full pass at least hourly); `None` turns the check off
    /// (`CARELEDGER_AUDIT_CHECK_SECONDS`, 0 = off).
    pub audit_check_every: Option<std::time::Duration>,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (`CARELEDGER_TRUSTED_PROXIES`: addresses or CIDR ranges, comma
    /// separated; none by default, so the header is ignored).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where `/metrics` is served, plain HTTP (`CARELEDGER_METRICS_BIND`,
    /// default `127.0.0.1:9464`; `off` for nowhere). Never the public port.
    pub metrics_bind: Option<SocketAddr>,
    /// GraphQL requests a second each signed-in user may send on average,
    /// in bursts of twice that (`CARELEDGER_USER_RATE`, default 200; `off`).
    pub user_rate: Option<u32>,
    /// Where people open the web app, for passkeys (WebAuthn): a passkey
    /// works only at this origin (`CARELEDGER_WEBAUTHN_ORIGIN`, default
    /// `https://localhost:<CARELEDGER_BIND's port>`).
    pub webauthn_origin: url::Url,
    /// The WebAuthn relying party id every passkey is bound to: the origin's
    /// host, or a domain it belongs to (`CARELEDGER_WEBAUTHN_RP_ID`, default
    /// the origin's host).
    pub webauthn_rp_id: String,
}

/// A configuration problem, naming the variable at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("{name}: unknown variable (known CARELEDGER_* variables: {known})")]
    Unknown { name: String, known: String },
}

/// The `CARELEDGER_*` variables the api understands; any other is refused.
const KNOWN: &[&str] = &[
    "CARELEDGER_BIND",
    "CARELEDGER_DATA_DIR",
    "CARELEDGER_ROOT_PASSWORD",
    "CARELEDGER_WEB_DIR",
    "CARELEDGER_GATE",
    "CARELEDGER_DB_POOL",
    "CARELEDGER_MAX_IN_PROGRESS",
    "CARELEDGER_AUDIT_CHECK_SECONDS",
    "CARELEDGER_LOG",
    "CARELEDGER_TRUSTED_PROXIES",
    "CARELEDGER_METRICS_BIND",
    "CARELEDGER_USER_RATE",
    "CARELEDGER_WEBAUTHN_ORIGIN",
    "CARELEDGER_WEBAUTHN_RP_ID",
];

impl Config {
    /// Loads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().collect())
    }

    /// Loads the configuration from the given variables (tests pass their own).
    pub fn from_vars(vars: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        if let Some(unknown) =
            vars.keys().find(|k| k.starts_with("CARELEDGER_") && !KNOWN.contains(&k.as_str()))
        {
            return Err(ConfigError::Unknown { name: unknown.clone(), known: KNOWN.join(", ") });
        }
        let get = |name: &str| vars.get(name).filter(|v| !v.is_empty()).cloned();
        let parse = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(get(name).unwrap_or_else(|| default.to_owned()))
        };
        let invalid = |name: &'static str, problem: String| ConfigError::Invalid { name, problem };

        let database_url = parse("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/careledger")?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(invalid(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://".into(),
            ));
        }
        let chain_rpc_url = parse("CHAIN_RPC_URL", "http://127.0.0.1:8545")?;
        if !(chain_rpc_url.starts_with("http://") || chain_rpc_url.starts_with("https://")) {
            return Err(invalid(
                "CHAIN_RPC_URL",
                "must be an http:// or https:// JSON-RPC endpoint".into(),
            ));
        }
        let signing_key = |name: &'static str| -> Result<Option<SecretString>, ConfigError> {
            let Some(key) = get(name) else { return Ok(None) };
            let digits = key.strip_prefix("0x").unwrap_or(&key);
            if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(invalid(
                    name,
                    "must be a 32-byte private key in hex (64 digits, optional 0x)".into(),
                ));
            }
            Ok(Some(SecretString::from(key)))
        };
        let gateway_key = signing_key("CHAIN_GATEWAY_KEY")?;
        let admin_key = signing_key("CHAIN_ADMIN_KEY")?;
        let key_address = |name: &'static str, key: &SecretString| {
            key.expose_secret()
                .parse::<PrivateKeySigner>()
                .map(|s| s.address())
                .map_err(|_| invalid(name, "is not a valid secp256k1 private key".into()))
        };
        let gateway_address =
            gateway_key.as_ref().map(|k| key_address("CHAIN_GATEWAY_KEY", k)).transpose()?;
        let admin_key_address =
            admin_key.as_ref().map(|k| key_address("CHAIN_ADMIN_KEY", k)).transpose()?;
        let admin_address = match get("CHAIN_ADMIN_ADDRESS") {
            None => admin_key_address,
            Some(text) => {
                let address = text
                    .parse::<Address>()
                    .ok()
                    .filter(|_| text.len() == 42 && text.starts_with("0x"))
                    .filter(|a| *a != Address::ZERO)
                    .ok_or_else(|| {
                        invalid(
                            "CHAIN_ADMIN_ADDRESS",
                            "must be an account address: 0x and 40 hex digits, not zero".into(),
                        )
                    })?;
                if admin_key_address.is_some_and(|k| k != address) {
                    return Err(invalid(
                        "CHAIN_ADMIN_ADDRESS",
                        "is not CHAIN_ADMIN_KEY's address; set one of the two".into(),
                    ));
                }
                Some(address)
            }
        };
        if admin_address.is_some() && admin_address == gateway_address {
            let name = if get("CHAIN_ADMIN_ADDRESS").is_some() {
                "CHAIN_ADMIN_ADDRESS"
            } else {
                "CHAIN_ADMIN_KEY"
            };
            return Err(invalid(
                name,
                "is the gateway's account (CHAIN_GATEWAY_KEY): the contract's admin must be \
                 another account, or one key rules everything"
                    .into(),
            ));
        }
        let bind =
            parse("CARELEDGER_BIND", "127.0.0.1:8443")?.parse::<SocketAddr>().map_err(|e| {
                invalid("CARELEDGER_BIND", format!("expected HOST:PORT, e.g. 127.0.0.1:8443 ({e})"))
            })?;
        let data_dir = PathBuf::from(parse("CARELEDGER_DATA_DIR", ".data")?);
        let tls_cert = get("TLS_CERT").map(PathBuf::from);
        let tls_key = get("TLS_KEY").map(PathBuf::from);
        match (&tls_cert, &tls_key) {
            (Some(_), None) => {
                return Err(invalid("TLS_KEY", "must be set together with TLS_CERT".into()))
            }
            (None, Some(_)) => {
                return Err(invalid("TLS_CERT", "must be set together with TLS_KEY".into()))
            }
            _ => {}
        }
        let root_password = get("CARELEDGER_ROOT_PASSWORD").map(SecretString::from);
        let web_dir = PathBuf::from(parse("CARELEDGER_WEB_DIR", "web/dist")?);
        let gate = parse("CARELEDGER_GATE", "group")?
            .parse()
            .map_err(|e| invalid("CARELEDGER_GATE", e))?;
        let db_pool_size = parse("CARELEDGER_DB_POOL", "16")?
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                invalid("CARELEDGER_DB_POOL", "must be a whole number from 1 to 1000".into())
            })?;
        let max_in_progress = parse("CARELEDGER_MAX_IN_PROGRESS", "512")?
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| {
                invalid(
                    "CARELEDGER_MAX_IN_PROGRESS",
                    "must be a whole number from 1 to 100000".into(),
                )
            })?;
        let audit_check_every = parse("CARELEDGER_AUDIT_CHECK_SECONDS", "60")?
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 3600)
            .ok_or_else(|| {
                invalid(
                    "CARELEDGER_AUDIT_CHECK_SECONDS",
                    "must be a whole number of seconds from 0 (off) to 3600".into(),
                )
            })?;
        let audit_check_every =
            (audit_check_every > 0).then(|| std::time::Duration::from_secs(audit_check_every));
        let trusted_proxies = parse_networks(&parse("CARELEDGER_TRUSTED_PROXIES", "")?)
            .map_err(|e| invalid("CARELEDGER_TRUSTED_PROXIES", e))?;
        let metrics_bind = match parse("CARELEDGER_METRICS_BIND", "127.0.0.1:9464")?.as_str() {
            "off" => None,
            text => Some(text.parse().map_err(|e| {
                invalid(
                    "CARELEDGER_METRICS_BIND",
                    format!("expected HOST:PORT, e.g. 127.0.0.1:9464, or `off` ({e})"),
                )
            })?),
        };
        let user_rate = match parse("CARELEDGER_USER_RATE", "200")?.as_str() {
            "off" => None,
            text => {
                Some(text.parse::<u32>().ok().filter(|n| (1..=1_000_000).contains(n)).ok_or_else(
                    || {
                        invalid(
                        "CARELEDGER_USER_RATE",
                        "must be a whole number of requests a second from 1 to 1000000, or `off`"
                            .into(),
                    )
                    },
                )?)
            }
        };
        let default_origin = format!("https://localhost:{}", bind.port());
        let webauthn_origin =
            webauthn_origin(&parse("CARELEDGER_WEBAUTHN_ORIGIN", &default_origin)?)
                .map_err(|e| invalid("CARELEDGER_WEBAUTHN_ORIGIN", e))?;
        let origin_host = webauthn_origin.host_str().unwrap_or_default().to_owned();
        let webauthn_rp_id = parse("CARELEDGER_WEBAUTHN_RP_ID", &origin_host)?.to_ascii_lowercase();
        if !(origin_host == webauthn_rp_id || origin_host.ends_with(&format!(".{webauthn_rp_id}")))
            || webauthn_rp_id.parse::<std::net::IpAddr>().is_ok()
        {
            return Err(invalid(
                "CARELEDGER_WEBAUTHN_RP_ID",
                format!(
                    "must be the host of CARELEDGER_WEBAUTHN_ORIGIN ({origin_host}) or a domain \
                     it belongs to, e.g. example-hospital.org for records.example-hospital.org"
                ),
            ));
        }
        Ok(Self {
            database_url: SecretString::from(database_url),
            chain_rpc_url,
            gateway_key,
            admin_key,
            admin_address,
            bind,
            data_dir,
            tls_cert,
            tls_key,
            root_password,
            web_dir,
            gate,
            db_pool_size,
            max_in_progress,
            audit_check_every,
            trusted_proxies,
            metrics_bind,
            user_rate,
            webauthn_origin,
            webauthn_rp_id,
        })
    }
}

/// The origin people open the web app at: `https://` and a host name (a
/// browser refuses passkeys at an IP address), an optional port, nothing else.
fn webauthn_origin(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text)
        .map_err(|e| format!("`{text}` is not a URL such as https://records.example.org ({e})"))?;
    let host_is_name = matches!(url.host(), Some(url::Host::Domain(_)));
    if url.scheme() != "https"
        || !host_is_name
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(format!(
            "`{text}` must be https:// and a host name (not an IP address: browsers refuse \
             passkeys there), with an optional port and nothing else, e.g. \
             https://records.example.org or https://localhost:8443"
        ));
    }
    Ok(url)
}

/// A comma-separated list of addresses (`10.0.0.2`, `::1`) and CIDR ranges
/// (`10.89.0.0/24`).
fn parse_networks(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    format!(
                        "`{item}` is neither an IP address nor a CIDR range such as 10.89.0.0/24"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let c = Config::from_vars(vars(&[])).expect("defaults are valid");
        assert_eq!(c.chain_rpc_url, "http://127.0.0.1:8545");
        assert_eq!(c.bind, "127.0.0.1:8443".parse().expect("addr"));
        assert_eq!(c.data_dir, PathBuf::from(".data"));
        assert_eq!(c.gate, GateMode::Group);
        assert_eq!(c.db_pool_size, 16);
        assert_eq!(c.metrics_bind, Some("127.0.0.1:9464".parse().expect("addr")));
        let off = Config::from_vars(vars(&[("CARELEDGER_METRICS_BIND", "off")])).expect("off");
        assert_eq!(off.metrics_bind, None);
        assert_eq!(c.user_rate, Some(200));
        assert_eq!(c.max_in_progress, 512);
        assert!(c.gateway_key.is_none());
        assert!(c.admin_key.is_none() && c.admin_address.is_none());
        assert_eq!(c.webauthn_origin.as_str(), "https://localhost:8443/");
        assert_eq!(c.webauthn_rp_id, "localhost");
    }

    #[test]
    fn the_webauthn_origin_follows_the_bind_port_and_names_its_relying_party() {
        let c = Config::from_vars(vars(&[("CARELEDGER_BIND", "0.0.0.0:9443")])).expect("valid");
        assert_eq!(c.webauthn_origin.as_str(), "https://localhost:9443/");
        let c = Config::from_vars(vars(&[
            ("CARELEDGER_WEBAUTHN_ORIGIN", "https://records.example-hospital.org"),
            ("CARELEDGER_WEBAUTHN_RP_ID", "example-hospital.org"),
        ]))
        .expect("valid");
        assert_eq!(c.webauthn_origin.as_str(), "https://records.example-hospital.org/");
        assert_eq!(c.webauthn_rp_id, "example-hospital.org");
        let c = Config::from_vars(vars(&[(
            "CARELEDGER_WEBAUTHN_ORIGIN",
            "https://records.example-hospital.org",
        )]))
        .expect("valid");
        assert_eq!(c.webauthn_rp_id, "records.example-hospital.org");
    }

    // Keys of no account anyone uses: 1, 2 and 3 (public, as their addresses).
    const KEY_1: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";
    const KEY_2: &str = "0x0000000000000000000000000000000000000000000000000000000000000002";
    const ADDRESS_2: &str = "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF";
    const ADDRESS_3: &str = "0x6813Eb9362372EEF6200f3b1dbC3f819671cBA69";

    #[test]
    fn the_admin_is_an_address_or_a_key_and_never_the_gateway() {
        let by_key =
            Config::from_vars(vars(&[("CHAIN_GATEWAY_KEY", KEY_1), ("CHAIN_ADMIN_KEY", KEY_2)]))
                .expect("valid");
        assert_eq!(by_key.admin_address, Some(ADDRESS_2.parse().expect("address")));
        assert!(by_key.admin_key.is_some());
        let by_address =
            Config::from_vars(vars(&[("CHAIN_ADMIN_ADDRESS", ADDRESS_3)])).expect("valid");
        assert_eq!(by_address.admin_address, Some(ADDRESS_3.parse().expect("address")));
        assert!(by_address.admin_key.is_none());
        let both = Config::from_vars(vars(&[
            ("CHAIN_ADMIN_KEY", KEY_2),
            ("CHAIN_ADMIN_ADDRESS", ADDRESS_2),
        ]))
        .expect("the same account twice is fine");
        assert_eq!(both.admin_address, Some(ADDRESS_2.parse().expect("address")));

        for (pairs, expected) in [
            (
                &[("CHAIN_ADMIN_KEY", KEY_2), ("CHAIN_ADMIN_ADDRESS", ADDRESS_3)][..],
                "CHAIN_ADMIN_ADDRESS: is not CHAIN_ADMIN_KEY's address",
            ),
            (
                &[("CHAIN_GATEWAY_KEY", KEY_2), ("CHAIN_ADMIN_KEY", KEY_2)][..],
                "CHAIN_ADMIN_KEY: is the gateway's account",
            ),
            (
                &[("CHAIN_GATEWAY_KEY", KEY_2), ("CHAIN_ADMIN_ADDRESS", ADDRESS_2)][..],
                "CHAIN_ADMIN_ADDRESS: is the gateway's account",
            ),
            (
                &[("CHAIN_ADMIN_ADDRESS", "0x0000000000000000000000000000000000000000")][..],
                "CHAIN_ADMIN_ADDRESS: must be",
            ),
            (
                &[("CHAIN_ADMIN_ADDRESS", "2B5AD5c4795c026514f8317c7a215E218DcCD6cF")][..],
                "CHAIN_ADMIN_ADDRESS: must be",
            ),
            (
                &[(
                    "CHAIN_ADMIN_KEY",
                    "0x0000000000000000000000000000000000000000000000000000000000000000",
                )][..],
                "CHAIN_ADMIN_KEY: is not a valid secp256k1 private key",
            ),
        ] {
            let err = Config::from_vars(vars(pairs)).expect_err("refused").to_string();
            assert!(err.starts_with(expected), "{pairs:?}: {err}");
        }
    }

    #[test]
    fn unknown_careledger_variable_is_named() {
        let err = Config::from_vars(vars(&[("CARELEDGER_GAT", "naive")])).expect_err("refused");
        assert!(err.to_string().starts_with("CARELEDGER_GAT: unknown variable"), "{err}");
    }

    #[test]
    fn malformed_values_name_their_variable() {
        for (name, value) in [
            ("CARELEDGER_BIND", "localhost"),
            ("CARELEDGER_GATE", "fast"),
            ("CARELEDGER_DB_POOL", "0"),
            ("CARELEDGER_MAX_IN_PROGRESS", "0"),
            ("CARELEDGER_MAX_IN_PROGRESS", "many"),
            ("CHAIN_GATEWAY_KEY", "0x1234"),
            ("CHAIN_ADMIN_KEY", "0x1234"),
            ("CHAIN_ADMIN_ADDRESS", "0x1234"),
            ("CHAIN_RPC_URL", "ws://x"),
            ("DATABASE_URL", "mysql://x"),
            ("TLS_CERT", "/tmp/cert.pem"),
            ("CARELEDGER_TRUSTED_PROXIES", "10.0.0.1, caddy"),
            ("CARELEDGER_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("CARELEDGER_METRICS_BIND", "9464"),
            ("CARELEDGER_USER_RATE", "0"),
            ("CARELEDGER_USER_RATE", "fast"),
            ("CARELEDGER_WEBAUTHN_ORIGIN", "http://localhost:8443"),
            ("CARELEDGER_WEBAUTHN_ORIGIN", "https://127.0.0.1:8443"),
            ("CARELEDGER_WEBAUTHN_ORIGIN", "https://localhost:8443/app"),
            ("CARELEDGER_WEBAUTHN_ORIGIN", "records.example.org"),
            ("CARELEDGER_WEBAUTHN_RP_ID", "example.org"),
        ] {
            let err = Config::from_vars(vars(&[(name, value)])).expect_err("refused");
            let shown = err.to_string();
            let expected = if name == "TLS_CERT" { "TLS_KEY: " } else { name };
            assert!(shown.starts_with(expected), "{name}={value}: {shown}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let c = Config::from_vars(vars(&[(
            "CARELEDGER_TRUSTED_PROXIES",
            " 10.89.0.2, 10.1.2.3/16,::1 ,",
        )]))
        .expect("valid");
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.89.0.2/32", "10.1.0.0/16", "::1/128"]);
        assert!(Config::from_vars(vars(&[])).expect("defaults").trusted_proxies.is_empty());
    }

    #[test]
    fn secrets_never_print() {
        // Anvil's well-known development key #0 (public), used as a stand-in secret.
        let key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        // Anvil's development key #1 (public), as a stand-in admin key.
        let admin = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
        let c = Config::from_vars(vars(&[
            ("CHAIN_GATEWAY_KEY", key),
            ("CHAIN_ADMIN_KEY", admin),
            ("CARELEDGER_ROOT_PASSWORD", "correct horse battery"),
            ("DATABASE_URL", "postgres://u:hunter2@db/x"),
        ]))
        .expect("valid");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains(key)
                && !shown.contains(admin)
                && !shown.contains("correct horse")
                && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
