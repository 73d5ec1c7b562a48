//! The data-key table on SQLite: writes on the single writer connection, reads on the reader pool.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use crate::privacy::{PersonalKeys, StoredKey};
use crate::{StoreError, StreamId, batch, db_error};

const KEY_COLUMNS: &str = "key_id, stream_id, person, kek_id, wrapped";

fn decode(row: &SqliteRow) -> Result<StoredKey, StoreError> {
    let key_id: String = row.try_get("key_id").map_err(db_error::map)?;
    Ok(StoredKey {
        key_id: Uuid::parse_str(&key_id)
            .map_err(|e| StoreError::Corrupt(format!("data key id `{key_id}`: {e}")))?,
        stream_id: StreamId::parse(
            row.try_get::<String, _>("stream_id")
                .map_err(db_error::map)?,
        )
        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        person: row.try_get("person").map_err(db_error::map)?,
        kek_id: row.try_get("kek_id").map_err(db_error::map)?,
        wrapped: row.try_get("wrapped").map_err(db_error::map)?,
    })
}

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[async_trait]
impl PersonalKeys for SqliteStore {
    async fn insert_or_get(&self, key: StoredKey) -> Result<StoredKey, StoreError> {
        sqlx::query(
            "INSERT INTO personal_keys (key_id, stream_id, person, kek_id, wrapped, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_id, person) DO NOTHING",
        )
        .bind(key.key_id.to_string())
        .bind(key.stream_id.as_str())
        .bind(&key.person)
        .bind(&key.kek_id)
        .bind(&key.wrapped)
        .bind(now_micros())
        .execute(&self.writer)
        .await
        .map_err(db_error::map)?;
        // Read on the writer: it has certainly seen its own (or the winner's) row.
        let row = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE stream_id = $1 AND person = $2"
        ))
        .bind(key.stream_id.as_str())
        .bind(&key.person)
        .fetch_optional(&self.writer)
        .await
        .map_err(db_error::map)?;
        row.as_ref().map(decode).transpose()?.ok_or_else(|| {
            StoreError::Unavailable(
                "a data key was destroyed while it was being created; retry".into(),
            )
        })
    }

    async fn get(&self, key_id: Uuid) -> Result<Option<StoredKey>, StoreError> {
        sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE key_id = $1"
        ))
        .bind(key_id.to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error::map)?
        .as_ref()
        .map(decode)
        .transpose()
    }

    async fn find(&self, stream: &StreamId, person: &str) -> Result<Option<StoredKey>, StoreError> {
        sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE stream_id = $1 AND person = $2"
        ))
        .bind(stream.as_str())
        .bind(person)
        .fetch_optional(&self.reader)
        .await
        .map_err(db_error::map)?
        .as_ref()
        .map(decode)
        .transpose()
    }

    async fn destroy(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError> {
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

    async fn persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT person FROM personal_keys WHERE stream_id = $1 ORDER BY person")
            .bind(stream.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(db_error::map)
    }

    async fn wrapped_by_other(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE kek_id <> $1 ORDER BY key_id LIMIT $2"
        ))
        .bind(kek_id)
        .bind(batch::to_i64(limit as u64, "limit")?)
        .fetch_all(&self.writer)
        .await
        .map_err(db_error::map)?;
        rows.iter().map(decode).collect()
    }

    async fn rewrap(
        &self,
        key_id: Uuid,
        old_kek: &str,
        new_kek: &str,
        wrapped: &[u8],
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE personal_keys SET kek_id = $3, wrapped = $4, rewrapped_at = $5 \
             WHERE key_id = $1 AND kek_id = $2",
        )
        .bind(key_id.to_string())
        .bind(old_kek)
        .bind(new_kek)
        .bind(wrapped)
        .bind(now_micros())
        .execute(&self.writer)
        .await
        .map_err(db_error::map)?;
        Ok(done.rows_affected() == 1)
    }
}
