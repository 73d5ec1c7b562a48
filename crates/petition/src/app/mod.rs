//! The application as a library: [`App::build`] opens everything `petition serve` needs from the settings
//! (store, read models, notifier, transparency log, NATS) and assembles the router; [`App::run`] serves a
//! listener and runs the workers beside it until `shutdown` resolves or one of them stops. Tests build the
//! real app in-process on port 0; the binary's `serve` is the same two calls.
//!
//! In-process consumers (read models, notifier, deadline watcher, transparency log) read the store's tail,
//! woken by this process's own appends, whether or not NATS is configured: the store is local and the
//! truth, so they keep up while NATS is down. NATS only gets the relay; JetStream consumers are for other
//! processes (`petition notifier run`).

pub mod console;
pub mod http;
pub mod open;
pub mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use command::http::HttpConfig;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::runtime::{Stop, Tasks, spawn_consumer, supervise};
use crate::settings::{LogFormat, Settings};
use wire::Log;

/// Logs to stderr with the settings' filter (`log`, `PETITION_LOG`) and format (`log_format`).
pub fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    // `Settings::load` has already checked that the filter parses.
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Open connections of the metrics listener: a scraper or two, not clients.
const METRICS_MAX_CONNECTIONS: usize = 16;

/// How often the deadline watcher passes over the case list.
const WATCHER_INTERVAL: Duration = Duration::from_secs(60);

/// The built application: every resource open, the router assembled, nothing running yet.
pub struct App {
    settings: Settings,
    /// The store with personal data sealed: the relay, the read models and the log never see it opened.
    store: Arc<dyn store::EventStore>,
    signal: feed::SignallingStore,
    service: command::CaseService,
    projections: projection::Projections,
    notifier: notifier::Notifier,
    log: Option<Log>,
    js: Option<async_nats::jetstream::Context>,
    metrics: Option<PrometheusHandle>,
    group_commit: Option<store::GroupCommitStore>,
    router: axum::Router,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("backend", &self.store.backend())
            .field("nats", &self.js.is_some())
            .field("tlog", &self.log.is_some())
            .field("group_commit", &self.group_commit.is_some())
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens every resource from `settings` and assembles the router. Logs the effective settings (secrets
    /// redacted) and which notifier channels are live.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        tracing::info!(settings = %settings.redacted(), "effective settings");
        // Metrics are recorded only when they are served, on their own listener (never on the API's).
        let metrics = match settings.metrics_listen {
            Some(_) => Some(crate::observe::install()?),
            None => None,
        };
        // Readers in this process (relay, tails) are woken by our own appends, not only by polling; every
        // append is timed.
        let connected = open::store_with_keys(&settings).await?;
        let group_commit = connected.group_commit.clone();
        let signal = feed::SignallingStore::new(crate::observe::TimedStore::wrap(connected.events));
        // `store` returns personal data sealed. Only the command service and the notifier read through
        // `sealed`, which opens it (ADR 0010).
        let store: Arc<dyn store::EventStore> = Arc::new(signal.clone());
        let (sealed, fingerprints) = open::seal(&settings, store.clone(), connected.keys)?;
        let sealed: Arc<dyn store::EventStore> = sealed;
        let clocks = open::clocks(&settings)?;
        let rulebook = Arc::new(clocks.rulebook.clone());
        let directory = Arc::new(open::agencies(&settings)?);
        let agencies: Arc<dyn domain::AgencyDirectory> = directory.clone();
        let service = command::CaseService::new(
            sealed.clone(),
            Arc::new(clocks),
            agencies,
            Arc::new(command::SystemTime),
        )
        .with_fingerprint_key(fingerprints);
        let projections = open::read_models_rebuilt(&settings, &store).await?;
        let log = match settings.tlog.enabled {
            true => Some(Log::open(&settings).await?),
            false => None,
        };
        let notifier = open::notifier(&settings, sealed).await?;
        open::log_live_channels(&notifier);
        let router = http::router(http::Parts {
            settings: &settings,
            service: service.clone(),
            store: store.clone(),
            projections: projections.clone(),
            directory,
            rulebook,
            log: log.as_ref(),
        })?;
        let js = match settings.nats_url {
            // NATS being down must not stop commands: the client reconnects and the relay retries.
            Some(_) => Some(wire::jetstream(&settings, "petition-serve").await?),
            None => None,
        };
        Ok(Self {
            settings,
            store,
            signal,
            service,
            projections,
            notifier,
            log,
            js,
            metrics,
            group_commit,
            router,
        })
    }

