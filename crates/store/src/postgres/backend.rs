//! What is PostgreSQL's own in the store (ADR 0002): the appenders' and per-stream advisory locks, the read
//! horizon over transaction ids, native `uuid`, `timestamptz` and `jsonb`, and the owner-defined functions that
//! destroy and re-wrap data keys (the service role may only read and insert rows, 0003_personal_keys.sql).

use std::borrow::Cow;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::types::Json;
use sqlx::{Postgres, Row};
use uuid::Uuid;

use super::PgStore;
use crate::sql::{Backend, Dialect, Horizon, Query, Rewrap};
use crate::{StoreError, StreamId, batch, db_error};

/// The first key of the two-key advisory lock taken per stream, so that our locks cannot collide with advisory
/// locks other components take with a different first key. (The two bytes spell "PL" in ASCII.)
const STREAM_LOCK_CLASS: i32 = 0x504C;

/// How every append begins, in one round trip (a simple query of two statements): `BEGIN` at READ COMMITTED
/// (whatever the server's default: the idempotency check after the locks relies on each statement seeing what
/// committed before it), then, as the transaction's first statement, [`APPENDER_LOCK`] (which readers look for to
/// tell an appender from any other transaction, and whose `petition.appender` proves to the insert trigger that
/// it was taken before the transaction had an id, ADR 0002) followed by the streams' own locks. Select-list
/// expressions are evaluated left to right. Several streams (a group commit's batch) are locked one after another
/// in the order of their keys, colliding keys once, so that every batch takes its locks in one order and two
/// batches never wait for each other in a cycle: the sorted subquery feeds the aggregate in order. The stream
/// names are written into the text as literals, which is safe because a [`StreamId`] holds only ASCII letters,
/// digits and `-_.:` (quotes are doubled all the same).
fn begin_append_sql(streams: &[&StreamId]) -> String {
    let literal = |s: &StreamId| format!("'{}'", s.as_str().replace('\'', "''"));
    let locks = match streams {
        [stream] => format!(
            "pg_advisory_xact_lock({STREAM_LOCK_CLASS}, hashtext({}))",
            literal(stream)
        ),
        many => format!(
            "(SELECT count(pg_advisory_xact_lock({STREAM_LOCK_CLASS}, keys.k)) \
             FROM (SELECT DISTINCT hashtext(s) AS k FROM unnest(ARRAY[{}]::text[]) AS s ORDER BY k) AS keys)",
            many.iter()
                .map(|s| literal(s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!("BEGIN ISOLATION LEVEL READ COMMITTED; {APPENDER_LOCK}, {locks}")
}

/// The appenders' lock alone, for tools and tests that insert events with their own SQL: without it, as the
/// first statement of the transaction, the database refuses the insert.
pub const APPENDER_LOCK: &str = "SELECT pg_advisory_xact_lock_shared(20545, 0), \
    set_config('petition.appender', coalesce(pg_current_xact_id_if_assigned()::text, 'none'), true)";

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

fn column<'r, T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>>(
    row: &'r PgRow,
    name: &str,
) -> Result<T, StoreError> {
    row.try_get(name).map_err(db_error::map)
}

impl Backend for PgStore {
    type Db = Postgres;
    const NAME: &'static str = "postgres";
    const DIALECT: Dialect = Dialect {
        // `xid8` has no sqlx type.
        transaction_id_text: "transaction_id::text",
        transaction_id_param: "$1::text::xid8",
        horizon: Some(Horizon {
            cte: HORIZON,
            below: "events.transaction_id < (SELECT h FROM horizon)",
        }),
        // The protocol counts parameters in 16 bits.
        max_binds: 65535,
        commands_with_events: true,
    };

    fn writer(&self) -> &PgPool {
        &self.pool
    }
    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn bind_uuid(query: Query<'_, Self>, value: Option<Uuid>) -> Query<'_, Self> {
        query.bind(value)
    }
    fn bind_time(query: Query<'_, Self>, value: Option<DateTime<Utc>>) -> Query<'_, Self> {
        query.bind(value)
    }
    fn bind_json<'q>(query: Query<'q, Self>, value: Option<&'q Value>) -> Query<'q, Self> {
        query.bind(value.map(Json))
    }
    fn get_uuid(row: &PgRow, name: &str) -> Result<Option<Uuid>, StoreError> {
        column(row, name)
    }
    fn get_time(row: &PgRow, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        column(row, name)
    }
    fn get_json(row: &PgRow, name: &str) -> Result<Option<Value>, StoreError> {
        Ok(column::<Option<Json<Value>>>(row, name)?.map(|json| json.0))
    }

    fn begin_append(streams: &[&StreamId]) -> Cow<'static, str> {
        begin_append_sql(streams).into()
    }

    /// The age of the oldest transaction that holds the appenders' lock of this database and has written (has
    /// a transaction id): the appender that holds the read horizon back.
    async fn oldest_open_append(&self) -> Result<Option<Duration>, StoreError> {
        let seconds: Option<f64> = sqlx::query_scalar(
            "SELECT extract(epoch FROM clock_timestamp() - min(a.xact_start))::float8 \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.classid = 20545 AND l.objid = 0 AND l.objsubid = 2 \
               AND l.granted AND a.backend_xid IS NOT NULL \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_error::map)?;
        Ok(seconds.map(|s| Duration::from_secs_f64(s.max(0.0))))
    }

    async fn destroy_keys(
        &self,
        stream: &StreamId,
        person: Option<&str>,
    ) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT petition_destroy_personal_keys($1, $2)")
            .bind(stream.as_str())
            .bind(person)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error::map)?;
        batch::to_u64(n, "destroyed key count")
    }

    async fn rewrap_key(&self, rewrap: Rewrap<'_>) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT petition_rewrap_personal_key($1, $2, $3, $4)")
            .bind(rewrap.key_id)
            .bind(rewrap.old_kek)
            .bind(rewrap.new_kek)
            .bind(rewrap.wrapped)
            .fetch_one(&self.pool)
            .await
            .map_err(db_error::map)
    }
}
