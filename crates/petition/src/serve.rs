//! `petition serve`: wires the store, the clocks, the agency directory, the HTTP API and — when NATS is
//! configured — the relay, runs them side by side, and shuts all of them down on SIGINT or SIGTERM.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use command::http::{ApiToken, AppState, HttpConfig, TokenList};
use command::{CaseService, SystemTime};
use secrecy::SecretString;
use tokio::sync::watch;

use crate::workers::Tasks;

use crate::settings::Settings;

/// Open connections of the metrics listener.
const METRICS_MAX_CONNECTIONS: usize = 16;

/// How often the deadline watcher passes over the case list.
const WATCHER_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long in-flight requests and workers get to finish after SIGINT/SIGTERM.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(15);

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    // Metrics are recorded only when they are served, on their own listener (never on the API's).
    let metrics = match settings.metrics_listen {
        Some(_) => Some(crate::observe::install()?),
        None => None,
    };
    // Readers in this process (relay, in-process tails) are woken by our own appends, not only by polling;
    // every append is timed.
    let connected = crate::connect_with_keys(&settings).await?;
    let signal = bus::SignallingStore::new(crate::observe::TimedStore::wrap(connected.events));
    // `store` returns personal data sealed: the relay, the read models and the bus never see it. Only the
    // command service and the notifier read through `sealed`, which opens it (ADR 0010).
    let store: Arc<dyn store::EventStore> = Arc::new(signal.clone());
    let (sealed, fingerprints) =
        crate::privacy_cmd::seal(&settings, store.clone(), connected.keys)?;
    let sealed: Arc<dyn store::EventStore> = sealed;
    let clocks = load_clocks(&settings)?;
    let rulebook = Arc::new(clocks.rulebook.clone());
    let directory = Arc::new(load_agencies(&settings)?);
    let agencies: Arc<dyn domain::AgencyDirectory> = directory.clone();
    let policy = match &settings.access_policy {
        Some(path) => command::access::AccessPolicy::load(path, agencies.clone())
            .with_context(|| format!("loading the access policy {}", path.display()))?,
        None => command::access::AccessPolicy::embedded(agencies.clone())
            .context("the shipped access policy")?,
    };
    let mut tokens = match settings.api_tokens()? {
        Some(tokens) => TokenList::new(&tokens),
        None if settings.oidc.is_some() => TokenList::new(&[]),
        None => TokenList::new(&[development_token(&settings.data_dir)?]),
    };
    if let Some(oidc) = &settings.oidc {
        let verifier =
            command::http::oidc::OidcVerifier::new(oidc.clone()).context("the [oidc] settings")?;
        tracing::info!(
            issuer = verifier.issuer(),
            "accepting OpenID Connect access tokens"
        );
        tokens = tokens.with_oidc(verifier);
    }
    let service = CaseService::new(
        sealed.clone(),
        Arc::new(clocks),
        agencies,
        Arc::new(SystemTime),
    )
    .with_fingerprint_key(fingerprints);
    let projections = crate::projections_cmd::connect(&settings, &store).await?;
    let log = match settings.tlog.enabled {
        true => Some(crate::log_cmd::open(&settings).await?),
        false => None,
    };
    let read_side = command::http::ExtraRoutes {
        routes: projection::http::router(projection::http::ProjectionState {
            projections: projections.clone(),
            store: store.clone(),
        }),
        public: projection::http::public_router(projection::http::ProjectionState {
            projections: projections.clone(),
            store: store.clone(),
        }),
        doc: Some(<projection::http::ApiDoc as utoipa::OpenApi>::openapi()),
    };
    let state = AppState {
        service: service.clone(),
        tokens,
        policy,
    };
    let config = HttpConfig {
        body_limit_bytes: settings.body_limit_bytes,
        ..HttpConfig::default()
    };
    let read_side = command::http::ExtraRoutes {
        public: read_side
            .public
            .merge(log.as_ref().map(crate::log_cmd::routes).unwrap_or_default()),
        ..read_side
    };
    // The web console answers HTML under /console, beside (not inside) the API's problem+json edge.
    let console = console::ConsoleState::new(
        projections.clone(),
        store.clone(),
        directory,
        rulebook,
        console::Authenticator::new(state.tokens.clone()),
    );
    // An outer layer sees the matched route of every request (and `unmatched` for the fallback).
    let app = command::http::router_with(state, &config, read_side)
        .merge(console::router(console))
        .layer(axum::middleware::from_fn(crate::observe::track_http));

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    let addr = listener.local_addr()?;

    let (stop, stopping) = watch::channel(false);
    let mut tasks = Tasks::new();
    let metrics_addr = match (settings.metrics_listen, &metrics) {
        (Some(at), Some(handle)) => {
            let listener = tokio::net::TcpListener::bind(at)
                .await
                .with_context(|| format!("binding the metrics listener {at}"))?;
            let addr = listener.local_addr()?;
            let router = crate::observe::router(handle.clone());
            let mut metrics_stop = stopping.clone();
            // A scraper or two, not clients: a small connection cap keeps descriptors for the API.
            let metrics_config = HttpConfig {
                max_connections: METRICS_MAX_CONNECTIONS,
                ..config.clone()
            };
            tasks.spawn(async move {
                let shutdown = async move {
                    let _ = metrics_stop.wait_for(|s| *s).await;
                };
                (
                    "metrics listener",
                    command::http::serve_with(listener, router, &metrics_config, shutdown)
                        .await
                        .context("metrics listener failed"),
                )
            });
            Some(addr)
        }
        _ => None,
    };
    let mut http_stop = stopping.clone();
    tasks.spawn(async move {
        let shutdown = async move {
            let _ = http_stop.wait_for(|s| *s).await;
        };
        (
            "http",
            command::http::serve_with(listener, app, &config, shutdown)
                .await
                .context("HTTP server failed"),
        )
    });
    let js = match settings.nats_url {
        // NATS being down must not stop commands: the client reconnects and the relay retries.
        Some(_) => Some(crate::bus_cmd::jetstream(&settings, "petition-serve").await?),
        None => None,
    };
    // A scaled-out deployment runs these as processes of their own (PETITION_SERVE_CONSUMERS=false).
    let consumers = settings.serve_consumers;
    if let Some(js) = js.as_ref().filter(|_| consumers) {
        let relay = crate::bus_cmd::relay(
            store.clone(),
            js.clone(),
            &settings,
            Some(signal.subscribe()),
        );
        let mut relay_stop = stopping.clone();
        tasks.spawn(async move {
            if let Err(e) = relay.run(relay_stop.clone()).await {
                // Commands must keep being recorded: the relay's refusal is logged loudly and the API stays up.
                tracing::error!(error = %e, "the relay stopped: events are still recorded but not published until it is fixed");
                let _ = relay_stop.wait_for(|s| *s).await;
            }
            ("relay", Ok(()))
        });
    }
    let source = crate::workers::source(
        &settings,
        store.clone(),
        js.clone(),
        Some(signal.subscribe()),
    );
    for handler in projections.handlers().into_iter().filter(|_| consumers) {
        crate::workers::spawn_consumer(
            &mut tasks,
            "read model",
            source.clone(),
            handler,
            stopping.clone(),
        );
    }
    let watcher = projection::watcher::Watcher::new(service, projections.clone());
    let watcher_stop = stopping.clone();
    tasks.spawn(async move {
        crate::observe::run_watcher(watcher, WATCHER_INTERVAL, watcher_stop).await;
        ("deadline watcher", Ok(()))
    });
    let notifier = match consumers {
        true => Some(
            crate::workers::spawn_notifier(&mut tasks, &settings, sealed, source, &stopping)
                .await?,
        ),
        false => None,
    };
    if let Some(handle) = metrics {
        let sampled = crate::observe::Sampled {
            store: store.clone(),
            projections,
            notifier,
        };
        let sampler_stop = stopping.clone();
        tasks.spawn(async move {
            crate::observe::run_sampler(sampled, Some(handle), sampler_stop).await;
            ("metrics sampler", Ok(()))
        });
    }
    if let Some(log) = log {
        let nats = js.as_ref().map(|js| js.client());
        let (wake, stop) = (signal.subscribe(), stopping.clone());
        crate::log_cmd::spawn(&mut tasks, &settings, store.clone(), log, nats, wake, stop);
    }

    tracing::info!(%addr, metrics = ?metrics_addr, backend = store.backend(), nats = js.is_some(), "petition-ledger is listening");
    if let Some(at) = metrics_addr {
        eprintln!("petition-ledger metrics on http://{at}/metrics");
    }
    eprintln!(
        "petition-ledger listening on http://{addr} ({} store{}); console at http://{addr}/console; OpenAPI at http://{addr}/api/v1/openapi.json",
        store.backend(),
        if js.is_some() {
            ", relaying to NATS JetStream"
        } else {
            ""
        }
    );
    supervise(tasks, stop).await
}

