//! The delivery log: the notifier's own SQL tables (PostgreSQL or SQLite) on a pool opened by the shared
//! `db` crate, which also runs their migrations (`migrations/notifier-<backend>/`, versions 2001–2999 in
//! `_sqlx_migrations`; a database migrated by the old runner, tracked in `notifier_migrations`, is bridged).
//!
//! The same SQL text runs on both backends (`$1` placeholders work on SQLite too), with times stored as
//! Unix milliseconds and every other value as text, so each query is written once and dispatched by
//! [`on_pool!`]. The tables live next to the event store's, or in another database, as the operator wishes.

mod rows;

pub use rows::{DeliveryRow, NewDelivery, Status};

use db::migrate::Component;
use db::{PoolSettings, Role};

use crate::{NotifierError, Result};

/// The delivery log's pool, on one of the two backends.
#[derive(Debug, Clone)]
pub struct Db(pub(crate) db::Pool);

/// Runs the same expression against whichever pool `db` holds; the body is compiled once per backend.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        ::db::on_pool!(&$db.0, $pool => $body)
    };
}
pub(crate) use on_pool;

impl Db {
    /// Opens `postgres://…` or `sqlite:…` with the notifier's default pool size and applies the notifier's
    /// migrations.
    pub async fn connect(url: &str) -> Result<Db> {
        Self::connect_with(url, &PoolSettings::default()).await
    }

    /// Like [`Self::connect`], with the pool sized by `pool` (on SQLite the default is one connection,
    /// which keeps claims strictly serialised).
    pub async fn connect_with(url: &str, pool: &PoolSettings) -> Result<Db> {
        let pool = db::open(Role::Notifier, url, pool)
            .await
            .map_err(db_error)?;
        db::migrate::run(Component::Notifier, &pool)
            .await
            .map_err(db_error)?;
        Ok(Db(pool))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.0.close().await
    }
}

fn db_error(e: db::Error) -> NotifierError {
    match e {
        db::Error::Sqlx(e) => NotifierError::Database(e),
        db::Error::Unavailable(m) => {
            NotifierError::Database(sqlx::Error::Io(std::io::Error::other(m)))
        }
        db::Error::Config(m) | db::Error::Migrate(m) => NotifierError::Config(m),
    }
}

/// The current time as Unix milliseconds, the one time format of the delivery log.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
