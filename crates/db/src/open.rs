//! The one pool opener. [`open`] serves every role; the event store, which needs a direct first connection
//! for its migrations and a second set of session options for its pooled sessions, composes the same parts
//! ([`pg_options`], [`pg_connect`], [`pg_pool`], [`sqlite_target`], [`sqlite_pool`]).
//!
//! SQLite options are set here and only here: WAL (readers run beside the writer; not for in-memory
//! databases), a 10 s busy timeout (writers queue instead of failing), foreign keys on, the parent directory
//! created unless the URL says `mode=ro` or `mode=rw`. The event store and the transparency log keep
//! `synchronous = FULL` (a commit survives a power cut); the delivery log and the read models use NORMAL,
//! which in WAL mode survives a process crash and may lose the last commits on a power cut — both are
//! re-derived from the store (the checkpoint rolls back with the rows).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, PgConnection};

use crate::{Backend, Error, Pool, PoolSettings, Role};

/// How long a first connection to PostgreSQL may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a SQLite writer waits for the file's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a pool for `role` on the database `url` names, sized by `settings`. A PostgreSQL server that
/// cannot be reached is reported at once as [`Error::Unavailable`] (a pool would keep retrying a refused
/// connection until its acquire timeout). Migrations are not run here: see [`crate::migrate::run`].
pub async fn open(role: Role, url: &str, settings: &PoolSettings) -> Result<Pool, Error> {
    match Backend::of_url(url)? {
        Backend::Postgres => {
            let options = pg_options(url)?;
            let conn = pg_connect(role, &options).await?;
            // Closing politely is a courtesy; the probe did its job either way.
            let _ = conn.close().await;
            Ok(Pool::Postgres(pg_pool(role, options, settings)))
        }
        Backend::Sqlite => {
            let target = sqlite_target(role, url)?;
            let max = settings.max_connections_for(role, Backend::Sqlite);
            let timeout = settings.acquire_timeout_for(role, Backend::Sqlite);
            Ok(Pool::Sqlite(
                sqlite_pool(role, &target, max, timeout).await?,
            ))
        }
    }
}

/// A PostgreSQL URL's options, or a configuration error that says what is wrong with it.
pub fn pg_options(url: &str) -> Result<PgConnectOptions, Error> {
    PgConnectOptions::from_str(url).map_err(|e| {
        Error::Config(format!(
            "invalid PostgreSQL URL (URL PostgreSQL không hợp lệ): {e}"
        ))
    })
}

/// One direct connection, bounded by [`CONNECT_TIMEOUT`]: an unroutable address would otherwise hang for
/// the operating system's TCP timeout.
pub async fn pg_connect(role: Role, options: &PgConnectOptions) -> Result<PgConnection, Error> {
    let place = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(Error::Unavailable(format!(
            "{}: cannot connect to PostgreSQL at {place}: {e}",
            role.as_str()
        ))),
        Err(_) => Err(Error::Unavailable(format!(
            "{}: cannot connect to PostgreSQL at {place}: no answer within {} s",
            role.as_str(),
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// A lazily connecting PostgreSQL pool for `role`, sized by `settings`.
///
/// A pooled connection is pinged before use only when it has been idle for [`PING_IF_IDLE_FOR`] or longer
/// (sqlx's `test_before_acquire`, on by default, costs one round trip per acquire: a ninth of the command
/// path's CPU in the profile of docs/benchmarks.md; under load connections come back within milliseconds and
/// are never pinged). A connection that fails the ping is dropped and the pool hands out another, so after a
/// server restart a consumer waiting out its backoff does not meet the pool's dead connections one failed
/// attempt at a time (each attempt a longer backoff: the notifier once stayed minutes behind that way). A
/// connection the server dropped while in use fails its statement, which answers `Unavailable` (503), and
/// is closed.
pub fn pg_pool(role: Role, options: PgConnectOptions, settings: &PoolSettings) -> PgPool {
    PgPoolOptions::new()
        .max_connections(settings.max_connections_for(role, Backend::Postgres))
        .acquire_timeout(settings.acquire_timeout_for(role, Backend::Postgres))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .connect_lazy_with(options)
}

/// How long a pooled PostgreSQL connection may sit idle before it is pinged on its next acquire.
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// A SQLite database to open: its options and whether it lives in memory only.
#[derive(Debug, Clone)]
pub struct SqliteTarget {
    pub options: SqliteConnectOptions,
    pub in_memory: bool,
}

/// The SQLite options for `role` (see the module header), creating the file's directory when the URL allows.
pub fn sqlite_target(role: Role, url: &str) -> Result<SqliteTarget, Error> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let mode = url
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|kv| kv.strip_prefix("mode=")));
    let creates = matches!(mode, None | Some("rwc"));
    let synchronous = match role {
        Role::EventStore | Role::TransparencyLog => SqliteSynchronous::Full,
        Role::ReadModels | Role::Notifier => SqliteSynchronous::Normal,
    };
    let mut options = SqliteConnectOptions::from_str(url)
        .map_err(|e| Error::Config(format!("invalid SQLite URL (URL SQLite không hợp lệ): {e}")))?
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .synchronous(synchronous);
    if role == Role::EventStore {
        // Deleted rows (an erased person's data key) are overwritten in the file, not just unlinked.
        options = options.pragma("secure_delete", "ON");
    }
    if !in_memory {
        options = options.journal_mode(SqliteJournalMode::Wal);
    }
    if creates {
        options = options.create_if_missing(true);
        if !in_memory {
            create_parent_dir(options.get_filename())?;
        }
    }
    Ok(SqliteTarget { options, in_memory })
}

/// A SQLite pool of at most `max_connections`. An in-memory database lives as long as its last connection,
/// so such a pool keeps one connection open for good.
pub async fn sqlite_pool(
    role: Role,
    target: &SqliteTarget,
    max_connections: u32,
    acquire_timeout: Duration,
) -> Result<SqlitePool, Error> {
    // In-process connections: no ping before each use (see `pg_pool`).
    let mut pool = SqlitePoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false);
    if target.in_memory {
        pool = pool
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None);
    }
    pool.connect_with(target.options.clone())
        .await
        .map_err(|e| {
            Error::Unavailable(format!(
                "{}: cannot open SQLite database `{}`: {e}",
                role.as_str(),
                target.options.get_filename().display()
            ))
        })
}

fn create_parent_dir(file: &Path) -> Result<(), Error> {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir).map_err(|e| {
            Error::Unavailable(format!(
                "cannot create the directory `{}` for the SQLite database: {e}",
                dir.display()
            ))
        }),
        _ => Ok(()),
    }
}
