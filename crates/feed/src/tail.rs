//! The in-process source for the embedded default: tails the store's global order directly.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use store::{Checkpoint, EventStore};

use crate::{Delivery, EventHandler, EventSource, HandlerError, RunOutcome, SourceError};

/// Tails `read_all` from the handler's own checkpoint and hands each page to
/// [`EventHandler::handle_batch`] (by default one event at a time). A failure stops the page, and the
/// event it stopped at is handed again on the next run, with `attempt` counting up (a transient failure
/// is counted in `retried`). A permanent failure is also retried, with backoff, and logged as an error on every
/// attempt: the embedded default has no dead-letter subject and must not silently lose an event, so the
/// consumer halts there until the handler is fixed (counted in `dead_lettered`, though nothing is moved).
///
/// While it runs, a consumer that is behind gets larger pages: each full page doubles the next one, up to
/// [`StoreTail::with_max_page_size`], and the first page that is not full brings it back to the page size.
/// A batch handler then applies more events per transaction exactly when it has the most to catch up on.
#[derive(Debug, Clone)]
pub struct StoreTail {
    store: Arc<dyn EventStore>,
    page_size: usize,
    max_page_size: usize,
    idle: Duration,
    /// Wakes the tail as soon as an append commits, instead of at the next idle poll.
    wake: Option<tokio::sync::watch::Receiver<u64>>,
    /// Per consumer: the event that failed last and how many times it was handed over.
    attempts: Arc<Mutex<HashMap<String, (Checkpoint, u32)>>>,
}

impl StoreTail {
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            page_size: 500,
            max_page_size: 5_000,
            idle: Duration::from_millis(200),
            wake: None,
            attempts: Arc::default(),
        }
    }

    /// Wake up when `signal` changes (see [`crate::SignallingStore`]), not only every idle period.
    pub fn with_wake(mut self, signal: tokio::sync::watch::Receiver<u64>) -> Self {
        self.wake = Some(signal);
        self
    }

    /// How long to sleep when there is nothing new (default 200 ms).
    pub fn with_idle(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Events read per `run_once` at most (default 500); also the page [`EventSource::run`] starts with.
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// The largest page [`EventSource::run`] grows to while the consumer is behind (default 5,000; never
    /// below the page size).
    pub fn with_max_page_size(mut self, max_page_size: usize) -> Self {
        self.max_page_size = max_page_size.max(1);
        self
    }

    /// The page after one of `page` events that handed `handled`: doubled after a full page, else reset.
    fn next_page(&self, page: usize, handled: usize) -> usize {
        if handled >= page {
            (page * 2).min(self.max_page_size.max(self.page_size))
        } else {
            self.page_size
        }
    }

    /// Reads up to `page` events from the handler's checkpoint and hands them over (see [`Self::run_once`]).
    async fn run_page(
        &self,
        handler: &Arc<dyn EventHandler>,
        page: usize,
    ) -> Result<RunOutcome, SourceError> {
        let mut outcome = RunOutcome::default();
        let name = handler.name();
        let from = handler
            .checkpoint()
            .await
            .map_err(|e| SourceError::Unavailable(e.to_string()))?
            .unwrap_or(Checkpoint::START);
        let page = self.store.read_all(&from, page.max(1)).await?;
        let deliveries: Vec<Delivery> = page
            .events
            .into_iter()
            .map(|event| {
                let attempt = self.attempt(name, event.checkpoint());
                Delivery { event, attempt }
            })
            .collect();
        let Some(last) = deliveries.last().map(Delivery::checkpoint) else {
            return Ok(outcome);
        };
        // The whole page in one call: a handler with a batch path applies it in one transaction.
        let error = match handler.handle_batch(&deliveries).await {
            Ok(()) => {
                self.record(name, last, 1, false);
                outcome.handled = deliveries.len();
                return Ok(outcome);
            }
            Err(e) => e,
        };
        outcome.handled = error.applied.min(deliveries.len());
        let Some(failed) = deliveries.get(outcome.handled) else {
            return Ok(outcome);
        };
        let (at, attempt) = (failed.checkpoint(), failed.attempt);
        self.record(name, at, attempt, true);
        match error.error {
            HandlerError::Transient(reason) => {
                tracing::warn!(consumer = name, %reason, checkpoint = %at, attempt, "transient failure; will retry");
                outcome.retried += 1;
            }
            HandlerError::Permanent(reason) => {
                tracing::error!(consumer = name, %reason, checkpoint = %at, attempt, "permanent failure; the consumer stops here until fixed");
                outcome.dead_lettered += 1;
            }
        }
        Ok(outcome)
    }

    /// The attempt number of this delivery: 1 unless the same event failed just before.
    fn attempt(&self, consumer: &str, at: Checkpoint) -> u32 {
        let attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        match attempts.get(consumer) {
            Some((failed, n)) if *failed == at => n + 1,
            _ => 1,
        }
    }

    fn record(&self, consumer: &str, at: Checkpoint, attempt: u32, failed: bool) {
        let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        if failed {
            attempts.insert(consumer.to_owned(), (at, attempt));
        } else {
            attempts.remove(consumer);
        }
    }
}

#[async_trait]
impl EventSource for StoreTail {
    async fn run_once(
        &self,
        handler: &Arc<dyn EventHandler>,
        max: usize,
    ) -> Result<RunOutcome, SourceError> {
        self.run_page(handler, self.page_size.min(max.max(1))).await
    }

    async fn run(
        &self,
        handler: Arc<dyn EventHandler>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), SourceError> {
        let mut backoff = self.idle;
        let mut wake = self.wake.clone();
        let mut page = self.page_size;
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            let result = self.run_page(&handler, page).await;
            page = match &result {
                Ok(o) if o.retried == 0 && o.dead_lettered == 0 => self.next_page(page, o.handled),
                _ => self.page_size,
            };
            let pause = match result {
                Ok(o) if o.handled > 0 && o.retried == 0 && o.dead_lettered == 0 => {
                    backoff = self.idle;
                    Duration::ZERO
                }
                Ok(o) if o.retried > 0 || o.dead_lettered > 0 => {
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    backoff
                }
                Ok(_) => {
                    // Caught up: sleep until the idle period ends or an append is signalled.
                    tokio::select! {
                        _ = tokio::time::sleep(self.idle) => {}
                        _ = crate::next_signal(wake.as_mut()) => {}
                        _ = shutdown.changed() => {}
                    }
                    Duration::ZERO
                }
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

#[cfg(test)]
#[path = "tail_tests.rs"]
mod tests;