    /// The settings the app was built with.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Serves the API on `listener` and runs the relay (with NATS), the read models, the deadline watcher,
    /// the notifier, the transparency log and the metrics listener (when configured), until `shutdown`
    /// resolves (then gracefully) or one of them stops (then every other one is stopped and its error is
    /// returned).
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let addr = listener.local_addr()?;
        let config = http::config(&self.settings);
        let stop = Stop::new();
        let mut tasks = Tasks::new();
        let metrics_addr = self.spawn_metrics(&mut tasks, &stop, &config).await?;
        let (router, signalled) = (self.router, stop.signalled());
        tasks.spawn(async move {
            (
                "http",
                command::http::serve_with(listener, router, &config, signalled)
                    .await
                    .context("HTTP server failed"),
            )
        });
        // A scaled-out deployment runs the relay, the read models and the notifier as processes of their own
        // (`PETITION_SERVE_CONSUMERS=false`, deploy/compose.yaml); the deadline watcher always runs here.
        let consumers = self.settings.serve_consumers;
        if let Some(js) = self.js.as_ref().filter(|_| consumers) {
            let relay = wire::relay(
                self.store.clone(),
                js.clone(),
                &self.settings,
                Some(self.signal.subscribe()),
            );
            let mut relay_stop = stop.stopping.clone();
            tasks.spawn(async move {
                if let Err(e) = relay.run(relay_stop.clone()).await {
                    // Commands must keep being recorded: the refusal is logged loudly and the API stays up.
                    tracing::error!(error = %e, "the relay stopped: events are still recorded but not published until it is fixed");
                    let _ = relay_stop.wait_for(|s| *s).await;
                }
                ("relay", Ok(()))
            });
        }
        let tail: Arc<dyn feed::EventSource> =
            Arc::new(feed::StoreTail::new(self.store.clone()).with_wake(self.signal.subscribe()));
        for handler in self
            .projections
            .handlers()
            .into_iter()
            .filter(|_| consumers)
        {
            spawn_consumer(
                &mut tasks,
                "read model",
                tail.clone(),
                handler,
                stop.stopping.clone(),
            );
        }
        let watcher = projection::watcher::Watcher::new(self.service, self.projections.clone());
        let watcher_stop = stop.stopping.clone();
        tasks.spawn(async move {
            crate::observe::run_watcher(watcher, WATCHER_INTERVAL, watcher_stop).await;
            ("deadline watcher", Ok(()))
        });
        if consumers {
            wire::spawn_notifier(&mut tasks, self.notifier.clone(), tail, &stop.stopping);
        }
        if let Some(handle) = self.metrics {
            let sampled = crate::observe::Sampled {
                store: self.store.clone(),
                projections: self.projections,
                notifier: consumers.then_some(self.notifier),
                group_commit: self.group_commit,
            };
            let sampler_stop = stop.stopping.clone();
            tasks.spawn(async move {
                crate::observe::run_sampler(sampled, Some(handle), sampler_stop).await;
                ("metrics sampler", Ok(()))
            });
        }
        if let Some(log) = self.log {
            let nats = self.js.as_ref().map(|js| js.client());
            let (wake, stopping) = (self.signal.subscribe(), stop.stopping.clone());
            log.spawn(
                &mut tasks,
                &self.settings,
                self.store.clone(),
                nats,
                wake,
                stopping,
            );
        }
        let backend = self.store.backend();
        let nats = self.js.is_some();
        tracing::info!(%addr, metrics = ?metrics_addr, backend, nats, "petition-ledger is listening");
        if let Some(at) = metrics_addr {
            eprintln!("petition-ledger metrics on http://{at}/metrics");
        }
        eprintln!(
            "petition-ledger listening on http://{addr} ({backend} store{}); console at http://{addr}/console; OpenAPI at http://{addr}/api/v1/openapi.json",
            if nats {
                ", relaying to NATS JetStream"
            } else {
                ""
            }
        );
        supervise(tasks, stop, shutdown).await
    }

    /// Binds the metrics listener, when configured, and serves `/metrics` on it.
    async fn spawn_metrics(
        &self,
        tasks: &mut Tasks,
        stop: &Stop,
        config: &HttpConfig,
    ) -> anyhow::Result<Option<SocketAddr>> {
        let (Some(at), Some(handle)) = (self.settings.metrics_listen, &self.metrics) else {
            return Ok(None);
        };
        let listener = tokio::net::TcpListener::bind(at)
            .await
            .with_context(|| format!("binding the metrics listener {at}"))?;
        let addr = listener.local_addr()?;
        let router = crate::observe::router(handle.clone());
        let metrics_config = HttpConfig {
            max_connections: METRICS_MAX_CONNECTIONS,
            ..config.clone()
        };
        let signalled = stop.signalled();
        tasks.spawn(async move {
            (
                "metrics listener",
                command::http::serve_with(listener, router, &metrics_config, signalled)
                    .await
                    .context("metrics listener failed"),
            )
        });
        Ok(Some(addr))
    }
}
