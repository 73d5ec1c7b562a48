//! Scratch PostgreSQL databases: `bench_<random>`, created on the admin URL and dropped when the row is done.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// Connects to the admin URL, or says in one line that PostgreSQL is unreachable.
pub async fn admin(url: &str) -> anyhow::Result<PgPool> {
    PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .with_context(|| {
            format!(
                "PostgreSQL is unreachable at {} (set BENCH_DATABASE_URL, or BENCH_POSTGRES=0 to skip its rows)",
                without_password(url)
            )
        })
}

/// `url` with its password replaced by `***`, for messages.
pub fn without_password(url: &str) -> String {
    match (url.split_once("://"), url.rsplit_once('@')) {
        (Some((scheme, rest)), Some((_, host))) => {
            let user = rest
                .split('@')
                .next()
                .unwrap_or("")
                .split(':')
                .next()
                .unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// `url` naming the database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host_part}/{name}?{q}"),
        None => format!("{host_part}/{name}"),
    }
}

/// A scratch database; [`Scratch::drop_now`] removes it.
#[derive(Debug)]
pub struct Scratch {
    pub name: String,
    pub url: String,
    admin: PgPool,
}

impl Scratch {
    /// Creates `bench_<random>_<label>`.
    pub async fn create(admin: &PgPool, admin_url: &str, label: &str) -> anyhow::Result<Self> {
        let name = format!(
            "bench_{}_{label}",
            &uuid::Uuid::new_v4().simple().to_string()[..10]
        );
        sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(admin)
            .await
            .with_context(|| format!("creating the database {name}"))?;
        Ok(Self {
            url: with_database(admin_url, &name),
            name,
            admin: admin.clone(),
        })
    }

    /// Drops the database (its connections are closed by force).
    pub async fn drop_now(self) {
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = sqlx::query(&sql).execute(&self.admin).await {
            eprintln!("could not drop the database {}: {e}", self.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_on_the_same_server() {
        assert_eq!(
            with_database("postgres://u:p@127.0.0.1:5432/postgres", "bench_x"),
            "postgres://u:p@127.0.0.1:5432/bench_x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/postgres?sslmode=disable", "b"),
            "postgres://u:p@h/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "b"),
            "postgres://h:5432/b"
        );
        assert_eq!(
            without_password("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
    }
}
