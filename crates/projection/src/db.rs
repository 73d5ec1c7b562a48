//! The read models' database: a typed pool opened by the shared `db` crate, which also runs the projection's
//! migrations (`migrations/projection-<backend>/`, versions 1001–1999 in `_sqlx_migrations`; a database
//! migrated by the old runner, tracked in `projection_migrations`, is bridged), and the checkpoint rows.
//!
//! Every read-model column is TEXT or BIGINT and every date is stored both as ISO text (for display and
//! ordering) and, where arithmetic is needed, as a day number, so the same SQL runs on both backends: each
//! statement is written once and compiled per backend by `on_pool!` / `on_tx!`.

use ::db::migrate::Component;
use ::db::{DbRow, Pool, PoolSettings, Role, Tx, on_pool, on_tx};
use chrono::{NaiveDate, Utc};
use store::Checkpoint;

use crate::ProjectionError;

/// Which database the read models live in; a few statements differ (row locks, advisory locks).
pub use ::db::Backend;

/// The read models' pool. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: Pool,
    pub(crate) backend: Backend,
}

impl Db {
    /// Opens the database at `url` with the pool sized by `pool` and applies the projection's migrations.
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, ProjectionError> {
        let pool = ::db::open(Role::ReadModels, url, pool)
            .await
            .map_err(db_error)?;
        ::db::migrate::run(Component::ReadModels, &pool)
            .await
            .map_err(db_error)?;
        let backend = pool.backend();
        Ok(Self { pool, backend })
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that read first cannot wait for the lock once the store (same file) has
    /// committed meanwhile, and would fail instead of queueing behind the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin_write().await
    }

    /// The placeholder style for statements with many parameters: `$n` on PostgreSQL, bare `?` on SQLite
    /// (see `schema::placeholder`).
    pub(crate) fn placeholder(&self) -> char {
        if self.backend == Backend::Postgres {
            '$'
        } else {
            '?'
        }
    }

    /// ` FOR UPDATE` on PostgreSQL (serializes two consumers of one read model); SQLite writers are serial.
    pub(crate) fn for_update(&self) -> &'static str {
        if self.backend == Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        }
    }

    /// A read model's checkpoint row, outside any transaction.
    pub(crate) async fn checkpoint(
        &self,
        name: &str,
    ) -> Result<Option<CheckpointRow>, ProjectionError> {
        on_pool!(&self.pool, p => sqlx::query(SELECT_CHECKPOINT)
            .bind(name)
            .fetch_optional(p)
            .await?
            .map(|r| checkpoint_row(&r))
            .transpose())
    }
}

/// Runs one statement without parameters (DDL, mostly) in `tx`.
pub(crate) async fn execute(tx: &mut Tx, sql: &str) -> Result<(), ProjectionError> {
    on_tx!(tx, t => sqlx::query(sql).execute(&mut **t).await.map(drop))?;
    Ok(())
}

/// A read model's checkpoint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointRow {
    pub version: i64,
    pub checkpoint: Checkpoint,
}

const SELECT_CHECKPOINT: &str =
    "SELECT version, checkpoint_tx, checkpoint_pos FROM projection_checkpoints WHERE name = $1";

pub(crate) async fn read_checkpoint(
    tx: &mut Tx,
    db: &Db,
    name: &str,
) -> Result<Option<CheckpointRow>, ProjectionError> {
    let sql = format!("{SELECT_CHECKPOINT}{}", db.for_update());
    on_tx!(tx, t => sqlx::query(&sql)
        .bind(name)
        .fetch_optional(&mut **t)
        .await?
        .map(|r| checkpoint_row(&r))
        .transpose())
}

pub(crate) fn checkpoint_row(r: &impl DbRow) -> Result<CheckpointRow, ProjectionError> {
    let tx: i64 = r.try_get("checkpoint_tx")?;
    Ok(CheckpointRow {
        version: r.try_get("version")?,
        checkpoint: Checkpoint {
            transaction_id: u64::try_from(tx).unwrap_or_default(),
            global_position: r.try_get("checkpoint_pos")?,
        },
    })
}

pub(crate) async fn write_checkpoint(
    tx: &mut Tx,
    name: &str,
    version: i64,
    checkpoint: Checkpoint,
) -> Result<(), ProjectionError> {
    let transaction = i64::try_from(checkpoint.transaction_id).unwrap_or(i64::MAX);
    let now = Utc::now().to_rfc3339();
    on_tx!(tx, t => sqlx::query(
        "INSERT INTO projection_checkpoints (name, version, checkpoint_tx, checkpoint_pos, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, checkpoint_tx = excluded.checkpoint_tx,
             checkpoint_pos = excluded.checkpoint_pos, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(version)
    .bind(transaction)
    .bind(checkpoint.global_position)
    .bind(now.as_str())
    .execute(&mut **t)
    .await
    .map(drop))?;
    Ok(())
}

/// The `(case_id, version)` rows a snapshot query returns, with `ids` bound in order.
pub(crate) async fn versions(
    tx: &mut Tx,
    sql: &str,
    ids: &[String],
) -> Result<Vec<(String, i64)>, ProjectionError> {
    on_tx!(tx, t => {
        let mut q = sqlx::query(sql);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.fetch_all(&mut **t)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("case_id")?, r.try_get("version")?)))
            .collect()
    })
}

/// The `(case_id, version, fold)` rows a snapshot query returns, with `ids` bound in order.
pub(crate) async fn snapshots(
    tx: &mut Tx,
    sql: &str,
    ids: &[String],
) -> Result<Vec<(String, i64, String)>, ProjectionError> {
    on_tx!(tx, t => {
        let mut q = sqlx::query(sql);
        for id in ids {
            q = q.bind(id.as_str());
        }
        q.fetch_all(&mut **t)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("case_id")?, r.try_get("version")?, r.try_get("fold")?)))
            .collect()
    })
}

/// Days since 1970-01-01: date arithmetic that both backends do the same way.
pub fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::default()).num_days()
}

pub(crate) fn db_error(e: ::db::Error) -> ProjectionError {
    match e {
        ::db::Error::Sqlx(e) => ProjectionError::Database(e),
        ::db::Error::Unavailable(m) => {
            ProjectionError::Database(sqlx::Error::Io(std::io::Error::other(m)))
        }
        ::db::Error::Config(m) | ::db::Error::Migrate(m) => ProjectionError::Config(m),
    }
}
