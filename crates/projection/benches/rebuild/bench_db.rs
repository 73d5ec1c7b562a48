//! The bench's databases: a fresh SQLite file by default, or a fresh `bench_<random>` database on the
//! PostgreSQL server a variable names, dropped when the bench is done (unless `BENCH_KEEP=1`).

use sqlx::Connection;
use uuid::Uuid;

use crate::Bench;

/// A database the bench runs in.
#[derive(Debug)]
pub struct BenchDb {
    pub url: String,
    /// The server's admin URL and the database's name, when the bench created it and must drop it.
    created: Option<(String, String)>,
}

/// `url` with its database replaced by `database`.
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

/// The database part of a PostgreSQL URL.
fn database_of(url: &str) -> &str {
    let base = url.split_once('?').map_or(url, |(b, _)| b);
    let authority = base.find("://").map_or(0, |i| i + 3);
    base[authority..].split_once('/').map_or("", |(_, d)| d)
}

impl BenchDb {
    /// The database `var` names (see the module doc), or a fresh SQLite file.
    pub async fn open(var: &str) -> Bench<BenchDb> {
        let Ok(url) = std::env::var(var) else {
            let dir =
                std::env::temp_dir().join(format!("projection-bench-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir)?;
            let url = format!("sqlite://{}?mode=rwc", dir.join("petition.db").display());
            eprintln!("{var}: {url}");
            return Ok(BenchDb { url, created: None });
        };
        if !url.starts_with("postgres") || database_of(&url).starts_with("bench_") {
            return Ok(BenchDb { url, created: None });
        }
        let name = format!("bench_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let created = with_database(&url, &name);
        eprintln!("{var}: created {created}");
        Ok(BenchDb {
            url: created,
            created: (std::env::var("BENCH_KEEP").as_deref() != Ok("1")).then_some((url, name)),
        })
    }

    /// Drops the database if the bench created it (after every pool on it is closed).
    pub async fn close(self) -> Bench<()> {
        let Some((admin, name)) = self.created else {
            eprintln!("left in place: {}", self.url);
            return Ok(());
        };
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        Ok(())
    }
}
