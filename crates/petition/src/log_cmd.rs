//! The transparency log in the binary: opening it for `serve` (routes and the builder task) and
//! `petition audit export`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use secrecy::ExposeSecret;
use tokio::sync::watch;

use crate::settings::Settings;
use crate::workers::Tasks;

/// The log's tables and its signing key.
#[derive(Debug)]
pub struct Log {
    pub db: ledger_log::LogDb,
    pub signer: Arc<tlog::note::NoteSigner>,
}

/// Opens the log's tables (applying their migrations) and loads — or, at the default path, creates — the key.
pub async fn open(settings: &Settings) -> anyhow::Result<Log> {
    let db = open_db(settings).await?;
    let (path, default) = settings.tlog.key_path(&settings.data_dir);
    let signer = ledger_log::keys::load_or_create(&path, &settings.tlog.origin, default)
        .context("loading the transparency log's signing key")?;
    Ok(Log {
        db,
        signer: Arc::new(signer),
    })
}

/// Opens the log's tables; their migrations run as the owner first when `migration_database_url` is set, so
/// that the service role only gets the SELECT and INSERT the deployment grants (deploy/postgres/).
async fn open_db(settings: &Settings) -> anyhow::Result<ledger_log::LogDb> {
    if let Some(owner) = &settings.migration_database_url {
        ledger_log::LogDb::connect(owner.expose_secret())
            .await
            .context("migrating the transparency log as its owner")?;
    }
    let url = settings.database_url();
    ledger_log::LogDb::connect(url.expose_secret())
        .await
        .context("opening the transparency log")
}

/// `/api/v1/log/…`, public.
pub fn routes(log: &Log) -> axum::Router {
    ledger_log::http::router(ledger_log::http::LogState {
        db: log.db.clone(),
        public_key: log.signer.verifier_key().to_vkey(),
    })
}

/// The builder, as a task of `serve`; it publishes checkpoints on NATS when a client is given.
pub fn spawn(
    tasks: &mut Tasks,
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
    log: Log,
    nats: Option<async_nats::Client>,
    wake: watch::Receiver<u64>,
    stop: watch::Receiver<bool>,
) {
    let mut builder = ledger_log::LogBuilder::new(store, log.db, log.signer, settings.tlog.clone())
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

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("scope").required(true).args(["case", "from", "all"])))]
pub struct ExportArgs {
    /// Export one case (its id, or its stream `case-<id>`).
    #[arg(long)]
    case: Option<String>,
    /// Export the leaves from N (inclusive); needs --to.
    #[arg(long, requires = "to")]
    from: Option<u64>,
    /// ... to M (exclusive).
    #[arg(long, requires = "from")]
    to: Option<u64>,
    /// Export every event.
    #[arg(long)]
    all: bool,
    /// Include a consistency proof from each of these tree sizes (checkpoints the auditor holds) to the newest.
    #[arg(long = "known-size")]
    known_sizes: Vec<u64>,
    /// Where to write the bundle.
    #[arg(short, long)]
    output: PathBuf,
}

/// `petition audit export`: the store's events in scope, the log's checkpoints and the proofs, as one bundle.
pub async fn export(settings: &Settings, args: &ExportArgs) -> anyhow::Result<()> {
    let store = crate::connect(settings).await?;
    let db = open_db(settings).await?;
    let scope = match (&args.case, args.from, args.to, args.all) {
        (Some(case), ..) => {
            let stream = if case.starts_with("case-") {
                case.clone()
            } else {
                let id = uuid::Uuid::parse_str(case).context("--case takes a case id (a UUID)")?;
                store::StreamId::for_case(id).to_string()
            };
            ledger_log::export::Scope::Stream { stream_id: stream }
        }
        (None, Some(from), Some(to), _) => ledger_log::export::Scope::Range { from, to },
        _ => ledger_log::export::Scope::All,
    };
    let bundle = ledger_log::export::export(
        store.as_ref(),
        &db,
        &settings.tlog.origin,
        scope,
        &args.known_sizes,
    )
    .await
    .context("exporting the bundle")?;
    let json = serde_json::to_string_pretty(&bundle)?;
    std::fs::write(&args.output, json)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let size = db.latest_checkpoint().await?.map_or(0, |c| c.tree_size);
    eprintln!(
        "wrote {} events, {} checkpoints (newest: size {size}) to {}",
        bundle.events.len(),
        bundle.checkpoints.len(),
        args.output.display(),
    );
    let keys: String = bundle
        .public_keys
        .iter()
        .map(|k| format!(" --trusted-key '{k}'"))
        .collect();
    eprintln!(
        "verify with: petition-verify {}{keys}\n(take the key from a source the server does not control, not from this bundle)",
        args.output.display()
    );
    Ok(())
}
