//! The log's tables on a pool opened by the shared `db` crate (the store's database), which also runs the
//! log's migrations (`migrations/tlog-<backend>/`, versions 3001–3999 in `_sqlx_migrations`; a database
//! migrated by the old runner, tracked in `tlog_migrations`, is bridged), and the queries.
//!
//! Every column is TEXT or BIGINT (hashes as lowercase hex), so the same SQL runs on both backends: each
//! statement is written once and compiled per backend by `on_pool!` / `on_tx!`.

use std::collections::HashMap;

use ::db::migrate::Component;
use ::db::{DbRow, Pool, PoolSettings, Role, Tx, locks, on_pool, on_tx};
use tlog::tree::Hash;

use crate::LogError;

/// Which database the log lives in.
pub use ::db::Backend;

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

/// The log's pool.
#[derive(Debug, Clone)]
pub struct LogDb {
    pub(crate) pool: Pool,
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
        Self::connect_with(url, &PoolSettings::default()).await
    }

    /// Like [`Self::connect`], with the pool sized by `pool`.
    pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<Self, LogError> {
        let pool = ::db::open(Role::TransparencyLog, url, pool)
            .await
            .map_err(db_error)?;
        ::db::migrate::run(Component::TransparencyLog, &pool)
            .await
            .map_err(db_error)?;
        Ok(Self { pool })
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// A transaction that writes: on PostgreSQL it holds the log's advisory lock (one builder at a time across
    /// nodes), on SQLite the write lock (`BEGIN IMMEDIATE`).
    pub(crate) async fn begin_write(&self) -> Result<Tx, LogError> {
        let mut tx = self.pool.begin_write().await?;
        tx.advisory_lock(locks::TRANSPARENCY_LOG).await?;
        Ok(tx)
    }

    /// The tree's size and where the builder continues in the store's global order.
    pub async fn head(&self) -> Result<LogHead, LogError> {
        let row = on_pool!(&self.pool, p => sqlx::query(HEAD).fetch_optional(p).await?.map(|r| head_row(&r)));
        row.unwrap_or(Ok(LogHead::default()))
    }

    /// Stored hashes by index; every requested index must exist.
    pub async fn read_hashes(&self, indexes: &[u64]) -> Result<HashMap<u64, Hash>, LogError> {
        if indexes.is_empty() {
            return Ok(HashMap::new());
        }
        // Integers only, so inlining them is safe and keeps one statement for any number of indexes.
        let list = indexes
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!("SELECT hash_index, hash FROM tlog_hashes WHERE hash_index IN ({list})");
        let rows = on_pool!(&self.pool, p => sqlx::query(&sql)
            .fetch_all(p)
            .await?
            .iter()
            .map(hash_row)
            .collect::<Result<Vec<_>, LogError>>()?);
        let out: HashMap<u64, Hash> = rows.into_iter().collect();
        if let Some(missing) = indexes.iter().find(|i| !out.contains_key(i)) {
            return Err(LogError::Corrupt(format!(
                "stored hash {missing} is missing"
            )));
        }
        Ok(out)
    }

    /// The leaf logging `event_id`, if it is logged yet.
    pub async fn leaf_of_event(&self, event_id: &str) -> Result<Option<LeafRow>, LogError> {
        on_pool!(&self.pool, p => sqlx::query(
            "SELECT leaf_index, event_id, stream_id, version, event_hash FROM tlog_leaves WHERE event_id = $1",
        )
        .bind(event_id)
        .fetch_optional(p)
        .await?
        .map(|r| leaf_row(&r))
        .transpose())
    }

    /// The leaf of the event that assigned `tracking_code` (upper-case), if it is logged yet.
    pub async fn leaf_of_tracking_code(
        &self,
        tracking_code: &str,
    ) -> Result<Option<LeafRow>, LogError> {
        on_pool!(&self.pool, p => sqlx::query(
            "SELECT leaf_index, event_id, stream_id, version, event_hash FROM tlog_leaves \
             WHERE tracking_code = $1 ORDER BY leaf_index LIMIT 1",
        )
        .bind(tracking_code)
        .fetch_optional(p)
        .await?
        .map(|r| leaf_row(&r))
        .transpose())
    }

    /// The newest signed checkpoint.
    pub async fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>, LogError> {
        on_pool!(&self.pool, p => sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints \
             ORDER BY tree_size DESC LIMIT 1",
        )
        .fetch_optional(p)
        .await?
        .map(|r| checkpoint_row(&r))
        .transpose())
    }

    /// The checkpoint signed at exactly `tree_size`.
    pub async fn checkpoint_at(&self, tree_size: u64) -> Result<Option<CheckpointRow>, LogError> {
        let size = to_i64(tree_size)?;
        on_pool!(&self.pool, p => sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints WHERE tree_size = $1",
        )
        .bind(size)
        .fetch_optional(p)
        .await?
        .map(|r| checkpoint_row(&r))
        .transpose())
    }

    /// Every signed checkpoint, smallest first.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, LogError> {
        on_pool!(&self.pool, p => sqlx::query(
            "SELECT tree_size, root, note, public_key, signed_at FROM tlog_checkpoints ORDER BY tree_size",
        )
        .fetch_all(p)
        .await?
        .iter()
        .map(checkpoint_row)
        .collect())
    }
}

