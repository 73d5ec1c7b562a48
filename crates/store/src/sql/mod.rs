//! The store's SQL, written once over its backends. The append and read skeleton ([`append`], [`read`]), the
//! data-key table ([`keys`]) and the [`EventStore`] implementation are generic over [`Backend`]; each backend
//! implements only what really differs: how an append transaction starts and locks its stream, where the read
//! horizon lies, how ids, times and JSON are bound and decoded, and how data keys are destroyed and re-wrapped.

mod append;
mod batched;
pub(crate) mod group;
mod keys;
mod read;
mod stmt;

use std::borrow::Cow;
use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Database, Pool};
use uuid::Uuid;

pub(crate) use stmt::{Conn, DbRow, Query, Sql};

use crate::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, Page,
    RecordedEvent, StoreError, StreamId, hash,
};

/// The SQL fragments in which the backends differ; everything else is shared text.
#[derive(Debug)]
pub(crate) struct Dialect {
    /// `transaction_id` as text (PostgreSQL's `xid8` has no sqlx type; SQLite's is an integer, always 0).
    pub transaction_id_text: &'static str,
    /// A text parameter `$1` as a value comparable with `transaction_id`.
    pub transaction_id_param: &'static str,
    /// What holds `read_all` and `head` back, if anything does.
    pub horizon: Option<Horizon>,
    /// The most parameters one statement may bind (multi-row inserts are chunked below it).
    pub max_binds: usize,
    /// Whether the commands can be inserted in a data-modifying `WITH` of the events' insert (one statement).
    pub commands_with_events: bool,
}

/// A read horizon: events at or after it may still be preceded by a transaction that has not committed yet.
#[derive(Debug)]
pub(crate) struct Horizon {
    /// A `WITH` clause placed before the query.
    pub cte: &'static str,
    /// The condition an event must meet to be readable.
    pub below: &'static str,
}

impl Dialect {
    /// The `WITH` clause and the condition that keep `read_all` and `head` below the horizon.
    pub fn horizon(&self) -> (&'static str, &'static str) {
        self.horizon
            .as_ref()
            .map_or(("", "TRUE"), |h| (h.cte, h.below))
    }
}

/// What each backend provides. Crate-private: callers see only [`EventStore`] and [`crate::privacy::PersonalKeys`].
pub(crate) trait Backend: std::fmt::Debug + Send + Sync + 'static {
    type Db: Database + sqlx::database::HasStatementCache;
    /// "postgres" or "sqlite", for logs and status output.
    const NAME: &'static str;
    const DIALECT: Dialect;

    /// Where appends and data-key writes go.
    fn writer(&self) -> &Pool<Self::Db>;
    /// Where reads go.
    fn reader(&self) -> &Pool<Self::Db>;

    /// Binds a UUID (`uuid` on PostgreSQL, hyphenated text on SQLite).
    fn bind_uuid(query: Query<'_, Self>, value: Option<Uuid>) -> Query<'_, Self>;
    /// Binds an instant (`timestamptz`, or microseconds since the Unix epoch).
    fn bind_time(query: Query<'_, Self>, value: Option<DateTime<Utc>>) -> Query<'_, Self>;
    /// Binds a JSON value (`jsonb`, or text).
    fn bind_json<'q>(query: Query<'q, Self>, value: Option<&'q Value>) -> Query<'q, Self>;
    fn get_uuid(row: &DbRow<Self>, column: &str) -> Result<Option<Uuid>, StoreError>;
    fn get_time(row: &DbRow<Self>, column: &str) -> Result<Option<DateTime<Utc>>, StoreError>;
    fn get_json(row: &DbRow<Self>, column: &str) -> Result<Option<Value>, StoreError>;

    /// What begins an append's transaction and, before anything of it is read, serialises the writers of each
    /// of `streams` (a group commit locks all its streams at once, always in one order, so that two batches never
    /// wait for each other in a cycle). Sent as a simple query, in one round trip.
    fn begin_append(streams: &[&StreamId]) -> Cow<'static, str>;

    /// How long the oldest append still in progress has been open (see [`EventStore::oldest_open_append`]).
    fn oldest_open_append(
        &self,
    ) -> impl Future<Output = Result<Option<Duration>, StoreError>> + Send {
        async { Ok(None) }
    }

    /// Destroys the data keys of a stream (or of one person in it); the number destroyed.
    fn destroy_keys<'a>(
        &'a self,
        stream: &'a StreamId,
        person: Option<&'a str>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send + 'a;

    /// Replaces a data key's wrapping if it is still wrapped by the old KEK; whether it was.
    fn rewrap_key<'a>(
        &'a self,
        rewrap: Rewrap<'a>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send + 'a;
}

/// A data key's new wrapping, to be stored only if it is still wrapped by `old_kek`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rewrap<'a> {
    pub key_id: Uuid,
    pub old_kek: &'a str,
    pub new_kek: &'a str,
    pub wrapped: &'a [u8],
}

#[async_trait]
impl<B: Sql> EventStore for B {
    #[tracing::instrument(skip_all, fields(backend = B::NAME, stream = %stream, command_id = %meta.command_id))]
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError> {
        append::append(self, stream, expected, events, meta).await
    }

    async fn find_command(
        &self,
        command_id: Uuid,
        fingerprint: Option<&str>,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        read::find_command(self, command_id, fingerprint).await
    }

    async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        read::read_stream(self, stream, None).await
    }

    async fn read_stream_as_of(
        &self,
        stream: &StreamId,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        read::read_stream(self, stream, Some(as_of)).await
    }

    async fn read_all(&self, after: &Checkpoint, limit: usize) -> Result<Page, StoreError> {
        read::read_all(self, after, limit).await
    }

    async fn head(&self) -> Result<Checkpoint, StoreError> {
        read::head(self).await
    }

    async fn verify_stream(&self, stream: &StreamId) -> Result<hash::Verification, StoreError> {
        let events = self.read_stream(stream).await?;
        Ok(hash::verify_chain(stream, &events))
    }

    async fn oldest_open_append(&self) -> Result<Option<Duration>, StoreError> {
        Backend::oldest_open_append(self).await
    }

    fn backend(&self) -> &'static str {
        B::NAME
    }
}
