//! `petition projections rebuild [name]`: replay the store into the read models (with a progress bar on a
//! terminal, and a summary line); `petition projections run [--partition i/n]`: the read models as a process
//! of their own (one per partition of the cases).

use std::io::IsTerminal;

use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use store::Checkpoint;

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
            let bar = Bar::new();
            let reports =
                projection::rebuild_with(&store, &projections, name.as_deref(), &bar).await?;
            for r in &reports {
                println!(
                    "{}: {} events replayed in {:.1?}, now at {}",
                    r.name, r.events, r.elapsed, r.checkpoint
                );
            }
            if let Some(r) = reports.first() {
                let names: Vec<&str> = reports.iter().map(|r| r.name).collect();
                let seconds = r.elapsed.as_secs_f64();
                println!(
                    "rebuilt {} in one pass: {} events in {seconds:.1} s ({:.0} events/s)",
                    names.join(", "),
                    r.events,
                    r.events as f64 / seconds.max(1e-9)
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

/// A rebuild's progress bar on stderr, drawn only when stderr is a terminal: how far the replay is through
/// the store's global order (its length is the head's position when the rebuild starts), the rate and the
/// time left.
#[derive(Debug)]
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Self {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        let style = ProgressStyle::with_template(
            "rebuilding {prefix}: {msg} [{elapsed_precise}] {wide_bar} {percent:>3}% {per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self(bar)
    }
}

/// The bar's unit: positions in the store's global order, which count events.
fn position(checkpoint: Checkpoint) -> u64 {
    u64::try_from(checkpoint.global_position).unwrap_or(0)
}

impl projection::RebuildProgress for Bar {
    fn start(&self, models: &[&'static str], head: Checkpoint) {
        self.0.set_length(position(head));
        self.0.set_prefix(models.join(", "));
        self.0.set_message("0 events");
        self.0.reset();
    }

    fn advance(&self, events: usize, reached: Checkpoint) {
        // Events appended since the start make the replay longer than the head it started from.
        let at = position(reached);
        if self.0.length().is_some_and(|length| at > length) {
            self.0.set_length(at);
        }
        self.0.set_position(at);
        self.0.set_message(format!("{events} events"));
    }

    fn finish(&self, _: &[projection::RebuildReport]) {
        self.0.finish_and_clear();
    }
}
