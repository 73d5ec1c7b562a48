//! Appending, on any backend: one transaction per command, serialised per stream by the backend's lock,
//! idempotent per command id, hash-chained to the stream's head.

use super::read::{self, parse_transaction_id};
use super::stmt::{get, stmt};
use super::{Backend, Conn, Sql};
use crate::batch::{self, StreamHead};
use crate::db_error::{self, Failure, Violation};
use crate::{
    AppendOutcome, CommandMeta, ExpectedVersion, NewEvent, RecordedEvent, StoreError, StreamId,
};

pub(super) async fn append<B: Sql>(
    backend: &B,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    batch::validate(&events)?;
    // PostgreSQL: READ COMMITTED explicitly, whatever the server's default, because the idempotency check after
    // taking the stream lock relies on each statement seeing what committed before it. SQLite: IMMEDIATE takes
    // the write lock before the first read, so no other writer can slip in before our inserts.
    let mut tx = backend
        .writer()
        .begin_with(B::DIALECT.begin_append)
        .await
        .map_err(db_error::map)?;
    match write::<B>(&mut tx, stream, expected, events, meta, true).await {
        Ok(outcome) => {
            tx.commit().await.map_err(db_error::map)?;
            Ok(outcome)
        }
        Err(failure) => {
            // A failed rollback leaves nothing behind either: the connection is then discarded, which aborts
            // the transaction, so the error itself is not worth reporting over the real failure.
            let _ = tx.rollback().await;
            match failure {
                Failure::Store(e) => Err(e),
                Failure::Violation(v) => after_violation(backend, v, stream, expected, meta).await,
            }
        }
    }
}

pub(super) async fn write<B: Sql>(
    conn: &mut Conn<B>,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
    first: bool,
) -> Result<AppendOutcome, Failure> {
    // Writers of one stream queue here, so the version check below is exact and a loser learns the winner's
    // version instead of tripping over a unique violation. The lock is released at commit or rollback.
    B::lock_stream(conn, stream, first).await?;
    // Read after taking the lock, so a duplicate of this command that held the lock before us is visible.
    let (command, head) = read::probe::<B>(conn, stream, meta.command_id).await?;
    if let Some((record, recorded)) = command {
        return Ok(batch::replay(
            &record,
            recorded,
            meta.command_id,
            meta.fingerprint.as_deref(),
        )?);
    }
    batch::check_expected(stream, expected, head.version)?;
    let mut rows = batch::build(stream, &head, events, meta, batch::recorded_at(&head));
    let insert = insert_event_sql::<B>();
    for row in &mut rows {
        insert_event::<B>(conn, &insert, row).await?;
    }
    insert_command::<B>(conn, &head, &rows, meta).await?;
    let last_version = rows.last().map_or(head.version, |r| r.version);
    Ok(AppendOutcome {
        stream_id: stream.clone(),
        events: rows,
        last_version,
        replayed: false,
    })
}

fn insert_event_sql<B: Backend>() -> String {
    format!(
        "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, payload, \
         personal, command_id, actor, correlation_id, causation_id, rulebook_version, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         RETURNING global_position, {} AS transaction_id_text",
        B::DIALECT.transaction_id_text
    )
}

/// Inserts one row and fills in the position and transaction id the database assigned.
async fn insert_event<B: Sql>(
    conn: &mut Conn<B>,
    sql: &str,
    row: &mut RecordedEvent,
) -> Result<(), Failure> {
    let assigned = stmt::<B>(sql)
        .bind(row.event_id)
        .bind(row.stream_id.as_str())
        .bind(batch::to_i64(row.version, "version")?)
        .bind(row.recorded_at)
        .bind(row.event_type.as_str())
        .bind(i64::from(row.schema_version))
        .bind(&row.payload)
        .bind(row.personal.as_ref())
        .bind(row.metadata.command_id)
        .bind(row.metadata.actor.as_str())
        .bind(row.metadata.correlation_id)
        .bind(row.metadata.causation_id)
        .bind(row.metadata.rulebook_version.as_deref())
        .bind(row.prev_hash.as_str())
        .bind(row.hash.as_str())
        .one(conn)
        .await?;
    let position = get::<B, _>(&assigned, "global_position")?;
    let transaction_id =
        parse_transaction_id(&get::<B, String>(&assigned, "transaction_id_text")?)?;
    row.global_position = position;
    row.transaction_id = transaction_id;
    Ok(())
}

async fn insert_command<B: Sql>(
    conn: &mut Conn<B>,
    head: &StreamHead,
    rows: &[RecordedEvent],
    meta: &CommandMeta,
) -> Result<(), Failure> {
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err(StoreError::Invalid("an append needs at least one event".into()).into());
    };
    stmt::<B>(
        "INSERT INTO commands (command_id, stream_id, fingerprint, first_version, last_version, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(meta.command_id)
    .bind(first.stream_id.as_str())
    .bind(meta.fingerprint.as_deref())
    .bind(batch::to_i64(head.version + 1, "version")?)
    .bind(batch::to_i64(last.version, "version")?)
    .bind(first.recorded_at)
    .run(conn)
    .await?;
    Ok(())
}

/// Reads what a unique violation collided with, after the rollback, and lets the shared rule decide. On
/// SQLite, with one writer, a violation can only be a reused event id or another process that wrote without
/// this store's locking; either way fresh reads decide.
async fn after_violation<B: Sql>(
    backend: &B,
    violation: Violation,
    stream: &StreamId,
    expected: ExpectedVersion,
    meta: &CommandMeta,
) -> Result<AppendOutcome, StoreError> {
    let mut conn = backend.writer().acquire().await.map_err(db_error::map)?;
    let (command, head) = read::probe::<B>(&mut conn, stream, meta.command_id).await?;
    batch::explain_violation(violation, stream, expected, meta, command, head.version)
}
