//! `petition relay` and `petition bus status`: the JetStream side of the binary.

use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Subcommand;
use tokio::sync::watch;

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum BusCmd {
    /// Store head, stream head, relay lag and each durable consumer's lag.
    Status {
        /// Durable consumer names to report (default: every consumer this binary runs).
        #[arg(long = "consumer")]
        consumers: Vec<String>,
    },
}

/// The durable consumers `petition serve` runs; `bus status` reports them by default.
pub fn default_consumers() -> Vec<String> {
    ["case_list", "statistics", notifier::CONSUMER]
        .map(str::to_owned)
        .to_vec()
}

fn nats_url(settings: &Settings) -> anyhow::Result<&str> {
    match settings.nats_url.as_deref() {
        Some(url) => Ok(url),
        None => bail!("PETITION_NATS_URL is not set: the embedded default has no broker"),
    }
}

/// Connects to NATS without waiting for it: the client reconnects in the background, and the relay creates
/// or updates the streams itself once the server answers, so a broker outage never blocks commands.
pub async fn jetstream(
    settings: &Settings,
    client_name: &str,
) -> anyhow::Result<async_nats::jetstream::Context> {
    let url = nats_url(settings)?;
    bus::connect(url, client_name)
        .await
        .with_context(|| format!("connecting to NATS at {url}"))
}

/// Builds the relay for this process; `wake` comes from a `SignallingStore` when the writer shares the process.
pub fn relay(
    store: Arc<dyn store::EventStore>,
    js: async_nats::jetstream::Context,
    settings: &Settings,
    wake: Option<tokio::sync::watch::Receiver<u64>>,
) -> bus::Relay {
    let config = bus::RelayConfig {
        stream: settings.stream_settings(),
        wake,
        instance_id: instance_id(),
        ..bus::RelayConfig::default()
    };
    bus::Relay::new(store, js, config)
}

/// Who holds the lease, as operators (and the system tests) read it from the lease stream:
/// `relay-<host>-pid<pid>`.
fn instance_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let host = if host.is_empty() {
        "host".to_owned()
    } else {
        host
    };
    format!("relay-{host}-pid{}", std::process::id())
}

/// `petition relay`: publishes the store to JetStream until SIGINT/SIGTERM; stands by while another
/// relay holds the lease.
pub async fn run_relay(settings: Settings) -> anyhow::Result<()> {
    let store = crate::connect(&settings).await?;
    let js = jetstream(&settings, "petition-relay").await?;
    let relay = relay(store, js, &settings, None);
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        crate::serve::shutdown_signal().await;
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
            let store = crate::connect(&settings).await?;
            let js = jetstream(&settings, "petition-bus-status").await?;
            let names = if consumers.is_empty() {
                default_consumers()
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
