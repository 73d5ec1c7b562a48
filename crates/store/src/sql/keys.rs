//! The data-key table, on any backend. Writes, and the read that answers an insert, go to the writer; other
//! reads to the readers. Destroying and re-wrapping are the backend's own (on PostgreSQL the service role may
//! only read and insert rows, so those go through owner-defined functions).

use async_trait::async_trait;
use chrono::{SubsecRound, Utc};
use uuid::Uuid;

use super::stmt::{get, stmt};
use super::{Backend, DbRow, Rewrap, Sql};
use crate::privacy::{PersonalKeys, StoredKey};
use crate::{StoreError, StreamId, batch, db_error};

const KEY_COLUMNS: &str = "key_id, stream_id, person, kek_id, wrapped";

fn decode<B: Sql>(row: &DbRow<B>) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        key_id: get::<B, _>(row, "key_id")?,
        stream_id: StreamId::parse(get::<B, String>(row, "stream_id")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        person: get::<B, _>(row, "person")?,
        kek_id: get::<B, _>(row, "kek_id")?,
        wrapped: get::<B, _>(row, "wrapped")?,
    })
}

async fn find_on<B: Sql>(
    pool: &sqlx::Pool<B::Db>,
    stream: &StreamId,
    person: &str,
) -> Result<Option<StoredKey>, StoreError> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM personal_keys WHERE stream_id = $1 AND person = $2");
    let mut conn = pool.acquire().await.map_err(db_error::map)?;
    stmt::<B>(&sql)
        .bind(stream.as_str())
        .bind(person)
        .optional(&mut conn)
        .await
        .map_err(db_error::map)?
        .as_ref()
        .map(decode::<B>)
        .transpose()
}

#[async_trait]
impl<B: Sql> PersonalKeys for B {
    async fn insert_or_get(&self, key: StoredKey) -> Result<StoredKey, StoreError> {
        let mut conn = self.writer().acquire().await.map_err(db_error::map)?;
        stmt::<B>(
            "INSERT INTO personal_keys (key_id, stream_id, person, kek_id, wrapped, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_id, person) DO NOTHING",
        )
        .bind(key.key_id)
        .bind(key.stream_id.as_str())
        .bind(key.person.as_str())
        .bind(key.kek_id.as_str())
        .bind(key.wrapped.as_slice())
        .bind(Utc::now().trunc_subsecs(6))
        .run(&mut conn)
        .await
        .map_err(db_error::map)?;
        drop(conn);
        // Read on the writer: it has certainly seen its own (or the winner's) row.
        find_on::<B>(self.writer(), &key.stream_id, &key.person)
            .await?
            .ok_or_else(|| {
                StoreError::Unavailable(
                    "a data key was destroyed while it was being created; retry".into(),
                )
            })
    }

    async fn insert_or_get_many(&self, keys: Vec<StoredKey>) -> Result<Vec<StoredKey>, StoreError> {
        // Six parameters a row: 500 rows stay far below either backend's limit on bound parameters.
        const ROWS: usize = 500;
        let created_at = Utc::now().trunc_subsecs(6);
        let mut tx = self.writer().begin().await.map_err(db_error::map)?;
        let mut found = std::collections::HashMap::new();
        for chunk in keys.chunks(ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = 6 * i;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6
                    )
                })
                .collect();
            let insert = format!(
                "INSERT INTO personal_keys (key_id, stream_id, person, kek_id, wrapped, created_at) \
                 VALUES {} ON CONFLICT (stream_id, person) DO NOTHING",
                values.join(", ")
            );
            let mut statement = stmt::<B>(&insert);
            for key in chunk {
                statement = statement
                    .bind(key.key_id)
                    .bind(key.stream_id.as_str())
                    .bind(key.person.as_str())
                    .bind(key.kek_id.as_str())
                    .bind(key.wrapped.as_slice())
                    .bind(created_at);
            }
            statement.run(&mut tx).await.map_err(db_error::map)?;
            // Read in the same transaction: it sees its own rows and, on PostgreSQL, the winner's committed ones.
            let scopes: Vec<String> = (0..chunk.len())
                .map(|i| format!("(stream_id = ${} AND person = ${})", 2 * i + 1, 2 * i + 2))
                .collect();
            let select = format!(
                "SELECT {KEY_COLUMNS} FROM personal_keys WHERE {}",
                scopes.join(" OR ")
            );
            let mut statement = stmt::<B>(&select);
            for key in chunk {
                statement = statement
                    .bind(key.stream_id.as_str())
                    .bind(key.person.as_str());
            }
            for row in statement.all(&mut tx).await.map_err(db_error::map)? {
                let stored = decode::<B>(&row)?;
                found.insert((stored.stream_id.clone(), stored.person.clone()), stored);
            }
        }
        tx.commit().await.map_err(db_error::map)?;
        keys.iter()
            .map(|key| {
                found
                    .get(&(key.stream_id.clone(), key.person.clone()))
                    .cloned()
                    .ok_or_else(|| {
                        StoreError::Unavailable(
                            "a data key was destroyed while it was being created; retry".into(),
                        )
                    })
            })
            .collect()
    }

    async fn get(&self, key_id: Uuid) -> Result<Option<StoredKey>, StoreError> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM personal_keys WHERE key_id = $1");
        let mut conn = self.reader().acquire().await.map_err(db_error::map)?;
        stmt::<B>(&sql)
            .bind(key_id)
            .optional(&mut conn)
            .await
            .map_err(db_error::map)?
            .as_ref()
            .map(decode::<B>)
            .transpose()
    }

    async fn find(&self, stream: &StreamId, person: &str) -> Result<Option<StoredKey>, StoreError> {
        find_on::<B>(self.reader(), stream, person).await
    }

    async fn destroy(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError> {
        Backend::destroy_keys(self, stream, person).await
    }

    async fn persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError> {
        let mut conn = self.reader().acquire().await.map_err(db_error::map)?;
        let rows =
            stmt::<B>("SELECT person FROM personal_keys WHERE stream_id = $1 ORDER BY person")
                .bind(stream.as_str())
                .all(&mut conn)
                .await
                .map_err(db_error::map)?;
        rows.iter()
            .map(|row| get::<B, String>(row, "person"))
            .collect()
    }

    async fn wrapped_by_other(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError> {
        let sql = format!(
            "SELECT {KEY_COLUMNS} FROM personal_keys WHERE kek_id <> $1 ORDER BY key_id LIMIT $2"
        );
        // On the writer, so that a rotation sees the keys it has just re-wrapped.
        let mut conn = self.writer().acquire().await.map_err(db_error::map)?;
        let rows = stmt::<B>(&sql)
            .bind(kek_id)
            .bind(batch::to_i64(limit as u64, "limit")?)
            .all(&mut conn)
            .await
            .map_err(db_error::map)?;
        rows.iter().map(decode::<B>).collect()
    }

    async fn rewrap(
        &self,
        key_id: Uuid,
        old_kek: &str,
        new_kek: &str,
        wrapped: &[u8],
    ) -> Result<bool, StoreError> {
        let rewrap = Rewrap {
            key_id,
            old_kek,
            new_kek,
            wrapped,
        };
        Backend::rewrap_key(self, rewrap).await
    }
}
