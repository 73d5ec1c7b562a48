//! Fresh databases for one test each: a PostgreSQL database created on the server `TEST_DATABASE_URL`
//! names (default: the local one as `postgres`) and dropped — with its connections — when the guard drops,
//! or a SQLite file in a directory of its own. PostgreSQL being unreachable fails the test, never skips it.

use sqlx::Connection;

use crate::TempDir;

/// The admin URL of the test PostgreSQL server (`TEST_DATABASE_URL`; it must name a database, e.g. `/postgres`).
pub fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// `url` with its database name replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

/// A PostgreSQL database of the test's own, dropped on drop.
#[derive(Debug)]
pub struct PgDatabase {
    pub name: String,
    pub url: String,
    admin: String,
}

impl PgDatabase {
    /// Creates `<label>_<random>` on the test server.
    pub async fn fresh(label: &str) -> Self {
        let admin = admin_url();
        let name = format!("{label}_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL is unreachable at {admin} ({e}); start it with scripts/services.sh or set TEST_DATABASE_URL")
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("creating the test database {name}: {e}"));
        let _ = conn.close().await;
        Self {
            url: with_database(&admin, &name),
            name,
            admin,
        }
    }

    /// Whether a database of this name exists on the server (for tests of the guard itself).
    pub async fn exists(name: &str) -> bool {
        let mut conn = sqlx::PgConnection::connect(&admin_url())
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is unreachable ({e})"));
        sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut conn)
            .await
            .map(|row| row.is_some())
            .unwrap_or_else(|e| panic!("reading pg_database: {e}"))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own does the work.
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("testkit: could not drop the test database {}", self.name);
        }
    }
}

/// A SQLite database file in a directory of its own, removed on drop.
#[derive(Debug)]
pub struct SqliteDatabase {
    pub dir: TempDir,
    pub url: String,
}

impl SqliteDatabase {
    pub fn fresh(label: &str) -> Self {
        let dir = TempDir::new(label);
        let url = format!("sqlite://{}/petition.db?mode=rwc", dir.path.display());
        Self { dir, url }
    }
}
