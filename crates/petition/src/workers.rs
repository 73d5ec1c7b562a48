//! The consumers `petition serve` runs beside the API: each is an `EventHandler` fed by one source —
//! JetStream when NATS is configured, the in-process store tail otherwise (the embedded default).

use std::sync::Arc;

use feed::{EventHandler, EventSource};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::settings::Settings;

/// The task set `serve` supervises: every task reports its name and how it ended.
pub type Tasks = JoinSet<(&'static str, anyhow::Result<()>)>;

/// The source every consumer of this process reads from; `wake` lets the in-process tail react to appends
/// made by this process at once instead of at its next idle poll.
pub fn source(
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
    js: Option<async_nats::jetstream::Context>,
    wake: Option<watch::Receiver<u64>>,
) -> Arc<dyn EventSource> {
    match js {
        Some(js) => Arc::new(bus::JetStreamSource::new(
            js,
            settings.stream_settings(),
            bus::ConsumerConfig::default(),
        )),
        None => {
            let tail = feed::StoreTail::new(store);
            Arc::new(match wake {
                Some(signal) => tail.with_wake(signal),
                None => tail,
            })
        }
    }
}

/// Runs `handler` from `source` until shutdown.
pub fn spawn_consumer(
    tasks: &mut Tasks,
    name: &'static str,
    source: Arc<dyn EventSource>,
    handler: Arc<dyn EventHandler>,
    stop: watch::Receiver<bool>,
) {
    tasks.spawn(async move {
        (
            name,
            source.run(handler, stop).await.map_err(anyhow::Error::from),
        )
    });
}

/// The notifier: its consumer and its retry/digest loop. Returns a handle on it (for its delivery counts).
pub async fn spawn_notifier(
    tasks: &mut Tasks,
    settings: &Settings,
    store: Arc<dyn store::EventStore>,
    source: Arc<dyn EventSource>,
    stop: &watch::Receiver<bool>,
) -> anyhow::Result<notifier::Notifier> {
    let notifier = crate::notifier_cmd::connect(settings, store).await?;
    spawn_consumer(
        tasks,
        "notifier consumer",
        source,
        notifier.handler(),
        stop.clone(),
    );
    let loop_stop = stop.clone();
    let handle = notifier.clone();
    tasks.spawn(async move {
        (
            "notifier retries",
            notifier.run(loop_stop).await.map_err(anyhow::Error::from),
        )
    });
    Ok(handle)
}
