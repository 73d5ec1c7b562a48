//! The read models' database: one `sqlx::Any` pool over PostgreSQL or SQLite, the projection's own
//! migrations (kept apart from the store's), and the checkpoint rows.
//!
//! Every read-model column is TEXT or BIGINT and every date is stored both as ISO text (for display and
//! ordering) and, where arithmetic is needed, as a day number, so the same SQL runs on both backends.

use chrono::{NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Row, Transaction};
use store::Checkpoint;

use crate::ProjectionError;

/// Which database the read models live in; a few statements differ (row locks, advisory locks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// The projection's migrations per backend, applied in order and recorded in `projection_migrations`.
/// sqlx's own migrator is not used because the store's migrations share the database and its table.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[(
    1,
    "checkpoints",
    include_str!("../../../migrations/projection-postgres/0001_checkpoints.sql"),
    include_str!("../../../migrations/projection-sqlite/0001_checkpoints.sql"),
)];

/// A pool and the backend it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
}

impl Db {
    pub async fn connect(url: &str) -> Result<Self, ProjectionError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(ProjectionError::Config(
                "unsupported database URL scheme: use postgres:// or sqlite://".into(),
            ));
        };
        // SQLite allows one writer at a time: a small pool avoids piling up writers that only wait.
        let max = if backend == Backend::Sqlite { 4 } else { 10 };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .connect(url)
            .await?;
        let db = Self { pool, backend };
        if backend == Backend::Sqlite {
            // WAL lets the HTTP queries read while a projection writes; the busy timeout makes writers wait.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&db.pool)
                .await?;
        }
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the pending migrations. On PostgreSQL an advisory lock serializes concurrent starts.
    pub async fn migrate(&self) -> Result<(), ProjectionError> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7400412001)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS projection_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        )
        .execute(&mut *tx)
        .await?;
        for (version, name, pg, sqlite) in MIGRATIONS {
            let done = sqlx::query("SELECT version FROM projection_migrations WHERE version = $1")
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
            for statement in script
                .split(';')
                .map(str::trim)
                .filter(|s| !strip_comments(s).is_empty())
            {
                sqlx::query(statement).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO projection_migrations (version, name) VALUES ($1, $2)")
                .bind(*version)
                .bind(*name)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that read first cannot wait for the lock once the store (same file) has
    /// committed meanwhile, and would fail instead of queueing behind the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Postgres => self.pool.begin().await,
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
        }
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
}

fn strip_comments(s: &str) -> String {
    s.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// A read model's checkpoint row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointRow {
    pub version: i64,
    pub checkpoint: Checkpoint,
}

pub(crate) async fn read_checkpoint(
    tx: &mut Transaction<'static, Any>,
    db: &Db,
    name: &str,
) -> Result<Option<CheckpointRow>, ProjectionError> {
    let sql = format!(
        "SELECT version, checkpoint_tx, checkpoint_pos FROM projection_checkpoints WHERE name = $1{}",
        db.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| checkpoint_row(&r)).transpose()
}

pub(crate) fn checkpoint_row(r: &AnyRow) -> Result<CheckpointRow, ProjectionError> {
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
    tx: &mut Transaction<'static, Any>,
    name: &str,
    version: i64,
    checkpoint: Checkpoint,
) -> Result<(), ProjectionError> {
    sqlx::query(
        "INSERT INTO projection_checkpoints (name, version, checkpoint_tx, checkpoint_pos, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET version = excluded.version, checkpoint_tx = excluded.checkpoint_tx,
             checkpoint_pos = excluded.checkpoint_pos, updated_at = excluded.updated_at",
    )
    .bind(name)
    .bind(version)
    .bind(i64::try_from(checkpoint.transaction_id).unwrap_or(i64::MAX))
    .bind(checkpoint.global_position)
    .bind(Utc::now().to_rfc3339())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Days since 1970-01-01: date arithmetic that both backends do the same way.
pub fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(NaiveDate::default()).num_days()
}
