//! Append throughput and latency of the event store, with and without group commit, beside the cheapest durable
//! write the same database can do.
//!
//! Why: every command ends in one `EventStore::append` (optimistic version check, idempotency record, hash chain,
//! one transaction). This measures, in one run on the same server, at each concurrency level: the store as the
//! service opens it (one transaction per append), the same store behind `GroupCommitStore` (concurrent appends
//! share one transaction, issue #14), and a raw single-row `INSERT` per transaction into a plain table. The three
//! sides run in interleaved rounds (the order rotates every round) and each figure is the median over the rounds,
//! because the machine is shared and noisy. It is a benchmark, not a test: it prints figures and asserts nothing.
//!
//! Run: `cargo bench -p store --bench append`. Environment: `BENCH_DATABASE_URL` (else
//! `TEST_DATABASE_URL`, else the local default), `BENCH_CONCURRENCY=1,16,64`, `BENCH_SECONDS=3` per run,
//! `BENCH_ROUNDS=3`, `BENCH_WRITERS` (group-commit writers, default `GroupCommitConfig::default()`), `BENCH_SQLITE=0` /
//! `BENCH_POSTGRES=0` to skip a backend. A fresh database `bench_<random>`
//! (and temporary SQLite files) are created and removed.

mod measure;
mod workers;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, PgConnection, postgres::PgPoolOptions};
use store::postgres::PgStore;
use store::sqlite::SqliteStore;
use store::{EventStore, GroupCommitConfig};
use uuid::Uuid;

use measure::{Stats, WARMUP, cores, drive, median, print_header, print_row, with_database};
use workers::{PgRaw, SqliteRaw, StoreWorker};

const URL_VAR: &str = "BENCH_DATABASE_URL";
const DEFAULT_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

struct Settings {
    levels: Vec<usize>,
    measure: Duration,
    rounds: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // One readable line instead of anyhow's Debug report (which adds a backtrace under RUST_BACKTRACE=1).
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("append benchmark failed: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The group-commit side's settings: the defaults, with `BENCH_WRITERS` writers if set (PostgreSQL only).
fn group_config() -> Result<GroupCommitConfig> {
    let default = GroupCommitConfig::default();
    Ok(GroupCommitConfig {
        writers: env_or("BENCH_WRITERS", &default.writers.to_string())
            .parse()
            .context("BENCH_WRITERS")?,
        ..default
    })
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

async fn run() -> Result<()> {
    let settings = Settings {
        levels: env_or("BENCH_CONCURRENCY", "1,16,64")
            .split(',')
            .map(|s| {
                s.trim()
                    .parse()
                    .context("BENCH_CONCURRENCY must list integers")
            })
            .collect::<Result<_>>()?,
        measure: Duration::from_secs_f64(
            env_or("BENCH_SECONDS", "3")
                .parse()
                .context("BENCH_SECONDS")?,
        ),
        rounds: env_or("BENCH_ROUNDS", "3")
            .parse::<usize>()
            .context("BENCH_ROUNDS")?
            .max(1),
    };
    println!(
        "client cores: {}; {} interleaved round(s) of {:.1} s per side and level after {WARMUP:?} warm-up; \
         figures are medians over the rounds",
        cores(),
        settings.rounds,
        settings.measure.as_secs_f64()
    );
    if std::env::var("BENCH_POSTGRES").as_deref() != Ok("0") {
        postgres_section(&settings)
            .await
            .context("PostgreSQL section")?;
    }
    if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
        sqlite_section(&settings).await.context("SQLite section")?;
    }
    Ok(())
}

/// The three sides of one level: what each run needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Store,
    GroupCommit,
    Raw,
}

const SIDES: [Side; 3] = [Side::Store, Side::GroupCommit, Side::Raw];

/// Runs `one` for every side in `rounds` rounds, rotating the order, and prints the medians and ratios.
async fn interleaved<F, Fut>(backend: &str, c: usize, rounds: usize, mut one: F) -> Result<()>
where
    F: FnMut(Side) -> Fut,
    Fut: std::future::Future<Output = Result<Stats>>,
{
    let mut results: [Vec<Stats>; 3] = Default::default();
    for round in 0..rounds {
        for k in 0..SIDES.len() {
            let i = (k + round) % SIDES.len();
            results[i].push(one(SIDES[i]).await?);
        }
    }
    print_row(&format!("store {backend}"), c, &results[0]);
    print_row(&format!("group commit {backend}"), c, &results[1]);
    print_row(&format!("raw insert {backend}"), c, &results[2]);
    let [store, group, raw] = results.map(|r| median(&r).ops_per_s);
    println!(
        "ratios at conc {c}: group/store {:.2}, store/raw {:.2}, group/raw {:.2}",
        group / store,
        store / raw,
        group / raw
    );
    Ok(())
}

async fn postgres_section(settings: &Settings) -> Result<()> {
    let admin_url = std::env::var(URL_VAR)
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let where_ = admin_url.rsplit('@').next().unwrap_or_default(); // never print the password
    let mut admin = tokio::time::timeout(
        Duration::from_secs(10),
        PgConnection::connect(&admin_url),
    )
    .await
    .map_err(|_| anyhow::anyhow!("timed out"))
    .and_then(|r| r.map_err(anyhow::Error::from))
    .with_context(|| {
        format!("PostgreSQL is unreachable at {where_} (run scripts/services.sh or set {URL_VAR})")
    })?;
    // A dedicated database keeps the figures free of other data and leaves nothing behind.
    let db = format!("bench_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE \"{db}\""))
        .execute(&mut admin)
        .await
        .context("CREATE DATABASE")?;
    let result = postgres_levels(&mut admin, &with_database(&admin_url, &db)?, settings).await;
    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    result?;
    dropped.with_context(|| format!("dropping database {db}"))?;
    Ok(())
}

