//! The event store: the single source of truth. Appends are atomic, per-stream versions are dense, the global
//! order can be tailed without skipping or reordering, commands are idempotent, and every event is hash-chained
//! to its predecessor in the stream. Two backends implement one trait: PostgreSQL and SQLite.

mod batch;
mod db_error;
mod error;
pub mod hash;
pub mod privacy;
mod types;

pub mod postgres;
mod sql;
pub mod sqlite;

pub use error::StoreError;
pub use sql::group::{GroupCommitConfig, GroupCommitStats, GroupCommitStore};
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The one interface to an event store. Every backend passes the same conformance suite.
#[async_trait]
pub trait EventStore: Send + Sync + std::fmt::Debug + 'static {
    /// Appends `events` to `stream` in one transaction if the stream is at `expected`.
    ///
    /// If `meta.command_id` was already recorded, nothing is appended and the first result is returned with
    /// `replayed = true` (or [`StoreError::IdempotencyKeyReused`] when the fingerprint differs).
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError>;

    /// The outcome recorded for a command id, if that command was already appended (with `replayed = true`).
    /// When `fingerprint` is given and differs from the recorded one, fails with
    /// [`StoreError::IdempotencyKeyReused`], exactly as `append` would.
    async fn find_command(
        &self,
        command_id: uuid::Uuid,
        fingerprint: Option<&str>,
    ) -> Result<Option<AppendOutcome>, StoreError>;

    /// Every event of a stream, in version order (empty if the stream does not exist).
    async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError>;

    /// The events of a stream recorded at or before `as_of`.
    async fn read_stream_as_of(
        &self,
        stream: &StreamId,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError>;

    /// Up to `limit` events that follow `after` in the global order, and the checkpoint to continue from.
    /// Only events that can no longer be preceded by a concurrently committing transaction are returned,
    /// so a reader that follows the checkpoints never skips or reorders an event.
    async fn read_all(&self, after: &Checkpoint, limit: usize) -> Result<Page, StoreError>;

    /// The checkpoint after the last event currently readable by `read_all`.
    async fn head(&self) -> Result<Checkpoint, StoreError>;

    /// Recomputes the hash chain of one stream from the stored rows.
    async fn verify_stream(&self, stream: &StreamId) -> Result<hash::Verification, StoreError>;

    /// How long the oldest append still in progress has been open, if one is: on PostgreSQL such an appender
    /// holds the read horizon back (ADR 0002), so this is how stale readers may be. SQLite has no such wait.
    async fn oldest_open_append(&self) -> Result<Option<std::time::Duration>, StoreError> {
        Ok(None)
    }

    /// Which backend this is ("postgres" or "sqlite"), for logs and status output.
    fn backend(&self) -> &'static str;
}

/// Opens the store named by a database URL (`postgres://…` or `sqlite://…`) and applies the migrations.
pub async fn connect(url: &str) -> Result<std::sync::Arc<dyn EventStore>, StoreError> {
    connect_with_pool_size(url, postgres::DEFAULT_MAX_CONNECTIONS).await
}

/// Like [`connect`], with at most `max_connections` PostgreSQL connections (SQLite has one writer anyway).
pub async fn connect_with_pool_size(
    url: &str,
    max_connections: u32,
) -> Result<std::sync::Arc<dyn EventStore>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(std::sync::Arc::new(
            postgres::PgStore::connect_with_pool_size(url, max_connections).await?,
        ))
    } else if url.starts_with("sqlite:") {
        Ok(std::sync::Arc::new(
            sqlite::SqliteStore::connect(url).await?,
        ))
    } else {
        Err(unsupported_scheme(url))
    }
}

fn unsupported_scheme(url: &str) -> StoreError {
    StoreError::Config(format!(
        "unsupported database URL scheme in `{}`: use postgres:// or sqlite://",
        url.split(['@', '?']).next_back().unwrap_or_default()
    ))
}

/// An opened database: the event store and, on the same database, the table of personal-data keys.
#[derive(Debug, Clone)]
pub struct Connected {
    pub events: std::sync::Arc<dyn EventStore>,
    pub keys: std::sync::Arc<dyn privacy::PersonalKeys>,
    /// The group-commit front of `events` when it is on, for its statistics.
    pub group_commit: Option<GroupCommitStore>,
}

/// Like [`connect_with_pool_size`], also handing out the data-key table for [`privacy::SealedStore`].
pub async fn connect_with_keys(url: &str, max_connections: u32) -> Result<Connected, StoreError> {
    connect_with_options(url, max_connections, None).await
}

/// Like [`connect_with_keys`]; with `group_commit`, appends go through a [`GroupCommitStore`] whose writer
/// tasks run on the current tokio runtime (ADR 0012). Reads and the key table go straight to the backend.
pub async fn connect_with_options(
    url: &str,
    max_connections: u32,
    group_commit: Option<GroupCommitConfig>,
) -> Result<Connected, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PgStore::connect_with_pool_size(url, max_connections).await?;
        let keys: std::sync::Arc<dyn privacy::PersonalKeys> = std::sync::Arc::new(store.clone());
        let group = group_commit.map(|config| store.clone().group_commit(config));
        let keys: std::sync::Arc<dyn privacy::PersonalKeys> = match group_commit {
            Some(config) => {
                std::sync::Arc::new(privacy::BatchedKeys::start(keys, config.max_batch))
            }
            None => keys,
        };
        let events: std::sync::Arc<dyn EventStore> = match &group {
            Some(group) => std::sync::Arc::new(group.clone()),
            None => std::sync::Arc::new(store),
        };
        Ok(Connected {
            events,
            keys,
            group_commit: group,
        })
    } else if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::connect(url).await?;
        let keys: std::sync::Arc<dyn privacy::PersonalKeys> = std::sync::Arc::new(store.clone());
        let group = group_commit.map(|config| store.clone().group_commit(config));
        let keys: std::sync::Arc<dyn privacy::PersonalKeys> = match group_commit {
            Some(config) => {
                std::sync::Arc::new(privacy::BatchedKeys::start(keys, config.max_batch))
            }
            None => keys,
        };
        let events: std::sync::Arc<dyn EventStore> = match &group {
            Some(group) => std::sync::Arc::new(group.clone()),
            None => std::sync::Arc::new(store),
        };
        Ok(Connected {
            events,
            keys,
            group_commit: group,
        })
    } else {
        Err(unsupported_scheme(url))
    }
}
