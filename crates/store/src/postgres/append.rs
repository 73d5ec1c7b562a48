//! Appending to PostgreSQL: one transaction per command, serialised per stream, idempotent per command id.

use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use super::read;
use crate::batch::{self, StreamHead};
use crate::db_error::{self, Failure, Violation};
use crate::{
    AppendOutcome, CommandMeta, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
};

/// The first key of the two-key advisory lock taken per stream, so that our locks cannot collide with advisory
/// locks other components take with a different first key. (The two bytes spell "PL" in ASCII.)
const STREAM_LOCK_CLASS: i32 = 0x504C;

/// The first statement of every append: the appenders' shared lock (which readers look for to tell an appender
/// from any other transaction, ADR 0002), the proof for the insert trigger that it was taken before the
/// transaction had an id, then the stream's own lock. Select-list expressions are evaluated left to right.
const LOCK_FOR_APPEND: &str = "SELECT pg_advisory_xact_lock_shared(20545, 0), \
    set_config('petition.appender', coalesce(pg_current_xact_id_if_assigned()::text, 'none'), true), \
    pg_advisory_xact_lock($1, hashtext($2))";

/// The appenders' lock alone, for tools and tests that insert events with their own SQL: without it, as the
/// first statement of the transaction, the database refuses the insert.
pub const APPENDER_LOCK: &str = "SELECT pg_advisory_xact_lock_shared(20545, 0), \
    set_config('petition.appender', coalesce(pg_current_xact_id_if_assigned()::text, 'none'), true)";

pub(super) async fn append(
    pool: &PgPool,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    batch::validate(&events)?;
    // READ COMMITTED explicitly, whatever the server's default: the idempotency check after taking the stream
    // lock relies on each statement seeing what committed before it.
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await
        .map_err(db_error::map)?;
    match write(&mut tx, stream, expected, events, meta).await {
        Ok(outcome) => {
            tx.commit().await.map_err(db_error::map)?;
            Ok(outcome)
        }
        Err(failure) => {
            // A failed rollback leaves nothing behind either: the server aborts the transaction when the
            // connection is dropped, so the error itself is not worth reporting over the real failure.
            let _ = tx.rollback().await;
            match failure {
                Failure::Store(e) => Err(e),
                Failure::Violation(v) => after_violation(pool, v, stream, expected, meta).await,
            }
        }
    }
}

async fn write(
    conn: &mut PgConnection,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, Failure> {
    // Writers of one stream queue here, so the version check below is exact and a loser learns the winner's
    // version instead of tripping over a unique violation. The lock is released at commit or rollback.
    sqlx::query(LOCK_FOR_APPEND)
        .bind(STREAM_LOCK_CLASS)
        .bind(stream.as_str())
        .execute(&mut *conn)
        .await?;
    // Checked after taking the lock: in READ COMMITTED each statement sees what committed before it, so a
    // duplicate of this command that held the lock before us is visible now.
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

/// Inserts one row and fills in the position and transaction id the database assigned.
async fn insert_event(conn: &mut PgConnection, row: &mut RecordedEvent) -> Result<(), Failure> {
    let (position, transaction_id): (i64, String) = sqlx::query_as(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         personal, command_id, actor, correlation_id, causation_id, rulebook_version, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING global_position, transaction_id::text",
    )
    .bind(row.event_id)
    .bind(row.stream_id.as_str())
    .bind(batch::to_i64(row.version, "version")?)
    .bind(row.recorded_at)
    .bind(&row.event_type)
    .bind(i32::from(row.schema_version))
    .bind(Json(&row.payload))
    .bind(row.personal.as_ref().map(Json))
    .bind(row.metadata.command_id)
    .bind(&row.metadata.actor)
    .bind(row.metadata.correlation_id)
    .bind(row.metadata.causation_id)
    .bind(row.metadata.rulebook_version.as_deref())
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .fetch_one(&mut *conn)
    .await?;
    row.global_position = position;
    row.transaction_id = read::parse_xid8(&transaction_id)?;
    Ok(())
}

async fn insert_command(
    conn: &mut PgConnection,
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
    .bind(meta.command_id)
    .bind(first.stream_id.as_str())
    .bind(meta.fingerprint.as_deref())
    .bind(batch::to_i64(head.version + 1, "version")?)
    .bind(batch::to_i64(last.version, "version")?)
    .bind(first.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Reads what a unique violation collided with, after the rollback, and lets the shared rule decide.
async fn after_violation(
    pool: &PgPool,
    violation: Violation,
    stream: &StreamId,
    expected: ExpectedVersion,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    let mut conn = pool.acquire().await.map_err(db_error::map)?;
    let command = read::load_command(&mut conn, meta.command_id).await?;
    let head = read::stream_head(&mut conn, stream).await?;
    batch::explain_violation(violation, stream, expected, meta, command, head.version)
}
