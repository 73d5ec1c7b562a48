//! `petition projections rebuild [name]`: replay the store into the read models.

use clap::Subcommand;

use crate::app::open;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum ProjectionsCmd {
    /// Replay the store into shadow tables and swap them in atomically (the old ones answer meanwhile).
    Rebuild {
        /// `case_list` or `statistics`; every read model when omitted.
        name: Option<String>,
    },
}

pub async fn run(settings: Settings, cmd: ProjectionsCmd) -> anyhow::Result<()> {
    let store = open::events(&settings).await?;
    match cmd {
        ProjectionsCmd::Rebuild { name } => {
            let projections = open::read_models(&settings).await?;
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
