//! `petition projections rebuild [name]`: replay the store into the read models; `petition projections run
//! [--partition i/n]`: the read models as a process of their own (one per partition of the cases).

use clap::Subcommand;

use crate::app::wire;
use crate::runtime::{Stop, Tasks, shutdown_signal, spawn_consumer, supervise};

use crate::app::open;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum ProjectionsCmd {
    /// Replay the store into shadow tables and swap them in atomically (the old ones answer meanwhile).
    Rebuild {
        /// `case_list` or `statistics`; every read model when omitted.
        name: Option<String>,
    },
    /// Keep the read models up to date until SIGINT/SIGTERM (from JetStream when PETITION_NATS_URL is set,
    /// else the store's tail), apart from `serve` (run those with PETITION_SERVE_CONSUMERS=false).
    Run {
        /// Handle only the cases of partition `i` of `n` (`0/2`, `1/2`): run one process per partition.
        #[arg(long, default_value = "0/1")]
        partition: feed::Partition,
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
        ProjectionsCmd::Run { partition } => {
            let projections = open::read_models_rebuilt(&settings, &store).await?;
            let js = match settings.nats_url {
                Some(_) => Some(wire::jetstream(&settings, "petition-read-models").await?),
                None => None,
            };
            let source = wire::standalone_source(&settings, store.clone(), js);
            let (stop, mut tasks) = (Stop::new(), Tasks::new());
            for handler in projections.partition_handlers(partition) {
                spawn_consumer(
                    &mut tasks,
                    "read model",
                    source.clone(),
                    handler,
                    stop.stopping.clone(),
                );
            }
            eprintln!("read models running (partition {partition})");
            supervise(tasks, stop, shutdown_signal()).await
        }
    }
}
