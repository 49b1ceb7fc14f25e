//! One scenario's whole system: its own PostgreSQL cluster, Anvil under its
//! supervisor, the api binary over HTTPS, and the hospital the load uses
//! (doctors, patients with a record each, an auditor), made through the api.

use std::time::{Duration, Instant};

use alloy::primitives::Address;
use alloy::providers::{Provider, ProviderBuilder};
use careledger_bench::client::Client;
use careledger_bench::fixture::Fixture;
use sqlx::PgPool;

use crate::ops::{self, add_auditor, Role};
use crate::procs::{free_port, Api, Chain, Postgres, Scratch, DEV_KEY};

pub const ROOT_PASSWORD: &str = "chaos root password, tests only";
const AUDITOR: &str = "chaos.auditor";
const AUDITOR_PASSWORD: &str = "chaos auditor password";

/// Fields drop in order: the api first, the chain and the database after,
/// the scratch directory last.
pub struct Stack {
    pub api: Api,
    pub chain: Chain,
    pub pg: Postgres,
    pub client: Client,
    /// The api's database, for the checks.
    pub db: PgPool,
    pub contract: Address,
    pub deploy_block: u64,
    pub scratch: Scratch,
}

impl Stack {
    pub async fn start() -> Self {
        careledger::serve::install_crypto();
        let scratch = Scratch::new();
        let dir = scratch.0.clone();
        let pg = tokio::task::spawn_blocking(move || Postgres::init(&dir)).await.expect("initdb");
        let admin = PgPool::connect(&pg.url("postgres")).await.expect("the cluster answers");
        sqlx::query("CREATE DATABASE careledger").execute(&admin).await.expect("create database");
        admin.close().await;
        let chain = Chain::start(&scratch.0);
        // As make run does: the api stops at start when the chain does not answer.
        chain_answers(&chain.url()).await;
        let port = free_port();
        let env = [
            ("DATABASE_URL", pg.url("careledger")),
            ("CHAIN_RPC_URL", chain.url()),
            ("CHAIN_GATEWAY_KEY", DEV_KEY.to_owned()),
            // Anvil's public development account #1: the contract's admin, never the gateway.
            ("CHAIN_ADMIN_ADDRESS", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8".to_owned()),
            ("CARELEDGER_DATA_DIR", scratch.0.join("api").display().to_string()),
            ("CARELEDGER_BIND", format!("127.0.0.1:{port}")),
            ("CARELEDGER_ROOT_PASSWORD", ROOT_PASSWORD.to_owned()),
            ("CARELEDGER_LOG", "info,sqlx=warn".to_owned()),
            // The api's own check of the index runs at start, then hourly: the
            // tamper cases after recovery are found by `careledger audit check`
            // before the api could repair them itself.
            ("CARELEDGER_AUDIT_CHECK_SECONDS", "3600".to_owned()),
            // The load is eight closed-loop clients over three accounts, far
            // past one person's request quota: what is measured here is what
            // the faults lose, not what the quota refuses.
            ("CARELEDGER_USER_RATE", "off".to_owned()),
            ("CARELEDGER_METRICS_BIND", "off".to_owned()),
        ]
        .map(|(k, v)| (k.to_owned(), v))
        .to_vec();
        let url = format!("https://127.0.0.1:{port}");
        let client = Client::new(&url, true).expect("client");
        let mut api = Api::start(&scratch.0, env);
        let health = wait_healthy(&client, &mut api).await;
        let contract =
            health["chain"]["contract"].as_str().expect("contract").parse().expect("address");
        let deploy_block = health["chain"]["deployBlock"].as_u64().expect("deploy block");
        let db = PgPool::connect(&pg.url("careledger")).await.expect("the api's database");
        Self { api, chain, pg, client, db, contract, deploy_block, scratch }
    }

    /// Doctors and patients (a record each) for `clients` clients.
    pub async fn hospital(&self, clients: usize) -> Fixture {
        Fixture::create(&self.client, ROOT_PASSWORD, 3, clients.max(2))
            .await
            .expect("the hospital is made through the api")
    }

    /// An auditor's token, for the audit trail as auditors see it.
    pub async fn auditor(&self) -> String {
        let root = self.client.login("root", ROOT_PASSWORD).await.expect("root logs in");
        let input = add_auditor::CreateUserInput {
            username: AUDITOR.to_owned(),
            password: AUDITOR_PASSWORD.to_owned(),
            full_name: "Chaos Auditor".to_owned(),
            address: None,
            designation: Some("Compliance Officer".to_owned()),
            department: None,
            role: Role::Auditor,
        };
        let made = ops::send::<ops::AddAuditor>(
            &self.client,
            Some(&root),
            add_auditor::Variables { input },
        )
        .await;
        assert!(made.data.is_some(), "the auditor is created: {:?}", made.outcome);
        self.client.login(AUDITOR, AUDITOR_PASSWORD).await.expect("the auditor logs in")
    }

    /// Waits until `/healthz` reports the database and the chain up.
    pub async fn healthy(&mut self) -> serde_json::Value {
        wait_healthy(&self.client, &mut self.api).await
    }
}

async fn chain_answers(url: &str) {
    let provider = ProviderBuilder::new().connect_http(url.parse().expect("chain url"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while provider.get_chain_id().await.is_err() {
        assert!(Instant::now() < deadline, "Anvil did not answer within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn wait_healthy(client: &Client, api: &mut Api) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        assert!(api.running(), "the api exited (its log follows)");
        if let Ok(health) = client.health().await {
            if health["status"] == "ok" {
                return health;
            }
        }
        assert!(Instant::now() < deadline, "the api did not become healthy within 180 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
