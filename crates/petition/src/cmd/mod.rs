//! The command line: one module per subcommand, each opening what it needs through
//! [`app`](crate::app) and running it through [`runtime`](crate::runtime) — never through another
//! subcommand.

pub mod audit;
pub mod bus;
pub mod demo;
pub mod notifier;
pub mod privacy;
pub mod projections;
pub mod replay;
pub mod rules;
pub mod serve;
pub mod token;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{init_tracing, open};
use crate::settings::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "petition",
    version,
    about = "petition-ledger: an append-only ledger of citizens' petitions"
)]
pub struct Cli {
    /// Settings file (optional; `PETITION_*` environment variables override it).
    #[arg(
        long,
        global = true,
        env = crate::settings::CONFIG_VAR,
        default_value = "petition.toml"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the command API (SQLite under ./data unless PETITION_DATABASE_URL is set).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Print a case's history and state, with every deadline explained, optionally as of a past date.
    Replay(replay::ReplayArgs),
    /// Publish the store to NATS JetStream alone (needs PETITION_NATS_URL); one relay holds the lease.
    Relay,
    /// Inspect the JetStream side.
    #[command(subcommand)]
    Bus(bus::BusCmd),
    /// Manage the read models (case list, statistics).
    #[command(subcommand)]
    Projections(projections::ProjectionsCmd),
    /// Notify petitioners and the inspectorate.
    #[command(subcommand)]
    Notifier(notifier::NotifierCmd),
    /// Open deadlines computed with superseded rule or calendar data: list them, or record corrections.
    #[command(subcommand)]
    Rules(rules::RulesCmd),
    /// Demo data (optional): `petition demo seed` records a small set of cases through the command path.
    #[command(subcommand)]
    Demo(demo::DemoCmd),
    /// Check the ledger against its copies (exit 0 identical, 1 divergent, 2 could not check).
    #[command(subcommand)]
    Audit(audit::AuditCmd),
    /// Create a static service token: prints the token and the settings entry holding only its hash.
    Token(token::TokenArgs),
    /// Personal data: erase a case or a person, rotate the key-encryption key.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCmd),
}

/// Parses the command line and runs the subcommand.
pub async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Audits own their exit codes (a settings error is an operational error, 2, not a divergence, 1).
    let command = match cli.command {
        Cmd::Audit(cmd) => std::process::exit(audit::run(&cli.config, cmd).await),
        command => command,
    };
    let settings = Settings::load(&cli.config)?;
    init_tracing(&settings);
    match command {
        Cmd::Serve => serve::run(settings).await,
        Cmd::Token(args) => token::run(args),
        Cmd::Migrate => {
            let backend = open::migrate(&settings).await?;
            println!("migrations applied ({backend} store)");
            Ok(())
        }
        Cmd::Relay => bus::run_relay(settings).await,
        Cmd::Bus(cmd) => bus::run(settings, cmd).await,
        Cmd::Notifier(cmd) => notifier::run(settings, cmd).await,
        Cmd::Projections(cmd) => projections::run(settings, cmd).await,
        Cmd::Privacy(cmd) => privacy::run(settings, cmd).await,
        Cmd::Rules(cmd) => rules::run(settings, cmd).await,
        Cmd::Demo(cmd) => demo::run(settings, cmd).await,
        Cmd::Replay(args) => {
            let (store, _) = open::sealed(&settings).await?;
            replay::run(store.as_ref(), args).await
        }
        Cmd::Audit(_) => unreachable!("dispatched above"),
    }
}
