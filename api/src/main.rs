//! `careledger`: the CareLedger api server and its administrative commands.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use careledger::config::{Config, GateMode};

#[derive(Parser)]
#[command(name = "careledger", version, about = "CareLedger: health records whose every access is decided and recorded on chain")]
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
    let filter = EnvFilter::try_from_env("CARELEDGER_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    careledger::serve::install_crypto();
    let cli = Cli::parse();
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
        Command::Verify => run_async(audit_cli::verify(config)),
        Command::Audit { command: AuditCommand::Reindex } => run_async(audit_cli::reindex(config)),
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

mod audit_cli {
    use std::io::Write as _;
    use std::path::PathBuf;

    use anyhow::{bail, Context as _};
    use careledger::audit::{admin, export, verify};
    use careledger::config::Config;

    pub async fn reindex(config: Config) -> anyhow::Result<()> {
        let offline = admin::connect(&config).await?;
        let count = offline.indexer.reindex().await?;
        println!("audit index rebuilt from the chain: {count} events");
        Ok(())
    }

    pub async fn export(config: Config, format: String, output: Option<PathBuf>) -> anyhow::Result<()> {
        if format != "fhir" {
            bail!("--format {format}: only `fhir` is supported");
        }
        let offline = admin::connect(&config).await?;
        offline.indexer.catch_up().await?;
        let count = match &output {
            Some(path) => {
                let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
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
        offline.indexer.catch_up().await?;
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records ({eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let (summary, problems) = verify::all(&offline.pool, |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        })
        .await?;
        bar.finish();
        for report in &problems {
            for v in report.versions.iter().filter(|v| v.status != verify::Status::Verified) {
                println!("record {} version {}: {}", report.record_id, v.version, v.status.as_str());
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
