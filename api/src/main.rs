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
}

fn parse_gate(s: &str) -> Result<GateMode, String> {
    s.parse()
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Seeding logs only warnings by default: one line per account and record
    // would bury the progress bar.
    let default_filter = if matches!(cli.command, Some(Command::Seed { .. })) { "warn" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_env("CARELEDGER_LOG").unwrap_or_else(|_| EnvFilter::new(default_filter));
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
        println!("  {:<28} {:<13} {}", login.username, login.role.as_str(), login.designation.as_deref().unwrap_or(""));
    }
    println!("  ... and {} more patients (search for them in the app)", report.patients.saturating_sub(report.sample_patients.len()));
    match &report.generated_password {
        Some(p) => println!("\nEvery demo account's password: {p}  (generated; pass --password to choose one)"),
        None => println!("\nEvery demo account's password is the one given with --password."),
    }
}

fn run_async<F: std::future::Future<Output = anyhow::Result<()>>>(f: F) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(f)
}
