//! The SQLite event store, the embedded default. The global order is kept by a single writer (ADR 0002): every
//! append runs in `BEGIN IMMEDIATE` on one dedicated connection, so positions are assigned in commit order.

mod backend;

use db::migrate::Component;
use db::{Backend, PoolSettings, Role};
use sqlx::sqlite::SqlitePool;

use crate::{StoreError, db_error};

/// The SQLite backend: one writer connection and a small pool of readers.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (and, unless the URL says `mode=ro` or `mode=rw`, creates) the database file and its parent
    /// directory, and applies the migrations. `sqlite://data/petition.db?mode=rwc` is the embedded default.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &PoolSettings::default()).await
    }

    /// Like [`Self::connect`], with the readers' pool sized by `pool` (readers run in parallel with the
    /// writer thanks to WAL; the default handful is plenty for one process). The writer is always one
    /// connection: positions are assigned in commit order (ADR 0002).
    pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        use crate::postgres::open_error;
        let target = db::open::sqlite_target(Role::EventStore, url).map_err(open_error)?;
        let timeout = pool.acquire_timeout_for(Role::EventStore, Backend::Sqlite);
        let writer = db::open::sqlite_pool(Role::EventStore, &target, 1, timeout)
            .await
            .map_err(open_error)?;
        let mut conn = writer.acquire().await.map_err(db_error::map)?;
        db::migrate::run_sqlite(Component::Store, &mut conn)
            .await
            .map_err(|e| StoreError::Config(format!("{e} (SQLite)")))?;
        drop(conn);
        let reader = if target.in_memory {
            writer.clone()
        } else {
            let readers = pool.max_connections_for(Role::EventStore, Backend::Sqlite);
            db::open::sqlite_pool(Role::EventStore, &target, readers, timeout)
                .await
                .map_err(open_error)?
        };
        Ok(Self { writer, reader })
    }

    /// A private in-memory database, for unit tests of code that needs some store.
    pub async fn in_memory() -> Result<Self, StoreError> {
        Self::connect("sqlite::memory:").await
    }

    /// Closes every connection; later operations fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
