//! The data-key table on PostgreSQL. Destroying and re-wrapping go through owner-defined functions, because the
//! service role may only read and insert rows (migrations/postgres/0003_personal_keys.sql).

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use super::PgStore;
use crate::privacy::{PersonalKeys, StoredKey};
use crate::{StoreError, StreamId, batch, db_error};

const KEY_COLUMNS: &str = "key_id, stream_id, person, kek_id, wrapped";

fn decode(row: &PgRow) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        key_id: row.try_get("key_id").map_err(db_error::map)?,
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

#[async_trait]
impl PersonalKeys for PgStore {
    async fn insert_or_get(&self, key: StoredKey) -> Result<StoredKey, StoreError> {
        sqlx::query(
            "INSERT INTO personal_keys (key_id, stream_id, person, kek_id, wrapped) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (stream_id, person) DO NOTHING",
        )
        .bind(key.key_id)
        .bind(key.stream_id.as_str())
        .bind(&key.person)
        .bind(&key.kek_id)
        .bind(&key.wrapped)
        .execute(self.pool())
        .await
        .map_err(db_error::map)?;
        self.find(&key.stream_id, &key.person)
            .await?
            .ok_or_else(|| {
                StoreError::Unavailable(
                    "a data key was destroyed while it was being created; retry".into(),
                )
            })
    }

    async fn get(&self, key_id: Uuid) -> Result<Option<StoredKey>, StoreError> {
        sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE key_id = $1"
        ))
        .bind(key_id)
        .fetch_optional(self.pool())
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
        .fetch_optional(self.pool())
        .await
        .map_err(db_error::map)?
        .as_ref()
        .map(decode)
        .transpose()
    }

    async fn destroy(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT petition_destroy_personal_keys($1, $2)")
            .bind(stream.as_str())
            .bind(person)
            .fetch_one(self.pool())
            .await
            .map_err(db_error::map)?;
        batch::to_u64(n, "destroyed key count")
    }

    async fn persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT person FROM personal_keys WHERE stream_id = $1 ORDER BY person")
            .bind(stream.as_str())
            .fetch_all(self.pool())
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
        .fetch_all(self.pool())
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
        sqlx::query_scalar("SELECT petition_rewrap_personal_key($1, $2, $3, $4)")
            .bind(key_id)
            .bind(old_kek)
            .bind(new_kek)
            .bind(wrapped)
            .fetch_one(self.pool())
            .await
            .map_err(db_error::map)
    }
}
