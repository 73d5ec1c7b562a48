//! The one migration mechanism: a `sqlx::migrate!` set per component and backend, with disjoint version
//! ranges so that every set is recorded in the same `_sqlx_migrations` table whether the components share
//! a database or not:
//!
//! | component        | directory                        | versions  |
//! |------------------|----------------------------------|-----------|
//! | event store      | `migrations/{postgres,sqlite}`   | 1–999     |
//! | read models      | `migrations/projection-<backend>`| 1001–1999 |
//! | notifier         | `migrations/notifier-<backend>`  | 2001–2999 |
//! | transparency log | `migrations/tlog-<backend>`      | 3001–3999 |
//!
//! Each set ignores the versions of the others (`ignore_missing`), and still refuses an applied migration
//! of its own whose file changed (checksum) or is gone from its range.
//!
//! **The bridge.** Before this module the read models, the notifier and the transparency log ran their own
//! runners, recorded in `projection_migrations`, `notifier_migrations` and `tlog_migrations` (version 1
//! each). On a database that has such a table, its versions are recorded once in `_sqlx_migrations` (as
//! `base + version`, with the file's checksum and `execution_time = -1`, which marks a bridged row) before
//! the set runs, so nothing is applied a second time. The old tables are left as they are (read only).
//!
//! On PostgreSQL the bridge and the set run under sqlx's migration lock, so nodes starting together
//! neither bridge nor migrate twice. SQLite has one process per file in this project's deployments.

use std::ops::RangeInclusive;

use sqlx::migrate::{Migrate, Migrator};
use sqlx::{PgConnection, SqliteConnection};

use crate::{Backend, Error, Pool};

/// A component that owns a migration set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Store,
    ReadModels,
    Notifier,
    TransparencyLog,
}

/// Where an old runner recorded its versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Legacy {
    pub table: &'static str,
    /// Added to an old version to give its `_sqlx_migrations` version.
    pub base: i64,
}

impl Component {
    pub const ALL: [Component; 4] = [
        Component::Store,
        Component::ReadModels,
        Component::Notifier,
        Component::TransparencyLog,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Component::Store => "event store",
            Component::ReadModels => "read models",
            Component::Notifier => "notifier",
            Component::TransparencyLog => "transparency log",
        }
    }

    /// The versions this component's migrations may use.
    pub fn range(self) -> RangeInclusive<i64> {
        match self {
            Component::Store => 1..=999,
            Component::ReadModels => 1001..=1999,
            Component::Notifier => 2001..=2999,
            Component::TransparencyLog => 3001..=3999,
        }
    }

    /// The tracking table of the runner this component used before, if any.
    pub fn legacy(self) -> Option<Legacy> {
        match self {
            Component::Store => None,
            Component::ReadModels => Some(Legacy {
                table: "projection_migrations",
                base: 1000,
            }),
            Component::Notifier => Some(Legacy {
                table: "notifier_migrations",
                base: 2000,
            }),
            Component::TransparencyLog => Some(Legacy {
                table: "tlog_migrations",
                base: 3000,
            }),
        }
    }

    /// The component's migration set for `backend`, ignoring the other sets' versions.
    pub fn migrator(self, backend: Backend) -> Migrator {
        let mut migrator = match (self, backend) {
            (Component::Store, Backend::Postgres) => sqlx::migrate!("../../migrations/postgres"),
            (Component::Store, Backend::Sqlite) => sqlx::migrate!("../../migrations/sqlite"),
            (Component::ReadModels, Backend::Postgres) => {
                sqlx::migrate!("../../migrations/projection-postgres")
            }
            (Component::ReadModels, Backend::Sqlite) => {
                sqlx::migrate!("../../migrations/projection-sqlite")
            }
            (Component::Notifier, Backend::Postgres) => {
                sqlx::migrate!("../../migrations/notifier-postgres")
            }
            (Component::Notifier, Backend::Sqlite) => {
                sqlx::migrate!("../../migrations/notifier-sqlite")
            }
            (Component::TransparencyLog, Backend::Postgres) => {
                sqlx::migrate!("../../migrations/tlog-postgres")
            }
            (Component::TransparencyLog, Backend::Sqlite) => {
                sqlx::migrate!("../../migrations/tlog-sqlite")
            }
        };
        migrator.set_ignore_missing(true);
        migrator
    }
}

