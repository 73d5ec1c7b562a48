//! The baselines of rows 1 and 2 that are no HTTP service: pgbench inserting one row per transaction, and
//! a raw SQLite commit loop.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::knobs::Knobs;
use crate::load::{self, Outcome};

/// One pgbench run of `knobs.seconds` (rounded up to whole seconds), latencies from its per-transaction log.
pub async fn pgbench(url: &str, dir: &Path, knobs: &Knobs) -> anyhow::Result<Outcome> {
    let body = String::from_utf8_lossy(&load::complaint(0)).replace('\'', "''");
    let script = dir.join("insert.sql");
    std::fs::write(
        &script,
        format!("INSERT INTO pgbench_complaints (body) VALUES ('{body}'::jsonb);\n"),
    )?;
    for old in std::fs::read_dir(dir)?.flatten() {
        if old.file_name().to_string_lossy().starts_with("txn") {
            let _ = std::fs::remove_file(old.path());
        }
    }
    let seconds = knobs.seconds.ceil().max(1.0) as u64;
    let output = tokio::process::Command::new("pgbench")
        .current_dir(dir)
        .args(["-n", "-M", "prepared", "--log", "--log-prefix=txn"])
        .arg(format!("--client={}", knobs.connections))
        .arg(format!("--jobs={}", knobs.connections.min(4)))
        .arg(format!("--time={seconds}"))
        .arg(format!("--file={}", script.display()))
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .context("running pgbench")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}{}",
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no `tps = ` line in pgbench's output: {stdout}"))?;
    let mut latencies_ms = Vec::new();
    for file in std::fs::read_dir(dir)?.flatten() {
        if file.file_name().to_string_lossy().starts_with("txn") {
            let text = std::fs::read_to_string(file.path())?;
            // client_id transaction_no time_us script_no time_epoch time_us_part
            latencies_ms.extend(
                text.lines()
                    .filter_map(|l| l.split_whitespace().nth(2)?.parse::<f64>().ok())
                    .map(|us| us / 1000.0),
            );
            let _ = std::fs::remove_file(file.path());
        }
    }
    latencies_ms.sort_by(f64::total_cmp);
    // The rate is pgbench's own tps: `ok / elapsed` with elapsed = 1 s makes `rate()` return it.
    Ok(Outcome {
        ok: tps.round() as u64,
        failed: 0,
        first_failure: None,
        elapsed: Duration::from_secs(1),
        latencies_ms,
    })
}

/// One connection inserting one row per commit into a SQLite file (WAL, `synchronous=FULL`) for `duration`.
pub async fn sqlite_loop(
    url: &str,
    duration: Duration,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Outcome> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS floor_complaints (id TEXT PRIMARY KEY, body TEXT NOT NULL)",
    )
    .execute(&pool)
    .await?;
    let mut outcome = Outcome::default();
    let started = Instant::now();
    while started.elapsed() < duration {
        let n = numbers.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let body = String::from_utf8_lossy(&load::complaint(n)).into_owned();
        let sent = Instant::now();
        sqlx::query("INSERT INTO floor_complaints (id, body) VALUES (?1, ?2)")
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(body)
            .execute(&pool)
            .await?;
        outcome.ok += 1;
        outcome
            .latencies_ms
            .push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    outcome.elapsed = started.elapsed();
    outcome.latencies_ms.sort_by(f64::total_cmp);
    pool.close().await;
    Ok(outcome)
}
