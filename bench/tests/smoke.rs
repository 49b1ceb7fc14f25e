//! `make test` runs the benchmark in a short smoke mode only, to prove every
//! scenario works end to end — an in-process api over real HTTPS, a real
//! PostgreSQL database and a real Anvil — and that the chain holds exactly
//! the events the requests made. No timing is asserted.

use std::path::PathBuf;
use std::sync::Arc;

use alloy::node_bindings::Anvil;
use careledger_bench::chain::ChainProbe;
use careledger_bench::client::Client;
use careledger_bench::fixture::Fixture;
use careledger_bench::load::{Plan, Stop};
use careledger_bench::scenario::{Scenario, Shared};
use sqlx::PgPool;

/// Anvil's well-known development key #0 (public; test chains only).
const DEV_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ROOT_PASSWORD: &str = "bench smoke root password";

#[sqlx::test(migrations = "../migrations")]
async fn every_scenario_runs_and_the_chain_holds_exactly_its_events(pool: PgPool) {
    careledger::serve::install_crypto();
    let anvil = Anvil::at(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"),
    )
    .try_spawn()
    .expect("anvil");
    let data_dir = std::env::temp_dir().join(format!("careledger-bench-{}", std::process::id()));
    let vars = [
        ("CHAIN_RPC_URL", anvil.endpoint()),
        ("CHAIN_GATEWAY_KEY", DEV_KEY.to_owned()),
        // The contract's admin: Anvil's development account #1 (public).
        ("CHAIN_ADMIN_ADDRESS", anvil.addresses()[1].to_string()),
        ("CARELEDGER_DATA_DIR", data_dir.display().to_string()),
        ("CARELEDGER_ROOT_PASSWORD", ROOT_PASSWORD.to_owned()),
        ("CARELEDGER_BIND", "127.0.0.1:0".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = careledger::config::Config::from_vars(vars).expect("config");
    let state = careledger::app::assemble(pool, config).await.expect("api");
    let contract = state.deployment.address.to_string();
    let (addr, handle) = careledger::serve::spawn(state).await.expect("serve");

    let client = Client::new(&format!("https://{addr}"), true).expect("client");
    let probe = ChainProbe::new(&anvil.endpoint(), &contract);
    let fixture = Fixture::create(&client, ROOT_PASSWORD, 2, 4).await.expect("fixture");
    for scenario in [
        Scenario::Read,
        Scenario::Write,
        Scenario::Mixed,
        Scenario::Denied,
        Scenario::Login,
        Scenario::Search,
        Scenario::SearchStaff,
    ] {
        let plan = Plan { scenario, stop: Stop::Requests(20), concurrency: 4, rate: None };
        let shared = Shared::new(client.clone(), fixture.clone());
        let report = careledger_bench::measure(&probe, Arc::clone(&shared), plan, "group")
            .await
            .expect("run");
        assert_eq!(report.requests, 20, "{scenario:?}");
        let expected_code = if scenario == Scenario::Denied { "FORBIDDEN" } else { "OK" };
        assert_eq!(
            report.outcomes.get(expected_code),
            Some(&20),
            "{scenario:?}: {:?}",
            report.outcomes
        );
        let per_request = match scenario {
            Scenario::Read | Scenario::Denied | Scenario::SearchStaff => 20,
            // The search and the fixture's 4 patients it lists, each time.
            Scenario::Search => 100,
            Scenario::Write => 40,
            Scenario::Mixed => 22, // 18 reads, 2 writes of 2 events each
            Scenario::Login => 20, // SIGNED_IN each
        };
        assert_eq!(report.expected_events, per_request, "{scenario:?}");
        assert_eq!(
            report.chain.events, per_request,
            "{scenario:?}: the chain holds exactly the events"
        );
        assert!(report.events_match);
        if per_request > 0 {
            assert!(report.chain.transactions >= 1 && report.chain.transactions <= per_request);
        }
    }
    // An open-loop run works too.
    let plan = Plan {
        scenario: Scenario::Read,
        stop: Stop::Requests(10),
        concurrency: 4,
        rate: Some(50.0),
    };
    let report = careledger_bench::measure(&probe, Shared::new(client, fixture), plan, "group")
        .await
        .expect("open loop");
    assert_eq!((report.requests, report.chain.events), (10, 10));
    handle.shutdown();
    let _ = std::fs::remove_dir_all(&data_dir);
}