/// The bridge (see the module header), written once for both connection types.
macro_rules! bridge {
    ($component:expr, $migrator:expr, $conn:expr, $exists:expr) => {
        if let Some(legacy) = $component.legacy() {
            let present: Option<i32> = sqlx::query_scalar($exists)
                .bind(legacy.table)
                .fetch_optional(&mut *$conn)
                .await?;
            if present.is_some() {
                $conn
                    .ensure_migrations_table()
                    .await
                    .map_err(|e| failed($component, e))?;
                let old: Vec<i64> =
                    sqlx::query_scalar(&format!("SELECT version FROM {} ORDER BY version", legacy.table))
                        .fetch_all(&mut *$conn)
                        .await?;
                for version in old {
                    let new = legacy.base + version;
                    let migration = $migrator.iter().find(|m| m.version == new).ok_or_else(|| {
                        Error::Migrate(format!(
                            "{} records version {version}, which this build does not know \
                             (a newer build migrated this database?)",
                            legacy.table
                        ))
                    })?;
                    let done = sqlx::query(
                        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                         VALUES ($1, $2, TRUE, $3, -1) ON CONFLICT (version) DO NOTHING",
                    )
                    .bind(new)
                    .bind(migration.description.as_ref())
                    .bind(migration.checksum.as_ref())
                    .execute(&mut *$conn)
                    .await?;
                    if done.rows_affected() > 0 {
                        tracing::info!(
                            component = $component.as_str(),
                            from = legacy.table,
                            version = new,
                            "recorded a migration applied by the old runner in _sqlx_migrations"
                        );
                    }
                }
            }
        }
    };
}

/// Bridges, then applies `component`'s pending migrations on the database `pool` talks to.
pub async fn run(component: Component, pool: &Pool) -> Result<(), Error> {
    match pool {
        Pool::Postgres(p) => run_pg(component, &mut *p.acquire().await?).await,
        Pool::Sqlite(p) => run_sqlite(component, &mut *p.acquire().await?).await,
    }
}

/// [`run`] on one PostgreSQL connection (the event store migrates on a connection without its pooled
/// sessions' statement timeouts).
pub async fn run_pg(component: Component, conn: &mut PgConnection) -> Result<(), Error> {
    let migrator = component.migrator(Backend::Postgres);
    conn.lock().await.map_err(|e| failed(component, e))?;
    let outcome = async {
        bridge!(component, &migrator, conn, TABLE_EXISTS_PG);
        migrator
            .run_direct(&mut *conn)
            .await
            .map_err(|e| failed(component, e))
    }
    .await;
    let unlocked = conn.unlock().await.map_err(|e| failed(component, e));
    outcome.and(unlocked)
}

/// [`run`] on one SQLite connection.
pub async fn run_sqlite(component: Component, conn: &mut SqliteConnection) -> Result<(), Error> {
    let migrator = component.migrator(Backend::Sqlite);
    bridge!(component, &migrator, conn, TABLE_EXISTS_SQLITE);
    migrator
        .run_direct(&mut *conn)
        .await
        .map_err(|e| failed(component, e))
}

const TABLE_EXISTS_PG: &str = "SELECT 1 FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_name = $1";
const TABLE_EXISTS_SQLITE: &str = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1";

fn failed(component: Component, e: sqlx::migrate::MigrateError) -> Error {
    Error::Migrate(format!(
        "applying the {} migrations failed: {e}",
        component.as_str()
    ))
}
