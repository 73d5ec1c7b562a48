//! Group commit (issue #14): concurrent appends share one database transaction, and so one commit and one
//! fsync. Callers queue their append on a bounded channel; one writer task takes what is waiting (up to
//! `max_batch`, waiting at most `max_wait` for more), writes the whole batch in one transaction with set-based
//! statements (`batched`: the begin takes every stream lock, one probe, one multi-row insert of events and commands),
//! commits once and answers each caller. A command refused by the rules (a version conflict, a reused command id) is
//! answered alone and does not disturb the others; any other failure rolls the whole batch back and retries each
//! command alone through the ordinary append, so one bad command fails only itself. Nobody is answered before the
//! commit that holds their events is durable.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use super::append::append;
use super::{Sql, batched};
use crate::batch;
use crate::postgres::PgStore;
use crate::sqlite::SqliteStore;
use crate::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, Page,
    RecordedEvent, StoreError, StreamId, hash,
};

/// How appends are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCommitConfig {
    /// The most commands one transaction holds.
    pub max_batch: usize,
    /// How long the writer waits for more commands once one is waiting; zero takes only what is already
    /// queued (which is what arrives while the previous batch commits).
    pub max_wait: Duration,
    /// Appends queued beyond this wait for room (back-pressure).
    pub queue: usize,
    /// How many batches may be in flight at once, each in its own transaction on its own connection: while one
    /// commits, the next is gathered and written. SQLite has one writer connection, so it always uses one.
    pub writers: usize,
}

impl Default for GroupCommitConfig {
    fn default() -> Self {
        Self {
            max_batch: 64,
            max_wait: Duration::ZERO,
            queue: 1024,
            writers: 4,
        }
    }
}

/// What the writer has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupCommitStats {
    /// Append transactions run (a batch, or one command alone).
    pub transactions: u64,
    /// Commands answered.
    pub commands: u64,
    /// Commands retried alone after their batch was rolled back.
    pub retried_alone: u64,
    /// The largest batch so far.
    pub largest_batch: u64,
}

#[derive(Debug, Default)]
struct Counters {
    transactions: AtomicU64,
    commands: AtomicU64,
    retried_alone: AtomicU64,
    largest_batch: AtomicU64,
}

type Reply = oneshot::Sender<Result<AppendOutcome, StoreError>>;

#[derive(Debug)]
struct Request {
    stream: StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: CommandMeta,
    reply: Reply,
}

/// An event store whose appends are group-committed; reads go straight to the backend.
#[derive(Debug, Clone)]
pub struct GroupCommitStore {
    inner: Arc<dyn EventStore>,
    queue: mpsc::Sender<Request>,
    counters: Arc<Counters>,
}

impl PgStore {
    /// This store with group commit, its writer task spawned on the current tokio runtime.
    pub fn group_commit(self, config: GroupCommitConfig) -> GroupCommitStore {
        GroupCommitStore::start(self, config)
    }
}

impl SqliteStore {
    /// This store with group commit, its writer task spawned on the current tokio runtime (one writer, whatever
    /// `config.writers` says: SQLite has one writer connection).
    pub fn group_commit(self, config: GroupCommitConfig) -> GroupCommitStore {
        let writers = 1;
        GroupCommitStore::start(self, GroupCommitConfig { writers, ..config })
    }
}

impl GroupCommitStore {
    fn start<B: Sql + Clone>(backend: B, config: GroupCommitConfig) -> Self {
        let (queue, requests) = mpsc::channel(config.queue.max(1));
        let counters = Arc::new(Counters::default());
        let requests = Arc::new(Mutex::new(requests));
        for _ in 0..config.writers.max(1) {
            tokio::spawn(run(
                backend.clone(),
                requests.clone(),
                config,
                counters.clone(),
            ));
        }
        Self {
            inner: Arc::new(backend),
            queue,
            counters,
        }
    }

    pub fn stats(&self) -> GroupCommitStats {
        let c = &self.counters;
        GroupCommitStats {
            transactions: c.transactions.load(Ordering::Relaxed),
            commands: c.commands.load(Ordering::Relaxed),
            retried_alone: c.retried_alone.load(Ordering::Relaxed),
            largest_batch: c.largest_batch.load(Ordering::Relaxed),
        }
    }
}

