//! The PostgreSQL event store, for production. The global order is kept with the transaction-id horizon
//! (ADR 0002): readers only see events whose writing transaction is older than every transaction still running.

mod backend;

pub use backend::APPENDER_LOCK;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, PgConnection};

use crate::{StoreError, db_error};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// How many connections [`PgStore::connect`] opens at most; use [`PgStore::from_pool`] to choose otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// How long [`PgStore::connect`] waits for the server to answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Server-side limits on the store's own sessions, so that a stuck appender (a frozen process, a lost network
/// between two statements) cannot hold the read horizon back for longer than this (ADR 0002). An append is a
/// handful of statements taking milliseconds; a page of `read_all` takes well under a second.
pub const SESSION_LIMITS: [(&str, &str); 3] = [
    ("idle_in_transaction_session_timeout", "10s"),
    ("lock_timeout", "10s"),
    ("statement_timeout", "30s"),
];

/// The PostgreSQL backend. Cheap to clone: it is a connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url`, applies the migrations and returns a store with a pool of
    /// [`DEFAULT_MAX_CONNECTIONS`] connections.
    ///
    /// A database that cannot be reached is reported at once as [`StoreError::Unavailable`]: the first
    /// connection is made directly because a pool would keep retrying a refused connection until it times out.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with_pool_size(url, DEFAULT_MAX_CONNECTIONS).await
    }

    /// Like [`Self::connect`], with at most `max_connections` pooled connections (at least 1). Size it to the
    /// number of concurrent writers a node serves, within the server's `max_connections`.
    pub async fn connect_with_pool_size(
        url: &str,
        max_connections: u32,
    ) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Config(format!("invalid PostgreSQL URL: {e}")))?
            // `read_all`'s bounds change every page; a cached generic plan ignores them and scans the
            // whole table (about 1 s per page at a million events, against 9 ms with the index).
            .options([("plan_cache_mode", "force_custom_plan")]);
        // Migrations may legitimately run long: the limits apply to the pooled sessions only.
        let pooled = options.clone().options(SESSION_LIMITS);
        let place = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or_default()
        );
        // Bounded, because an unroutable address would otherwise hang for the operating system's TCP timeout.
        let mut conn =
            match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options)).await
            {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => {
                    return Err(StoreError::Unavailable(format!(
                        "cannot connect to PostgreSQL at {place}: {e}"
                    )));
                }
                Err(_) => {
                    return Err(StoreError::Unavailable(format!(
                        "cannot connect to PostgreSQL at {place}: no answer within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    )));
                }
            };
        migrate(&mut conn).await?;
        // Closing politely is a courtesy; the migrations are committed whether or not it succeeds.
        let _ = conn.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(pooled);
        Ok(Self { pool })
    }

    /// Wraps an existing pool. The caller is responsible for having applied the migrations (see [`Self::migrate`]).
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Applies the migrations that are not yet applied. Safe to call concurrently from several processes.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(db_error::map)?;
        migrate(&mut conn).await
    }

    /// The underlying pool, for components that share the database (e.g. a relay's checkpoint table).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later operations fail with [`StoreError::Unavailable`].
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn migrate(conn: &mut PgConnection) -> Result<(), StoreError> {
    MIGRATOR.run(&mut *conn).await.map_err(|e| {
        StoreError::Config(format!(
            "applying the PostgreSQL migrations failed: {e} (migrations run as the database owner: \
             `petition migrate` with PETITION_MIGRATION_DATABASE_URL)"
        ))
    })?;
    realign_transaction_ids(conn).await
}

/// After a logical restore into a fresh cluster the server's transaction ids restart below the stored ones;
/// a new epoch lifts every future id above them (ADR 0002). Nothing happens when the ids are in order.
async fn realign_transaction_ids(conn: &mut PgConnection) -> Result<(), StoreError> {
    let epoch: Option<i32> = sqlx::query_scalar("SELECT petition_realign_transaction_ids()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            StoreError::Config(format!(
                "the server's transaction ids are below the stored ones (a logical restore?) and realigning \
                 them failed: {e}. Run `petition migrate` as the database owner."
            ))
        })?;
    if let Some(epoch) = epoch {
        tracing::warn!(
            epoch,
            "transaction ids restarted below the stored ones (a logical restore?); a new epoch keeps the global order"
        );
    }
    Ok(())
}
