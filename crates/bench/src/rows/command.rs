//! Rows 1 and 2: the HTTP command path, petition serve against its baselines, rounds interleaved (round
//! `r` starts with side `r mod sides`, and waits until the previous side's processes are idle).
//!
//! Row 1 (PostgreSQL): petition serve vs the HTTP floor, and pgbench (one single-row `INSERT` per
//! transaction, same clients) for the record. Row 2 (SQLite, the embedded default): petition serve vs a
//! raw single-commit loop (WAL, `synchronous=FULL`), and the HTTP floor on SQLite for the record.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use anyhow::{Context, bail};

use super::baselines::{pgbench, sqlite_loop};
use super::{Backend, Bins, TOKEN, group_commit, start_floor, start_petition};
use crate::db::Scratch;
use crate::knobs::Knobs;
use crate::load::{self, Outcome, Target};
use crate::report::{Row, figure_line};
use crate::stats::median;

/// One side of a row.
#[derive(Debug)]
enum Side {
    /// An HTTP service under the load generator.
    Http { target: Target },
    /// `pgbench` inserting one row per transaction into `url`.
    Pgbench { url: String, dir: PathBuf },
    /// One connection committing one row at a time into a SQLite file.
    SqliteLoop { url: String },
}

#[derive(Debug)]
struct Measured {
    name: String,
    /// What its rate counts (`req/s`, `tps`, `commits/s`).
    unit: &'static str,
    side: Side,
    rounds: Vec<Outcome>,
}

impl Measured {
    fn figures(&self, f: impl Fn(&Outcome) -> f64) -> Vec<f64> {
        self.rounds.iter().map(f).collect()
    }
    fn rate(&self) -> f64 {
        median(&self.figures(Outcome::rate))
    }
    fn p99(&self) -> f64 {
        median(&self.figures(|o| o.latency(99.0)))
    }
}

async fn measure(side: &Side, knobs: &Knobs, numbers: &Arc<AtomicU64>) -> anyhow::Result<Outcome> {
    match side {
        Side::Http { target } => {
            load::run(target, knobs.connections, knobs.duration(), numbers).await
        }
        Side::Pgbench { url, dir } => pgbench(url, dir, knobs).await,
        Side::SqliteLoop { url } => sqlite_loop(url, knobs.duration(), numbers).await,
    }
}

