//! Driving workers for a measured window, and reporting the median of interleaved rounds.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::workers::Worker;

/// Unmeasured run-in per run, so that opening pool connections is not counted as append latency.
pub const WARMUP: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub ops_per_s: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Runs every worker in its own task for `WARMUP + measure`; only operations started inside the measured window
/// count, and throughput is those operations over the window.
pub async fn drive<W: Worker>(workers: Vec<W>, measure: Duration) -> Result<Stats> {
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
        ops_per_s: lat.len() as f64 / measure.as_secs_f64(),
        p50: pct(0.50),
        p99: pct(0.99),
    })
}

/// The median of each figure over the rounds (each figure on its own).
pub fn median(rounds: &[Stats]) -> Stats {
    fn mid<T: Copy + PartialOrd>(mut v: Vec<T>) -> T {
        v.sort_by(|a, b| a.partial_cmp(b).expect("no NaN"));
        v[v.len() / 2]
    }
    Stats {
        ops_per_s: mid(rounds.iter().map(|s| s.ops_per_s).collect()),
        p50: mid(rounds.iter().map(|s| s.p50).collect()),
        p99: mid(rounds.iter().map(|s| s.p99).collect()),
    }
}

pub fn print_header() {
    println!(
        "{:<22} {:>5} {:>10} {:>8} {:>8}   ops/s per round",
        "side", "conc", "ops/s", "p50 ms", "p99 ms"
    );
}

pub fn print_row(name: &str, c: usize, rounds: &[Stats]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let m = median(rounds);
    let each: Vec<String> = rounds
        .iter()
        .map(|s| format!("{:.0}", s.ops_per_s))
        .collect();
    println!(
        "{name:<22} {c:>5} {:>10.0} {:>8.2} {:>8.2}   {}",
        m.ops_per_s,
        ms(m.p50),
        ms(m.p99),
        each.join(" ")
    );
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The same URL with another database name (the path), keeping credentials and query parameters.
pub fn with_database(url: &str, db: &str) -> Result<String> {
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
