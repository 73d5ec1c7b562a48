//! The soak (a benchmark, not CI): the realistic mix of `load` across both API nodes of a loopback cluster
//! for `SOAK_SECS` (default 600) with `SOAK_WORKERS` workers (default 16); every 10 s a row of figures —
//! throughput, p50/p99 latency, errors, resident memory of every petition process, PostgreSQL
//! connections, open descriptors of api-1. Afterwards the cluster settles and the end state is checked
//! (store = stream = read models, notifier caught up, nothing lost or twice). Writes `soak.csv` and
//! `soak.svg` into `SOAK_OUT` (default `target/soak`).
//!
//! `cargo build -p petition && cargo run -p system-tests --bin soak`

use std::fmt::Write as _;
use std::time::Duration;

use crate::load::{Load, percentile_ms};
use crate::{Cluster, check};

const PROCESSES: [&str; 7] = [
    "api-1",
    "api-2",
    "relay-1",
    "relay-2",
    "read-model-0",
    "read-model-1",
    "notifier",
];
const WINDOW: Duration = Duration::from_secs(10);

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_mib(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return 0.0 };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn open_fds(pid: Option<u32>) -> usize {
    pid.and_then(|p| std::fs::read_dir(format!("/proc/{p}/fd")).ok())
        .map_or(0, |d| d.count())
}

/// One row of the report.
#[derive(Debug, Clone)]
struct Row {
    t: u64,
    ok_per_s: f64,
    errors: usize,
    p50: f64,
    p99: f64,
    rss: Vec<f64>,
    pg_connections: i64,
    api1_fds: usize,
}

pub async fn run() -> anyhow::Result<()> {
    let secs = env_u64("SOAK_SECS", 600);
    let workers = env_u64("SOAK_WORKERS", 16) as usize;
    let out = std::env::var("SOAK_OUT")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| crate::root().join("target/soak"));
    std::fs::create_dir_all(&out)?;
    let cluster = Cluster::start()?;
    let db = cluster.db().await?;
    let load = Load::start(
        cluster.apis(),
        cluster.var("TOKEN"),
        workers,
        Duration::ZERO,
    );
    let mut rows: Vec<Row> = Vec::new();
    let mut seen = 0;
    let mut tick = tokio::time::interval(WINDOW);
    tick.tick().await;
    for _ in 0..secs.div_ceil(WINDOW.as_secs()) {
        tick.tick().await;
        let (mut latencies, errors) = {
            let record = load.record.lock().unwrap_or_else(|e| e.into_inner());
            let window = &record.samples[seen..];
            seen = record.samples.len();
            let ok: Vec<Duration> = window
                .iter()
                .filter(|s| (200..300).contains(&s.status))
                .map(|s| s.latency)
                .collect();
            (
                ok,
                window.len()
                    - window
                        .iter()
                        .filter(|s| (200..300).contains(&s.status))
                        .count(),
            )
        };
        let pg_connections: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = 'petition'")
                .fetch_one(&db)
                .await
                .unwrap_or(-1);
        let row = Row {
            t: load.started.elapsed().as_secs(),
            ok_per_s: latencies.len() as f64 / WINDOW.as_secs_f64(),
            errors,
            p50: percentile_ms(&mut latencies, 50.0),
            p99: percentile_ms(&mut latencies, 99.0),
            rss: PROCESSES.iter().map(|p| rss_mib(cluster.pid(p))).collect(),
            pg_connections,
            api1_fds: open_fds(cluster.pid("api-1")),
        };
        eprintln!("{row:?}");
        rows.push(row);
    }
    let record = load.stop().await;
    let settle_started = std::time::Instant::now();
    check::settle(&cluster, Duration::from_secs(600)).await?;
    let settled_in = settle_started.elapsed();
    let counts = check::verify(&cluster, &record).await?;
    let mut all: Vec<Duration> = record
        .samples
        .iter()
        .filter(|s| (200..300).contains(&s.status))
        .map(|s| s.latency)
        .collect();
    let acknowledged = all.len();
    let summary = format!(
        "{secs} s, {workers} workers: {acknowledged} commands acknowledged ({:.1}/s), {} errors, p50 {:.1} ms, p99 {:.1} ms; settled {:.1} s after the load stopped; {counts:?}",
        acknowledged as f64 / secs as f64,
        record.samples.len() - acknowledged,
        percentile_ms(&mut all, 50.0),
        percentile_ms(&mut all, 99.0),
        settled_in.as_secs_f64(),
    );
    println!("{summary}");
    std::fs::write(out.join("soak.csv"), csv(&rows))?;
    std::fs::write(out.join("soak.svg"), svg(&rows, &summary))?;
    std::fs::write(out.join("soak.txt"), format!("{summary}\n"))?;
    db.close().await;
    Ok(())
}

