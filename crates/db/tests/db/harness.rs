//! A fresh database per test on either backend, dropped at the end (PostgreSQL) or left in the temp dir.

use sqlx::Connection;
use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

const DEFAULT_PG_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// Keeps parallel PostgreSQL tests within the server's connection limit (the server is shared).
static PG_SLOTS: Semaphore = Semaphore::const_new(3);

pub const BACKENDS: [db::Backend; 2] = [db::Backend::Sqlite, db::Backend::Postgres];

pub fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let authority = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority..].find('/') {
        Some(i) => &base[..authority + i],
        None => base,
    };
    format!("{server}/{database}{query}")
}

/// A fresh, empty database. Call [`Fresh::drop_database`] at the end of the test.
#[derive(Debug)]
pub struct Fresh {
    pub url: String,
    pg_name: Option<String>,
    _slot: Option<SemaphorePermit<'static>>,
}

impl Fresh {
    pub async fn new(backend: db::Backend) -> Fresh {
        match backend {
            db::Backend::Sqlite => {
                let dir = std::env::temp_dir()
                    .join(format!("db-test-{}", Uuid::new_v4().simple()))
                    .join("nested");
                Fresh {
                    url: format!("sqlite://{}?mode=rwc", dir.join("petition.db").display()),
                    pg_name: None,
                    _slot: None,
                }
            }
            db::Backend::Postgres => {
                let slot = PG_SLOTS.acquire().await.expect("never closed");
                let admin = pg_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| {
                        panic!("PostgreSQL is unreachable ({e}): start it or set TEST_DATABASE_URL")
                    });
                let name = format!("db_test_{}", Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                Fresh {
                    url: with_database(&admin, &name),
                    pg_name: Some(name),
                    _slot: Some(slot),
                }
            }
        }
    }

    /// Opens the database as `role` with default settings.
    pub async fn open(&self, role: db::Role) -> db::Pool {
        db::open(role, &self.url, &db::PoolSettings::default())
            .await
            .expect("open")
    }

    pub async fn drop_database(self) {
        if let Some(name) = &self.pg_name {
            let mut conn = sqlx::PgConnection::connect(&pg_admin_url())
                .await
                .expect("admin");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("drop database");
        }
    }
}

/// Runs a script of several statements on the pool (the old runners' way of creating a schema).
pub async fn raw(pool: &db::Pool, sql: &str) {
    db::on_pool!(pool, p => sqlx::raw_sql(sql).execute(p).await.map(drop))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// One integer from a query.
pub async fn scalar(pool: &db::Pool, sql: &str) -> i64 {
    db::on_pool!(pool, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The `_sqlx_migrations` rows as (version, success, execution_time), by version.
pub async fn applied(pool: &db::Pool) -> Vec<(i64, bool, i64)> {
    const SQL: &str =
        "SELECT version, success, execution_time FROM _sqlx_migrations ORDER BY version";
    db::on_pool!(pool, p => sqlx::query_as::<_, (i64, bool, i64)>(SQL).fetch_all(p).await)
        .expect("read _sqlx_migrations")
}
