//! The one database module of the workspace: every crate that keeps tables (the event store, the read
//! models, the notifier's delivery log, the transparency log) opens its pool, runs its migrations and takes
//! its advisory locks through here.
//!
//! - **Pools per role** ([`open`], [`Role`], [`DbSettings`]): a typed pool, [`Pool::Postgres`] or
//!   [`Pool::Sqlite`], sized from settings; the SQLite options (WAL, busy timeout, synchronous level) are
//!   set in one place.
//! - **One migration mechanism** ([`migrate`]): a `sqlx::migrate!` set per component with disjoint version
//!   ranges, all recorded in sqlx's `_sqlx_migrations`, and a one-time bridge from the tracking tables the
//!   hand-written runners used before.
//! - **One registry of advisory-lock ids** ([`locks`]).
//! - **One time encoding per backend** ([`time`]): `timestamptz` on PostgreSQL, INTEGER Unix microseconds
//!   (UTC) on SQLite.
//!
//! There is no type-erased `Any` driver: each statement is written once and compiled per backend by [`on_pool!`] /
//! [`on_tx!`]; row decoding and binding are generic through [`DbRow`] and [`Bind`] (ADR 0013).

pub mod locks;
pub mod migrate;
pub mod open;
mod row;
mod settings;
pub mod time;

pub use open::open;
pub use row::{Arg, Bind, ColIndex, DbRow, Value};
pub use settings::{DbSettings, PoolSettings, Role};

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::{Postgres, Sqlite, Transaction};

/// Which database a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The backend a URL names: `postgres://` / `postgresql://` or `sqlite:`.
    pub fn of_url(url: &str) -> Result<Backend, Error> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(Error::Config(
                "unsupported database URL scheme: use postgres:// or sqlite:// \
                 (lược đồ URL cơ sở dữ liệu không được hỗ trợ)"
                    .into(),
            ))
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// A pool on one of the two backends. Cheap to clone.
#[derive(Debug, Clone)]
pub enum Pool {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    pub fn backend(&self) -> Backend {
        match self {
            Pool::Postgres(_) => Backend::Postgres,
            Pool::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// A transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a deferred transaction
    /// that read first cannot wait for the lock once another connection committed meanwhile, and would fail
    /// instead of queueing behind the busy timeout.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
        })
    }

    /// A transaction that only reads (a deferred one on SQLite).
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }

    /// The most connections this pool opens.
    pub fn max_connections(&self) -> u32 {
        on_pool!(self, p => p.options().get_max_connections())
    }
}

/// A transaction on one of the two backends; dropped without [`Tx::commit`], it rolls back.
#[derive(Debug)]
pub enum Tx {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Postgres(_) => Backend::Postgres,
            Tx::Sqlite(_) => Backend::Sqlite,
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(t) => t.commit().await,
            Tx::Sqlite(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Postgres(t) => t.rollback().await,
            Tx::Sqlite(t) => t.rollback().await,
        }
    }

    /// Takes a transaction-scoped advisory lock from the [`locks`] registry on PostgreSQL; SQLite has one
    /// writer at a time already (the write transaction holds the file's lock), so nothing happens there.
    pub async fn advisory_lock(&mut self, lock: locks::Lock) -> Result<(), sqlx::Error> {
        if let Tx::Postgres(t) = self {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(lock.id)
                .execute(&mut **t)
                .await?;
        }
        Ok(())
    }
}

/// Runs the same expression against whichever pool a [`Pool`] holds: `on_pool!(&pool, p => …)` binds `p`
/// to `&PgPool` or `&SqlitePool`. The body is compiled once per backend, so each statement is written once.
#[macro_export]
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::Pool::Postgres($p) => $body,
            $crate::Pool::Sqlite($p) => $body,
        }
    };
}

/// Like [`on_pool!`] for a [`Tx`]: `on_tx!(&mut tx, t => q.execute(&mut **t).await)` binds `t` to the
/// backend's `&mut Transaction`.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Postgres($t) => $body,
            $crate::Tx::Sqlite($t) => $body,
        }
    };
}

/// What opening or migrating a database can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL or the settings are wrong: fixing the configuration is the cure.
    #[error("{0}")]
    Config(String),
    /// The database cannot be reached or opened now.
    #[error("{0}")]
    Unavailable(String),
    /// A migration set could not be applied.
    #[error("{0}")]
    Migrate(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}
