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

fn run_async<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}
