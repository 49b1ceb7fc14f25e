//! Separate keys: the contract's admin is not the gateway, well-known
//! development keys are refused off a local development chain, gateway
//! changes are on the audit trail, and a gateway key is rotated with the
//! `careledger` command itself, on a real Anvil (and Ganache).

use std::path::Path;
use std::process::Output;

use alloy::network::{EthereumWallet, TransactionResponse as _};
use alloy::node_bindings::AnvilInstance;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use careledger::chain::gateways::{self, Call, Roles};
use careledger::chain::well_known::{self, WellKnown};
use careledger::chain::{Chain, ChainError};
use careledger::config::Config;
use secrecy::SecretString;
use sqlx::PgPool;

use crate::audit::caught_up;
use crate::ops::{chain_role_changes, ChainRoleChanges};
use crate::support::{self, TempDir, TestApp, DEV_KEY, ROOT_PASSWORD};

/// Anvil's development account `n` as a signer (its key is public).
fn dev_signer(anvil: &AnvilInstance, n: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_slice(&anvil.keys()[n].to_bytes()).expect("key")
}

/// Sends 10 ether to `to` from Anvil's development account #2, as `make run`
/// funds its generated keys from a development account.
async fn fund(rpc_url: &str, payer: PrivateKeySigner, to: Address) {
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(payer))
        .connect_http(rpc_url.parse().expect("url"));
    let ten_ether = U256::from(10u64) * U256::from(10u64).pow(U256::from(18u64));
    let receipt = provider
        .send_transaction(TransactionRequest::default().to(to).value(ten_ether))
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(receipt.status());
}

/// The test database's own URL (the `careledger` command connects to it).
async fn database_url(pool: &PgPool) -> String {
    let name: String =
        sqlx::query_scalar("SELECT current_database()").fetch_one(pool).await.expect("name");
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let base = base.split('?').next().unwrap_or_default();
    let (server, _) = base.rsplit_once('/').expect("a database in DATABASE_URL");
    format!("{server}/{name}")
}