/// Runs until SIGINT/SIGTERM or until any task stops, then stops every task, waits a bounded time for
/// them to finish, and reports which one ended the process.
pub async fn supervise(mut tasks: Tasks, stop: watch::Sender<bool>) -> anyhow::Result<()> {
    let mut failure = None;
    tokio::select! {
        () = shutdown_signal() => {}
        Some(joined) = tasks.join_next() => {
            let (name, result) = joined.unwrap_or(("task", Err(anyhow::anyhow!("a task panicked"))));
            tracing::error!(task = name, "stopped unexpectedly; shutting everything down");
            failure = Some(result.err().unwrap_or_else(|| anyhow::anyhow!("{name} stopped unexpectedly")));
        }
    }
    let _ = stop.send(true);
    let drain = async {
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((name, Ok(()))) => tracing::info!(task = name, "stopped"),
                Ok((name, Err(e))) => {
                    tracing::error!(task = name, error = %e, "stopped with an error")
                }
                Err(e) => tracing::error!(error = %e, "a task panicked"),
            }
        }
    };
    // Every task is safe to abort (the store is the truth; consumers resume from their checkpoints), so a
    // task stuck on an unreachable peer must not hold the process hostage.
    if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "tasks did not stop in time; aborting them");
        tasks.shutdown().await;
    }
    match failure {
        Some(e) => Err(e),
        None => {
            tracing::info!("shut down cleanly");
            Ok(())
        }
    }
}

