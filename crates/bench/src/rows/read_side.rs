//! Row 3: the read side during a sustained burst at full command rate. Petition serve runs with its
//! in-process consumers (the read models and the notifier, as `serve` does by default) on a fresh
//! database; the load generator sends new complaints over all connections for `BENCH_SECONDS` while the
//! bench reads, every 100 ms, each consumer's checkpoint from the database (`projection_checkpoints`,
//! `notifier_checkpoints`). A consumer's lag at a sample is the age (by the store's `recorded_at`) of the
//! first event after its checkpoint in the global order, 0 when there is none: how long ago the head of
//! the store passed the consumer's position. After the burst, the bench keeps sampling until every
//! consumer has reached the head the burst left (at most `BENCH_CATCHUP_SECONDS`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use sqlx::Row as _;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::{Backend, Bins, TOKEN, start_petition};
use crate::db::Scratch;
use crate::knobs::Knobs;
use crate::load::{self, Target};
use crate::report::{Row, figure_line};
use crate::stats::{median, percentile};

const EVERY: Duration = Duration::from_millis(100);

/// A read-only view of petition's database.
#[derive(Debug)]
enum Probe {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

type At = (i64, i64);

impl Probe {
    /// The last event of the global order.
    async fn head(&self) -> anyhow::Result<At> {
        let row = match self {
            Probe::Pg(p) => sqlx::query("SELECT transaction_id::text::bigint AS tx, global_position AS pos FROM events ORDER BY transaction_id DESC, global_position DESC LIMIT 1").fetch_optional(p).await?.map(|r| (r.get("tx"), r.get("pos"))),
            Probe::Sqlite(p) => sqlx::query("SELECT transaction_id AS tx, global_position AS pos FROM events ORDER BY global_position DESC LIMIT 1").fetch_optional(p).await?.map(|r| (r.get("tx"), r.get("pos"))),
        };
        Ok(row.unwrap_or((0, 0)))
    }

    /// Every consumer's checkpoint (a table not yet created counts as none).
    async fn checkpoints(&self) -> BTreeMap<String, At> {
        const READ_MODELS: &str = "SELECT name AS consumer, checkpoint_tx AS tx, checkpoint_pos AS pos FROM projection_checkpoints";
        const NOTIFIER: &str = "SELECT consumer, transaction_id AS tx, global_position AS pos FROM notifier_checkpoints";
        let mut all = BTreeMap::new();
        for sql in [READ_MODELS, NOTIFIER] {
            let rows: Vec<(String, i64, i64)> = match self {
                Probe::Pg(p) => sqlx::query_as(sql).fetch_all(p).await,
                Probe::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await,
            }
            .unwrap_or_default();
            all.extend(rows.into_iter().map(|(c, tx, pos)| (c, (tx, pos))));
        }
        all
    }

