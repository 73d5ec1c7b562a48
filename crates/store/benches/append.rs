//! Append throughput and latency of the event store, beside the cheapest durable write the same database can do.
//!
//! Why: every command ends in one `EventStore::append` (optimistic version check, idempotency record, hash chain,
//! one transaction). The question this answers is what that bookkeeping costs compared with a raw single-row
//! `INSERT` per transaction into a plain table, measured in the same run on the same server, at concurrency
//! 1, 16 and 64. It is a benchmark, not a test: it prints figures and asserts nothing.
//!
//! Run: `cargo bench -p store --bench append`. Environment: `BENCH_DATABASE_URL` (else
//! `TEST_DATABASE_URL`, else the local default), `BENCH_CONCURRENCY=1,16,64`, `BENCH_SECONDS=3`,
//! `BENCH_SQLITE=0` to skip the SQLite rows. A fresh database `bench_<random>` is created and dropped.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sqlx::{
    Connection, PgConnection, PgPool, SqlitePool, postgres::PgPoolOptions,
    sqlite::SqlitePoolOptions,
};
use store::postgres::PgStore;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

const URL_VAR: &str = "BENCH_DATABASE_URL";
const DEFAULT_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
/// Real case streams hold tens of events, so a worker starts a new case after this many appends rather than
/// growing one unrealistically long stream.
const EVENTS_PER_CASE: u64 = 32;
/// Unmeasured run-in per level, so that opening pool connections is not counted as append latency.
const WARMUP: Duration = Duration::from_millis(500);

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

async fn run() -> Result<()> {
    let admin_url = std::env::var(URL_VAR)
        .or_else(|_| std::env::var("TEST_DATABASE_URL"))
        .unwrap_or_else(|_| DEFAULT_URL.to_owned());
    let levels: Vec<usize> = std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "1,16,64".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .context("BENCH_CONCURRENCY must be a comma-separated list of integers")
        })
        .collect::<Result<_>>()?;
    let secs: f64 = std::env::var("BENCH_SECONDS")
        .unwrap_or_else(|_| "3".into())
        .parse()
        .context("BENCH_SECONDS")?;
    let measure = Duration::from_secs_f64(secs);

    // A dedicated database keeps the figures free of other data and leaves nothing behind.
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
    let db = format!("bench_{}", Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE \"{db}\""))
        .execute(&mut admin)
        .await
        .context("CREATE DATABASE")?;
    let result = run_postgres(
        &mut admin,
        &with_database(&admin_url, &db)?,
        &levels,
        measure,
    )
    .await;
    let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    result?;
    dropped.with_context(|| format!("dropping database {db}"))?;

    if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
        let sqlite_levels: Vec<usize> = levels.iter().copied().filter(|&c| c <= 16).collect();
        run_sqlite(&sqlite_levels, measure)
            .await
            .context("SQLite section")?;
    }
    Ok(())
}

