//! Appending to SQLite: `BEGIN IMMEDIATE` on the single writer connection, so that appends are serialised in
//! this process by the one-connection pool and across processes by SQLite's write lock.

use sqlx::{SqliteConnection, SqlitePool};

use super::read;
use crate::batch::{self, StreamHead};
use crate::db_error::{self, Failure, Violation};
use crate::{
    AppendOutcome, CommandMeta, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
};

pub(super) async fn append(
    writer: &SqlitePool,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    batch::validate(&events)?;
    // IMMEDIATE takes the write lock before the first read, so the version and idempotency checks below read
    // the latest committed state and no other writer can slip in before our inserts.
    let mut tx = writer
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(db_error::map)?;
    match write(&mut tx, stream, expected, events, meta).await {
        Ok(outcome) => {
            tx.commit().await.map_err(db_error::map)?;
            Ok(outcome)
        }
        Err(failure) => {
            // If the rollback itself fails, sqlx discards the connection, which rolls back as well.
            let _ = tx.rollback().await;
            match failure {
                Failure::Store(e) => Err(e),
                Failure::Violation(v) => after_violation(writer, v, stream, expected, meta).await,
            }
        }
    }
}

async fn write(
    conn: &mut SqliteConnection,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, Failure> {
    if let Some((record, recorded)) = read::load_command(conn, meta.command_id).await? {
        return Ok(batch::replay(
            &record,
            recorded,
            meta.command_id,
            meta.fingerprint.as_deref(),
        )?);
    }
    let head = read::stream_head(conn, stream).await?;
    batch::check_expected(stream, expected, head.version)?;
    let mut rows = batch::build(stream, &head, events, meta, batch::recorded_at(&head));
    for row in &mut rows {
        insert_event(conn, row).await?;
    }
    insert_command(conn, &head, &rows, meta).await?;
    let last_version = rows.last().map_or(head.version, |r| r.version);
    Ok(AppendOutcome {
        stream_id: stream.clone(),
        events: rows,
        last_version,
        replayed: false,
    })
}

async fn insert_event(conn: &mut SqliteConnection, row: &mut RecordedEvent) -> Result<(), Failure> {
    let (position, transaction_id): (i64, i64) = sqlx::query_as(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         personal, command_id, actor, correlation_id, causation_id, rulebook_version, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING global_position, transaction_id",
    )
    .bind(row.event_id.hyphenated().to_string())
    .bind(row.stream_id.as_str())
    .bind(batch::to_i64(row.version, "version")?)
    .bind(read::to_micros(row.recorded_at))
    .bind(&row.event_type)
    .bind(i64::from(row.schema_version))
    .bind(row.payload.to_string())
    .bind(row.personal.as_ref().map(|p| p.to_string()))
    .bind(row.metadata.command_id.hyphenated().to_string())
    .bind(&row.metadata.actor)
    .bind(row.metadata.correlation_id.hyphenated().to_string())
    .bind(row.metadata.causation_id.map(|id| id.hyphenated().to_string()))
    .bind(row.metadata.rulebook_version.as_deref())
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .fetch_one(&mut *conn)
    .await?;
    row.global_position = position;
    row.transaction_id = batch::to_u64(transaction_id, "transaction id")?;
    Ok(())
}

async fn insert_command(
    conn: &mut SqliteConnection,
    head: &StreamHead,
    rows: &[RecordedEvent],
    meta: &CommandMeta,
) -> Result<(), Failure> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err(StoreError::Invalid("an append needs at least one event".into()).into());
    };
    sqlx::query(
        "INSERT INTO commands (command_id, stream_id, fingerprint, first_version, last_version, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(meta.command_id.hyphenated().to_string())
    .bind(first.stream_id.as_str())
    .bind(meta.fingerprint.as_deref())
    .bind(batch::to_i64(head.version + 1, "version")?)
    .bind(batch::to_i64(last.version, "version")?)
    .bind(read::to_micros(first.recorded_at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// With one writer a violation can only be a reused event id, or another process that wrote without this
/// store's locking; either way the shared rule decides from fresh reads.
async fn after_violation(
    writer: &SqlitePool,
    violation: Violation,
    stream: &StreamId,
    expected: ExpectedVersion,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    let mut conn = writer.acquire().await.map_err(db_error::map)?;
    let command = read::load_command(&mut conn, meta.command_id).await?;
    let head = read::stream_head(&mut conn, stream).await?;
    batch::explain_violation(violation, stream, expected, meta, command, head.version)
}