/// Runs every side `knobs.rounds` times, interleaved, after a one-second warm-up of each HTTP side.
async fn interleave(
    sides: &mut [Measured],
    knobs: &Knobs,
    pids: &[u32],
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<()> {
    for s in sides.iter() {
        if let Side::Http { target } = &s.side {
            let warm = Duration::from_secs_f64(knobs.seconds.min(1.0));
            load::run(target, knobs.connections, warm, numbers).await?;
        }
    }
    let n = sides.len();
    for round in 0..knobs.rounds {
        for i in 0..n {
            let s = &mut sides[(round + i) % n];
            if !crate::procs::settle(pids, Duration::from_secs(30)).await {
                println!(
                    "  (the services were still busy after 30 s; measuring {} anyway)",
                    s.name
                );
            }
            let outcome = measure(&s.side, knobs, numbers)
                .await
                .with_context(|| s.name.clone())?;
            if outcome.ok == 0 {
                bail!(
                    "{}: no request succeeded ({} failed; first: {})",
                    s.name,
                    outcome.failed,
                    outcome.first_failure.unwrap_or_default()
                );
            }
            s.rounds.push(outcome);
        }
    }
    Ok(())
}

fn print_sides(sides: &[Measured]) {
    for s in sides {
        println!(
            "{}",
            figure_line(
                &format!("{} {}", s.name, s.unit),
                &s.figures(Outcome::rate),
                0
            )
        );
        println!(
            "{}",
            figure_line(
                &format!("{} p50 ms", s.name),
                &s.figures(|o| o.latency(50.0)),
                2
            )
        );
        println!(
            "{}",
            figure_line(
                &format!("{} p99 ms", s.name),
                &s.figures(|o| o.latency(99.0)),
                2
            )
        );
        let failed: u64 = s.rounds.iter().map(|o| o.failed).sum();
        if failed > 0 {
            let first = s.rounds.iter().find_map(|o| o.first_failure.clone());
            println!(
                "  {} failed requests: {failed} (first: {})",
                s.name,
                first.unwrap_or_default()
            );
        }
    }
}

/// Prints the ratio of `a`'s rate to `b`'s, per round and of the medians; returns the latter.
fn ratio(a: &Measured, b: &Measured) -> f64 {
    let rounds: Vec<f64> = a
        .rounds
        .iter()
        .zip(&b.rounds)
        .map(|(x, y)| x.rate() / y.rate())
        .collect();
    println!(
        "{}",
        figure_line(&format!("ratio {}/{}", a.name, b.name), &rounds, 3)
    );
    a.rate() / b.rate()
}

fn http(name: &str, addr: std::net::SocketAddr, token: Option<&str>) -> Measured {
    Measured {
        name: name.into(),
        unit: "req/s",
        side: Side::Http {
            target: Target {
                addr,
                token: token.map(str::to_owned),
            },
        },
        rounds: Vec::new(),
    }
}

/// Row 1, on two scratch databases of the admin URL.
pub async fn postgres(
    bins: &Bins,
    knobs: &Knobs,
    admin: &sqlx::PgPool,
    dir: &Path,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Row> {
    let petition_db = Scratch::create(admin, &knobs.admin_url, "petition").await?;
    let floor_db = match Scratch::create(admin, &knobs.admin_url, "floor").await {
        Ok(db) => db,
        Err(e) => {
            petition_db.drop_now().await;
            return Err(e);
        }
    };
    let result = postgres_on(bins, knobs, &petition_db.url, &floor_db.url, dir, numbers).await;
    petition_db.drop_now().await;
    floor_db.drop_now().await;
    result
}

async fn postgres_on(
    bins: &Bins,
    knobs: &Knobs,
    petition_url: &str,
    floor_url: &str,
    dir: &Path,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Row> {
    let c = knobs.connections;
    let serve = start_petition(
        bins,
        &dir.join("petition-pg"),
        &Backend::Postgres(petition_url.into()),
        knobs.consumers,
    )
    .await?;
    let floor = start_floor(bins, &dir.join("floor-pg"), floor_url, c).await?;
    println!(
        "row 1: HTTP command path, {c} connections, PostgreSQL ({} s per side and round, {} rounds; petition serve with consumers {}, {})",
        knobs.seconds,
        knobs.rounds,
        if knobs.consumers { "on" } else { "off" },
        group_commit(&serve)
    );
    let mut sides = vec![
        http("petition", serve.addr, Some(TOKEN)),
        http("floor", floor.addr, None),
    ];
    let pgbench_found = std::process::Command::new("pgbench")
        .arg("--version")
        .output()
        .is_ok();
    if pgbench_found {
        let pool = sqlx::PgPool::connect(floor_url).await?;
        sqlx::query(
            "CREATE TABLE pgbench_complaints (id bigserial PRIMARY KEY, body jsonb NOT NULL)",
        )
        .execute(&pool)
        .await?;
        pool.close().await;
        let pg_dir = dir.join("pgbench");
        std::fs::create_dir_all(&pg_dir)?;
        sides.push(Measured {
            name: "pgbench".into(),
            unit: "tps",
            side: Side::Pgbench {
                url: floor_url.into(),
                dir: pg_dir,
            },
            rounds: Vec::new(),
        });
    } else {
        println!("  (pgbench is not installed: its side is left out)");
    }
    let pids: Vec<u32> = [serve.pid(), floor.pid()].into_iter().flatten().collect();
    let measured = interleave(&mut sides, knobs, &pids, numbers).await;
    serve.stop().await;
    floor.stop().await;
    measured?;
    print_sides(&sides);
    let r = ratio(&sides[0], &sides[1]);
    let mut baseline = format!("floor {:.0} req/s", sides[1].rate());
    if let Some(pg) = sides.get(2) {
        let to_pgbench = ratio(&sides[0], pg);
        baseline.push_str(&format!(
            " (pgbench {:.0} tps; petition/pgbench {to_pgbench:.2}x)",
            pg.rate()
        ));
    }
    Ok(verdict(
        format!("HTTP command path, {c} connections, PostgreSQL"),
        &sides[0],
        baseline,
        r,
        0.5,
        25.0,
    ))
}

/// Row 2, in temp directories under `dir`.
pub async fn sqlite(
    bins: &Bins,
    knobs: &Knobs,
    dir: &Path,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Row> {
    let c = knobs.connections;
    let serve = start_petition(
        bins,
        &dir.join("petition-sqlite"),
        &Backend::Sqlite,
        knobs.consumers,
    )
    .await?;
    let floor_dir = dir.join("floor-sqlite");
    let floor = start_floor(
        bins,
        &floor_dir,
        &format!("sqlite://{}/floor.db", floor_dir.display()),
        c,
    )
    .await?;
    println!(
        "row 2: HTTP command path, {c} connections, SQLite embedded default ({} s per side and round, {} rounds; petition serve with consumers {}, {})",
        knobs.seconds,
        knobs.rounds,
        if knobs.consumers { "on" } else { "off" },
        group_commit(&serve)
    );
    let loop_url = format!("sqlite://{}/commit-loop.db", dir.display());
    let mut sides = vec![
        http("petition", serve.addr, Some(TOKEN)),
        Measured {
            name: "commit loop".into(),
            unit: "commits/s",
            side: Side::SqliteLoop { url: loop_url },
            rounds: Vec::new(),
        },
        http("floor", floor.addr, None),
    ];
    let pids: Vec<u32> = [serve.pid(), floor.pid()].into_iter().flatten().collect();
    let measured = interleave(&mut sides, knobs, &pids, numbers).await;
    serve.stop().await;
    floor.stop().await;
    measured?;
    print_sides(&sides);
    let r = ratio(&sides[0], &sides[1]);
    let to_floor = ratio(&sides[0], &sides[2]);
    let baseline = format!(
        "commit loop {:.0} commits/s (HTTP floor on SQLite {:.0} req/s; petition/floor {to_floor:.2}x)",
        sides[1].rate(),
        sides[2].rate()
    );
    Ok(verdict(
        format!("HTTP command path, {c} connections, SQLite"),
        &sides[0],
        baseline,
        r,
        0.2,
        50.0,
    ))
}

fn verdict(
    what: String,
    petition: &Measured,
    baseline: String,
    ratio: f64,
    bar: f64,
    p99_bar: f64,
) -> Row {
    let p50 = median(&petition.figures(|o| o.latency(50.0)));
    let met = ratio >= bar && petition.p99() <= p99_bar;
    println!(
        "  => {ratio:.2}x, p99 {:.1} ms; bar >= {bar}x, p99 <= {p99_bar} ms: {}\n",
        petition.p99(),
        if met { "met" } else { "not met" }
    );
    Row {
        what,
        figure: format!(
            "{:.0} req/s, p50 {p50:.1} ms, p99 {:.1} ms",
            petition.rate(),
            petition.p99()
        ),
        baseline,
        ratio: format!("{ratio:.2}x"),
        bar: format!(">= {bar}x, p99 <= {p99_bar} ms"),
        met,
    }
}
