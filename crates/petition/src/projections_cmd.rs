//! `petition projections rebuild [name]`, and opening the read models for `serve`.

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
}

/// Opens the read models in the store's database and rebuilds any whose version changed.
pub async fn connect(
    settings: &Settings,
    store: &Arc<dyn store::EventStore>,
) -> anyhow::Result<projection::Projections> {
    let url = settings.database_url();
    let projections = projection::Projections::connect(url.expose_secret())
        .await
        .context("opening the read models")?
        .with_store(store.clone());
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
    }
}
