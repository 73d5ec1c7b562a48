//! A fresh database per test, for either backend, plus the raw access some cases need to attack the store.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};
use store::EventStore;
use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

use crate::fixtures::new_stream;

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Each PostgreSQL test opens up to ~15 connections; this keeps a wide `--test-threads` within the server's
/// default limit of 100 connections.
static PG_SLOTS: Semaphore = Semaphore::const_new(4);

/// One test's database: the store under test and a raw handle beside it.
#[derive(Debug)]
pub struct TestDb {
    pub store: Arc<dyn EventStore>,
    pub raw: Raw,
    _slot: Option<SemaphorePermit<'static>>,
}

/// Direct access to the same database, bypassing the store.
#[derive(Debug, Clone)]
pub enum Raw {
    Postgres {
        store: Arc<PgStore>,
        pool: PgPool,
        admin_url: String,
        database: String,
    },
    Sqlite {
        store: Arc<SqliteStore>,
        pool: SqlitePool,
        dir: PathBuf,
    },
}

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// The same server URL pointing at another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    format!("{server}/{database}{query}")
}

/// The service role every PostgreSQL test store connects as (cluster-wide, created once, shared by all tests).
pub const SERVICE_ROLE: &str = "petition_test_service";
const SERVICE_PASSWORD: &str = "petition-test-service";

/// `url` with other credentials.
pub fn with_user(url: &str, user: &str, password: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let host = match rest.find('@') {
        Some(i) if !rest[..i].contains('/') => &rest[i + 1..],
        _ => rest,
    };
    format!("{}{user}:{password}@{host}", &url[..start])
}

/// The test database `url` as the service role.
pub fn service_url(url: &str) -> String {
    with_user(url, SERVICE_ROLE, SERVICE_PASSWORD)
}

/// Creates the service role if needed and applies the shipped grants (deploy/postgres/grants.sql) in the
/// database at `url`, whose user is the owner.
pub async fn grant_service_role(url: &str) {
    let owner = PgConnectOptions::from_str(url)
        .expect("url")
        .get_username()
        .to_owned();
    let mut conn = PgConnection::connect(url).await.expect("owner connection");
    sqlx::raw_sql(&format!(
        "DO $$ BEGIN CREATE ROLE {SERVICE_ROLE} LOGIN PASSWORD '{SERVICE_PASSWORD}' NOSUPERUSER NOCREATEDB \
         NOCREATEROLE; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    ))
    .execute(&mut conn)
    .await
    .expect("creating the service role");
    let grants = include_str!("../../../../deploy/postgres/grants.sql")
        .replace(":\"service\"", &format!("\"{SERVICE_ROLE}\""))
        .replace(":\"owner\"", &format!("\"{owner}\""));
    sqlx::raw_sql(&grants)
        .execute(&mut conn)
        .await
        .expect("applying deploy/postgres/grants.sql");
    let _ = conn.close().await;
}

pub async fn make_pg_store() -> TestDb {
    let slot = PG_SLOTS
        .acquire()
        .await
        .expect("the slot semaphore is never closed");
    let admin_url = pg_admin_url();
    let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
        panic!(
            "PostgreSQL is unreachable at {} ({e}). The conformance suite needs it: start it \
             (scripts/services.sh) or set TEST_DATABASE_URL.",
            admin_url.rsplit('@').next().unwrap_or_default()
        )
    });
    let database = format!("petition_store_test_{}", Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE {database}"))
        .execute(&mut admin)
        .await
        .expect("CREATE DATABASE");
    let _ = admin.close().await;
    let url = with_database(&admin_url, &database);
    // As in production (deploy/postgres/): the owner migrates, the store under test is the service role,
    // which may read and append but is neither owner nor superuser.
    grant_service_role(&url).await;
    PgStore::connect(&url)
        .await
        .expect("migrating as the owner")
        .close()
        .await;
    let store = Arc::new(
        PgStore::connect(&service_url(&url))
            .await
            .expect("connecting the PostgreSQL store as the service role"),
    );
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&url)
        .await
        .expect("raw pool");
    TestDb {
        store: store.clone(),
        raw: Raw::Postgres {
            store,
            pool,
            admin_url,
            database,
        },
        _slot: Some(slot),
    }
}

pub async fn make_sqlite_store() -> TestDb {
    let dir = std::env::temp_dir().join(format!("petition-store-test-{}", Uuid::new_v4()));
    // A directory that does not exist yet: opening the store must create it.
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.join("data").join("events.db").display()
    );
    let store = Arc::new(
        SqliteStore::connect(&url)
            .await
            .expect("opening the SQLite store"),
    );
    let options = SqliteConnectOptions::from_str(&url)
        .expect("url")
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .expect("raw pool");
    TestDb {
        store: store.clone(),
        raw: Raw::Sqlite { store, pool, dir },
        _slot: None,
    }
}

impl TestDb {
    /// The data-key table of this database (the same backend object as the store).
    pub fn keys(&self) -> Arc<dyn store::privacy::PersonalKeys> {
        match &self.raw {
            Raw::Postgres { store, .. } => store.clone(),
            Raw::Sqlite { store, .. } => store.clone(),
        }
    }