/// Runs the `careledger` binary with exactly `env` (and PATH).
async fn careledger(args: &[&str], env: &[(&str, String)]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_careledger"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("CARELEDGER_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .await
        .expect("careledger runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// "gateway 0x… added in block N (transaction 0x…)": N and the transaction.
fn mined(line: &str) -> (String, String) {
    let rest = line.split(" in block ").nth(1).expect("a block");
    let (block, rest) = rest.split_once(" (transaction ").expect("a transaction");
    (block.to_owned(), rest.trim_end_matches(')').to_owned())
}

/// The configuration of an api on `anvil` and `data_dir` signing with `key`.
fn config(rpc_url: &str, key: &str, data_dir: &Path, extra: &[(&str, String)]) -> Config {
    let mut vars: std::collections::BTreeMap<String, String> = [
        ("CHAIN_RPC_URL", rpc_url.to_owned()),
        ("CHAIN_GATEWAY_KEY", key.to_owned()),
        ("CARELEDGER_DATA_DIR", data_dir.display().to_string()),
        ("CARELEDGER_ROOT_PASSWORD", ROOT_PASSWORD.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Config::from_vars(vars).expect("config")
}

/// The trail's rows of one kind, newest first, as an auditor sees them.
async fn role_changes(
    app: &TestApp,
    token: &str,
    kind: &str,
) -> Vec<chain_role_changes::ChainRoleChangesAuditEventsEdgesNode> {
    let filter = chain_role_changes::AuditFilter {
        actor: None,
        subject: None,
        record_id: None,
        action: None,
        resource: None,
        approved: None,
        kind: Some(kind.to_owned()),
        since: None,
        until: None,
        include_duplicates: None,
        include_lost: None,
    };
    let out = app
        .run::<ChainRoleChanges>(
            Some(token),
            chain_role_changes::Variables { filter: Some(filter) },
        )
        .await;
    out.ok().audit_events.edges.iter().map(|e| e.node.clone()).collect()
}

async fn block_time(chain: &Chain, block: u64) -> i64 {
    let block =
        chain.provider().get_block_by_number(block.into()).await.expect("rpc").expect("block");
    i64::try_from(block.header.timestamp).expect("time")
}

fn seconds(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).expect("time").timestamp()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_first_start_names_a_separate_admin_and_the_trail_shows_both_roles(pool: PgPool) {
    let app = support::app(pool).await;
    let (gateway, admin) = (app.state.chain.gateway(), support::admin(&app.anvil));
    assert_eq!((gateway, admin), (well_known::ANVIL[0], well_known::ANVIL[1]));
    let d = app.state.deployment.clone();
    let chain = &app.state.chain;
    assert_eq!(
        gateways::roles(chain, d.address, gateway).await.expect("roles"),
        Roles { gateway: true, admin: false }
    );
    assert_eq!(
        gateways::roles(chain, d.address, admin).await.expect("roles"),
        Roles { gateway: false, admin: true }
    );
    caught_up(&app).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    let time = block_time(chain, d.block).await;
    let [admin_row] = &role_changes(&app, &token, "CONTRACT_ADMIN_ADDED").await[..] else {
        panic!("one CONTRACT_ADMIN_ADDED row")
    };
    let [gateway_row] = &role_changes(&app, &token, "GATEWAY_ADDED").await[..] else {
        panic!("one GATEWAY_ADDED row")
    };
    // The constructor grants the admin first, then the gateway; the deployer
    // (the gateway, which paid the gas) sent both and kept nothing else.
    for (row, account, log_index) in [(admin_row, admin, 0), (gateway_row, gateway, 1)] {
        assert_eq!(row.account.as_deref(), Some(account.to_string().as_str()));
        assert_eq!(row.sender.as_deref(), Some(gateway.to_string().as_str()));
        assert_eq!(row.actor_system_id, gateway.into_word().to_string());
        assert_eq!(
            row.subject_system_id.as_deref(),
            Some(account.into_word().to_string().as_str())
        );
        assert!(row.actor.is_none() && row.subject.is_none(), "an account word names no user");
        assert!(row.approved);
        assert_eq!(row.block_number, d.block.to_string());
        assert_eq!(row.transaction_hash, d.transaction.to_string());
        assert_eq!(row.log_index, log_index);
        assert_eq!(seconds(&row.timestamp), time);
    }
    for kind in ["GATEWAY_REMOVED", "CONTRACT_ADMIN_REMOVED"] {
        assert!(role_changes(&app, &token, kind).await.is_empty(), "no {kind}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_gateway_key_is_rotated_with_the_careledger_command(pool: PgPool) {
    let mut app = support::app(pool.clone()).await;
    let rpc = app.anvil.endpoint();
    let d = app.state.deployment.clone();
    let old = app.state.chain.gateway();
    let admin = support::admin(&app.anvil);
    let keys = TempDir::new();

    // 1. A new key, in a file only its owner reads.
    let key_file = keys.0.join("gateway-2.key");
    let out =
        careledger(&["key", "generate", "--output", key_file.to_str().expect("path")], &[]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let new: Address = stdout(&out).trim().parse().expect("the new key's address");
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&key_file).expect("key file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = careledger(&["key", "address", key_file.to_str().expect("path")], &[]).await;
    assert_eq!(stdout(&out).trim(), new.to_string());
    let new_key = std::fs::read_to_string(&key_file).expect("key").trim().to_owned();
    fund(&rpc, dev_signer(&app.anvil, 2), new).await;

    // 2. The admin adds it: a gateway now, with no admin role.
    let admin_env = [
        ("DATABASE_URL", database_url(&pool).await),
        ("CHAIN_RPC_URL", rpc.clone()),
        ("CHAIN_ADMIN_KEY", support::admin_key(&app.anvil)),
    ];
    let new_text = new.to_string();
    let out = careledger(&["gateway", "add", &new_text], &admin_env).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let first_line = printed.lines().next().unwrap_or_default();
    assert!(first_line.starts_with(&format!("gateway {new} added in block ")), "{printed}");
    let (added_block, added_tx) = mined(first_line);
    let chain = app.state.chain.clone();
    assert_eq!(
        gateways::roles(&chain, d.address, new).await.expect("roles"),
        Roles { gateway: true, admin: false }
    );
    let out = careledger(&["gateway", "list"], &admin_env).await;
    assert_eq!(
        stdout(&out),
        format!(
            "contract {} on chain 31337\n  admin   {admin}\n  gateway {old}\n  gateway {new}\n",
            d.address
        )
    );

    // 3. The api switches to the new key: it starts and is served by it.
    let data = TempDir::new();
    let switched = careledger::app::assemble(pool.clone(), config(&rpc, &new_key, &data.0, &[]))
        .await
        .expect("an api with the new gateway key starts");
    assert_eq!(switched.chain.gateway(), new);
    let previous = std::mem::replace(&mut app.state, switched);
    app.schema = careledger::graphql::schema(app.state.clone());
    previous.audit.stop();
    drop(previous);

    // 4. The admin removes the old key, which can no longer start an api.
    let old_text = old.to_string();
    let out = careledger(&["gateway", "remove", &old_text], &admin_env).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = stdout(&out);
    let first_line = printed.lines().next().unwrap_or_default();
    assert!(first_line.starts_with(&format!("gateway {old} removed in block ")), "{printed}");
    let (removed_block, removed_tx) = mined(first_line);
    assert_eq!(
        gateways::roles(&chain, d.address, old).await.expect("roles"),
        Roles { gateway: false, admin: false }
    );
    let refused = careledger::app::assemble(pool.clone(), config(&rpc, DEV_KEY, &data.0, &[]))
        .await
        .expect_err("the old key is refused at start")
        .to_string();
    assert!(
        refused.starts_with(&format!(
            "CHAIN_GATEWAY_KEY's account {old} is not a gateway of the contract at {}",
            d.address
        )),
        "{refused}"
    );

    // 5. The trail, read through the new gateway (this search is itself an
    //    access the contract decides), shows both changes and who made them.
    caught_up(&app).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    let added = role_changes(&app, &token, "GATEWAY_ADDED").await;
    let summary: Vec<_> = added
        .iter()
        .map(|r| (r.account.clone(), r.sender.clone(), r.block_number.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (Some(new.to_string()), Some(admin.to_string()), added_block.clone()),
            (Some(old.to_string()), Some(old.to_string()), d.block.to_string()),
        ],
        "newest first: the new gateway, added by the admin; the first, by the deployment"
    );
    assert_eq!(added[0].transaction_hash, added_tx);
    let removed = role_changes(&app, &token, "GATEWAY_REMOVED").await;
    assert_eq!(removed.len(), 1);
    let r = &removed[0];
    assert_eq!(
        (r.account.as_deref(), r.sender.as_deref(), &r.block_number, &r.transaction_hash),
        (Some(old_text.as_str()), Some(admin.to_string().as_str()), &removed_block, &removed_tx)
    );
    assert!(r.approved);
    let at = removed_block.parse::<u64>().expect("block");
    assert_eq!(seconds(&r.timestamp), block_time(&chain, at).await);
    let search = &app
        .run::<ChainRoleChanges>(Some(&token), chain_role_changes::Variables { filter: None })
        .await;
    let sent = chain
        .provider()
        .get_transaction_by_hash(search.audit[0].transaction_hash)
        .await
        .expect("rpc")
        .expect("transaction");
    assert_eq!(sent.from(), new, "the new gateway recorded the search");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_careledger_command_refuses_what_would_break_the_separation(pool: PgPool) {
    let app = support::app(pool.clone()).await;
    let rpc = app.anvil.endpoint();
    let d = app.state.deployment.clone();
    let (gateway, admin) = (app.state.chain.gateway(), support::admin(&app.anvil));
    let db = database_url(&pool).await;
    let env = |key: String| {
        [("DATABASE_URL", db.clone()), ("CHAIN_RPC_URL", rpc.clone()), ("CHAIN_ADMIN_KEY", key)]
    };
    let height = app.state.chain.block_number().await.expect("head");
    let stranger = Address::repeat_byte(0x5a);

    // Signed by an account that is not the admin.
    let not_admin = format!("0x{}", alloy::hex::encode(app.anvil.keys()[2].to_bytes()));
    let out = careledger(&["gateway", "add", &stranger.to_string()], &env(not_admin)).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!(
            "CHAIN_ADMIN_KEY's account {} is not the admin of the contract at {}",
            app.anvil.addresses()[2],
            d.address
        )),
        "{}",
        stderr(&out)
    );
    // The admin made a gateway.
    let out =
        careledger(&["gateway", "add", &admin.to_string()], &env(support::admin_key(&app.anvil)))
            .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains(&format!("{admin} is the contract's admin")), "{}", stderr(&out));
    // The only gateway removed.
    let out = careledger(
        &["gateway", "remove", &gateway.to_string()],
        &env(support::admin_key(&app.anvil)),
    )
    .await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("{gateway} is the contract's only gateway")),
        "{}",
        stderr(&out)
    );
    assert_eq!(app.state.chain.block_number().await.expect("head"), height, "nothing was sent");
    assert_eq!(
        gateways::roles(&app.state.chain, d.address, gateway).await.expect("roles"),
        Roles { gateway: true, admin: false }
    );

    // For a multisig admin: the transaction to propose, no key needed.
    let out = careledger(
        &["gateway", "add", &stranger.to_string(), "--calldata"],
        &[("DATABASE_URL", db.clone()), ("CHAIN_RPC_URL", rpc.clone())],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let call = Call::add_gateway(d.address, stranger);
    assert_eq!(
        stdout(&out),
        format!(
            "chain id 31337; send from the contract's admin, in this order:\n  to   {}\n  data {}\n",
            call.to, call.data
        )
    );
    // grantRole(bytes32,address)
    assert!(call.data.to_string().starts_with("0x2f2ff15d"), "{}", call.data);
}

#[sqlx::test(migrations = "../migrations")]
async fn well_known_keys_are_refused_off_a_local_development_chain(pool: PgPool) {
    // Loopback, but not a development chain id (a Besu network run locally).
    let anvil = support::anvil_with(&["--chain-id", "18471"]);
    match Chain::connect(&anvil.endpoint(), &SecretString::from(DEV_KEY)).await {
        Err(ChainError::WellKnownKey(e)) => {
            assert_eq!(
                (e.what, e.account, e.chain_id),
                ("CHAIN_GATEWAY_KEY", WellKnown::Anvil(0), 18471)
            );
        }
        other => panic!("expected the development key refused, got {other:?}"),
    }
    // An own gateway key, but a well-known admin: refused before deploying.
    let own = PrivateKeySigner::random();
    fund(&anvil.endpoint(), dev_signer(&anvil, 2), own.address()).await;
    let own_key = format!("0x{}", alloy::hex::encode(own.to_bytes()));
    let data = TempDir::new();
    let err = careledger::app::assemble(
        pool.clone(),
        config(
            &anvil.endpoint(),
            &own_key,
            &data.0,
            &[("CHAIN_ADMIN_ADDRESS", anvil.addresses()[1].to_string())],
        ),
    )
    .await
    .expect_err("refused")
    .to_string();
    assert!(
        err.starts_with(&format!(
            "CHAIN_ADMIN_ADDRESS is Anvil's (and Hardhat's) development account #1 ({})",
            anvil.addresses()[1]
        )),
        "{err}"
    );
    let deployed: i64 = sqlx::query_scalar("SELECT count(*) FROM chain_deployment")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(deployed, 0, "nothing was deployed");
    // With an admin of its own it starts.
    let admin = PrivateKeySigner::random().address();
    let state = careledger::app::assemble(
        pool,
        config(&anvil.endpoint(), &own_key, &data.0, &[("CHAIN_ADMIN_ADDRESS", admin.to_string())]),
    )
    .await
    .expect("starts");
    let roles =
        gateways::roles(&state.chain, state.deployment.address, admin).await.expect("roles");
    assert_eq!(roles, Roles { gateway: false, admin: true });
    state.audit.stop();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_first_start_without_an_admin_or_with_an_unfunded_gateway_explains_itself(pool: PgPool) {
    let anvil = support::anvil();
    let data = TempDir::new();
    let err =
        careledger::app::assemble(pool.clone(), config(&anvil.endpoint(), DEV_KEY, &data.0, &[]))
            .await
            .expect_err("no admin")
            .to_string();
    assert!(err.contains("this first start deploys one and needs its admin"), "{err}");
    let unfunded = format!("0x{}", alloy::hex::encode(PrivateKeySigner::random().to_bytes()));
    let admin = [("CHAIN_ADMIN_ADDRESS", support::admin(&anvil).to_string())];
    let err =
        careledger::app::assemble(pool, config(&anvil.endpoint(), &unfunded, &data.0, &admin))
            .await
            .expect_err("unfunded")
            .to_string();
    assert!(err.starts_with("CHAIN_GATEWAY_KEY's account 0x"), "{err}");
    assert!(err.contains("holds no ether"), "{err}");
    assert_eq!(anvil_height(&anvil).await, 0, "nothing was sent");
}

async fn anvil_height(anvil: &AnvilInstance) -> u64 {
    support::chain(anvil).await.block_number().await.expect("head")
}

/// The listed addresses are the tools' own: Anvil's default accounts, and
/// Ganache's with `--wallet.deterministic`.
#[tokio::test]
async fn the_well_known_accounts_are_the_development_chains_own() {
    let anvil = support::anvil();
    assert_eq!(anvil.addresses()[..10], well_known::ANVIL);
    let ganache = Ganache::start(&["--wallet.deterministic"]);
    let accounts: Vec<Address> = ganache.provider().await.get_accounts().await.expect("accounts");
    assert_eq!(accounts[..10], well_known::GANACHE_DETERMINISTIC);
}

/// Ganache leaves `blockTimestamp` out of its logs: the role events get
/// their block's time all the same.
#[sqlx::test(migrations = "../migrations")]
async fn role_events_get_their_block_time_on_ganache(pool: PgPool) {
    let ganache = Ganache::start(&[
        "--wallet.mnemonic",
        "test test test test test test test test test test test junk",
    ]);
    let data = TempDir::new();
    let admin = well_known::ANVIL[1];
    let state = careledger::app::assemble(
        pool,
        config(&ganache.url, DEV_KEY, &data.0, &[("CHAIN_ADMIN_ADDRESS", admin.to_string())]),
    )
    .await
    .expect("starts on Ganache");
    let head = state.chain.block_number().await.expect("head");
    assert!(state.audit.wait_for(head, std::time::Duration::from_secs(30)).await);
    let rows = careledger::audit::search::all_from(&state.pool, None, 100).await.expect("rows");
    let roles: Vec<_> = rows
        .iter()
        .filter(|e| e.kind.names_accounts())
        .map(|e| (e.kind.as_str(), e.account(), e.block_number))
        .collect();
    let block = state.deployment.block;
    assert_eq!(
        roles,
        [
            ("CONTRACT_ADMIN_ADDED", Some(admin), block),
            ("GATEWAY_ADDED", Some(well_known::ANVIL[0]), block)
        ]
    );
    let time = block_time(&state.chain, block).await;
    for row in rows.iter().filter(|e| e.kind.names_accounts()) {
        assert_eq!(row.timestamp.timestamp(), time);
    }
    state.audit.stop();
}

/// A Ganache 7 (from node_modules) on a free loopback port, killed when dropped.
struct Ganache {
    child: std::process::Child,
    url: String,
}

impl Ganache {
    fn start(args: &[&str]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/ganache");
        let child = std::process::Command::new(&bin)
            .args(["--server.host", "127.0.0.1", "--server.port", &port.to_string()])
            .args(["--logging.quiet", "--chain.chainId", "1337"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} starts (run `make deps`): {e}", bin.display()));
        // Killed and waited for when dropped, on every path from here.
        let ganache = Self { child, url: format!("http://127.0.0.1:{port}") };
        for _ in 0..300 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return ganache;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("Ganache did not listen on {} within 15 s", ganache.url);
    }

    async fn provider(&self) -> impl Provider {
        ProviderBuilder::new().connect_http(self.url.parse().expect("url"))
    }
}

impl Drop for Ganache {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
