//! Reading from PostgreSQL: decoding rows, streams, the global order below the transaction horizon, commands.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::batch::{self, CommandRecord, StreamHead};
use crate::{
    AppendOutcome, Checkpoint, EventMetadata, Page, RecordedEvent, StoreError, StreamId, db_error,
};

/// The columns every event query selects. `xid8` has no sqlx type, so it travels as text — under another name,
/// because an `ORDER BY transaction_id` would otherwise sort by the text alias ("100000" before "99999").
pub(super) const COLUMNS: &str = "global_position, transaction_id::text AS transaction_id_text, event_id, stream_id, \
    version, recorded_at, event_type, schema_version, payload, personal, command_id, actor, correlation_id, \
    causation_id, rulebook_version, prev_hash, hash";

/// The read horizon (ADR 0002), as a `WITH` clause defining `horizon(h)`: the stored transaction id below which
/// every event that will ever exist is already committed and visible to this statement's snapshot.
///
/// The snapshot is taken first (it is the statement's own, so the page below is read with the same one); then
/// each transaction still in progress in *that* snapshot is classified against one copy of the lock table:
/// - still running and not holding the appenders' lock of this database → it can never write an event (an
///   insert without that lock, taken before the transaction had an id, is refused by the stamping trigger), so
///   it does not hold readers back — this covers every transaction of other databases;
/// - holding the lock, finished since the snapshot (its rows may be committed but invisible to us), or prepared
///   (no pid) → blocking.
///
/// The horizon is the oldest blocking id, else the snapshot's xmax, shifted by the current offset.
const HORIZON: &str = "WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s), \
    locks AS MATERIALIZED ( \
        SELECT locktype, transactionid::text AS xid32, pid FROM pg_locks \
        WHERE granted AND (locktype = 'transactionid' OR (locktype = 'advisory' AND classid = 20545 \
            AND objid = 0 AND objsubid = 2 \
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())))), \
    horizon AS MATERIALIZED ( \
        SELECT ((coalesce( \
            (SELECT min(x::text::numeric) FROM snap, pg_snapshot_xip(snap.s) AS x \
             WHERE NOT EXISTS ( \
                SELECT 1 FROM locks t \
                WHERE t.locktype = 'transactionid' AND t.pid IS NOT NULL \
                  AND t.xid32 = (x::text::numeric % 4294967296)::text \
                  AND NOT EXISTS (SELECT 1 FROM locks a WHERE a.locktype = 'advisory' AND a.pid = t.pid))), \
            (SELECT pg_snapshot_xmax(s)::text::numeric FROM snap)) \
          + petition_xid_offset())::text::xid8) AS h) ";

pub(super) fn decode(row: &PgRow) -> Result<RecordedEvent, StoreError> {
    let transaction_id: String = row.try_get("transaction_id_text").map_err(db_error::map)?;
    let stream_id: String = row.try_get("stream_id").map_err(db_error::map)?;
    let schema_version: i32 = row.try_get("schema_version").map_err(db_error::map)?;
    let payload: Json<Value> = row.try_get("payload").map_err(db_error::map)?;
    let personal: Option<Json<Value>> = row.try_get("personal").map_err(db_error::map)?;
    Ok(RecordedEvent {
        event_id: row.try_get("event_id").map_err(db_error::map)?,
        stream_id: StreamId::parse(stream_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        version: batch::to_u64(row.try_get("version").map_err(db_error::map)?, "version")?,
        global_position: row.try_get("global_position").map_err(db_error::map)?,
        transaction_id: parse_xid8(&transaction_id)?,
        recorded_at: row.try_get("recorded_at").map_err(db_error::map)?,
        event_type: row.try_get("event_type").map_err(db_error::map)?,
        schema_version: u16::try_from(schema_version).map_err(|_| {
            StoreError::Corrupt(format!("schema version {schema_version} out of range"))
        })?,
        payload: payload.0,
        personal: personal.map(|p| p.0),
        metadata: EventMetadata {
            command_id: row.try_get("command_id").map_err(db_error::map)?,
            actor: row.try_get("actor").map_err(db_error::map)?,
            correlation_id: row.try_get("correlation_id").map_err(db_error::map)?,
            causation_id: row.try_get("causation_id").map_err(db_error::map)?,
            rulebook_version: row.try_get("rulebook_version").map_err(db_error::map)?,
        },
        prev_hash: row.try_get("prev_hash").map_err(db_error::map)?,
        hash: row.try_get("hash").map_err(db_error::map)?,
    })
}

pub(super) fn parse_xid8(text: &str) -> Result<u64, StoreError> {
    text.parse()
        .map_err(|_| StoreError::Corrupt(format!("transaction id `{text}` is not a 64-bit number")))
}

/// A stream in version order; with `as_of`, only the events recorded at or before that instant.
pub(super) async fn read_stream(
    pool: &PgPool,
    stream: &StreamId,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<RecordedEvent>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND ($2::timestamptz IS NULL OR recorded_at <= $2) \
         ORDER BY version"
    );
    let rows = sqlx::query(&sql)
        .bind(stream.as_str())
        .bind(as_of)
        .fetch_all(pool)
        .await
        .map_err(db_error::map)?;
    rows.iter().map(decode).collect()
}

