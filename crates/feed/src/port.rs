//! The consumer port shared by the read models, the notifier and the deadline watcher: what a handler
//! implements and what a source (the in-process store tail here, JetStream in `bus`) promises it.

use std::sync::Arc;

use async_trait::async_trait;
use store::{Checkpoint, RecordedEvent};

/// One event handed to a handler.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: RecordedEvent,
    /// 1 on the first delivery, then 2, 3, … on redeliveries.
    pub attempt: u32,
}

impl Delivery {
    /// The event's position in the global order: handlers store it as their checkpoint.
    pub fn checkpoint(&self) -> Checkpoint {
        self.event.checkpoint()
    }
}

/// Why a handler could not apply an event.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Try again later (database down, SMTP refused): the source redelivers with backoff.
    #[error("transient: {0}")]
    Transient(String),
    /// Will never succeed (a poison message): the source dead-letters it at once and moves on.
    #[error("permanent: {0}")]
    Permanent(String),
}

/// A consumer of the global event order.
#[async_trait]
pub trait EventHandler: Send + Sync + std::fmt::Debug {
    /// The durable consumer name (also the JetStream durable name): stable, `[a-z0-9_-]+`.
    fn name(&self) -> &str;

    /// The last checkpoint this handler applied, as stored with its rows (`None` before the first event).
    /// The in-process source resumes after it; every source skips deliveries at or before it.
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError>;

    /// Applies one event. Must be idempotent: store the checkpoint in the same transaction as the effect.
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError>;

    /// Applies consecutive deliveries of the global order, oldest first. On failure it reports how many
    /// leading deliveries were applied (their effects and checkpoint committed) and why the next one was
    /// not; the source then hands that one again. The default hands them to [`handle`](Self::handle) one
    /// at a time, so a handler without a faster path behaves exactly as with single deliveries. A handler
    /// that overrides it (one transaction for the whole slice) keeps the same contract: idempotent, the
    /// checkpoint in the same transaction as the effect, and `applied` exactly what was committed.
    async fn handle_batch(&self, deliveries: &[Delivery]) -> Result<(), BatchError> {
        for (applied, delivery) in deliveries.iter().enumerate() {
            self.handle(delivery)
                .await
                .map_err(|error| BatchError { applied, error })?;
        }
        Ok(())
    }
}

/// Why [`EventHandler::handle_batch`] stopped early.
#[derive(Debug, thiserror::Error)]
#[error("after {applied} applied: {error}")]
pub struct BatchError {
    /// How many leading deliveries were applied and committed; `deliveries[applied]` is the one that failed.
    pub applied: usize,
    pub error: HandlerError,
}

/// What one bounded run of a source did (tests call `run_once`; the loop adds sleeping and shutdown).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOutcome {
    /// Events handed to the handler and acknowledged.
    pub handled: usize,
    /// Deliveries skipped because the handler's checkpoint was already past them.
    pub skipped: usize,
    /// Deliveries that failed transiently and will be redelivered.
    pub retried: usize,
    /// Deliveries sent to the dead-letter subject or table.
    pub dead_lettered: usize,
}

/// Errors of the source itself (not of the handler). `bus` uses the same type (as `bus::SourceError`) for the
/// relay and the JetStream source, so a caller handles one error whichever source feeds it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("event store: {0}")]
    Store(#[from] store::StoreError),
    /// The broker (or the handler's own checkpoint store) is unreachable or refused an operation; retry later.
    #[error("broker unavailable: {0}")]
    Unavailable(String),
    #[error("bus configuration: {0}")]
    Config(String),
}

/// Feeds a handler every event of the global order that it has not applied yet.
#[async_trait]
pub trait EventSource: Send + Sync + std::fmt::Debug {
    /// Delivers up to `max` pending events to the handler and returns at once when none are pending.
    async fn run_once(
        &self,
        handler: &Arc<dyn EventHandler>,
        max: usize,
    ) -> Result<RunOutcome, SourceError>;

    /// Runs until `shutdown` resolves: `run_once` in a loop, sleeping briefly when idle and backing off
    /// on errors.
    async fn run(
        &self,
        handler: Arc<dyn EventHandler>,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), SourceError>;
}
