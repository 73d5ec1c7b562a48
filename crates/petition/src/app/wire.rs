//! Opening the outward-facing parts: the NATS connection and the relay, the consumers' sources, the
//! notifier's tasks, and the transparency log (its tables, signing key, routes and builder task).

use std::sync::Arc;

use anyhow::{Context, bail};
use feed::EventSource;
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::runtime::{Tasks, spawn_consumer};
use crate::settings::Settings;

/// The durable JetStream consumers that run in processes of their own (`petition notifier run` with NATS);
/// `bus status` reports them by default. `serve`'s own consumers read the store, not JetStream.
pub fn default_consumers() -> Vec<String> {
    vec![notifier::CONSUMER.to_owned()]
}

/// The configured NATS URL, or an error saying the embedded default has none.
pub fn nats_url(settings: &Settings) -> anyhow::Result<&str> {
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

/// Builds the relay; `wake` comes from a `SignallingStore` when the writer shares the process.
pub fn relay(
    store: Arc<dyn store::EventStore>,
    js: async_nats::jetstream::Context,
    settings: &Settings,
    wake: Option<watch::Receiver<u64>>,
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

/// The source of a consumer running in a process of its own: JetStream when NATS is configured, the store
/// tail otherwise.
pub fn standalone_source(
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
    js: Option<async_nats::jetstream::Context>,
) -> Arc<dyn EventSource> {
    match js {
        Some(js) => Arc::new(bus::JetStreamSource::new(
            js,
            settings.stream_settings(),
            bus::ConsumerConfig::default(),
        )),
        None => Arc::new(feed::StoreTail::new(store)),
    }
}

/// The notifier's consumer and its retry/digest loop, as tasks.
pub fn spawn_notifier(
    tasks: &mut Tasks,
    notifier: notifier::Notifier,
    source: Arc<dyn EventSource>,
    stop: &watch::Receiver<bool>,
) {
    spawn_consumer(
        tasks,
        "notifier consumer",
        source,
        notifier.handler(),
        stop.clone(),
    );
    let loop_stop = stop.clone();
    tasks.spawn(async move {
        (
            "notifier retries",
            notifier.run(loop_stop).await.map_err(anyhow::Error::from),
        )
    });
}

/// The transparency log's tables and its signing key.
#[derive(Debug)]
pub struct Log {
    pub db: ledger_log::LogDb,
    pub signer: Arc<tlog::note::NoteSigner>,
}

impl Log {
    /// Opens the log's tables (applying their migrations) and loads — or, at the default path, creates — the key.
    pub async fn open(settings: &Settings) -> anyhow::Result<Self> {
        let db = Self::open_db(settings).await?;
        let (path, default) = settings.tlog.key_path(&settings.data_dir);
        let signer = ledger_log::keys::load_or_create(&path, &settings.tlog.origin, default)
            .context("loading the transparency log's signing key")?;
        Ok(Self {
            db,
            signer: Arc::new(signer),
        })
    }

    /// Opens the log's tables; their migrations run as the owner first when `migration_database_url` is set,
    /// so that the service role only gets the SELECT and INSERT the deployment grants (deploy/postgres/).
    pub async fn open_db(settings: &Settings) -> anyhow::Result<ledger_log::LogDb> {
        if let Some(owner) = &settings.migration_database_url {
            ledger_log::LogDb::connect(owner.expose_secret())
                .await
                .context("migrating the transparency log as its owner")?;
        }
        let url = settings.database_url();
        ledger_log::LogDb::connect_with(
            url.expose_secret(),
            &settings.database.pools.for_role(db::Role::TransparencyLog),
        )
        .await
        .context("opening the transparency log")
    }

    /// `/api/v1/log/…`, public.
    pub fn routes(&self) -> axum::Router {
        ledger_log::http::router(ledger_log::http::LogState {
            db: self.db.clone(),
            public_key: self.signer.verifier_key().to_vkey(),
        })
    }

    /// The builder, as a task; it publishes checkpoints on NATS when a client is given.
    pub fn spawn(
        self,
        tasks: &mut Tasks,
        settings: &Settings,
        store: Arc<dyn store::EventStore>,
        nats: Option<async_nats::Client>,
        wake: watch::Receiver<u64>,
        stop: watch::Receiver<bool>,
    ) {
        let mut builder =
            ledger_log::LogBuilder::new(store, self.db, self.signer, settings.tlog.clone())
                .with_wake(wake);
        if let Some(client) = nats {
            builder = builder.with_nats(client);
        }
        tasks.spawn(async move {
            (
                "transparency log",
                builder.run(stop).await.map_err(anyhow::Error::from),
            )
        });
    }
}