async fn run_postgres(
    admin: &mut PgConnection,
    url: &str,
    levels: &[usize],
    measure: Duration,
) -> Result<()> {
    let (version, sync_commit, fsync): (String, String, String) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('synchronous_commit'), current_setting('fsync')",
    )
    .fetch_one(&mut *admin)
    .await?;
    println!(
        "PostgreSQL {version}; synchronous_commit={sync_commit}, fsync={fsync}; client cores: {}; \
         {:.1} s measured per row after {WARMUP:?} warm-up",
        cores(),
        measure.as_secs_f64()
    );

    // PgStore::connect (what the service uses) picks its own pool size; the bench does not change it.
    let pg = Arc::new(PgStore::connect(url).await.context("PgStore::connect")?);
    let store_pool = pg.pool().options().get_max_connections();
    println!(
        "store pool: PgStore::connect opens at most {store_pool} connections; raw pool: concurrency + 4"
    );
    let mut setup = PgConnection::connect(url).await?;
    sqlx::query("CREATE TABLE raw_bench(id bigserial primary key, payload jsonb not null)")
        .execute(&mut setup)
        .await?;
    setup.close().await?;

    print_header();
    for &c in levels {
        let store: Arc<dyn EventStore> = pg.clone();
        let s = drive(
            (0..c).map(|_| StoreWorker::new(store.clone())).collect(),
            measure,
        )
        .await?;
        // Same concurrency, pool sized so that no task waits for a connection.
        let pool = PgPoolOptions::new()
            .max_connections(c as u32 + 4)
            .connect(url)
            .await?;
        let r = drive((0..c).map(|_| PgRaw(pool.clone())).collect(), measure).await?;
        pool.close().await;
        print_row("store pg", c, &s);
        print_row("raw insert pg", c, &r);
        let note = if c > store_pool as usize {
            format!("  (store: {c} tasks share {store_pool} connections and queue for them)")
        } else {
            String::new()
        };
        println!(
            "ratio (store/raw ops/s) at conc {c}: {:.2}{note}",
            s.ops_per_s / r.ops_per_s
        );
    }
    pg.close().await;
    Ok(())
}

/// Optional: the same comparison on SQLite (temp files), where all writers serialise on one database lock.
async fn run_sqlite(levels: &[usize], measure: Duration) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("petition-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let result = async {
        let store = store::connect(&format!("sqlite://{}?mode=rwc", dir.join("store.db").display()))
            .await
            .context("store::connect (SQLite)")?;
        // The raw baseline gets the settings SqliteStore uses: WAL, synchronous=FULL, a 10 s busy timeout.
        let opts = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.join("raw.db"))
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let mut probe = sqlx::ConnectOptions::connect(&opts).await?;
        let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&mut probe).await?;
        probe.close().await?;
        println!("\nSQLite {version} (temp files; raw baseline: WAL, synchronous=FULL)");
        print_header();
        for &c in levels {
            let s = drive((0..c).map(|_| StoreWorker::new(store.clone())).collect(), measure).await?;
            let pool = SqlitePoolOptions::new().max_connections(c as u32 + 4).connect_with(opts.clone()).await?;
            sqlx::query("CREATE TABLE IF NOT EXISTS raw_bench(id integer primary key, payload text not null)")
                .execute(&pool)
                .await?;
            let r = drive((0..c).map(|_| SqliteRaw(pool.clone())).collect(), measure).await?;
            pool.close().await;
            print_row("store sqlite", c, &s);
            print_row("raw insert sqlite", c, &r);
            println!("ratio (store/raw ops/s) at conc {c}: {:.2}", s.ops_per_s / r.ops_per_s);
        }
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir); // best effort; it is a temp dir
    result
}

/// One benchmarked operation, repeated by each task.
trait Worker: Send + 'static {
    fn op(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// Appends one event per command to its own case stream, as the command handlers do.
struct StoreWorker {
    store: Arc<dyn EventStore>,
    stream: StreamId,
    version: u64,
}
impl StoreWorker {
    fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            stream: StreamId::for_case(Uuid::now_v7()),
            version: 0,
        }
    }
}
impl Worker for StoreWorker {
    async fn op(&mut self) -> Result<()> {
        if self.version >= EVENTS_PER_CASE {
            *self = Self::new(self.store.clone());
        }
        let first = self.version == 0;
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: "petition.step_recorded".into(),
            schema_version: 1,
            payload: payload(),
            // The personal part is given once, when the case is opened.
            personal: first
                .then(|| json!({"name": "Jana Nováková", "address": "Husova 12, 110 00 Praha 1"})),
        };
        let command_id = Uuid::now_v7();
        let meta = CommandMeta {
            command_id,
            fingerprint: Some(format!("{:064x}", command_id.as_u128())),
            actor: "clerk:bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            rulebook_version: Some("2025.1".into()),
        };
        let expected = if first {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(self.version)
        };
        let outcome = self
            .store
            .append(&self.stream, expected, vec![event], &meta)
            .await?;
        self.version = outcome.last_version;
        Ok(())
    }
}

