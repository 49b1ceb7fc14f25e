//! `careledger`: the CareLedger api server and its administrative commands.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use careledger::config::{Config, GateMode};

/// jemalloc rather than glibc's malloc: a request allocates and frees many
/// small objects across the runtime's threads, and glibc's malloc was a sixth
/// of the api's CPU under the read benchmark (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "careledger",
    version,
    about = "CareLedger: health records whose every access is decided and recorded on chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the api over HTTPS (the default).
    Serve {
        /// `group` (group commit, default) or `naive` (one transaction per request).
        #[arg(long, value_parser = parse_gate)]
        gate: Option<GateMode>,
    },
    /// Load and check the configuration, print it (secrets hidden), and exit.
    CheckConfig,
    /// Print the GraphQL schema (SDL); `schema.graphql` is this output.
    ExportSchema,
    /// Create a demo hospital (staff, patients, versioned records), every
    /// change on chain. Needs `--demo`; never runs on its own.
    Seed {
        /// Required: says you mean to fill this database with demo data.
        #[arg(long)]
        demo: bool,
        /// Seed even though the database has accounts besides root.
        #[arg(long)]
        force: bool,
        /// The password every demo account shares (12 to 128 characters);
        /// generated and printed when not given.
        #[arg(long, env = "CARELEDGER_DEMO_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// How many patients.
        #[arg(long, default_value_t = 300)]
        patients: usize,
        /// Seed of the random choices, for a repeatable demo.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Verify every stored health record version against the hashes anchored
    /// on chain; exits non-zero on any mismatch or missing version.
    Verify,
    /// The audit trail: rebuild its index, export it.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Chain keys: make a new one, or print a key's address.
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// The contract's gateways, the accounts api servers sign with: list,
    /// add, remove. Changes are signed with the admin's CHAIN_ADMIN_KEY.
    Gateway {
        #[command(subcommand)]
        command: GatewayCommand,
    },
    /// The contract's admin: hand its role to another account (a multisig,
    /// or a key kept offline), signed with the current CHAIN_ADMIN_KEY.
    ContractAdmin {
        #[command(subcommand)]
        command: ContractAdminCommand,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// A new secp256k1 key from the operating system's random source: prints
    /// its address, and the key itself unless --output is given.
    Generate {
        /// Write the key (hex) to this new file, readable by its owner only.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Print the address of the key (hex) in FILE; `-` reads standard input.
    Address { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum GatewayCommand {
    /// The contract's gateways now, as the chain has them.
    List,
    /// Let ADDRESS record on chain (grants it GATEWAY_ROLE).
    Add {
        #[arg(value_parser = parse_address)]
        address: alloy::primitives::Address,
        /// Print the transaction for the admin to send (e.g. to propose in a
        /// multisig) instead of signing it; needs no CHAIN_ADMIN_KEY.
        #[arg(long)]
        calldata: bool,
    },
    /// Stop ADDRESS from recording on chain (revokes GATEWAY_ROLE).
    Remove {
        #[arg(value_parser = parse_address)]
        address: alloy::primitives::Address,
        /// Print the transaction instead of signing it.
        #[arg(long)]
        calldata: bool,
        /// Remove it even if it is the last gateway (nothing can then be recorded).
        #[arg(long)]
        allow_none: bool,
    },
}

#[derive(Subcommand)]
enum ContractAdminCommand {
    /// Grant the admin role to ADDRESS, then renounce the current admin's own.
    Transfer {
        #[arg(value_parser = parse_address)]
        address: alloy::primitives::Address,
        /// Print the two transactions instead of signing them.
        #[arg(long)]
        calldata: bool,
    },
}

fn parse_address(s: &str) -> Result<alloy::primitives::Address, String> {
    s.parse()
        .ok()
        .filter(|_| s.len() == 42 && s.starts_with("0x"))
        .ok_or_else(|| format!("`{s}` is not an account address (0x and 40 hex digits)"))
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Delete the audit index and rebuild it from the chain.
    Reindex,
    /// Compare every indexed event with the chain's logs (missing, altered,
    /// extra, wrongly flagged duplicate); print what differs and exit
    /// non-zero on any difference.
    Check {
        /// Also set each difference right from the chain, recording the
        /// repair for auditors (as the running api does by itself).
        #[arg(long)]
        repair: bool,
    },
    /// Write the trail (catching the index up first).
    Export {
        /// Output format: `fhir` (FHIR R4 AuditEvent resources, NDJSON).
        #[arg(long, default_value = "fhir")]
        format: String,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

fn parse_gate(s: &str) -> Result<GateMode, String> {
    s.parse()
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Seeding logs only warnings by default: one line per account and record
    // would bury the progress bar.
    let default_filter =
        if matches!(cli.command, Some(Command::Seed { .. })) { "warn" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_env("CARELEDGER_LOG")
        .unwrap_or_else(|_| EnvFilter::new(default_filter));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    careledger::serve::install_crypto();
    if matches!(cli.command, Some(Command::ExportSchema)) {
        print!("{}", careledger::graphql::sdl());
        return std::process::ExitCode::SUCCESS;
    }
    // Keys need no configuration: they are what the configuration will hold.
    if let Some(Command::Key { command }) = &cli.command {
        let result = match command {
            KeyCommand::Generate { output } => chain_cli::generate(output.as_deref()),
            KeyCommand::Address { file } => chain_cli::address(file),
        };
        return match result {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("careledger: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("careledger: configuration error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve { gate: None }) {
        Command::CheckConfig => {
            println!("{config:#?}");
            Ok(())
        }
        Command::ExportSchema => Ok(()),
        Command::Seed { demo, force, password, patients, seed } => {
            if !demo {
                eprintln!("careledger seed: refusing to run without --demo (it fills the database with demo accounts and records)");
                return std::process::ExitCode::from(2);
            }
            let options = careledger::seed::Options {
                force,
                password: password.map(secrecy::SecretString::from),
                patients,
                seed,
            };
            run_async(async move {
                let state = careledger::app::state(config).await?;
                let report = careledger::seed::run(&state, options).await?;
                print_seed_report(&report);
                Ok(())
            })
        }
        Command::Verify => run_async(audit_cli::verify(config)),
        Command::Audit { command: AuditCommand::Reindex } => run_async(audit_cli::reindex(config)),
        Command::Audit { command: AuditCommand::Check { repair } } => {
            run_async(audit_cli::check(config, repair))
        }
        Command::Audit { command: AuditCommand::Export { format, output } } => {
            run_async(audit_cli::export(config, format, output))
        }
        Command::Key { .. } => Ok(()),
        Command::Gateway { command: GatewayCommand::List } => run_async(chain_cli::list(config)),
        Command::Gateway { command: GatewayCommand::Add { address, calldata } } => {
            run_async(chain_cli::add(config, address, calldata))
        }
        Command::Gateway { command: GatewayCommand::Remove { address, calldata, allow_none } } => {
            run_async(chain_cli::remove(config, address, calldata, allow_none))
        }
        Command::ContractAdmin {
            command: ContractAdminCommand::Transfer { address, calldata },
        } => run_async(chain_cli::transfer_admin(config, address, calldata)),
        Command::Serve { gate } => {
            if let Some(gate) = gate {
                config.gate = gate;
            }
            run_async(async move {
                let state = careledger::app::state(config).await?;
                careledger::serve::run(state).await
            })
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("careledger: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn print_seed_report(report: &careledger::seed::Report) {
    println!(
        "Demo hospital ready: {} staff, {} patients, {} records in {} versions, every change on chain.",
        report.staff.len(),
        report.patients,
        report.records,
        report.versions
    );
    let care = &report.care;
    println!(
        "Care: {} care-team memberships, {} admissions, {} break-the-glass ({} reviewed), {} restrictions.",
        care.memberships, care.admissions, care.glass_broken, care.glass_reviewed, care.restrictions
    );
    println!("\nDemo logins (username, role, designation):");
    for login in report.staff.iter().chain(&report.sample_patients) {
        println!(
            "  {:<28} {:<13} {}",
            login.username,
            login.role.as_str(),
            login.designation.as_deref().unwrap_or("")
        );
    }
    println!(
        "  ... and {} more patients (search for them in the app)",
        report.patients.saturating_sub(report.sample_patients.len())
    );
    match &report.generated_password {
        Some(p) => println!(
            "\nEvery demo account's password: {p}  (generated; pass --password to choose one)"
        ),
        None => println!("\nEvery demo account's password is the one given with --password."),
    }
}

mod audit_cli {
    use std::io::Write as _;
    use std::path::PathBuf;

    use anyhow::{bail, Context as _};
    use careledger::audit::{admin, check, export, verify};
    use careledger::config::Config;

    pub async fn reindex(config: Config) -> anyhow::Result<()> {
        let offline = admin::connect(&config).await?;
        let count = offline.indexer.reindex().await?;
        println!("audit index rebuilt from the chain: {count} events");
        Ok(())
    }

    pub async fn check(config: Config, repair: bool) -> anyhow::Result<()> {
        let offline = admin::connect(&config).await?;
        offline.indexer.catch_up().await?;
        let report = check::full(&offline.indexer, repair).await?;
        for difference in &report.differences {
            println!("{difference}");
        }
        let counts: Vec<String> = check::Finding::ALL
            .into_iter()
            .map(|f| format!("{} {}", report.count(f), f.as_str().to_lowercase().replace('_', " ")))
            .collect();
        println!(
            "blocks {}..={}: {} events on chain; {}{}",
            report.from,
            report.to,
            report.logs,
            counts.join(", "),
            if repair && !report.clean() { " (repaired)" } else { "" }
        );
        if !report.clean() {
            bail!("the audit index differs from the chain");
        }
        Ok(())
    }

    pub async fn export(
        config: Config,
        format: String,
        output: Option<PathBuf>,
    ) -> anyhow::Result<()> {
        if format != "fhir" {
            bail!("--format {format}: only `fhir` is supported");
        }
        let offline = admin::connect(&config).await?;
        offline.indexer.catch_up().await?;
        let count = match &output {
            Some(path) => {
                let file = std::fs::File::create(path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                let mut out = std::io::BufWriter::new(file);
                let n = export::write_fhir(&offline.pool, &offline.deployment, &mut out).await?;
                out.flush()?;
                n
            }
            None => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                let n = export::write_fhir(&offline.pool, &offline.deployment, &mut out).await?;
                out.flush()?;
                n
            }
        };
        eprintln!("exported {count} audit events as FHIR AuditEvent (NDJSON)");
        Ok(())
    }

    pub async fn verify(config: Config) -> anyhow::Result<()> {
        let offline = admin::connect(&config).await?;
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (summary, problems) =
            verify::all(&offline.pool, &offline.chain, &offline.deployment, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await?;
        bar.finish();
        for report in &problems {
            for v in report.versions.iter().filter(|v| v.status != verify::Status::Verified) {
                println!(
                    "record {} version {}: {}",
                    report.record_id,
                    v.version,
                    v.status.as_str()
                );
            }
        }
        println!(
            "{} records: {} versions verified, {} mismatched, {} missing on chain, {} missing in the database",
            summary.records, summary.verified, summary.mismatch, summary.missing_on_chain, summary.missing_in_database
        );
        if !summary.clean() {
            bail!("integrity check failed");
        }
        Ok(())
    }
}

/// `careledger key`, `careledger gateway` and `careledger contract-admin`:
/// the chain keys and who holds the contract's roles (README, "Chain keys").
mod chain_cli {
    use std::io::{Read as _, Write as _};
    use std::path::Path;

    use alloy::primitives::Address;
    use alloy::signers::local::PrivateKeySigner;
    use anyhow::{bail, Context as _};
    use careledger::chain::deployment::{self, Deployment};
    use careledger::chain::gateways::{self, Call, Outcome};
    use careledger::chain::{Chain, Signer};
    use careledger::config::Config;
    use secrecy::ExposeSecret;

    pub fn generate(output: Option<&Path>) -> anyhow::Result<()> {
        let key = PrivateKeySigner::random();
        let hex = format!("0x{}", alloy::hex::encode(key.to_bytes()));
        match output {
            Some(path) => {
                use std::os::unix::fs::OpenOptionsExt as _;
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .with_context(|| {
                        format!("cannot create {} (it must not exist yet)", path.display())
                    })?;
                writeln!(file, "{hex}")?;
                println!("{}", key.address());
            }
            None => {
                println!("key     {hex}");
                println!("address {}", key.address());
            }
        }
        Ok(())
    }

    pub fn address(file: &Path) -> anyhow::Result<()> {
        let mut text = String::new();
        if file == Path::new("-") {
            std::io::stdin().read_to_string(&mut text)?;
        } else {
            text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
        }
        let key: PrivateKeySigner = text.trim().parse().map_err(|_| {
            anyhow::anyhow!("{} does not hold a private key in hex", file.display())
        })?;
        println!("{}", key.address());
        Ok(())
    }

    /// The admin's connection and the contract it administers.
    async fn as_admin(config: &Config) -> anyhow::Result<(Chain, Deployment)> {
        let key = config.admin_key.as_ref().context(
            "CHAIN_ADMIN_KEY: required to sign role changes (or give --calldata to print the \
             transaction for the admin to send)",
        )?;
        let chain = Chain::connect_as(&config.chain_rpc_url, key, Signer::Admin).await?;
        let deployment = contract(config, &chain).await?;
        Ok((chain, deployment))
    }

    async fn contract(config: &Config, chain: &Chain) -> anyhow::Result<Deployment> {
        let pool = careledger::app::database(config).await?;
        deployment::recorded(&pool, chain)
            .await?
            .context("this database records no contract yet: the api deploys it at its first start")
    }

    /// The contract, for --calldata: from the database alone, no key needed.
    async fn contract_offline(config: &Config) -> anyhow::Result<Deployment> {
        let pool = careledger::app::database(config).await?;
        match deployment::all_recorded(&pool).await?.as_slice() {
            [(d, _)] => Ok(d.clone()),
            [] => bail!("this database records no contract yet: the api deploys it at its first start"),
            many => bail!(
                "this database records contracts on several chains ({:?}); sign with CHAIN_ADMIN_KEY instead",
                many.iter().map(|(d, _)| d.chain_id).collect::<Vec<_>>()
            ),
        }
    }

    fn print_calls(deployment: &Deployment, calls: &[Call]) {
        println!(
            "chain id {}; send from the contract's admin, in this order:",
            deployment.chain_id
        );
        for call in calls {
            println!("  to   {}\n  data {}", call.to, call.data);
        }
    }

    fn report(outcome: Outcome, done: &str, already: &str) {
        match outcome {
            Outcome::Changed(m) => {
                println!("{done} in block {} (transaction {})", m.block, m.transaction);
                println!("  the audit trail shows it as soon as the api indexes that block");
            }
            Outcome::Unchanged => println!("{already}: nothing sent"),
        }
    }

    pub async fn list(config: Config) -> anyhow::Result<()> {
        let (key, signer) = match (&config.admin_key, &config.gateway_key) {
            (Some(k), _) => (k, Signer::Admin),
            (None, Some(k)) => (k, Signer::Gateway),
            (None, None) => {
                bail!("CHAIN_ADMIN_KEY or CHAIN_GATEWAY_KEY: one is needed to reach the chain")
            }
        };
        let chain = Chain::connect_as(&config.chain_rpc_url, key, signer).await?;
        let d = contract(&config, &chain).await?;
        let admins = gateways::members(&chain, d.address, gateways::ADMIN_ROLE, d.block).await?;
        let members =
            gateways::members(&chain, d.address, gateways::gateway_role(), d.block).await?;
        println!("contract {} on chain {}", d.address, d.chain_id);
        for admin in &admins {
            println!("  admin   {admin}");
        }
        for gateway in &members {
            println!("  gateway {gateway}");
        }
        if members.is_empty() {
            println!("  no gateway: nothing can be recorded");
        }
        Ok(())
    }

    pub async fn add(config: Config, address: Address, calldata: bool) -> anyhow::Result<()> {
        if calldata {
            let d = contract_offline(&config).await?;
            print_calls(&d, &[Call::add_gateway(d.address, address)]);
            return Ok(());
        }
        let (chain, d) = as_admin(&config).await?;
        let outcome = gateways::add(&chain, d.address, address).await?;
        report(
            outcome,
            &format!("gateway {address} added"),
            &format!("{address} already is a gateway"),
        );
        Ok(())
    }

    pub async fn remove(
        config: Config,
        address: Address,
        calldata: bool,
        allow_none: bool,
    ) -> anyhow::Result<()> {
        if calldata {
            let d = contract_offline(&config).await?;
            print_calls(&d, &[Call::remove_gateway(d.address, address)]);
            return Ok(());
        }
        let (chain, d) = as_admin(&config).await?;
        let members =
            gateways::members(&chain, d.address, gateways::gateway_role(), d.block).await?;
        if members == [address] && !allow_none {
            bail!(
                "{address} is the contract's only gateway: without it nothing can be recorded and \
                 every api answers UNAVAILABLE. Add its successor first (`careledger gateway add`), \
                 or give --allow-none to remove it anyway"
            );
        }
        let outcome = gateways::remove(&chain, d.address, address).await?;
        report(
            outcome,
            &format!("gateway {address} removed"),
            &format!("{address} is not a gateway"),
        );
        let api_gateway = config
            .gateway_key
            .as_ref()
            .and_then(|k| k.expose_secret().parse::<PrivateKeySigner>().ok().map(|s| s.address()));
        if api_gateway == Some(address) {
            eprintln!(
                "careledger: warning: {address} is this environment's CHAIN_GATEWAY_KEY: an api \
                 using it is now refused by the contract"
            );
        }
        Ok(())
    }

    pub async fn transfer_admin(
        config: Config,
        address: Address,
        calldata: bool,
    ) -> anyhow::Result<()> {
        if calldata {
            let current = config.admin_address.context(
                "CHAIN_ADMIN_ADDRESS: required with --calldata: the current admin, which sends \
                 both transactions (the second renounces its own role)",
            )?;
            let d = contract_offline(&config).await?;
            print_calls(
                &d,
                &[Call::add_admin(d.address, address), Call::renounce_admin(d.address, current)],
            );
            return Ok(());
        }
        let (chain, d) = as_admin(&config).await?;
        let (granted, renounced) = gateways::transfer_admin(&chain, d.address, address).await?;
        println!(
            "admin role granted to {address} in block {} (transaction {}), renounced by {} in block {} (transaction {})",
            granted.block,
            granted.transaction,
            chain.account(),
            renounced.block,
            renounced.transaction
        );
        Ok(())
    }
}

fn run_async<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}
