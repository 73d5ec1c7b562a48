//! The PostgreSQL event store, for production. The global order is kept with the transaction-id horizon
//! (ADR 0002): readers only see events whose writing transaction is older than every transaction still running.

mod backend;

pub use backend::APPENDER_LOCK;

use db::migrate::Component;
use db::{PoolSettings, Role};
use sqlx::postgres::PgPool;
use sqlx::{Connection, PgConnection};

use crate::{StoreError, db_error};

/// How many connections [`PgStore::connect`] opens at most (the event store's default in `db::Role`); use
/// [`PgStore::connect_with`] to choose otherwise.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

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
        Self::connect_with(url, &PoolSettings::with_max_connections(max_connections)).await
    }

    /// Like [`Self::connect`], with the pool sized by `pool` (the settings' event-store pool).
    pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        // Statements are prepared once per connection and may run cached plans: planning every execution
        // (`plan_cache_mode = force_custom_plan`, as the store once did) took a fifth of the command path's CPU.
        // `read_all`, whose page bounds change the best plan, is planned for its values each time instead
        // (`Stmt::planned_each_time`).
        let options = db::open::pg_options(url).map_err(open_error)?;
        // Migrations may legitimately run long: the limits apply to the pooled sessions only.
        let pooled = options.clone().options(SESSION_LIMITS);
        let mut conn = db::open::pg_connect(Role::EventStore, &options)
            .await
            .map_err(open_error)?;
        migrate(&mut conn).await?;
        // Closing politely is a courtesy; the migrations are committed whether or not it succeeds.
        let _ = conn.close().await;
        let pool = db::open::pg_pool(Role::EventStore, pooled, pool);
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
    db::migrate::run_pg(Component::Store, conn)
        .await
        .map_err(|e| {
            StoreError::Config(format!(
                "{e} (PostgreSQL; migrations run as the database owner: \
                 `petition migrate` with PETITION_MIGRATION_DATABASE_URL)"
            ))
        })?;
    realign_transaction_ids(conn).await
}

/// The store's error for a failure to open or migrate its database.
pub(crate) fn open_error(e: db::Error) -> StoreError {
    match e {
        db::Error::Config(m) | db::Error::Migrate(m) => StoreError::Config(m),
        db::Error::Unavailable(m) => StoreError::Unavailable(m),
        db::Error::Sqlx(e) => db_error::map(e),
    }
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
