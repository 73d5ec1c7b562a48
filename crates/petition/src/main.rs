//! The `petition` binary: a thin shell that reads settings and wires the library crates together.

mod audit_cmd;
mod bus_cmd;
mod console_cmd;
mod demo_cmd;
mod log_cmd;
mod notifier_cmd;
mod observe;
mod privacy_cmd;
mod projections_cmd;
mod replay;
mod rules_cmd;
mod serve;
mod settings;
mod token_cmd;
mod workers;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use secrecy::ExposeSecret;

use crate::settings::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "petition",
    version,
    about = "petition-ledger: an append-only ledger of citizens' petitions"
)]
struct Cli {
    /// Settings file (optional; `PETITION_*` environment variables override it).
    #[arg(
        long,
        global = true,
        env = "PETITION_CONFIG",
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
    Bus(bus_cmd::BusCmd),
    /// Manage the read models (case list, statistics).
    #[command(subcommand)]
    Projections(projections_cmd::ProjectionsCmd),
    /// Notify petitioners and the inspectorate.
    #[command(subcommand)]
    Notifier(notifier_cmd::NotifierCmd),
    /// Open deadlines computed with superseded rule or calendar data: list them, or record corrections.
    #[command(subcommand)]
    Rules(rules_cmd::RulesCmd),
    /// Demo data (optional): `petition demo seed` records a small set of cases through the command path.
    #[command(subcommand)]
    Demo(demo_cmd::DemoCmd),
    /// Check the ledger against its copies (exit 0 identical, 1 divergent, 2 could not check).
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// Create a static service token: prints the token and the settings entry holding only its hash.
    Token(token_cmd::TokenArgs),
    /// Personal data: erase a case or a person, rotate the key-encryption key.
    #[command(subcommand)]
    Privacy(privacy_cmd::PrivacyCmd),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Audits own their exit codes (a settings error is an operational error, 2, not a divergence, 1).
    let command = match cli.command {
        Cmd::Audit(cmd) => std::process::exit(audit_cmd::run(&cli.config, cmd).await),
        command => command,
    };
    let settings = Settings::load(&cli.config)?;
    init_tracing(&settings.log_format);
    match command {
        Cmd::Serve => serve::run(settings).await,
        Cmd::Token(args) => token_cmd::run(args),
        Cmd::Migrate => {
            let store = match &settings.migration_database_url {
                Some(url) => store::connect(url.expose_secret())
                    .await
                    .context("migrating the event store as its owner")?,
                None => connect(&settings).await?,
            };
            println!("migrations applied ({} store)", store.backend());
            Ok(())
        }
        Cmd::Relay => bus_cmd::run_relay(settings).await,
        Cmd::Bus(cmd) => bus_cmd::run(settings, cmd).await,
        Cmd::Notifier(cmd) => notifier_cmd::run(settings, cmd).await,
        Cmd::Projections(cmd) => projections_cmd::run(settings, cmd).await,
        Cmd::Privacy(cmd) => privacy_cmd::run(settings, cmd).await,
        Cmd::Rules(cmd) => rules_cmd::run(settings, cmd).await,
        Cmd::Demo(cmd) => demo_cmd::run(settings, cmd).await,
        Cmd::Replay(args) => {
            let (store, _) = privacy_cmd::open(&settings).await?;
            replay::run(store.as_ref(), args).await
        }
        Cmd::Audit(_) => unreachable!("dispatched above"),
    }
}

/// Opens the configured store, creating the embedded default's data directory when needed. Personal data
/// reads back sealed from it: components that need it open [`privacy_cmd::open`] instead.
pub(crate) async fn connect(
    settings: &Settings,
) -> anyhow::Result<std::sync::Arc<dyn store::EventStore>> {
    Ok(connect_with_keys(settings).await?.events)
}

/// Like [`connect`], with the table of personal-data keys.
pub(crate) async fn connect_with_keys(settings: &Settings) -> anyhow::Result<store::Connected> {
    if settings.database_url.is_none() {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "creating the data directory {}",
                settings.data_dir.display()
            )
        })?;
    }
    if let Some(owner) = &settings.migration_database_url {
        // Migrate as the owner first; the service role then finds nothing to apply.
        store::connect_with_pool_size(owner.expose_secret(), 1)
            .await
            .context("migrating the event store as its owner")?;
    }
    let url = settings.database_url();
    store::connect_with_keys(url.expose_secret(), settings.database_max_connections)
        .await
        .context("opening the event store")
}

fn init_tracing(format: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PETITION_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
