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

fn run_async<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}
