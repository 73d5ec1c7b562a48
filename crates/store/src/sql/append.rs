//! Appending, on any backend: one transaction per command, serialised per stream by the backend's lock,
//! idempotent per command id, hash-chained to the stream's head.

use std::collections::HashMap;

use uuid::Uuid;

use super::read::{self, parse_transaction_id};
use super::stmt::{get, stmt};
use super::{Backend, Conn, Sql};
use crate::batch;
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
    match write::<B>(&mut tx, stream, expected, events, meta).await {
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

async fn write<B: Sql>(
    conn: &mut Conn<B>,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
) -> Result<AppendOutcome, Failure> {
    // Writers of one stream queue here, so the version check below is exact and a loser learns the winner's
    // version instead of tripping over a unique violation. The lock is released at commit or rollback.
    B::lock_streams(conn, &[stream]).await?;
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
    insert_events::<B>(conn, &mut rows).await?;
    insert_commands::<B>(conn, &[(meta, rows.as_slice())]).await?;
    let last_version = rows.last().map_or(head.version, |r| r.version);
    Ok(AppendOutcome {
        stream_id: stream.clone(),
        events: rows,
        last_version,
        replayed: false,
    })
}

const EVENT_COLUMNS: [&str; 15] = [
    "event_id",
    "stream_id",
    "version",
    "recorded_at",
    "event_type",
    "schema_version",
    "payload",
    "personal",
    "command_id",
    "actor",
    "correlation_id",
    "causation_id",
    "rulebook_version",
    "prev_hash",
    "hash",
];

const COMMAND_COLUMNS: [&str; 6] = [
    "command_id",
    "stream_id",
    "fingerprint",
    "first_version",
    "last_version",
    "recorded_at",
];

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows.
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

/// How many rows of `width` columns one statement may insert on backend `B`.
fn rows_per_statement<B: Backend>(width: usize) -> usize {
    (B::DIALECT.max_binds / width).max(1)
}

/// Inserts the rows in as few multi-row statements as the backend's bind limit allows, in their order (so
/// positions follow it), and fills in the position and transaction id the database assigned to each, matched by
/// event id.
pub(super) async fn insert_events<B: Sql>(
    conn: &mut Conn<B>,
    rows: &mut [RecordedEvent],
) -> Result<(), Failure> {
    for chunk in rows.chunks_mut(rows_per_statement::<B>(EVENT_COLUMNS.len())) {
        let sql = format!(
            "{} RETURNING event_id, global_position, {} AS transaction_id_text",
            insert_sql("events", &EVENT_COLUMNS, chunk.len()),
            B::DIALECT.transaction_id_text
        );
        let mut insert = stmt::<B>(&sql);
        for row in chunk.iter() {
            insert = insert
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
                .bind(row.hash.as_str());
        }
        let returned = insert.all(conn).await?;
        let mut assigned = HashMap::with_capacity(returned.len());
        for row in &returned {
            let transaction_id =
                parse_transaction_id(&get::<B, String>(row, "transaction_id_text")?)?;
            let position: i64 = get::<B, _>(row, "global_position")?;
            assigned.insert(get::<B, Uuid>(row, "event_id")?, (position, transaction_id));
        }
        for row in chunk.iter_mut() {
            let Some(&(position, transaction_id)) = assigned.get(&row.event_id) else {
                return Err(StoreError::Corrupt(format!(
                    "the insert of event {} returned no position",
                    row.event_id
                ))
                .into());
            };
            row.global_position = position;
            row.transaction_id = transaction_id;
        }
    }
    Ok(())
}

/// Records each command with the rows it appended (never empty), in multi-row statements.
pub(super) async fn insert_commands<B: Sql>(
    conn: &mut Conn<B>,
    commands: &[(&CommandMeta, &[RecordedEvent])],
) -> Result<(), Failure> {
    for chunk in commands.chunks(rows_per_statement::<B>(COMMAND_COLUMNS.len())) {
        let sql = insert_sql("commands", &COMMAND_COLUMNS, chunk.len());
        let mut insert = stmt::<B>(&sql);
        for (meta, rows) in chunk {
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                return Err(
                    StoreError::Invalid("an append needs at least one event".into()).into(),
                );
            };
            insert = insert
                .bind(meta.command_id)
                .bind(first.stream_id.as_str())
                .bind(meta.fingerprint.as_deref())
                .bind(batch::to_i64(first.version, "version")?)
                .bind(batch::to_i64(last.version, "version")?)
                .bind(first.recorded_at);
        }
        insert.run(conn).await?;
    }
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
