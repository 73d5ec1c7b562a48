//! A wake-up call for readers of the global order that run in the same process as the writer.
//!
//! The relay and the in-process tails sleep when they are caught up; without a signal the sleep is a floor
//! under end-to-end latency. `SignallingStore` wraps the store the command service appends through and bumps
//! a counter after every committed append; readers wait on the counter as well as on their idle timer. The
//! signal is only a hint: a reader woken too early (PostgreSQL's snapshot horizon not yet past the new
//! event) simply finds nothing and goes back to sleep, and a missed signal costs one idle period.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use store::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, Page,
    RecordedEvent, StoreError, StreamId,
};
use tokio::sync::watch;

/// A store that tells subscribers when an append committed.
#[derive(Debug, Clone)]
pub struct SignallingStore {
    inner: Arc<dyn EventStore>,
    appended: Arc<watch::Sender<u64>>,
}

impl SignallingStore {
    pub fn new(inner: Arc<dyn EventStore>) -> Self {
        Self {
            inner,
            appended: Arc::new(watch::Sender::new(0)),
        }
    }

    /// A receiver that changes after every committed append (give one to each reader).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }
}

/// Waits for the next signal; never returns once the signalling store is gone (readers fall back to polling).
pub async fn next_signal(wake: Option<&mut watch::Receiver<u64>>) {
    if let Some(rx) = wake
        && rx.changed().await.is_ok()
    {
        return;
    }
    std::future::pending::<()>().await
}

#[async_trait]
impl EventStore for SignallingStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError> {
        let outcome = self.inner.append(stream, expected, events, meta).await?;
        if !outcome.replayed {
            self.appended.send_modify(|n| *n = n.wrapping_add(1));
        }
        Ok(outcome)
    }

    async fn find_command(
        &self,
        command_id: uuid::Uuid,
        fingerprint: Option<&str>,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.find_command(command_id, fingerprint).await
    }

    async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream).await
    }

    async fn read_stream_as_of(
        &self,
        stream: &StreamId,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream_as_of(stream, as_of).await
    }

    async fn read_all(&self, after: &Checkpoint, limit: usize) -> Result<Page, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn head(&self) -> Result<Checkpoint, StoreError> {
        self.inner.head().await
    }

    async fn verify_stream(
        &self,
        stream: &StreamId,
    ) -> Result<store::hash::Verification, StoreError> {
        self.inner.verify_stream(stream).await
    }

    async fn oldest_open_append(&self) -> Result<Option<std::time::Duration>, StoreError> {
        self.inner.oldest_open_append().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
