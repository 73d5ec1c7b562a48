//! The log's tables: one `sqlx::Any` pool over PostgreSQL or SQLite (the store's database), the log's own
//! migrations (`migrations/tlog-<backend>/`, recorded in `tlog_migrations`), and the queries.
//!
//! Every column is TEXT or BIGINT (hashes as lowercase hex), so the same SQL runs on both backends.

use std::collections::HashMap;

use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Row, Transaction};
use tlog::tree::Hash;

use crate::LogError;

/// Which database the log lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The log's migrations per backend, applied in order.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[(
    1,
    "tlog",
    include_str!("../../../migrations/tlog-postgres/0001_tlog.sql"),
    include_str!("../../../migrations/tlog-sqlite/0001_tlog.sql"),
)];

/// Serializes log builders (and migrations) across nodes on PostgreSQL.
const PG_LOCK: i64 = 7_400_413_001;

/// The last leaf: the tree's size and the store checkpoint the builder continues from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogHead {
    pub size: u64,
    pub after: store::Checkpoint,
}

/// One leaf row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafRow {
    pub leaf_index: u64,
    pub event_id: String,
    pub stream_id: String,
    pub version: u64,
    pub event_hash: String,
}

/// One stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub tree_size: u64,
    pub root: String,
    pub note: String,
    pub public_key: String,
    pub signed_at: String,
}

/// A pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct LogDb {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

fn to_i64(v: u64) -> Result<i64, LogError> {
    i64::try_from(v).map_err(|_| LogError::Invalid(format!("{v} is out of range")))
}

fn to_u64(v: i64) -> Result<u64, LogError> {
    u64::try_from(v)
        .map_err(|_| LogError::Corrupt(format!("negative value {v} in the log's tables")))
}

pub(crate) fn hash_hex(h: &Hash) -> String {
    hex::encode(h.0)
}

pub(crate) fn hash_from_hex(s: &str) -> Result<Hash, LogError> {
    let bytes =
        hex::decode(s).map_err(|_| LogError::Corrupt(format!("stored hash `{s}` is not hex")))?;
    tlog::tree::hash_from_slice(&bytes).map_err(|e| LogError::Corrupt(e.to_string()))
}

impl LogDb {
    /// Opens the log's tables in the database at `url` and applies its migrations.
    pub async fn connect(url: &str) -> Result<Self, LogError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(LogError::Invalid(
                "unsupported database URL scheme: use postgres:// or sqlite://".into(),
            ));
        };
        let max = if backend == Backend::Sqlite { 2 } else { 4 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .connect(url)
            .await?;
        let db = Self { pool, backend };
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&db.pool)
                .await?;
        }
        db.migrate().await?;
        Ok(db)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the pending migrations in one transaction.
    pub async fn migrate(&self) -> Result<(), LogError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS tlog_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        for (version, name, pg, sqlite) in MIGRATIONS {
            let done = sqlx::query("SELECT version FROM tlog_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx)
                .await?;
            if done.is_some() {
                continue;
            }
            let script = if self.backend == Backend::Postgres {
                pg
            } else {
                sqlite
            };
            sqlx::raw_sql(script).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO tlog_migrations (version, name) VALUES ($1, $2)")
                .bind(*version)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A transaction that writes: on PostgreSQL it holds the log's advisory lock (one builder at a time across
    /// nodes), on SQLite the write lock (`BEGIN IMMEDIATE`).
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, LogError> {
        match self.backend {
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(PG_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
        }
    }

    /// The tree's size and where the builder continues in the store's global order.
    pub async fn head(&self) -> Result<LogHead, LogError> {
        head(&self.pool).await
    }

    /// Stored hashes by index; every requested index must exist.
    pub async fn read_hashes(&self, indexes: &[u64]) -> Result<HashMap<u64, Hash>, LogError> {
        read_hashes(&self.pool, indexes).await
    }

    /// The leaf logging `event_id`, if it is logged yet.
    pub async fn leaf_of_event(&self, event_id: &str) -> Result<Option<LeafRow>, LogError> {
        let row = sqlx::query(
            "SELECT leaf_index, event_id, stream_id, version, event_hash FROM tlog_leaves WHERE event_id = $1",
        )
        .bind(event_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| leaf_row(&r)).transpose()
    }

    /// The leaf of the event that assigned `tracking_code` (upper-case), if it is logged yet.
    pub async fn leaf_of_tracking_code(
        &self,
        tracking_code: &str,
    ) -> Result<Option<LeafRow>, LogError> {
        let row = sqlx::query(
            "SELECT leaf_index, event_id, stream_id, version, event_hash FROM tlog_leaves \
             WHERE tracking_code = $1 ORDER BY leaf_index LIMIT 1",
        )
        .bind(tracking_code.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| leaf_row(&r)).transpose()
    }

    /// The newest signed checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>, LogError> {
        let row = sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| checkpoint_row(&r)).transpose()
    }

    /// The checkpoint signed at exactly `tree_size`.
    pub async fn checkpoint_at(&self, tree_size: u64) -> Result<Option<CheckpointRow>, LogError> {
        let row = sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints WHERE tree_size = $1",
        )
        .bind(to_i64(tree_size)?)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| checkpoint_row(&r)).transpose()
    }

    /// Every signed checkpoint, smallest first.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, LogError> {
        let rows = sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints ORDER BY tree_size",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(checkpoint_row).collect()
    }
}

