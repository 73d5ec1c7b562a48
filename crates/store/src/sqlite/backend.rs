//! What is SQLite's own in the store (ADR 0002): one writer connection whose `BEGIN IMMEDIATE` serialises
//! appends (so positions follow commit order and there is no horizon to wait for), UUIDs and JSON as text,
//! instants as microseconds since the Unix epoch, and plain `DELETE`/`UPDATE` on the data-key table.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{Row, Sqlite};
use uuid::Uuid;

use super::SqliteStore;
use crate::sql::{Backend, Dialect, Query, Rewrap};
use crate::{StoreError, StreamId, db_error};

fn text(row: &SqliteRow, name: &str) -> Result<Option<String>, StoreError> {
    row.try_get(name).map_err(db_error::map)
}

fn parse_uuid(text: String) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("stored id `{text}` is not a UUID: {e}")))
}

impl Backend for SqliteStore {
    type Db = Sqlite;
    const NAME: &'static str = "sqlite";
    const DIALECT: Dialect = Dialect {
        // A reader's snapshot always holds a prefix of the positions (one writer, commit order), and
        // `transaction_id` is always 0: following `global_position` is sound here, unlike on PostgreSQL.
        horizon: None,
        transaction_id_text: "CAST(transaction_id AS TEXT)",
        transaction_id_param: "CAST($1 AS INTEGER)",
        // SQLITE_MAX_VARIABLE_NUMBER's default since 3.32.
        max_binds: 32766,
        // No data-modifying `WITH`.
        commands_with_events: false,
    };

    fn bind_uuid(query: Query<'_, Self>, value: Option<Uuid>) -> Query<'_, Self> {
        query.bind(value.map(|id| id.hyphenated().to_string()))
    }
    /// Microseconds since the Unix epoch: exact at the precision the hash covers.
    fn bind_time(query: Query<'_, Self>, value: Option<DateTime<Utc>>) -> Query<'_, Self> {
        query.bind(value.map(|at| at.timestamp_micros()))
    }
    fn bind_json<'q>(query: Query<'q, Self>, value: Option<&'q Value>) -> Query<'q, Self> {
        query.bind(value.map(Value::to_string))
    }
    fn get_uuid(row: &SqliteRow, name: &str) -> Result<Option<Uuid>, StoreError> {
        text(row, name)?.map(parse_uuid).transpose()
    }
    fn get_time(row: &SqliteRow, name: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let micros: Option<i64> = row.try_get(name).map_err(db_error::map)?;
        micros
            .map(|m| {
                DateTime::from_timestamp_micros(m)
                    .ok_or_else(|| StoreError::Corrupt(format!("timestamp {m} out of range")))
            })
            .transpose()
    }
    fn get_json(row: &SqliteRow, name: &str) -> Result<Option<Value>, StoreError> {
        text(row, name)?
            .map(|t| {
                serde_json::from_str(&t)
                    .map_err(|e| StoreError::Corrupt(format!("stored JSON does not parse: {e}")))
            })
            .transpose()
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }
    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// IMMEDIATE takes the write lock before the first read, which is every stream's lock too.
    fn begin_append(_streams: &[&StreamId]) -> Cow<'static, str> {
        Cow::Borrowed("BEGIN IMMEDIATE")
    }

    async fn destroy_keys(
        &self,
        stream: &StreamId,
        person: Option<&str>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM personal_keys WHERE stream_id = $1 AND ($2 IS NULL OR person = $2)",
        )
        .bind(stream.as_str())
        .bind(person)
        .execute(&self.writer)
        .await
        .map_err(db_error::map)?;
        // `secure_delete` zeroed the rows in the database file; a checkpoint also clears them from the WAL.
        // Failing to checkpoint (a reader holds the WAL) is harmless: the next checkpoint overwrites them.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        Ok(done.rows_affected())
    }

    async fn rewrap_key(&self, rewrap: Rewrap<'_>) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE personal_keys SET kek_id = $3, wrapped = $4, rewrapped_at = $5 \
             WHERE key_id = $1 AND kek_id = $2",
        )
        .bind(rewrap.key_id.to_string())
        .bind(rewrap.old_kek)
        .bind(rewrap.new_kek)
        .bind(rewrap.wrapped)
        .bind(Utc::now().timestamp_micros())
        .execute(&self.writer)
        .await
        .map_err(db_error::map)?;
        Ok(done.rows_affected() == 1)
    }
}
