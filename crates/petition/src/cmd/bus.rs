//! `petition relay` and `petition bus status`: the JetStream side of the binary.

use anyhow::Context;
use clap::Subcommand;

use crate::app::{open, wire};
use crate::runtime::shutdown_signal;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum BusCmd {
    /// Store head, stream head, relay lag and each durable consumer's lag.
    Status {
        /// Durable consumer names to report (default: the notifier's, which `petition notifier run` creates).
        #[arg(long = "consumer")]
        consumers: Vec<String>,
    },
}

/// `petition relay`: publishes the store to JetStream until SIGINT/SIGTERM; stands by while another
/// relay holds the lease.
pub async fn run_relay(settings: Settings) -> anyhow::Result<()> {
    let store = open::events(&settings).await?;
    let js = wire::jetstream(&settings, "petition-relay").await?;
    let relay = wire::relay(store, js, &settings, None);
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = tx.send(true);
    });
    eprintln!(
        "relay running; publishing to stream {}",
        settings.stream_settings().stream
    );
    relay.run(rx).await.context("relay stopped")?;
    Ok(())
}

pub async fn run(settings: Settings, cmd: BusCmd) -> anyhow::Result<()> {
    match cmd {
        BusCmd::Status { consumers } => {
            let store = open::events(&settings).await?;
            let js = wire::jetstream(&settings, "petition-bus-status").await?;
            let names = if consumers.is_empty() {
                wire::default_consumers()
            } else {
                consumers
            };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let status =
                bus::bus_status(store.as_ref(), &js, &settings.stream_settings(), &names).await?;
            println!("{status}");
            Ok(())
        }
    }
}