const HEAD: &str = "SELECT leaf_index, checkpoint_tx, checkpoint_pos FROM tlog_leaves ORDER BY leaf_index DESC LIMIT 1";

/// [`LogDb::head`] inside a write transaction, to see whether another builder moved it meanwhile.
pub(crate) async fn head_in(tx: &mut Tx) -> Result<LogHead, LogError> {
    let row =
        on_tx!(tx, t => sqlx::query(HEAD).fetch_optional(&mut **t).await?.map(|r| head_row(&r)));
    row.unwrap_or(Ok(LogHead::default()))
}

fn head_row(row: &impl DbRow) -> Result<LogHead, LogError> {
    Ok(LogHead {
        size: to_u64(row.try_get::<i64, _>(0)?)? + 1,
        after: store::Checkpoint {
            transaction_id: to_u64(row.try_get::<i64, _>(1)?)?,
            global_position: row.try_get::<i64, _>(2)?,
        },
    })
}

fn hash_row(row: &impl DbRow) -> Result<(u64, Hash), LogError> {
    Ok((
        to_u64(row.try_get::<i64, _>(0)?)?,
        hash_from_hex(&row.try_get::<String, _>(1)?)?,
    ))
}

pub(crate) async fn insert_leaf(
    tx: &mut Tx,
    leaf_index: u64,
    event: &store::RecordedEvent,
    tracking_code: Option<String>,
    logged_at: &str,
) -> Result<(), LogError> {
    let (index, version, transaction) = (
        to_i64(leaf_index)?,
        to_i64(event.version)?,
        to_i64(event.transaction_id)?,
    );
    on_tx!(tx, t => sqlx::query(
        "INSERT INTO tlog_leaves (leaf_index, event_id, stream_id, version, event_hash, checkpoint_tx, \
         checkpoint_pos, tracking_code, logged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(index)
    .bind(event.event_id.to_string())
    .bind(event.stream_id.as_str())
    .bind(version)
    .bind(event.hash.as_str())
    .bind(transaction)
    .bind(event.global_position)
    .bind(tracking_code.as_deref())
    .bind(logged_at)
    .execute(&mut **t)
    .await
    .map(drop)?);
    Ok(())
}

pub(crate) async fn insert_hashes(
    tx: &mut Tx,
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
        let sql = format!("INSERT INTO tlog_hashes (hash_index, hash) VALUES {values}");
        on_tx!(tx, t => sqlx::query(&sql).execute(&mut **t).await.map(drop)?);
    }
    Ok(())
}

pub(crate) async fn insert_checkpoint(tx: &mut Tx, row: &CheckpointRow) -> Result<(), LogError> {
    let size = to_i64(row.tree_size)?;
    on_tx!(tx, t => sqlx::query(
        "INSERT INTO tlog_checkpoints (tree_size, root, note, public_key, signed_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(size)
    .bind(row.root.as_str())
    .bind(row.note.as_str())
    .bind(row.public_key.as_str())
    .bind(row.signed_at.as_str())
    .execute(&mut **t)
    .await
    .map(drop)?);
    Ok(())
}

/// Whether a checkpoint of `size` is stored already.
pub(crate) async fn checkpoint_exists(tx: &mut Tx, size: u64) -> Result<bool, LogError> {
    let size = to_i64(size)?;
    Ok(
        on_tx!(tx, t => sqlx::query("SELECT tree_size FROM tlog_checkpoints WHERE tree_size = $1")
        .bind(size)
        .fetch_optional(&mut **t)
        .await?
        .is_some()),
    )
}

fn leaf_row(r: &impl DbRow) -> Result<LeafRow, LogError> {
    Ok(LeafRow {
        leaf_index: to_u64(r.try_get::<i64, _>(0)?)?,
        event_id: r.try_get(1)?,
        stream_id: r.try_get(2)?,
        version: to_u64(r.try_get::<i64, _>(3)?)?,
        event_hash: r.try_get(4)?,
    })
}

fn checkpoint_row(r: &impl DbRow) -> Result<CheckpointRow, LogError> {
    Ok(CheckpointRow {
        tree_size: to_u64(r.try_get::<i64, _>(0)?)?,
        root: r.try_get(1)?,
        note: r.try_get(2)?,
        public_key: r.try_get(3)?,
        signed_at: r.try_get(4)?,
    })
}

fn db_error(e: ::db::Error) -> LogError {
    match e {
        ::db::Error::Sqlx(e) => LogError::Db(e),
        ::db::Error::Unavailable(m) => LogError::Db(sqlx::Error::Io(std::io::Error::other(m))),
        ::db::Error::Config(m) | ::db::Error::Migrate(m) => LogError::Invalid(m),
    }
}