async fn postgres_levels(admin: &mut PgConnection, url: &str, settings: &Settings) -> Result<()> {
    let (version, sync_commit, fsync): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('synchronous_commit'), current_setting('fsync')",
    )
    .fetch_one(&mut *admin)
    .await?;
    // PgStore::connect (what the service uses) picks its own pool size; the bench does not change it.
    let pg = PgStore::connect(url).await.context("PgStore::connect")?;
    let store_pool = pg.pool().options().get_max_connections();
    println!(
        "\nPostgreSQL {version}; synchronous_commit={sync_commit}, fsync={fsync}; store pool: {store_pool} \
         connections (group commit: up to {} writers, one connection each); raw pool: concurrency + 4",
        group_config()?.writers
    );
    let mut setup = PgConnection::connect(url).await?;
    sqlx::query("CREATE TABLE raw_bench(id bigserial primary key, payload jsonb not null)")
        .execute(&mut setup)
        .await?;
    setup.close().await?;
    let plain: Arc<dyn EventStore> = Arc::new(pg.clone());
    let group: Arc<dyn EventStore> = Arc::new(pg.clone().group_commit(group_config()?));
    print_header();
    for &c in &settings.levels {
        interleaved("pg", c, settings.rounds, |side| {
            let (plain, group) = (plain.clone(), group.clone());
            async move {
                match side {
                    Side::Store => {
                        drive(
                            (0..c).map(|_| StoreWorker::new(plain.clone())).collect(),
                            settings.measure,
                        )
                        .await
                    }
                    Side::GroupCommit => {
                        drive(
                            (0..c).map(|_| StoreWorker::new(group.clone())).collect(),
                            settings.measure,
                        )
                        .await
                    }
                    Side::Raw => {
                        // Same concurrency, pool sized so that no task waits for a connection.
                        let pool = PgPoolOptions::new()
                            .max_connections(c as u32 + 4)
                            .connect(url)
                            .await?;
                        let stats = drive(
                            (0..c).map(|_| PgRaw(pool.clone())).collect(),
                            settings.measure,
                        )
                        .await;
                        pool.close().await;
                        stats
                    }
                }
            }
        })
        .await?;
    }
    pg.close().await;
    Ok(())
}

/// The same comparison on SQLite (temp files), where all writers serialise on one database lock.
async fn sqlite_section(settings: &Settings) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("petition-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = sqlite_levels(&dir, settings).await;
    let _ = std::fs::remove_dir_all(&dir); // best effort; it is a temp dir
    result
}

async fn sqlite_levels(dir: &std::path::Path, settings: &Settings) -> Result<()> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("store.db").display());
    let lite = SqliteStore::connect(&url)
        .await
        .context("SqliteStore::connect")?;
    // The raw baseline gets the settings SqliteStore uses: WAL, synchronous=FULL, a 10 s busy timeout.
    let opts = SqliteConnectOptions::new()
        .filename(dir.join("raw.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(10));
    let raw = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts.clone())
        .await?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&raw)
        .await?;
    sqlx::query("CREATE TABLE raw_bench(id integer primary key, payload text not null)")
        .execute(&raw)
        .await?;
    raw.close().await;
    println!(
        "\nSQLite {version} (temp files; raw baseline: WAL, synchronous=FULL, pool of concurrency + 4)"
    );
    let plain: Arc<dyn EventStore> = Arc::new(lite.clone());
    let group: Arc<dyn EventStore> = Arc::new(lite.clone().group_commit(group_config()?));
    print_header();
    for &c in &settings.levels {
        interleaved("sqlite", c, settings.rounds, |side| {
            let (plain, group, opts) = (plain.clone(), group.clone(), opts.clone());
            async move {
                match side {
                    Side::Store => {
                        drive(
                            (0..c).map(|_| StoreWorker::new(plain.clone())).collect(),
                            settings.measure,
                        )
                        .await
                    }
                    Side::GroupCommit => {
                        drive(
                            (0..c).map(|_| StoreWorker::new(group.clone())).collect(),
                            settings.measure,
                        )
                        .await
                    }
                    Side::Raw => {
                        let pool = SqlitePoolOptions::new()
                            .max_connections(c as u32 + 4)
                            .connect_with(opts)
                            .await?;
                        let stats = drive(
                            (0..c).map(|_| SqliteRaw(pool.clone())).collect(),
                            settings.measure,
                        )
                        .await;
                        pool.close().await;
                        stats
                    }
                }
            }
        })
        .await?;
    }
    lite.close().await;
    Ok(())
}
