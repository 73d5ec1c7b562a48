//! Reading from SQLite: decoding rows (UUIDs and JSON as text, times as microseconds), streams, the global
//! order, commands.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::batch::{self, CommandRecord, StreamHead};
use crate::{
    AppendOutcome, Checkpoint, EventMetadata, Page, RecordedEvent, StoreError, StreamId, db_error,
};

pub(super) const COLUMNS: &str = "global_position, transaction_id, event_id, stream_id, version, recorded_at, \
    event_type, schema_version, payload, personal, command_id, actor, correlation_id, causation_id, \
    rulebook_version, prev_hash, hash";

fn get<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    row: &'r SqliteRow,
    column: &str,
) -> Result<T, StoreError> {
    row.try_get(column).map_err(db_error::map)
}

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored id `{text}` is not a UUID: {e}")))
}

fn json(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored JSON does not parse: {e}")))
}

/// Times are stored as microseconds since the Unix epoch: exact at the precision the hash covers.
pub(super) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(super) fn from_micros(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp {micros} out of range")))
}

pub(super) fn decode(row: &SqliteRow) -> Result<RecordedEvent, StoreError> {
    let schema_version: i64 = get(row, "schema_version")?;
    let personal: Option<String> = get(row, "personal")?;
    let causation_id: Option<String> = get(row, "causation_id")?;
    Ok(RecordedEvent {
        event_id: uuid(&get::<String>(row, "event_id")?)?,
        stream_id: StreamId::parse(get::<String>(row, "stream_id")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        version: batch::to_u64(get(row, "version")?, "version")?,
        global_position: get(row, "global_position")?,
        transaction_id: batch::to_u64(get(row, "transaction_id")?, "transaction id")?,
        recorded_at: from_micros(get(row, "recorded_at")?)?,
        event_type: get(row, "event_type")?,
        schema_version: u16::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!("schema version {schema_version} out of range"))
        })?,
        payload: json(&get::<String>(row, "payload")?)?,
        personal: personal.as_deref().map(json).transpose()?,
        metadata: EventMetadata {
            command_id: uuid(&get::<String>(row, "command_id")?)?,
            actor: get(row, "actor")?,
            correlation_id: uuid(&get::<String>(row, "correlation_id")?)?,
            causation_id: causation_id.as_deref().map(uuid).transpose()?,
            rulebook_version: get(row, "rulebook_version")?,
        },
        prev_hash: get(row, "prev_hash")?,
        hash: get(row, "hash")?,
    })
}

pub(super) async fn read_stream(
    pool: &SqlitePool,
    stream: &StreamId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND ($2 IS NULL OR recorded_at <= $2) ORDER BY version"
    );
    let rows = sqlx::query(&sql)
        .bind(stream.as_str())
        .bind(as_of.map(to_micros))
        .fetch_all(pool)
        .await
        .map_err(db_error::map)?;
    rows.iter().map(decode).collect()
}

/// With a single writer, positions are assigned in commit order and a reader's snapshot always holds a prefix
/// of them, so following `global_position` is sound here (unlike on PostgreSQL). The row comparison keeps the
/// same shape as PostgreSQL's; `transaction_id` is always 0.
pub(super) async fn read_all(
    pool: &SqlitePool,
    after: &Checkpoint,
    limit: usize,
) -> Result<Page, StoreError> {
    if limit == 0 {
        return Ok(Page {
            events: Vec::new(),
            next: *after,
        });
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE (transaction_id, global_position) > ($1, $2) \
         ORDER BY transaction_id, global_position LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(i64::try_from(after.transaction_id).unwrap_or(i64::MAX))
        .bind(after.global_position)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db_error::map)?;
    let events = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next = events.last().map_or(*after, RecordedEvent::checkpoint);
    Ok(Page { events, next })
}

pub(super) async fn head(pool: &SqlitePool) -> Result<Checkpoint, StoreError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT transaction_id, global_position FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1")
            .fetch_optional(pool)
            .await
            .map_err(db_error::map)?;
    match row {
        None => Ok(Checkpoint::START),
        Some((tx, position)) => Ok(Checkpoint {
            transaction_id: batch::to_u64(tx, "transaction id")?,
            global_position: position,
        }),
    }
}

pub(super) async fn stream_head(
    conn: &mut SqliteConnection,
    stream: &StreamId,
) -> Result<StreamHead, StoreError> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT version, hash, recorded_at FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(stream.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db_error::map)?;
    match row {
        None => Ok(StreamHead::empty()),
        Some((version, hash, at)) => Ok(StreamHead {
            version: batch::to_u64(version, "version")?,
            hash,
            recorded_at: Some(from_micros(at)?),
        }),
    }
}

pub(super) async fn load_command(
    conn: &mut SqliteConnection,
    command_id: Uuid,
) -> Result<Option<(CommandRecord, Vec<RecordedEvent>)>, StoreError> {
    let row: Option<(String, Option<String>, i64, i64)> =
        sqlx::query_as("SELECT stream_id, fingerprint, first_version, last_version FROM commands WHERE command_id = $1")
            .bind(command_id.hyphenated().to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_error::map)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (first, last) = (row.2, row.3);
    let record = batch::command_record(row)?;
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version"
    );
    let rows = sqlx::query(&sql)
        .bind(record.stream_id.as_str())
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await
        .map_err(db_error::map)?;
    let events = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    Ok(Some((record, events)))
}

pub(super) async fn find_command(
    conn: &mut SqliteConnection,
    command_id: Uuid,
    fingerprint: Option<&str>,
) -> Result<Option<AppendOutcome>, StoreError> {
    match load_command(conn, command_id).await? {
        None => Ok(None),
        Some((record, events)) => batch::found(&record, events, command_id, fingerprint).map(Some),
    }
}
