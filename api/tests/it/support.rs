//! Shared test support: a real Anvil per test, the deployed contract, a gate.

use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::B256;
use careledger::chain::deployment::{self, Deployment};
use careledger::chain::Chain;
use careledger::config::GateMode;
use careledger::gate::Gate;
use secrecy::SecretString;
use sqlx::PgPool;

/// Anvil's well-known development key #0 (public; test chains only).
pub const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

fn anvil_path() -> PathBuf {
    std::env::var_os("ANVIL_BIN").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
    })
}

/// A fresh Anvil (killed when dropped).
pub fn anvil() -> AnvilInstance {
    anvil_with(&[])
}

pub fn anvil_with(args: &[&str]) -> AnvilInstance {
    Anvil::at(anvil_path())
        .args(args.iter().copied())
        .try_spawn()
        .expect("anvil starts (run `make deps` to install it)")
}

/// Connects as the gateway.
pub async fn chain(anvil: &AnvilInstance) -> Chain {
    Chain::connect(&anvil.endpoint(), &SecretString::from(DEV_KEY)).await.expect("chain")
}

/// A chain with the contract deployed and recorded in `pool`.
pub struct Stack {
    /// Kept so the chain lives as long as the stack.
    #[allow(dead_code)]
    pub anvil: AnvilInstance,
    pub chain: Chain,
    pub deployment: Deployment,
}

pub async fn stack(pool: &PgPool) -> Stack {
    let anvil = anvil();
    let chain = chain(&anvil).await;
    let deployment = deployment::ensure(pool, &chain).await.expect("deploy");
    Stack { anvil, chain, deployment }
}

impl Stack {
    pub async fn gate(&self, mode: GateMode) -> Gate {
        Gate::start(&self.chain, &self.deployment, mode).await.expect("gate")
    }
}

/// A distinct identifier from a small number (readable in failures).
pub fn id(n: u64) -> B256 {
    B256::left_padding_from(&n.to_be_bytes())
}

/// A whole api (state and schema) on a fresh Anvil and the test's database,
/// driven through the real schema without a socket.
pub struct TestApp {
    pub state: careledger::app::AppState,
    pub schema: careledger::graphql::CareLedgerSchema,
    /// Kept so the chain lives as long as the app.
    #[allow(dead_code)]
    pub anvil: AnvilInstance,
    _data_dir: TempDir,
}

/// A throwaway directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("careledger-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub const ROOT_PASSWORD: &str = "root password for tests";

pub async fn app(pool: PgPool) -> TestApp {
    careledger::serve::install_crypto();
    let anvil = anvil();
    let data_dir = TempDir::new();
    let vars = [
        ("CHAIN_RPC_URL", anvil.endpoint()),
        ("CHAIN_GATEWAY_KEY", DEV_KEY.to_owned()),
        ("CARELEDGER_DATA_DIR", data_dir.0.display().to_string()),
        ("CARELEDGER_ROOT_PASSWORD", ROOT_PASSWORD.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = careledger::config::Config::from_vars(vars).expect("config");
    let state = careledger::app::assemble(pool, config).await.expect("app");
    let schema = careledger::graphql::schema(state.clone());
    TestApp { state, schema, anvil, _data_dir: data_dir }
}

impl TestApp {
    /// Runs a GraphQL request as the holder of `token` (or anonymously).
    pub async fn run(
        &self,
        token: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let header = token.map(|t| format!("Bearer {t}"));
        let session = careledger::graphql::session::Session::from_header(
            &self.state,
            header.as_deref(),
            Some("127.0.0.1".parse().expect("ip")),
        )
        .await;
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        let response =
            careledger::graphql::execute(&self.schema, request, std::sync::Arc::new(session)).await;
        serde_json::to_value(&response).expect("json")
    }

    /// Logs in and returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let out = self
            .run(
                None,
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                serde_json::json!({ "u": username, "p": password }),
            )
            .await;
        out["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("login failed: {out}"))
            .to_owned()
    }

    /// Creates an account directly (database, outbox, chain), as an
    /// administrator's createUser would; returns it.
    pub async fn add_user(
        &self,
        username: &str,
        password: &str,
        role: careledger::users::Role,
    ) -> careledger::users::User {
        use careledger::users::{FullName, NewUser, PasswordHash, Username};
        let phc = careledger::auth::password::hash(SecretString::from(password.to_owned()))
            .await
            .expect("hash");
        let new = NewUser::new(
            Username::parse(username).expect("username"),
            PasswordHash::from_phc(phc.as_str().to_owned()).expect("phc"),
            FullName::parse(&format!("Test {username}")).expect("name"),
            role,
        );
        let state = &self.state;
        careledger::users::service::register(
            &state.pool,
            &state.outbox,
            careledger::bootstrap::SYSTEM_ACTOR,
            &new,
        )
        .await
        .expect("register")
    }
}

/// The error code of the first error in a response.
pub fn code(response: &serde_json::Value) -> &str {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or("(no error)")
}

/// Waits (up to 10 s) until `done` holds, checking every 20 ms.
pub async fn eventually(mut done: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..500 {
        if done().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}
