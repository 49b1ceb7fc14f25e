//! Shared test support: a real Anvil per test, the deployed contract, a gate.

use std::path::PathBuf;

use alloy::node_bindings::{Anvil, AnvilInstance};
use alloy::primitives::B256;
use careledger::chain::deployment::{self, Deployment};
use careledger::chain::Chain;
use careledger::config::GateMode;
use careledger::gate::Gate;
use graphql_client::GraphQLQuery;
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use sqlx::PgPool;

use crate::ops::{login, AccessAction, AccessResource, Login};

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
    let deployment = deployment::ensure(pool, &chain, Some(admin(&anvil))).await.expect("deploy");
    Stack { anvil, chain, deployment }
}

/// The contract's admin in the tests: Anvil's development account #1
/// (the gateway signs with #0).
pub fn admin(anvil: &AnvilInstance) -> alloy::primitives::Address {
    anvil.addresses()[1]
}

/// The admin's key (Anvil's well-known development key #1, public), hex.
pub fn admin_key(anvil: &AnvilInstance) -> String {
    format!("0x{}", alloy::hex::encode(anvil.keys()[1].to_bytes()))
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
    app_with(pool, &[]).await
}

/// [`app`] with further configuration variables.
pub async fn app_with(pool: PgPool, extra: &[(&str, &str)]) -> TestApp {
    careledger::serve::install_crypto();
    let anvil = anvil();
    let data_dir = TempDir::new();
    let vars = [
        ("CHAIN_RPC_URL", anvil.endpoint()),
        ("CHAIN_GATEWAY_KEY", DEV_KEY.to_owned()),
        ("CHAIN_ADMIN_ADDRESS", admin(&anvil).to_string()),
        ("CARELEDGER_DATA_DIR", data_dir.0.display().to_string()),
        ("CARELEDGER_ROOT_PASSWORD", ROOT_PASSWORD.to_owned()),
        // Tests run the check against the chain themselves, when they mean
        // to: a background pass would repair their tampering first.
        ("CARELEDGER_AUDIT_CHECK_SECONDS", "0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .chain(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    .collect();
    let config = careledger::config::Config::from_vars(vars).expect("config");
    let state = careledger::app::assemble(pool, config).await.expect("app");
    let schema = careledger::graphql::schema(state.clone());
    TestApp { state, schema, anvil, _data_dir: data_dir }
}

impl TestApp {
    /// Runs the typed operation `Q` as the holder of `token` (or anonymously).
    pub async fn run<Q: GraphQLQuery>(
        &self,
        token: Option<&str>,
        variables: Q::Variables,
    ) -> Reply<Q::ResponseData> {
        let body = Q::build_query(variables);
        let variables = serde_json::to_value(&body.variables).expect("variables");
        let request = async_graphql::Request::new(body.query)
            .operation_name(body.operation_name)
            .variables(async_graphql::Variables::from_json(variables));
        let response = self.execute(token, request).await;
        Reply::from_json(serde_json::to_value(&response).expect("json"))
    }

    /// Runs a GraphQL document as written, for what a typed operation cannot
    /// send (malformed documents, wrong variable types, introspection).
    pub async fn raw(
        &self,
        token: Option<&str>,
        query: &str,
        variables: serde_json::Value,
    ) -> serde_json::Value {
        let request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        serde_json::to_value(self.execute(token, request).await).expect("json")
    }

    async fn execute(
        &self,
        token: Option<&str>,
        request: async_graphql::Request,
    ) -> async_graphql::Response {
        let header = token.map(|t| format!("Bearer {t}"));
        let session = careledger::graphql::session::Session::from_header(
            &self.state,
            header.as_deref(),
            Some("127.0.0.1".parse().expect("ip")),
        )
        .await;
        careledger::graphql::execute(&self.schema, request, std::sync::Arc::new(session)).await
    }

    /// Logs in and returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let out = self
            .run::<Login>(
                None,
                login::Variables { username: username.to_owned(), password: password.to_owned() },
            )
            .await;
        out.ok().login.token.clone().expect("signed in without a second step")
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

impl TestApp {
    /// Puts `clinician` on `patient`'s care team (open-ended), as the
    /// clinician's own change, straight through the care service.
    pub async fn care_for(
        &self,
        patient: &careledger::users::User,
        clinician: &careledger::users::User,
    ) {
        let party = |u| careledger::care::Party::of(u, "user").expect("registered");
        let written = careledger::care::add_member(
            &self.state.pool,
            &self.state.outbox,
            party(clinician),
            party(patient),
            clinician,
            None,
        )
        .await
        .expect("on the care team");
        assert_eq!(written.events.len(), 1, "CareRelationshipAdded on chain");
    }
}

/// The error code of the first error in a raw response.
pub fn code(response: &serde_json::Value) -> &str {
    response["errors"][0]["extensions"]["code"].as_str().unwrap_or("(no error)")
}

/// A typed operation's answer: its data, its errors (each with its
/// `extensions`), and the chain receipts listed in `extensions.audit`.
#[derive(Debug)]
pub struct Reply<D> {
    pub data: Option<D>,
    pub errors: Vec<graphql_client::Error>,
    pub audit: Vec<Note>,
}

/// One `extensions.audit` entry: an on-chain event the request produced.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    /// `AccessRequested` or the lifecycle event's name.
    pub event: String,
    pub action: Option<AccessAction>,
    pub resource: Option<AccessResource>,
    /// The request id (`AccessRequested`) or lifecycle entry id in the event.
    pub id: B256,
    pub transaction_hash: B256,
    pub block_number: u64,
    pub log_index: u64,
    pub approved: bool,
}

impl<D: DeserializeOwned> Reply<D> {
    /// Reads a GraphQL response (`data`, `errors`, `extensions`).
    pub fn from_json(value: serde_json::Value) -> Self {
        let response: graphql_client::Response<D> = serde_json::from_value(value.clone())
            .unwrap_or_else(|e| panic!("not the operation's response ({e}): {value}"));
        let audit = response
            .extensions
            .and_then(|mut e| e.remove("audit"))
            .map(|a| serde_json::from_value(a).expect("audit notes"))
            .unwrap_or_default();
        Self { data: response.data, errors: response.errors.unwrap_or_default(), audit }
    }
}

impl<D: std::fmt::Debug> Reply<D> {
    /// The same answer with its data mapped (the errors and notes kept).
    pub fn map<T>(self, f: impl FnOnce(D) -> T) -> Reply<T> {
        Reply { data: self.data.map(f), errors: self.errors, audit: self.audit }
    }

    /// The data of an answer without errors.
    pub fn ok(&self) -> &D {
        assert!(self.errors.is_empty(), "unexpected errors: {self:?}");
        self.data.as_ref().unwrap_or_else(|| panic!("no data: {self:?}"))
    }

    /// The error code of the first error, `(no error)` when there is none.
    pub fn code(&self) -> &str {
        self.extension("code").as_str().unwrap_or("(no error)")
    }

    /// `extensions[key]` of the first error (null when absent).
    pub fn extension(&self, key: &str) -> &serde_json::Value {
        const NULL: &serde_json::Value = &serde_json::Value::Null;
        self.errors
            .first()
            .and_then(|e| e.extensions.as_ref())
            .and_then(|e| e.get(key))
            .unwrap_or(NULL)
    }

    /// The message of the first error.
    pub fn message(&self) -> &str {
        self.errors.first().map(|e| e.message.as_str()).unwrap_or("(no error)")
    }

    /// The names of the events in `extensions.audit`, in order.
    pub fn events(&self) -> Vec<&str> {
        self.audit.iter().map(|n| n.event.as_str()).collect()
    }
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
