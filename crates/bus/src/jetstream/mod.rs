//! The production [`EventSource`]: one durable JetStream pull consumer per handler.
//!
//! Explicit acks; at most one unacknowledged message per consumer (`max_ack_pending = 1`), because a
//! handler that stores a checkpoint must see events in order: if event n+1 were applied while n waited for
//! redelivery, n would later be skipped as "at or before the checkpoint" and lost. A transient failure is
//! nak'd with a delay from the backoff list; a permanent one, or the `max_deliver`-th failure, is copied to
//! the dead-letter subject and terminated. Deliveries at or before the handler's checkpoint are acked and
//! skipped. Throughput per consumer is therefore one round trip per event; scale out by splitting
//! consumers by subject (agency, kind), each with its own checkpoint.

mod deliver;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{
    self,
    consumer::{AckPolicy, Consumer, DeliverPolicy, pull},
};
use async_trait::async_trait;
use futures::StreamExt;
use tokio::sync::{Mutex, watch};

pub use deliver::dlq_header;

use feed::{EventHandler, EventSource, HandlerError, RunOutcome};

use crate::{BusError, StreamSettings};
use deliver::{Ctx, Step, deliver};

/// Redelivery policy of every consumer this source creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerConfig {
    /// Deliveries before an event is dead-lettered (default 5).
    pub max_deliver: u32,
    /// Nak delay after the 1st, 2nd, … transient failure; the last entry repeats.
    pub backoff: Vec<Duration>,
    /// How long JetStream waits for an ack before redelivering (a crashed handler's events come back then).
    pub ack_wait: Duration,
    /// How long `run_once` waits for messages JetStream reported pending (default 500 ms).
    pub fetch_wait: Duration,
    /// Longest pause between reconnection attempts in `run`.
    pub max_backoff: Duration,
    /// Restricts consumers to part of the stream, e.g. `petition.events.UBND-HN.>`; all events if `None`.
    pub filter_subject: Option<String>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            max_deliver: 5,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ],
            ack_wait: Duration::from_secs(30),
            fetch_wait: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
            filter_subject: None,
        }
    }
}

impl ConsumerConfig {
    pub(crate) fn backoff_for(&self, attempt: u32) -> Duration {
        let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(1))
    }
}

/// Feeds handlers from JetStream. Create one per process; it serves any number of handlers.
#[derive(Debug)]
pub struct JetStreamSource {
    js: jetstream::Context,
    settings: StreamSettings,
    config: ConsumerConfig,
    consumers: Mutex<HashMap<String, Consumer<pull::Config>>>,
}

impl JetStreamSource {
    pub fn new(js: jetstream::Context, settings: StreamSettings, config: ConsumerConfig) -> Self {
        Self {
            js,
            settings,
            config,
            consumers: Mutex::new(HashMap::new()),
        }
    }

    /// Creates or updates the durable consumer `name` (idempotent; called by `run_once` and `run`).
    pub async fn ensure_consumer(&self, name: &str) -> Result<Consumer<pull::Config>, BusError> {
        if let Some(consumer) = self.consumers.lock().await.get(name) {
            return Ok(consumer.clone());
        }
        let stream = self
            .js
            .get_stream_no_info(&self.settings.stream)
            .await
            .map_err(|e| BusError::Unavailable(format!("stream {}: {e}", self.settings.stream)))?;
        let config = pull::Config {
            durable_name: Some(name.to_owned()),
            description: Some(format!("petition-ledger consumer `{name}`")),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            ack_wait: self.config.ack_wait,
            // The source dead-letters after `max_deliver` itself; the server must never drop silently.
            max_deliver: -1,
            max_ack_pending: 1,
            filter_subject: self
                .config
                .filter_subject
                .clone()
                .unwrap_or_else(|| self.settings.all_events()),
            ..Default::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| BusError::Unavailable(format!("consumer {name}: {e}")))?;
        self.consumers
            .lock()
            .await
            .insert(name.to_owned(), consumer.clone());
        Ok(consumer)
    }

    fn ctx<'a>(&'a self, handler: &'a Arc<dyn EventHandler>) -> Ctx<'a> {
        Ctx {
            js: &self.js,
            settings: &self.settings,
            config: &self.config,
            handler,
        }
    }
}

async fn handler_checkpoint(
    handler: &Arc<dyn EventHandler>,
) -> Result<Option<store::Checkpoint>, BusError> {
    handler.checkpoint().await.map_err(|e| match e {
        HandlerError::Transient(r) | HandlerError::Permanent(r) => {
            BusError::Unavailable(format!("checkpoint of {}: {r}", handler.name()))
        }
    })
}

#[async_trait]
impl EventSource for JetStreamSource {
    async fn run_once(
        &self,
        handler: &Arc<dyn EventHandler>,
        max: usize,
    ) -> Result<RunOutcome, BusError> {
        let mut outcome = RunOutcome::default();
        let consumer = self.ensure_consumer(handler.name()).await?;
        let info = consumer
            .get_info()
            .await
            .map_err(|e| BusError::Unavailable(format!("consumer info: {e}")))?;
        let pending = info.num_pending.saturating_add(info.num_ack_pending as u64);
        let wanted = usize::try_from(pending).unwrap_or(usize::MAX).min(max);
        if wanted == 0 {
            return Ok(outcome);
        }
        let mut batch = consumer
            .batch()
            .max_messages(wanted)
            .expires(self.config.fetch_wait)
            .messages()
            .await
            .map_err(|e| BusError::Unavailable(format!("fetch: {e}")))?;
        let mut applied = handler_checkpoint(handler).await?;
        let ctx = self.ctx(handler);
        while let Some(message) = batch.next().await {
            let message = message.map_err(|e| BusError::Unavailable(format!("fetch: {e}")))?;
            let step = deliver(&ctx, &message, &mut applied).await?;
            step.count(&mut outcome);
            if step == Step::Retried {
                break;
            }
        }
        Ok(outcome)
    }

    async fn run(
        &self,
        handler: Arc<dyn EventHandler>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), BusError> {
        let mut backoff = Duration::from_millis(100);
        while !*shutdown.borrow() {
            match self.pull(&handler, &mut shutdown).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(consumer = handler.name(), error = %e, "consumer interrupted; reconnecting");
                    self.consumers.lock().await.remove(handler.name());
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
        Ok(())
    }
}

impl JetStreamSource {
    /// A continuous pull: each message is handled as soon as it arrives. Returns `Ok` on shutdown.
    async fn pull(
        &self,
        handler: &Arc<dyn EventHandler>,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), BusError> {
        let consumer = self.ensure_consumer(handler.name()).await?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| BusError::Unavailable(format!("pull: {e}")))?;
        let mut applied = handler_checkpoint(handler).await?;
        let ctx = self.ctx(handler);
        loop {
            let next = tokio::select! {
                next = messages.next() => next,
                _ = shutdown.changed() => return Ok(()),
            };
            let Some(message) = next else {
                return Err(BusError::Unavailable("pull stream ended".into()));
            };
            let message = message.map_err(|e| BusError::Unavailable(format!("pull: {e}")))?;
            if deliver(&ctx, &message, &mut applied).await? == Step::Retried {
                // Re-read the checkpoint before the redelivery: the handler may have partly applied it.
                applied = handler_checkpoint(handler).await?;
            }
        }
    }
}