/// A writer task: takes a batch from the queue, commits it, and again; ends when every handle to the store is
/// gone and the queue is drained. Writers take turns at the queue, not at the database.
async fn run<B: Sql>(
    backend: B,
    requests: Arc<Mutex<mpsc::Receiver<Request>>>,
    config: GroupCommitConfig,
    counters: Arc<Counters>,
) {
    loop {
        let batch = {
            let mut queue = requests.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            gather(&mut queue, first, &config).await
        };
        counters
            .largest_batch
            .fetch_max(batch.len() as u64, Ordering::Relaxed);
        counters
            .commands
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        commit(&backend, batch, &counters).await;
    }
}

/// `first` and what else is queued, up to `max_batch`, waiting at most `max_wait` for more. With several writers
/// each takes its share of what is queued, so that their round trips run side by side instead of one writer
/// running them all in turn.
async fn gather(
    queue: &mut mpsc::Receiver<Request>,
    first: Request,
    config: &GroupCommitConfig,
) -> Vec<Request> {
    let writers = config.writers.max(1);
    let share = (queue.len() + 1).div_ceil(writers);
    let limit = if config.max_wait.is_zero() {
        share.clamp(1, config.max_batch.max(1))
    } else {
        config.max_batch.max(1)
    };
    let mut batch = vec![first];
    let deadline = tokio::time::Instant::now() + config.max_wait;
    while batch.len() < limit {
        match queue.try_recv() {
            Ok(request) => batch.push(request),
            Err(_) if config.max_wait.is_zero() => break,
            Err(_) => match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(request)) => batch.push(request),
                Ok(None) | Err(_) => break,
            },
        }
    }
    batch
}

async fn commit<B: Sql>(backend: &B, batch: Vec<Request>, counters: &Counters) {
    counters.transactions.fetch_add(1, Ordering::Relaxed);
    if batch.len() > 1 {
        if let Some(outcomes) = together(backend, &batch).await {
            for (request, outcome) in batch.into_iter().zip(outcomes) {
                let _ = request.reply.send(outcome);
            }
            return;
        }
        counters
            .retried_alone
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        counters
            .transactions
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
    }
    for r in batch {
        let outcome = append(backend, &r.stream, r.expected, r.events, &r.meta).await;
        // A caller that gave up (its future was dropped) is simply not answered; its append still counts.
        let _ = r.reply.send(outcome);
    }
}

/// The whole batch in one transaction, set-based (`batched`), in arrival order; `None` if the batch must be
/// rolled back and retried alone.
async fn together<B: Sql>(
    backend: &B,
    batch: &[Request],
) -> Option<Vec<Result<AppendOutcome, StoreError>>> {
    let commands: Vec<_> = batch
        .iter()
        .map(|r| batched::Command {
            stream: &r.stream,
            expected: r.expected,
            events: &r.events,
            meta: &r.meta,
        })
        .collect();
    let mut tx = backend
        .writer()
        .begin_with(B::begin_append(&batched::streams(&commands)))
        .await
        .ok()?;
    // Version conflicts and reused command ids are answers inside the outcomes; any error is a failure.
    let Ok(outcomes) = batched::write::<B>(&mut tx, &commands).await else {
        let _ = tx.rollback().await;
        return None;
    };
    // If the commit's fate is unknown (a lost connection), the retry alone finds each recorded command id.
    tx.commit().await.ok()?;
    Some(outcomes)
}

#[async_trait]
impl EventStore for GroupCommitStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError> {
        // Refused before queueing, so that a batch never carries what could not be stored anyway.
        batch::validate(&events)?;
        let (reply, answer) = oneshot::channel();
        let request = Request {
            stream: stream.clone(),
            expected,
            events,
            meta: meta.clone(),
            reply,
        };
        let stopped = || StoreError::Unavailable("the group-commit writer has stopped".into());
        self.queue.send(request).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn find_command(
        &self,
        command_id: Uuid,
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

    async fn verify_stream(&self, stream: &StreamId) -> Result<hash::Verification, StoreError> {
        self.inner.verify_stream(stream).await
    }

    async fn oldest_open_append(&self) -> Result<Option<Duration>, StoreError> {
        self.inner.oldest_open_append().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}
