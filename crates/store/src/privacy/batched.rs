//! Data-key creation shared between concurrent commands: the first personal data of a case needs a new data
//! key stored (and committed) before its event is sealed, which on its own costs every new case a commit of
//! its own beside the append's. [`BatchedKeys`] queues concurrent [`PersonalKeys::insert_or_get`] calls and a
//! writer task stores what is waiting with one [`PersonalKeys::insert_or_get_many`] (one transaction), the way
//! group commit shares the appends' commits (ADR 0012). Every caller is answered only after that commit, with
//! the key stored for its scope; everything else goes straight to the table.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::{PersonalKeys, StoredKey};
use crate::{StoreError, StreamId};

type Reply = oneshot::Sender<Result<StoredKey, StoreError>>;

/// The data-key table with key creation batched; see the module documentation.
#[derive(Debug, Clone)]
pub struct BatchedKeys {
    inner: Arc<dyn PersonalKeys>,
    queue: mpsc::Sender<(StoredKey, Reply)>,
}

impl BatchedKeys {
    /// Starts the writer task on the current tokio runtime; at most `max_batch` keys per transaction.
    pub fn start(inner: Arc<dyn PersonalKeys>, max_batch: usize) -> Self {
        let (queue, requests) = mpsc::channel(1024);
        tokio::spawn(run(inner.clone(), requests, max_batch.max(1)));
        Self { inner, queue }
    }
}

async fn run(
    inner: Arc<dyn PersonalKeys>,
    mut requests: mpsc::Receiver<(StoredKey, Reply)>,
    max_batch: usize,
) {
    loop {
        let mut batch = Vec::new();
        if requests.recv_many(&mut batch, max_batch).await == 0 {
            return; // every handle is gone
        }
        let (keys, replies): (Vec<StoredKey>, Vec<Reply>) = batch.into_iter().unzip();
        match inner.insert_or_get_many(keys.clone()).await {
            Ok(stored) if stored.len() == replies.len() => {
                for (reply, key) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(key));
                }
            }
            // A failed batch (or a backend answering the wrong count) is retried key by key, so one bad key
            // fails only its own command.
            _ => {
                for (reply, key) in replies.into_iter().zip(keys) {
                    let _ = reply.send(inner.insert_or_get(key).await);
                }
            }
        }
    }
}

#[async_trait]
impl PersonalKeys for BatchedKeys {
    async fn insert_or_get(&self, key: StoredKey) -> Result<StoredKey, StoreError> {
        let (reply, answer) = oneshot::channel();
        let stopped = || StoreError::Unavailable("the data-key writer has stopped".into());
        self.queue.send((key, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn insert_or_get_many(&self, keys: Vec<StoredKey>) -> Result<Vec<StoredKey>, StoreError> {
        self.inner.insert_or_get_many(keys).await
    }

    async fn get(&self, key_id: Uuid) -> Result<Option<StoredKey>, StoreError> {
        self.inner.get(key_id).await
    }

    async fn find(&self, stream: &StreamId, person: &str) -> Result<Option<StoredKey>, StoreError> {
        self.inner.find(stream, person).await
    }

    async fn destroy(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError> {
        self.inner.destroy(stream, person).await
    }

    async fn persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError> {
        self.inner.persons(stream).await
    }

    async fn wrapped_by_other(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        self.inner.wrapped_by_other(kek_id, limit).await
    }

    async fn rewrap(
        &self,
        key_id: Uuid,
        old_kek: &str,
        new_kek: &str,
        wrapped: &[u8],
    ) -> Result<bool, StoreError> {
        self.inner.rewrap(key_id, old_kek, new_kek, wrapped).await
    }
}