    /// The age in seconds of the first event after `at`, or 0.
    async fn lag(&self, at: At) -> anyhow::Result<f64> {
        let recorded_us: Option<i64> = match self {
            Probe::Pg(p) => sqlx::query_scalar("SELECT (extract(epoch FROM recorded_at) * 1000000)::bigint FROM events WHERE (transaction_id, global_position) > ($1::text::xid8, $2) ORDER BY transaction_id, global_position LIMIT 1").bind(at.0).bind(at.1).fetch_optional(p).await?,
            Probe::Sqlite(p) => sqlx::query_scalar("SELECT recorded_at FROM events WHERE global_position > ?1 ORDER BY global_position LIMIT 1").bind(at.1).fetch_optional(p).await?,
        };
        let now_us = chrono::Utc::now().timestamp_micros();
        Ok(recorded_us.map_or(0.0, |r| (now_us - r).max(0) as f64 / 1e6))
    }
}

/// What one burst showed of one consumer.
#[derive(Debug, Clone, Copy)]
struct Consumer {
    /// p99 and max lag during the burst, in seconds.
    p99: f64,
    max: f64,
    /// Its position when the burst ended.
    position: i64,
    /// How long after the burst it reached the head (`None`: not within the catch-up limit).
    caught: Option<f64>,
}

/// What one burst showed.
#[derive(Debug, Default)]
struct Burst {
    rate: f64,
    head: i64,
    consumers: BTreeMap<String, Consumer>,
}

async fn burst(
    probe: &Probe,
    target: &Target,
    knobs: &Knobs,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Burst> {
    let load = {
        let (target, numbers, c, d) = (
            target.clone(),
            numbers.clone(),
            knobs.connections,
            knobs.duration(),
        );
        tokio::spawn(async move { load::run(&target, c, d, &numbers).await })
    };
    let mut lags: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut unstarted: Vec<f64> = Vec::new();
    let mut tick = tokio::time::interval(EVERY);
    while !load.is_finished() {
        tick.tick().await;
        let checkpoints = probe.checkpoints().await;
        unstarted.push(probe.lag((0, 0)).await?);
        for (name, at) in checkpoints {
            let lag = probe.lag(at).await?;
            // A consumer that had no checkpoint yet lagged like one at the start of the store.
            let series = lags
                .entry(name)
                .or_insert_with(|| unstarted[..unstarted.len() - 1].to_vec());
            series.push(lag);
        }
    }
    let outcome = load.await??;
    if outcome.ok == 0 {
        anyhow::bail!(
            "no command succeeded: {}",
            outcome.first_failure.unwrap_or_default()
        );
    }
    let ended = Instant::now();
    let head = probe.head().await?;
    let at_end = probe.checkpoints().await;
    let mut caught: BTreeMap<String, f64> = BTreeMap::new();
    let names: BTreeSet<String> = lags.keys().chain(at_end.keys()).cloned().collect();
    while caught.len() < names.len() && ended.elapsed() < knobs.catchup {
        for (name, at) in probe.checkpoints().await {
            if at >= head {
                caught
                    .entry(name)
                    .or_insert_with(|| ended.elapsed().as_secs_f64());
            }
        }
        tokio::time::sleep(EVERY).await;
    }
    let mut result = Burst {
        rate: outcome.rate(),
        head: head.1,
        ..Burst::default()
    };
    for name in names {
        let mut series = lags
            .get(&name)
            .cloned()
            .unwrap_or_else(|| unstarted.clone());
        series.sort_by(f64::total_cmp);
        let position = at_end.get(&name).map_or(0, |a| a.1);
        let max = series.last().copied().unwrap_or(0.0);
        let consumer = Consumer {
            p99: percentile(&series, 99.0),
            max,
            position,
            caught: caught.get(&name).copied(),
        };
        result.consumers.insert(name, consumer);
    }
    Ok(result)
}

/// Row 3 on one backend, `knobs.rounds` bursts, each on a fresh petition serve and database.
pub async fn row(
    bins: &Bins,
    knobs: &Knobs,
    admin: Option<&sqlx::PgPool>,
    dir: &Path,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Row> {
    let label = if admin.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!(
        "row 3: read side during a {} s burst at full command rate, {} connections, {label} ({} rounds; petition serve with its consumers, relay off)",
        knobs.seconds, knobs.connections, knobs.rounds
    );
    let mut rounds = Vec::new();
    for round in 0..knobs.rounds {
        let round_dir = dir.join(format!("read-side-{}-{round}", label.to_lowercase()));
        let scratch = match admin {
            Some(a) => Some(Scratch::create(a, &knobs.admin_url, "readside").await?),
            None => None,
        };
        let result = one_round(bins, knobs, scratch.as_ref(), &round_dir, numbers).await;
        if let Some(s) = scratch {
            s.drop_now().await;
        }
        let b = result?;
        println!(
            "  round {}: {:.0} commands/s, head {} at the end of the burst",
            round + 1,
            b.rate,
            b.head
        );
        for (name, c) in &b.consumers {
            let (p99, max, position, caught) = (c.p99, c.max, c.position, c.caught);
            let caught = caught.map_or(
                format!("not within {:.0} s", knobs.catchup.as_secs_f64()),
                |c| format!("{c:.1} s"),
            );
            println!(
                "    {name:<22} p99 lag {p99:>7.2} s, max {max:>7.2} s, at {position} when the burst ended, caught up {caught} after"
            );
        }
        rounds.push(b);
    }
    let names: BTreeSet<String> = rounds
        .iter()
        .flat_map(|b| b.consumers.keys().cloned())
        .collect();
    let mut worst: Option<(String, f64, f64)> = None;
    for name in &names {
        let of = |f: &dyn Fn(&Consumer) -> f64| -> Vec<f64> {
            rounds
                .iter()
                .map(|b| b.consumers.get(name).map_or(f64::INFINITY, f))
                .collect()
        };
        let p99 = of(&|c| c.p99);
        let caught = of(&|c| c.caught.unwrap_or(f64::INFINITY));
        println!("{}", figure_line(&format!("{name} p99 lag s"), &p99, 2));
        println!("{}", figure_line(&format!("{name} catch-up s"), &caught, 1));
        let (p99, caught) = (median(&p99), median(&caught));
        if worst
            .as_ref()
            .is_none_or(|w| p99.max(caught / 5.0) > w.1.max(w.2 / 5.0))
        {
            worst = Some((name.clone(), p99, caught));
        }
    }
    let rates: Vec<f64> = rounds.iter().map(|b| b.rate).collect();
    println!("{}", figure_line("commands/s during the burst", &rates, 0));
    let Some((name, p99, caught)) = worst else {
        anyhow::bail!("no consumer wrote a checkpoint during the burst");
    };
    let met = names.iter().all(|n| {
        let p: Vec<f64> = rounds
            .iter()
            .map(|b| b.consumers.get(n).map_or(f64::INFINITY, |c| c.p99))
            .collect();
        let c: Vec<f64> = rounds
            .iter()
            .map(|b| {
                b.consumers
                    .get(n)
                    .and_then(|c| c.caught)
                    .unwrap_or(f64::INFINITY)
            })
            .collect();
        median(&p) <= 1.0 && median(&c) <= 5.0
    });
    println!(
        "  => worst: {name}, p99 lag {p99:.2} s, caught up {caught:.1} s after; bar p99 <= 1 s, caught up <= 5 s: {}\n",
        if met { "met" } else { "not met" }
    );
    Ok(Row {
        what: format!("read side during a burst at full command rate, {label}"),
        figure: format!("worst p99 lag {p99:.2} s ({name}), caught up {caught:.1} s after"),
        baseline: format!("head of the store ({:.0} commands/s)", median(&rates)),
        ratio: "-".into(),
        bar: "p99 <= 1 s, caught up <= 5 s".into(),
        met,
    })
}

async fn one_round(
    bins: &Bins,
    knobs: &Knobs,
    scratch: Option<&Scratch>,
    dir: &Path,
    numbers: &Arc<AtomicU64>,
) -> anyhow::Result<Burst> {
    let backend = scratch.map_or(Backend::Sqlite, |s| Backend::Postgres(s.url.clone()));
    let serve = start_petition(bins, dir, &backend, true).await?;
    let probe = match scratch {
        Some(s) => Probe::Pg(
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect(&s.url)
                .await?,
        ),
        None => {
            let file = dir.join("data/petition.db");
            let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", file.display()))?
                .read_only(true);
            Probe::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?,
            )
        }
    };
    let target = Target {
        addr: serve.addr,
        token: Some(TOKEN.into()),
    };
    let result = burst(&probe, &target, knobs, numbers).await;
    match &probe {
        Probe::Pg(p) => p.close().await,
        Probe::Sqlite(p) => p.close().await,
    }
    serve.stop().await;
    result
}
