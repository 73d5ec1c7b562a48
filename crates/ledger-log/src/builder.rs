//! The log builder: follows the store's global order and appends every event's hash as the next leaf, then
//! signs checkpoints at the configured cadence.
//!
//! Each batch is one transaction that writes the leaves, the tree's new stored hashes and — implicitly, as the
//! last leaf's place in the global order — the builder's checkpoint, so a crash never leaves a leaf without its
//! hashes or logs an event twice. The transaction re-reads the head under the log's lock (PostgreSQL advisory
//! lock, SQLite write lock), so builders on several nodes never fork the tree: the one that lost the race
//! drops its batch and continues from the new head.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use store::{EventStore, RecordedEvent};
use tlog::Checkpoint;
use tlog::note::NoteSigner;
use tokio::sync::watch;

use crate::db::{self, CheckpointRow, LogDb, LogHead};
use crate::hashes::{Layer, with_hashes};
use crate::{LogError, LogSettings};

/// Appends the store's events to the log and signs checkpoints.
#[derive(Debug)]
pub struct LogBuilder {
    store: Arc<dyn EventStore>,
    db: LogDb,
    signer: Arc<NoteSigner>,
    settings: LogSettings,
    nats: Option<async_nats::Client>,
    wake: Option<watch::Receiver<u64>>,
    last_signed: Option<Instant>,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Leaves appended (0: the log is caught up with the store).
    Appended(u64),
    /// Another builder appended meanwhile; nothing was written.
    Lost,
}

impl LogBuilder {
    pub fn new(
        store: Arc<dyn EventStore>,
        db: LogDb,
        signer: Arc<NoteSigner>,
        settings: LogSettings,
    ) -> Self {
        Self {
            store,
            db,
            signer,
            settings,
            nats: None,
            wake: None,
            last_signed: None,
        }
    }

    /// Publishes every checkpoint it signs on `settings.nats_subject`.
    pub fn with_nats(mut self, client: async_nats::Client) -> Self {
        self.nats = Some(client);
        self
    }

    /// Wakes on the store's commit signal instead of waiting for the idle poll.
    pub fn with_wake(mut self, wake: watch::Receiver<u64>) -> Self {
        self.wake = Some(wake);
        self
    }

    /// Appends one batch of events from the log's head.
    pub async fn step(&self) -> Result<Step, LogError> {
        let head = self.db.head().await?;
        let page = self
            .store
            .read_all(&head.after, self.settings.batch_size)
            .await?;
        if page.events.is_empty() {
            return Ok(Step::Appended(0));
        }
        let leaves = page
            .events
            .iter()
            .map(|e| {
                let bytes = tlog::event::parse_hex_hash("hash", &e.hash)?;
                Ok(tlog::tree::leaf_hash(&bytes))
            })
            .collect::<Result<Vec<_>, LogError>>()?;
        let first = head.size;
        let new_hashes = with_hashes(&self.db, |known| {
            let mut layer = Layer {
                base: known,
                new: Default::default(),
            };
            let mut all = Vec::new();
            for (i, leaf) in leaves.iter().enumerate() {
                let n = first + i as u64;
                let hashes = tlog::tree::hashes_to_store(n, *leaf, &layer)?;
                let at = tlog_tiles::stored_hash_index(0, n);
                for (j, h) in hashes.iter().enumerate() {
                    layer.new.insert(at + j as u64, *h);
                }
                all.extend(hashes);
            }
            Ok(all)
        })
        .await?;

        let mut tx = self.db.begin_write().await?;
        if db::head_in(&mut tx).await? != head {
            tx.rollback().await?;
            return Ok(Step::Lost);
        }
        let logged_at = store::hash::format_recorded_at(Utc::now());
        for (i, event) in page.events.iter().enumerate() {
            db::insert_leaf(
                &mut tx,
                first + i as u64,
                event,
                tracking_code(event),
                &logged_at,
            )
            .await?;
        }
        db::insert_hashes(
            &mut tx,
            tlog_tiles::stored_hash_index(0, first),
            &new_hashes,
        )
        .await?;
        tx.commit().await?;
        let appended = page.events.len() as u64;
        tracing::debug!(from = first, appended, "transparency log appended");
        Ok(Step::Appended(appended))
    }

