//! The SQLite event store, the embedded default. The global order is kept by a single writer (ADR 0002): every
//! append runs in `BEGIN IMMEDIATE` on one dedicated connection, so positions are assigned in commit order.

mod backend;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::StoreError;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Readers run in parallel with the writer thanks to WAL; a handful is plenty for one process.
const READER_CONNECTIONS: u32 = 4;

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
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mode = url
            .split_once('?')
            .and_then(|(_, query)| query.split('&').find_map(|kv| kv.strip_prefix("mode=")));
        let creates = matches!(mode, None | Some("rwc"));
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid SQLite URL: {e}")))?
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            // Deleted rows (an erased person's data key) are overwritten in the file, not just unlinked.
            .pragma("secure_delete", "ON")
            // The store is the source of truth: a commit must survive a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full);
        if !in_memory {
            // WAL lets readers tail the log while the writer appends.
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
        if creates {
            options = options.create_if_missing(true);
            if !in_memory {
                create_parent_dir(options.get_filename())?;
            }
        }
        let path = options.get_filename().display().to_string();
        let unavailable = |e: sqlx::Error| {
            StoreError::Unavailable(format!("cannot open SQLite database `{path}`: {e}"))
        };
        // An in-memory database lives as long as its one connection, so that connection must never be recycled.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(if in_memory { 1 } else { 0 })
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        MIGRATOR.run(&writer).await.map_err(|e| {
            StoreError::Config(format!("applying the SQLite migrations failed: {e}"))
        })?;
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READER_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(unavailable)?
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

fn create_parent_dir(file: &Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create the directory `{}` for the SQLite database: {e}",
                dir.display()
            ))
        }),
        _ => Ok(()),
    }
}
