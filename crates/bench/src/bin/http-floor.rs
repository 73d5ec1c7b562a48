//! The raw HTTP floor of the bench table: a minimal axum service that parses the same JSON body as
//! petition's receive command (`POST /api/v1/petitions`, deserialized into `domain::Receive` with a
//! tracking code added, as petition does) and does one `INSERT` per transaction, nothing else: no
//! authentication, no events, no hash chain, no personal-data encryption.
//!
//! `http-floor --listen 127.0.0.1:PORT --database-url postgres://…|sqlite://… [--pool N]`. On SQLite the
//! file is opened in WAL mode with `synchronous=FULL` and one connection (one writer, as petition's store).

use std::net::SocketAddr;
use std::str::FromStr;

use anyhow::Context;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use clap::Parser;
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long)]
    listen: SocketAddr,
    /// `postgres://…` or `sqlite://FILE`.
    #[arg(long)]
    database_url: String,
    /// Connections of the PostgreSQL pool.
    #[arg(long, default_value_t = 16)]
    pool: u32,
}

#[derive(Debug, Clone)]
enum Db {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

type Refusal = (StatusCode, String);

fn bad(e: impl std::fmt::Display) -> Refusal {
    (StatusCode::BAD_REQUEST, e.to_string())
}

async fn receive(State(db): State<Db>, body: Bytes) -> Result<(StatusCode, String), Refusal> {
    let mut value: Value = serde_json::from_slice(&body).map_err(bad)?;
    let object = value.as_object_mut().ok_or_else(|| bad("not an object"))?;
    let year = chrono::Datelike::year(&chrono::Utc::now().date_naive());
    let code = domain::TrackingCode::issue(year, rand::random::<[u8; 10]>());
    object.insert("tracking_code".into(), Value::String(code.to_string()));
    let receive: domain::Receive = serde_json::from_value(value).map_err(bad)?;
    let stored = serde_json::to_string(&receive).map_err(bad)?;
    let id = uuid::Uuid::now_v7();
    let failed = |e: sqlx::Error| (StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    match &db {
        Db::Pg(pool) => {
            sqlx::query("INSERT INTO floor_complaints (id, body) VALUES ($1, $2::jsonb)")
                .bind(id)
                .bind(&stored)
                .execute(pool)
                .await
                .map_err(failed)?;
        }
        Db::Sqlite(pool) => {
            sqlx::query("INSERT INTO floor_complaints (id, body) VALUES (?1, ?2)")
                .bind(id.to_string())
                .bind(&stored)
                .execute(pool)
                .await
                .map_err(failed)?;
        }
    }
    let answer = json!({ "case_id": id, "tracking_code": code.to_string() });
    Ok((StatusCode::CREATED, answer.to_string()))
}

/// Opens the database and creates the one table.
async fn open(url: &str, pool: u32) -> anyhow::Result<Db> {
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .context("opening the SQLite file")?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS floor_complaints (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
        )
        .execute(&pool)
        .await?;
        Ok(Db::Sqlite(pool))
    } else {
        let pool = PgPoolOptions::new()
            .max_connections(pool)
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        sqlx::query("CREATE TABLE IF NOT EXISTS floor_complaints (id uuid PRIMARY KEY, body jsonb NOT NULL)")
            .execute(&pool)
            .await?;
        Ok(Db::Pg(pool))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = open(&args.database_url, args.pool).await?;
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/v1/petitions", post(receive))
        .with_state(db);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    axum::serve(listener, app).await?;
    Ok(())
}