/// The baseline: one transaction holding one single-row INSERT of the same payload.
struct PgRaw(PgPool);
impl Worker for PgRaw {
    async fn op(&mut self) -> Result<()> {
        let mut tx = self.0.begin().await?;
        sqlx::query("INSERT INTO raw_bench(payload) VALUES ($1)")
            .bind(payload())
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }
}
struct SqliteRaw(SqlitePool);
impl Worker for SqliteRaw {
    async fn op(&mut self) -> Result<()> {
        let mut tx = self.0.begin().await?;
        sqlx::query("INSERT INTO raw_bench(payload) VALUES (?)")
            .bind(payload().to_string())
            .execute(&mut *tx)
            .await?;
        Ok(tx.commit().await?)
    }
}

/// A realistic petition step, about 650 bytes of JSON.
fn payload() -> Value {
    let today = chrono::Utc::now().date_naive();
    json!({
        "case_ref": "PET-2025-004711",
        "step": "forwarded_to_competent_agency",
        "agency": {"id": "cz.mv.odbor-spravni", "name": "Ministerstvo vnitra, odbor správní", "desk": "podatelna"},
        "received_on": today.to_string(),
        "forwarded_on": today.to_string(),
        "channel": "data_box",
        "deadline": {
            "due_on": (today + chrono::Days::new(30)).to_string(),
            "rule": "petition-act-s5",
            "explanation": "The agency must answer within 30 days of receiving the petition (section 5 of the \
                            Petition Act); the period started on the day the forwarded petition was delivered.",
        },
        "attachments": [{"name": "petice.pdf", "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
        "note": "Signature sheets counted: 1 204 valid of 1 231.",
    })
}

struct Stats {
    ops: usize,
    ops_per_s: f64,
    p50: Duration,
    p99: Duration,
}

/// Runs every worker in its own task for `WARMUP + measure`; only operations started inside the measured window
/// count, and throughput is those operations over the window.
async fn drive<W: Worker>(workers: Vec<W>, measure: Duration) -> Result<Stats> {
    let start = Instant::now() + WARMUP;
    let end = start + measure;
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|mut w| {
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let t0 = Instant::now();
                    if t0 >= end {
                        return anyhow::Ok(lat);
                    }
                    w.op().await?;
                    if t0 >= start {
                        lat.push(t0.elapsed());
                    }
                }
            })
        })
        .collect();
    let mut lat = Vec::new();
    for t in futures::future::join_all(tasks).await {
        lat.extend(t.context("benchmark task panicked")??);
    }
    if lat.is_empty() {
        bail!("no operation completed in the measured window");
    }
    lat.sort_unstable();
    // Nearest-rank percentiles.
    let pct = |p: f64| lat[((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1];
    Ok(Stats {
        ops: lat.len(),
        ops_per_s: lat.len() as f64 / measure.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    })
}

fn print_header() {
    println!(
        "{:<18} {:>5} {:>8} {:>10} {:>8} {:>8}",
        "backend", "conc", "ops", "ops/s", "p50 ms", "p99 ms"
    );
}
fn print_row(name: &str, c: usize, s: &Stats) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<18} {c:>5} {:>8} {:>10.0} {:>8.2} {:>8.2}",
        s.ops,
        s.ops_per_s,
        ms(s.p50),
        ms(s.p99)
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The same URL with another database name (the path), keeping credentials and query parameters.
fn with_database(url: &str, db: &str) -> Result<String> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_start = base.find("://").context("database URL has no scheme")? + 3;
    let path_start = base[host_start..]
        .find('/')
        .map_or(base.len(), |i| host_start + i);
    Ok(format!(
        "{}/{db}{}",
        &base[..path_start],
        query.map(|q| format!("?{q}")).unwrap_or_default()
    ))
}
