//! A fresh database per test, for either backend: the event store and the read models side by side.

use std::sync::Arc;

use projection::Projections;
use sqlx::Connection;
use store::EventStore;
use tokio::sync::{Semaphore, SemaphorePermit};
use uuid::Uuid;

const DEFAULT_PG_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// Keeps parallel PostgreSQL tests within the server's connection limit.
static PG_SLOTS: Semaphore = Semaphore::const_new(4);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    pub store: Arc<dyn EventStore>,
    pub projections: Projections,
    _slot: Option<SemaphorePermit<'static>>,
}

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

/// A database URL for a fresh, empty database (PostgreSQL: a new database; SQLite: a new file).
pub async fn fresh_url(backend: Backend) -> (String, Option<SemaphorePermit<'static>>) {
    match backend {
        Backend::Sqlite => {
            let dir =
                std::env::temp_dir().join(format!("projection-test-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}?mode=rwc", dir.join("petition.db").display()),
                None,
            )
        }
        Backend::Postgres => {
            let slot = PG_SLOTS.acquire().await.expect("never closed");
            let admin = pg_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is unreachable ({e}): start it (scripts/services.sh) or set TEST_DATABASE_URL")
            });
            let name = format!("projection_test_{}", Uuid::new_v4().simple());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            (with_database(&admin, &name), Some(slot))
        }
    }
}

pub async fn test_db(backend: Backend) -> TestDb {
    let (url, slot) = fresh_url(backend).await;
    let store = store::connect(&url).await.expect("store connects");
    let projections = Projections::connect(&url)
        .await
        .expect("read models connect");
    TestDb {
        url,
        store,
        projections,
        _slot: slot,
    }
}
