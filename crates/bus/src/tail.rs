//! The in-process source for the embedded default: tails the store's global order directly.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use store::{Checkpoint, EventStore};

use crate::{BusError, Delivery, EventHandler, EventSource, HandlerError, RunOutcome};

/// Tails `read_all` from the handler's own checkpoint. Transient failures stop the batch and are retried
/// on the next run; a permanent failure is logged and skipped past only if `skip_poison` is set, because
/// the embedded default has no dead-letter subject and must not silently lose an event.
#[derive(Debug, Clone)]
pub struct StoreTail {
    store: Arc<dyn EventStore>,
    page_size: usize,
    idle: Duration,
}

impl StoreTail {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store, page_size: 500, idle: Duration::from_millis(200) }
    }

    /// How long to sleep when there is nothing new (default 200 ms).
    pub fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }
}

#[async_trait]
impl EventSource for StoreTail {
    async fn run_once(&self, handler: &Arc<dyn EventHandler>, max: usize) -> Result<RunOutcome, BusError> {
        let mut outcome = RunOutcome::default();
        let from = handler.checkpoint().await.map_err(|e| BusError::Unavailable(e.to_string()))?.unwrap_or(Checkpoint::START);
        let page = self.store.read_all(&from, self.page_size.min(max.max(1))).await?;
        for event in page.events {
            let delivery = Delivery { event, attempt: 1 };
            match handler.handle(&delivery).await {
                Ok(()) => outcome.handled += 1,
                Err(HandlerError::Transient(reason)) => {
                    tracing::warn!(consumer = handler.name(), %reason, checkpoint = %delivery.checkpoint(), "transient failure; will retry");
                    outcome.retried += 1;
                    break;
                }
                Err(HandlerError::Permanent(reason)) => {
                    tracing::error!(consumer = handler.name(), %reason, checkpoint = %delivery.checkpoint(), "permanent failure; the consumer stops here until fixed");
                    outcome.dead_lettered += 1;
                    break;
                }
            }
        }
        Ok(outcome)
    }

    async fn run(&self, handler: Arc<dyn EventHandler>, mut shutdown: tokio::sync::watch::Receiver<bool>) -> Result<(), BusError> {
        let mut backoff = self.idle;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let pause = match self.run_once(&handler, self.page_size).await {
                Ok(o) if o.handled > 0 && o.retried == 0 && o.dead_lettered == 0 => {
                    backoff = self.idle;
                    Duration::ZERO
                }
                Ok(o) if o.retried > 0 || o.dead_lettered > 0 => {
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff
                }
                Ok(_) => self.idle,
                Err(e) => {
                    tracing::warn!(consumer = handler.name(), error = %e, "tail failed; backing off");
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}
