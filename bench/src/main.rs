//! `careledger-bench`: how much hospital fits on one machine.
//!
//! ```text
//! careledger-bench --scenario read --duration 30s --concurrency 64 --compare-naive --json out.json
//! careledger-bench --scenario read --rate 1000 --duration 30s      # open loop
//! ```

use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Parser;

use careledger_bench::chain::ChainProbe;
use careledger_bench::client::Client;
use careledger_bench::fixture::Fixture;
use careledger_bench::load::{Plan, Stop};
use careledger_bench::naive::NaiveApi;
use careledger_bench::scenario::{Scenario, Shared};

#[derive(Parser, Debug)]
#[command(name = "careledger-bench", version, about = "Load generator for the CareLedger api")]
struct Args {
    /// The api under test.
    #[arg(long, default_value = "https://127.0.0.1:8443")]
    url: String,
    /// The chain's JSON-RPC endpoint, to count what the contract recorded.
    #[arg(long, env = "CHAIN_RPC_URL", default_value = "http://127.0.0.1:8545")]
    chain_rpc: String,
    #[arg(long, value_enum, default_value = "read")]
    scenario: Scenario,
    /// How long to run (e.g. 30s, 2m).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    duration: Duration,
    /// Stop after this many requests instead of a duration.
    #[arg(long)]
    requests: Option<u64>,
    /// Clients (closed loop), or the spread of workers (open loop).
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Open loop: start this many requests per second whatever the answers.
    #[arg(long)]
    rate: Option<f64>,
    /// Also run against an api started with `--gate naive` and print the ratio.
    #[arg(long)]
    compare_naive: bool,
    /// Where the naive api listens.
    #[arg(long, default_value = "127.0.0.1:8444")]
    naive_bind: String,
    /// The api binary to start for `--compare-naive`.
    #[arg(long, default_value = "target/release/careledger")]
    api_binary: String,
    /// Write the report(s) as JSON to this file (`-` for stdout).
    #[arg(long)]
    json: Option<String>,
    /// Accept the api's self-signed certificate.
    #[arg(long)]
    insecure: bool,
    #[arg(long, env = "CARELEDGER_ROOT_PASSWORD", hide_env_values = true)]
    root_password: String,
    /// Patients created for the run (each with one record).
    #[arg(long, default_value_t = 64)]
    patients: usize,
    /// Doctors created for the run. Each signed-in user has a request quota
    /// (`CARELEDGER_USER_RATE`, 200 a second by default): the load is spread
    /// over enough accounts that no one of them passes it.
    #[arg(long, default_value_t = 64)]
    doctors: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = Client::new(&args.url, args.insecure)?;
    let health = client
        .health()
        .await
        .with_context(|| format!("the api at {} does not answer", args.url))?;
    let contract =
        health["chain"]["contract"].as_str().context("healthz names no contract")?.to_owned();
    let probe = ChainProbe::new(&args.chain_rpc, &contract);
    eprintln!(
        "setting up: {} doctors, {} patients with a record each",
        args.doctors, args.patients
    );
    let patients = args.patients.max(args.concurrency.min(256));
    let fixture =
        Fixture::create(&client, &args.root_password, args.doctors.max(1), patients.max(2)).await?;
    let stop = args.requests.map(Stop::Requests).unwrap_or(Stop::After(args.duration));
    let plan = Plan {
        scenario: args.scenario,
        stop,
        concurrency: args.concurrency.max(1),
        rate: args.rate,
    };

    let group = careledger_bench::measure(
        &probe,
        Shared::new(client.clone(), fixture.clone()),
        plan,
        "group",
    )
    .await?;
    group.print();
    let mut reports = vec![group.clone()];
    if args.compare_naive {
        let naive_api = NaiveApi::start(&args.api_binary, &args.naive_bind, args.insecure).await?;
        let naive_client = Client::new(&naive_api.url, args.insecure)?;
        let naive =
            careledger_bench::measure(&probe, Shared::new(naive_client, fixture), plan, "naive")
                .await;
        naive_api.stop().await;
        let naive = naive?;
        naive.print();
        println!(
            "group commit / naive throughput: {:.1}x",
            group.throughput / naive.throughput.max(1e-9)
        );
        reports.push(naive);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&reports)?;
        if path == "-" {
            println!("{text}");
        } else {
            std::fs::write(path, text).with_context(|| format!("writing {path}"))?;
        }
    }
    if let Some(bad) = reports.iter().find(|r| !r.events_match) {
        bail!(
            "ON-CHAIN EVENTS DO NOT MATCH REQUESTS ({} gate): {} events recorded, {} expected",
            bad.gate,
            bad.chain.events,
            bad.expected_events
        );
    }
    Ok(())
}
