//! The delivery log: the notifier's own SQL tables (PostgreSQL or SQLite), its migrations, and the one
//! connection type both backends share.
//!
//! The same SQL text runs on both backends (`$1` placeholders work on SQLite too), with times stored as
//! Unix milliseconds and every other value as text, so each query is written once and dispatched by
//! [`on_pool!`]. The tables live next to the event store's, or in another database, as the operator wishes;
//! their migrations are tracked in `notifier_migrations`, apart from the store's `_sqlx_migrations`.

mod rows;

pub use rows::{DeliveryRow, NewDelivery, Status};

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{NotifierError, Result};

/// A pool on one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Pg(PgPool),
    Lite(SqlitePool),
}

/// Runs the same expression against whichever pool `db` holds; the body is compiled once per backend.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::log::Db::Pg($pool) => $body,
            $crate::log::Db::Lite($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Each migration once, in order: (version, PostgreSQL SQL, SQLite SQL).
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    include_str!("../../../../migrations/notifier-postgres/0001_delivery_log.sql"),
    include_str!("../../../../migrations/notifier-sqlite/0001_delivery_log.sql"),
)];

impl Db {
    /// Opens `postgres://…` or `sqlite:…` and applies the notifier's migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(30))
                .connect(url)
                .await?;
            Db::Pg(pool)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| NotifierError::Config(format!("invalid SQLite URL: {e}")))?
                .create_if_missing(true)
                .busy_timeout(Duration::from_secs(10))
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL in WAL mode survives a process crash; a power cut may roll back the last commits,
                // which only re-plans or re-sends (checkpoint and rows roll back together): at-least-once holds.
                .synchronous(SqliteSynchronous::Normal);
            // One connection: SQLite has one writer anyway, and it keeps claims strictly serialised.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Db::Lite(pool)
        } else {
            return Err(NotifierError::Config(
                "the notifier database URL must start with postgres:// or sqlite:".to_owned(),
            ));
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the pending migrations in one transaction. On PostgreSQL an advisory lock serialises
    /// notifiers starting together, whose `CREATE TABLE IF NOT EXISTS` would otherwise race.
    async fn migrate(&self) -> Result<()> {
        const TRACK: &str = "CREATE TABLE IF NOT EXISTS notifier_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)";
        const LOCK: &str = "SELECT pg_advisory_xact_lock(74720005)";
        let pg = matches!(self, Db::Pg(_));
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if pg {
                sqlx::query(LOCK).execute(&mut *tx).await?;
            }
            sqlx::query(TRACK).execute(&mut *tx).await?;
            for (version, pg_sql, lite_sql) in MIGRATIONS {
                let done: Option<(i64,)> =
                    sqlx::query_as("SELECT version FROM notifier_migrations WHERE version = $1")
                        .bind(version)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_none() {
                    sqlx::raw_sql(if pg { pg_sql } else { lite_sql }).execute(&mut *tx).await?;
                    sqlx::query("INSERT INTO notifier_migrations (version, applied_at_ms) VALUES ($1, $2)")
                        .bind(version)
                        .bind(now_ms())
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}

/// The current time as Unix milliseconds, the one time format of the delivery log.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
