//! `petition projections rebuild [name]`, `petition projections run [--partition i/n]` (the read models as
//! a process of their own), and opening the read models for `serve`.

use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use secrecy::ExposeSecret;

use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum ProjectionsCmd {
    /// Replay the store into shadow tables and swap them in atomically (the old ones answer meanwhile).
    Rebuild {
        /// `case_list` or `statistics`; every read model when omitted.
        name: Option<String>,
    },
    /// Keep the read models up to date until SIGINT/SIGTERM (JetStream if PETITION_NATS_URL is set), apart
    /// from `serve` (run those with PETITION_SERVE_CONSUMERS=false).
    Run {
        /// Handle only the cases of partition `i` of `n` (`0/2`, `1/2`): run one process per partition.
        #[arg(long, env = "PETITION_READ_MODEL_PARTITION", default_value = "0/1")]
        partition: bus::Partition,
    },
}

/// Opens the read models in the store's database and rebuilds any whose version changed.
pub async fn connect(
    settings: &Settings,
    store: &Arc<dyn store::EventStore>,
) -> anyhow::Result<projection::Projections> {
    let url = settings.database_url();
    let projections = projection::Projections::connect(url.expose_secret())
        .await
        .context("opening the read models")?;
    for report in projection::rebuild_stale(store, &projections)
        .await
        .context("rebuilding changed read models")?
    {
        tracing::info!(read_model = report.name, events = report.events, elapsed = ?report.elapsed, "read model rebuilt");
    }
    Ok(projections)
}

pub async fn run(settings: Settings, cmd: ProjectionsCmd) -> anyhow::Result<()> {
    let store = crate::connect(&settings).await?;
    match cmd {
        ProjectionsCmd::Rebuild { name } => {
            let url = settings.database_url();
            let projections = projection::Projections::connect(url.expose_secret())
                .await
                .context("opening the read models")?;
            for r in projection::rebuild(&store, &projections, name.as_deref()).await? {
                println!(
                    "{}: {} events replayed in {:.1?}, now at {}",
                    r.name, r.events, r.elapsed, r.checkpoint
                );
            }
            Ok(())
        }
        ProjectionsCmd::Run { partition } => {
            let projections = connect(&settings, &store).await?;
            let js = match settings.nats_url {
                Some(_) => {
                    Some(crate::bus_cmd::jetstream(&settings, "petition-read-models").await?)
                }
                None => None,
            };
            let source = crate::workers::source(&settings, store.clone(), js, None);
            let (stop, stopping) = tokio::sync::watch::channel(false);
            let mut tasks = crate::workers::Tasks::new();
            for handler in projections.partition_handlers(partition) {
                crate::workers::spawn_consumer(
                    &mut tasks,
                    "read model",
                    source.clone(),
                    handler,
                    stopping.clone(),
                );
            }
            eprintln!("read models running (partition {partition})");
            crate::serve::supervise(tasks, stop).await
        }
    }
}