pub(super) async fn read_all(
    pool: &PgPool,
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
        "{HORIZON} SELECT {COLUMNS} FROM events \
         WHERE (events.transaction_id, events.global_position) > ($1::text::xid8, $2) \
           AND events.transaction_id < (SELECT h FROM horizon) \
         ORDER BY events.transaction_id, events.global_position LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(after.transaction_id.to_string())
        .bind(after.global_position)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(pool)
        .await
        .map_err(db_error::map)?;
    let events = rows.iter().map(decode).collect::<Result<Vec<_>, _>>()?;
    let next = events.last().map_or(*after, RecordedEvent::checkpoint);
    Ok(Page { events, next })
}

pub(super) async fn head(pool: &PgPool) -> Result<Checkpoint, StoreError> {
    let sql = format!(
        "{HORIZON} SELECT events.transaction_id::text AS transaction_id_text, events.global_position FROM events \
         WHERE events.transaction_id < (SELECT h FROM horizon) \
         ORDER BY events.transaction_id DESC, events.global_position DESC LIMIT 1"
    );
    let row: Option<(String, i64)> = sqlx::query_as(&sql)
        .fetch_optional(pool)
        .await
        .map_err(db_error::map)?;
    match row {
        None => Ok(Checkpoint::START),
        Some((tx, position)) => Ok(Checkpoint {
            transaction_id: parse_xid8(&tx)?,
            global_position: position,
        }),
    }
}

/// The age of the oldest transaction that holds the appenders' lock of this database and has written (has a
/// transaction id): the appender that holds the read horizon back.
pub(super) async fn oldest_open_append(
    pool: &PgPool,
) -> Result<Option<std::time::Duration>, StoreError> {
    let seconds: Option<f64> = sqlx::query_scalar(
        "SELECT extract(epoch FROM clock_timestamp() - min(a.xact_start))::float8 \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.classid = 20545 AND l.objid = 0 AND l.objsubid = 2 AND l.granted \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
           AND a.backend_xid IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .map_err(db_error::map)?;
    Ok(seconds.map(|s| std::time::Duration::from_secs_f64(s.max(0.0))))
}

/// The last event of a stream as an append needs it; the caller holds the stream's lock. A version that could
/// not have been written is refused as corrupt, as on SQLite, never clamped.
pub(super) async fn stream_head(
    conn: &mut PgConnection,
    stream: &StreamId,
) -> Result<StreamHead, StoreError> {
    let row: Option<(i64, String, DateTime<Utc>)> =
        sqlx::query_as("SELECT version, hash, recorded_at FROM events WHERE stream_id = $1 ORDER BY version DESC LIMIT 1")
            .bind(stream.as_str())
            .fetch_optional(conn)
            .await
            .map_err(db_error::map)?;
    Ok(match row {
        None => StreamHead::empty(),
        Some((version, hash, at)) => StreamHead {
            version: batch::to_u64(version, "version")?,
            hash,
            recorded_at: Some(at),
        },
    })
}

/// The recorded command and its events, if the command id is known.
pub(super) async fn load_command(
    conn: &mut PgConnection,
    command_id: Uuid,
) -> Result<Option<(CommandRecord, Vec<RecordedEvent>)>, StoreError> {
    let row: Option<(String, Option<String>, i64, i64)> =
        sqlx::query_as("SELECT stream_id, fingerprint, first_version, last_version FROM commands WHERE command_id = $1")
            .bind(command_id)
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
    conn: &mut PgConnection,
    command_id: Uuid,
    fingerprint: Option<&str>,
) -> Result<Option<AppendOutcome>, StoreError> {
    match load_command(conn, command_id).await? {
        None => Ok(None),
        Some((record, events)) => batch::found(&record, events, command_id, fingerprint).map(Some),
    }
}