pub(crate) fn load_agencies(settings: &Settings) -> anyhow::Result<domain::StaticAgencyDirectory> {
    Ok(match &settings.agencies {
        Some(path) => domain::StaticAgencyDirectory::load(path)
            .with_context(|| format!("loading agencies from {}", path.display()))?,
        None => domain::StaticAgencyDirectory::embedded(),
    })
}

pub(crate) fn load_clocks(settings: &Settings) -> anyhow::Result<clock::Clocks> {
    let rulebook = match &settings.rulebook {
        Some(p) => clock::Rulebook::load(p)
            .with_context(|| format!("loading the rulebook {}", p.display()))?,
        None => clock::Rulebook::embedded(),
    };
    let calendar = match &settings.holidays_dir {
        Some(d) => clock::HolidayCalendar::load_dir(d)
            .with_context(|| format!("loading holidays from {}", d.display()))?,
        None => clock::HolidayCalendar::embedded(),
    };
    tracing::info!(rulebook = %rulebook.version, years = ?calendar.years.keys().collect::<Vec<_>>(), "statutory clocks loaded");
    // A step whose period reaches a year without its holiday file is refused; warn the operator from
    // 60 days before the year begins (docs/operations.md, "The yearly holiday update").
    for year in calendar.missing_years(command::local_date(chrono::Utc::now())) {
        tracing::warn!(
            year,
            "no holiday calendar for {year}: load rules/holidays/vn-{year}.toml (deadlines reaching into {year} will be refused until then)"
        );
    }
    Ok(clock::Clocks::new(rulebook, calendar))
}

/// The embedded default needs no settings: a random token is created once, kept in the data directory
/// (readable only by its owner) and printed so the operator can use it right away. It holds every officer
/// role for the whole state (not `system`: only the server's own workers record their facts).
fn development_token(data_dir: &Path) -> anyhow::Result<ApiToken> {
    let path = data_dir.join("dev-token");
    let token = match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= 16 => t.trim().to_owned(),
        _ => {
            std::fs::create_dir_all(data_dir)?;
            let t = hex::encode(rand::random::<[u8; 24]>());
            write_private(&path, &t).with_context(|| format!("writing {}", path.display()))?;
            t
        }
    };
    eprintln!(
        "No PETITION_TOKENS set: development token (actor `dev`), also in {}:\n  {token}",
        path.display()
    );
    use command::access::{Role, Scope};
    Ok(ApiToken::from_secret(
        "dev",
        &SecretString::from(token),
        Role::ALL
            .into_iter()
            .filter(|r| *r != Role::System)
            .collect(),
        Scope::All,
    ))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received: shutting down"),
        () = terminate => tracing::info!("SIGTERM received: shutting down"),
    }
}