    /// Where `needle` can be read in the raw database: `table: row` for every row of every table whose text
    /// form contains it (PostgreSQL), or the files that contain its bytes (SQLite: the database, its WAL and
    /// shared-memory files, free pages included). Empty when it is nowhere.
    pub async fn raw_occurrences(&self, needle: &str) -> Vec<String> {
        match &self.raw {
            Raw::Postgres { pool, .. } => {
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
                )
                .fetch_all(pool)
                .await
                .expect("listing tables");
                let mut found = Vec::new();
                for table in tables {
                    let rows: Vec<String> =
                        sqlx::query_scalar(&format!("SELECT t::text FROM \"{table}\" t"))
                            .fetch_all(pool)
                            .await
                            .expect("scanning a table");
                    found.extend(
                        rows.into_iter()
                            .filter(|row| row.contains(needle))
                            .map(|row| format!("{table}: {row}")),
                    );
                }
                found
            }
            Raw::Sqlite { dir, .. } => {
                let mut found = Vec::new();
                let data = dir.join("data");
                for entry in std::fs::read_dir(&data).expect("listing the data directory") {
                    let path = entry.expect("entry").path();
                    let bytes = std::fs::read(&path).expect("reading a database file");
                    if bytes
                        .windows(needle.len())
                        .any(|window| window == needle.as_bytes())
                    {
                        found.push(path.display().to_string());
                    }
                }
                found
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.raw, Raw::Postgres { .. })
    }

    /// Runs raw SQL outside the store; the error text is returned so tests can look at it.
    pub async fn execute(&self, sql: &str) -> Result<u64, String> {
        let result = match &self.raw {
            Raw::Postgres { pool, .. } => sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Raw::Sqlite { pool, .. } => sqlx::raw_sql(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        };
        result.map_err(|e| e.to_string())
    }

    /// What "empty the table at once" is on this backend.
    pub fn truncate_statement(&self, table: &str) -> String {
        if self.is_postgres() {
            format!("TRUNCATE {table}")
        } else {
            format!("DELETE FROM {table}")
        }
    }

    /// Runs `sql` the way an attacker with superuser rights would: with the append-only triggers out of the way.
    pub async fn tamper(&self, sql: &str) {
        match &self.raw {
            Raw::Postgres { pool, .. } => {
                let mut conn = pool.acquire().await.expect("connection");
                // Replica mode skips ordinary triggers; only a superuser may set it.
                sqlx::raw_sql(&format!(
                    "SET session_replication_role = replica; {sql}; RESET session_replication_role"
                ))
                .execute(&mut *conn)
                .await
                .expect("tampering as superuser");
            }
            Raw::Sqlite { pool, .. } => {
                let mut tx = pool.begin().await.expect("transaction");
                let triggers: Vec<(String, String)> =
                    sqlx::query_as("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
                        .fetch_all(&mut *tx)
                        .await
                        .expect("listing triggers");
                for (name, _) in &triggers {
                    sqlx::raw_sql(&format!("DROP TRIGGER {name}"))
                        .execute(&mut *tx)
                        .await
                        .expect("drop trigger");
                }
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .expect("tampering");
                for (_, create) in &triggers {
                    sqlx::raw_sql(create)
                        .execute(&mut *tx)
                        .await
                        .expect("recreate trigger");
                }
                tx.commit().await.expect("commit");
            }
        }
    }

    /// Closes the store's connections, as if the database had gone away under it.
    pub async fn close_store(&self) {
        match &self.raw {
            Raw::Postgres { store, .. } => store.close().await,
            Raw::Sqlite { store, .. } => store.close().await,
        }
    }

    /// A URL of this backend where no database can be reached.
    pub fn unreachable_url(&self) -> String {
        match &self.raw {
            // Port 1 is reserved (tcpmux) and closed on any machine that runs these tests.
            Raw::Postgres { .. } => "postgres://postgres@127.0.0.1:1/postgres".to_owned(),
            Raw::Sqlite { dir, .. } => format!(
                "sqlite://{}?mode=ro",
                dir.join("missing").join("gone.db").display()
            ),
        }
    }

    /// Drops the database (or deletes the file). Skipped when a test fails, which leaves it for inspection.
    pub async fn finish(self) {
        self.close_store().await;
        match self.raw {
            Raw::Postgres {
                pool,
                admin_url,
                database,
                ..
            } => {
                pool.close().await;
                let mut admin = PgConnection::connect(&admin_url)
                    .await
                    .expect("admin connection");
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .expect("DROP DATABASE");
                let _ = admin.close().await;
            }
            Raw::Sqlite { pool, dir, .. } => {
                pool.close().await;
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

impl Raw {
    /// Inserts an event in a transaction that is then rolled back, burning a position (a sequence value on
    /// PostgreSQL). Returns the event id, which no reader may ever see.
    pub async fn insert_and_roll_back(&self) -> Uuid {
        let event_id = Uuid::new_v4();
        let stream = new_stream();
        let zeros = store::hash::GENESIS_PREV_HASH;
        match self {
            Raw::Postgres { pool, .. } => {
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query(store::postgres::APPENDER_LOCK)
                    .execute(&mut *tx)
                    .await
                    .expect("the appenders' lock");
                sqlx::query(
                    "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, \
                     payload, command_id, actor, correlation_id, prev_hash, hash) \
                     VALUES ($1, $2, 1, now(), 'test.rolled_back', 1, '{}', $3, 'test', $3, $4, $4)",
                )
                .bind(event_id)
                .bind(stream.as_str())
                .bind(Uuid::new_v4())
                .bind(zeros)
                .execute(&mut *tx)
                .await
                .expect("insert");
                tx.rollback().await.expect("rollback");
            }
            Raw::Sqlite { pool, .. } => {
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query(
                    "INSERT INTO events (event_id, stream_id, version, recorded_at, event_type, schema_version, \
                     payload, command_id, actor, correlation_id, prev_hash, hash) \
                     VALUES ($1, $2, 1, 0, 'test.rolled_back', 1, '{}', $3, 'test', $3, $4, $4)",
                )
                .bind(event_id.to_string())
                .bind(stream.as_str())
                .bind(Uuid::new_v4().to_string())
                .bind(zeros)
                .execute(&mut *tx)
                .await
                .expect("insert");
                tx.rollback().await.expect("rollback");
            }
        }
        event_id
    }
}