fn csv(rows: &[Row]) -> String {
    let mut s = String::from("t_s,ok_per_s,errors,p50_ms,p99_ms");
    for p in PROCESSES {
        let _ = write!(s, ",rss_{p}_mib");
    }
    s.push_str(",pg_connections,api1_fds\n");
    for r in rows {
        let _ = write!(
            s,
            "{},{:.1},{},{:.1},{:.1}",
            r.t, r.ok_per_s, r.errors, r.p50, r.p99
        );
        for m in &r.rss {
            let _ = write!(s, ",{m:.1}");
        }
        let _ = writeln!(s, ",{},{}", r.pg_connections, r.api1_fds);
    }
    s
}

/// Three stacked panels: latency (p50, p99), throughput, memory and connections.
fn svg(rows: &[Row], title: &str) -> String {
    let (w, h, left, top) = (900.0, 180.0, 60.0, 40.0);
    let t_max = rows.last().map_or(1, |r| r.t.max(1)) as f64;
    let mut s = format!(
        "<svg xmlns='http://www.w3.org/2000/svg' width='{}' height='{}' font-family='sans-serif' font-size='11'>\n<rect width='100%' height='100%' fill='white'/>\n<text x='10' y='16' font-size='10'>{}</text>\n",
        w + left + 20.0,
        3.0 * (h + top) + 20.0,
        title
            .chars()
            .take(170)
            .collect::<String>()
            .replace('<', "(")
            .replace('>', ")")
    );
    type Series<'a> = (&'a str, &'a str, Vec<f64>);
    let panels: [(&str, Vec<Series>); 3] = [
        (
            "latency (ms)",
            vec![
                ("p50", "#1f77b4", rows.iter().map(|r| r.p50).collect()),
                ("p99", "#d62728", rows.iter().map(|r| r.p99).collect()),
            ],
        ),
        (
            "acknowledged commands/s",
            vec![("ok/s", "#2ca02c", rows.iter().map(|r| r.ok_per_s).collect())],
        ),
        (
            "RSS api-1, api-2 (MiB); PostgreSQL connections",
            vec![
                (
                    "api-1 MiB",
                    "#9467bd",
                    rows.iter().map(|r| r.rss[0]).collect(),
                ),
                (
                    "api-2 MiB",
                    "#8c564b",
                    rows.iter().map(|r| r.rss[1]).collect(),
                ),
                (
                    "pg conns",
                    "#ff7f0e",
                    rows.iter().map(|r| r.pg_connections as f64).collect(),
                ),
            ],
        ),
    ];
    for (i, (name, series)) in panels.iter().enumerate() {
        let y0 = top + i as f64 * (h + top);
        let max = series
            .iter()
            .flat_map(|(_, _, v)| v.iter().copied())
            .filter(|v| v.is_finite())
            .fold(1.0_f64, f64::max)
            * 1.1;
        let _ = writeln!(
            s,
            "<text x='{left}' y='{}'>{name} (max {max:.0})</text><rect x='{left}' y='{y0}' width='{w}' height='{h}' fill='none' stroke='#999'/>",
            y0 - 4.0
        );
        for (j, (label, colour, values)) in series.iter().enumerate() {
            let points: Vec<String> = rows
                .iter()
                .zip(values)
                .filter(|(_, v)| v.is_finite())
                .map(|(r, v)| {
                    format!(
                        "{:.1},{:.1}",
                        left + r.t as f64 / t_max * w,
                        y0 + h - v / max * h
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "<polyline fill='none' stroke='{colour}' stroke-width='1.5' points='{}'/><text x='{}' y='{}' fill='{colour}'>{label}</text>",
                points.join(" "),
                left + w - 90.0,
                y0 + 14.0 + j as f64 * 13.0
            );
        }
        let _ = writeln!(
            s,
            "<text x='{left}' y='{}'>0 s</text><text x='{}' y='{}'>{t_max:.0} s</text>",
            y0 + h + 12.0,
            left + w - 30.0,
            y0 + h + 12.0
        );
    }
    s.push_str("</svg>\n");
    s
}