pub(crate) async fn head<'e, E>(executor: E) -> Result<LogHead, LogError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    let row = sqlx::query(
        "SELECT leaf_index, checkpoint_tx, checkpoint_pos FROM tlog_leaves ORDER BY leaf_index DESC LIMIT 1",
    )
    .fetch_optional(executor)
    .await?;
    let Some(row) = row else {
        return Ok(LogHead::default());
    };
    Ok(LogHead {
        size: to_u64(row.try_get::<i64, _>(0)?)? + 1,
        after: store::Checkpoint {
            transaction_id: to_u64(row.try_get::<i64, _>(1)?)?,
            global_position: row.try_get::<i64, _>(2)?,
        },
    })
}

pub(crate) async fn read_hashes<'e, E>(
    executor: E,
    indexes: &[u64],
) -> Result<HashMap<u64, Hash>, LogError>
where
    E: sqlx::Executor<'e, Database = Any>,
{
    if indexes.is_empty() {
        return Ok(HashMap::new());
    }
    // Integers only, so inlining them is safe and keeps one statement for any number of indexes.
    let list = indexes
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT hash_index, hash FROM tlog_hashes WHERE hash_index IN ({list})"
    ))
    .fetch_all(executor)
    .await?;
    let mut out = HashMap::with_capacity(rows.len());
    for row in rows {
        let index = to_u64(row.try_get::<i64, _>(0)?)?;
        out.insert(index, hash_from_hex(&row.try_get::<String, _>(1)?)?);
    }
    if let Some(missing) = indexes.iter().find(|i| !out.contains_key(i)) {
        return Err(LogError::Corrupt(format!(
            "stored hash {missing} is missing"
        )));
    }
    Ok(out)
}

pub(crate) async fn insert_leaf(
    tx: &mut Transaction<'static, Any>,
    leaf_index: u64,
    event: &store::RecordedEvent,
    tracking_code: Option<String>,
    logged_at: &str,
) -> Result<(), LogError> {
    sqlx::query(
        "INSERT INTO tlog_leaves (leaf_index, event_id, stream_id, version, event_hash, checkpoint_tx, \
         checkpoint_pos, tracking_code, logged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(to_i64(leaf_index)?)
    .bind(event.event_id.to_string())
    .bind(event.stream_id.as_str().to_owned())
    .bind(to_i64(event.version)?)
    .bind(event.hash.clone())
    .bind(to_i64(event.transaction_id)?)
    .bind(event.global_position)
    .bind(tracking_code)
    .bind(logged_at.to_owned())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_hashes(
    tx: &mut Transaction<'static, Any>,
    first_index: u64,
    hashes: &[Hash],
) -> Result<(), LogError> {
    for chunk in hashes.chunks(200).enumerate() {
        let (n, chunk) = chunk;
        let start = first_index + (n * 200) as u64;
        let values = chunk
            .iter()
            .enumerate()
            .map(|(i, h)| format!("({}, '{}')", start + i as u64, hash_hex(h)))
            .collect::<Vec<_>>()
            .join(",");
        // Integers and hex only: nothing to escape.
        sqlx::query(&format!(
            "INSERT INTO tlog_hashes (hash_index, hash) VALUES {values}"
        ))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(crate) async fn insert_checkpoint(
    tx: &mut Transaction<'static, Any>,
    row: &CheckpointRow,
) -> Result<(), LogError> {
    sqlx::query(
        "INSERT INTO tlog_checkpoints (tree_size, root, note, public_key, signed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(to_i64(row.tree_size)?)
    .bind(row.root.clone())
    .bind(row.note.clone())
    .bind(row.public_key.clone())
    .bind(row.signed_at.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn leaf_row(r: &sqlx::any::AnyRow) -> Result<LeafRow, LogError> {
    Ok(LeafRow {
        leaf_index: to_u64(r.try_get::<i64, _>(0)?)?,
        event_id: r.try_get(1)?,
        stream_id: r.try_get(2)?,
        version: to_u64(r.try_get::<i64, _>(3)?)?,
        event_hash: r.try_get(4)?,
    })
}

fn checkpoint_row(r: &sqlx::any::AnyRow) -> Result<CheckpointRow, LogError> {
    Ok(CheckpointRow {
        tree_size: to_u64(r.try_get::<i64, _>(0)?)?,
        root: r.try_get(1)?,
        note: r.try_get(2)?,
        public_key: r.try_get(3)?,
        signed_at: r.try_get(4)?,
    })
}