    /// Appends until the log holds every event `read_all` returns now; returns how many leaves were added.
    pub async fn catch_up(&self) -> Result<u64, LogError> {
        let mut total = 0;
        loop {
            match self.step().await? {
                Step::Appended(0) => return Ok(total),
                Step::Appended(n) => total += n,
                Step::Lost => {}
            }
        }
    }

    /// Signs a checkpoint of the whole current tree unless its size is already signed; returns it.
    pub async fn sign(&mut self) -> Result<Option<CheckpointRow>, LogError> {
        let head = self.db.head().await?;
        let latest = self.db.latest_checkpoint().await?;
        if head.size == 0 || latest.as_ref().is_some_and(|c| c.tree_size >= head.size) {
            return Ok(None);
        }
        let row = self.sign_head(head).await?;
        self.last_signed = Some(Instant::now());
        if let Some(row) = &row {
            self.publish(row).await;
        }
        Ok(row)
    }

    async fn sign_head(&self, head: LogHead) -> Result<Option<CheckpointRow>, LogError> {
        let size = head.size;
        let root = with_hashes(&self.db, |known| tlog::tree::root(size, known)).await?;
        let body = Checkpoint::new(&self.settings.origin, size, root, "")
            .map_err(|e| LogError::Invalid(format!("checkpoint: {e}")))?;
        let note = tlog::note::sign_checkpoint(&body, &self.signer)?;
        let row = CheckpointRow {
            tree_size: size,
            root: root.to_string(),
            note,
            public_key: self.signer.verifier_key().to_vkey(),
            signed_at: store::hash::format_recorded_at(Utc::now()),
        };
        let mut tx = self.db.begin_write().await?;
        if db::checkpoint_exists(&mut tx, size).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        db::insert_checkpoint(&mut tx, &row).await?;
        tx.commit().await?;
        tracing::info!(size, root = %row.root, "transparency log checkpoint signed");
        Ok(Some(row))
    }

    async fn publish(&self, row: &CheckpointRow) {
        let Some(client) = &self.nats else { return };
        let subject = self.settings.nats_subject.clone();
        let result = async {
            client.publish(subject, row.note.clone().into()).await?;
            client.flush().await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, size = row.tree_size, "publishing the checkpoint on NATS failed; it is stored and served over HTTP");
        }
    }

    /// Signs when the cadence says so: new leaves, and either enough of them or enough time since the last.
    async fn maybe_sign(&mut self) -> Result<(), LogError> {
        let head = self.db.head().await?;
        let signed = self
            .db
            .latest_checkpoint()
            .await?
            .map_or(0, |c| c.tree_size);
        if head.size <= signed {
            return Ok(());
        }
        let interval = Duration::from_secs(self.settings.checkpoint_interval_secs);
        let due = head.size - signed >= self.settings.checkpoint_every_leaves
            || self.last_signed.is_none_or(|t| t.elapsed() >= interval);
        if due {
            self.sign().await?;
        }
        Ok(())
    }

    /// Runs until `stop` turns true. Errors are logged and retried with a backoff: the log must never stop the
    /// API, and everything it does is resumable from its tables.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), LogError> {
        self.settings.validate()?;
        let poll = Duration::from_millis(self.settings.poll_ms.max(10));
        let mut backoff = Duration::from_millis(200);
        let mut wake = self.wake.take();
        // The first checkpoint is due as soon as there is something to sign.
        self.last_signed = None;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            let result = async {
                let busy = match self.step().await? {
                    Step::Appended(n) => n as usize == self.settings.batch_size,
                    Step::Lost => true,
                };
                self.maybe_sign().await?;
                Ok::<_, LogError>(busy)
            }
            .await;
            let pause = match result {
                Ok(true) => continue,
                Ok(false) => {
                    backoff = Duration::from_millis(200);
                    poll
                }
                Err(e) => {
                    tracing::error!(error = %e, retry_in = ?backoff, "the transparency log builder failed; retrying");
                    let b = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    b
                }
            };
            let woken = async {
                match &mut wake {
                    Some(w) => {
                        if w.changed().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = stop.changed() => {}
                () = tokio::time::sleep(pause) => {}
                () = woken => {}
            }
        }
    }
}

/// The tracking code the event assigns, if it is the first event of a case that carries one.
fn tracking_code(event: &RecordedEvent) -> Option<String> {
    (event.version == 1)
        .then(|| {
            event
                .payload
                .get("tracking_code")?
                .as_str()
                .map(str::to_ascii_uppercase)
        })
        .flatten()
}
