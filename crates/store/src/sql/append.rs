//! Appending, on any backend: one transaction per command, serialised per stream by the backend's lock,
//! idempotent per command id, hash-chained to the stream's head.

use std::collections::HashMap;
use std::ops::Range;

use uuid::Uuid;

use super::read::{self, parse_transaction_id};
use super::stmt::{Stmt, get, stmt};
use super::{Backend, Conn, DbRow, Sql};
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
    // Writers of one stream queue in the begin, so the version check below is exact and a loser learns the
    // winner's version instead of tripping over a unique violation. The lock is released at commit or rollback.
    let mut tx = backend
        .writer()
        .begin_with(B::begin_append(&[stream]))
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
    let all = 0..rows.len();
    insert::<B>(conn, &mut rows, &[(meta, all)]).await?;
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

/// `INSERT INTO table (columns) VALUES ($n, …), (…)` for `rows` rows, numbering parameters after `skip`.
fn insert_sql(table: &str, columns: &[&str], rows: usize, skip: usize) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=width)
                .map(|c| format!("${}", skip + r * width + c))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

fn returning<B: Backend>() -> String {
    format!(
        " RETURNING event_id, global_position, {} AS transaction_id_text",
        B::DIALECT.transaction_id_text
    )
}

/// Inserts the rows and records each command with its range of them (never empty), in as few statements as the
/// backend allows: on PostgreSQL one (the commands in a data-modifying `WITH`) while the binds fit, else
/// multi-row inserts chunked below the bind limit, events first, in their order (so positions follow it). Fills
/// in the position and transaction id the database assigned to each row, matched by event id.
pub(super) async fn insert<B: Sql>(
    conn: &mut Conn<B>,
    rows: &mut [RecordedEvent],
    commands: &[(&CommandMeta, Range<usize>)],
) -> Result<(), Failure> {
    let (events_width, commands_width) = (EVENT_COLUMNS.len(), COMMAND_COLUMNS.len());
    let binds = rows.len() * events_width + commands.len() * commands_width;
    if rows.is_empty() {
        return Ok(());
    }
    if B::DIALECT.commands_with_events && binds <= B::DIALECT.max_binds {
        let sql = format!(
            "WITH recorded AS ({}) {}{}",
            insert_sql("commands", &COMMAND_COLUMNS, commands.len(), 0),
            insert_sql(
                "events",
                &EVENT_COLUMNS,
                rows.len(),
                commands.len() * commands_width
            ),
            returning::<B>()
        );
        let insert = bind_events(bind_commands(stmt::<B>(&sql), rows, commands)?, rows)?;
        let returned = insert.all(conn).await?;
        return assign::<B>(rows, &returned);
    }
    for chunk in rows.chunks_mut((B::DIALECT.max_binds / events_width).max(1)) {
        let sql = insert_sql("events", &EVENT_COLUMNS, chunk.len(), 0) + &returning::<B>();
        let returned = bind_events(stmt::<B>(&sql), chunk)?.all(conn).await?;
        assign::<B>(chunk, &returned)?;
    }
    for chunk in commands.chunks((B::DIALECT.max_binds / commands_width).max(1)) {
        let sql = insert_sql("commands", &COMMAND_COLUMNS, chunk.len(), 0);
        bind_commands(stmt::<B>(&sql), rows, chunk)?
            .run(conn)
            .await?;
    }
    Ok(())
}

fn bind_events<'q, B: Sql>(
    mut insert: Stmt<'q, B>,
    rows: &'q [RecordedEvent],
) -> Result<Stmt<'q, B>, StoreError> {
    for row in rows {
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
    Ok(insert)
}

fn bind_commands<'q, B: Sql>(
    mut insert: Stmt<'q, B>,
    rows: &'q [RecordedEvent],
    commands: &[(&'q CommandMeta, Range<usize>)],
) -> Result<Stmt<'q, B>, StoreError> {
    for (meta, range) in commands {
        let appended = rows.get(range.clone()).unwrap_or_default();
        let (Some(first), Some(last)) = (appended.first(), appended.last()) else {
            return Err(StoreError::Invalid(
                "an append needs at least one event".into(),
            ));
        };
        insert = insert
            .bind(meta.command_id)
            .bind(first.stream_id.as_str())
            .bind(meta.fingerprint.as_deref())
            .bind(batch::to_i64(first.version, "version")?)
            .bind(batch::to_i64(last.version, "version")?)
            .bind(first.recorded_at);
    }
    Ok(insert)
}

/// Fills in what the database assigned to `rows`, from the rows their insert returned.
fn assign<B: Sql>(rows: &mut [RecordedEvent], returned: &[DbRow<B>]) -> Result<(), Failure> {
    let mut assigned = HashMap::with_capacity(returned.len());
    for row in returned {
        let transaction_id = parse_transaction_id(&get::<B, String>(row, "transaction_id_text")?)?;
        let position: i64 = get::<B, _>(row, "global_position")?;
        assigned.insert(get::<B, Uuid>(row, "event_id")?, (position, transaction_id));
    }
    for row in rows {
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
