//! Rebuild throughput and query latency at scale.
//!
//! Generates a history of ≥ 1,000,000 events (93,000 cases through realistic lifecycles, decided by the real
//! domain with the shipped rulebook), appends it to a store, then measures in the same run: a raw sequential
//! `read_all` of every event, a rebuild of each read model alone and of both in one pass, in `BENCH_ROUNDS`
//! interleaved rounds (default 3; medians), then p50/p99 latencies of the statistics, watchlist and
//! case-list queries. Each rebuild row is also printed as a tab-separated line for scripts:
//! `ROW\t<what>\t<events/s>\t<raw events/s>\t<ratio>\t<bar>\t<met|not met>`.
//! `BENCH_CASES` changes the number of cases (`0` skips this part).
//!
//! Then a live consumer's catch-up through the store tail ([`catchup`]), in its own database holding
//! `BENCH_CATCHUP_CASES` cases (default 1,000, about 11,000 events; `0` skips it), in `BENCH_ROUNDS`
//! interleaved rounds.
//!
//! Databases ([`bench_db`]): SQLite files by default. `BENCH_DATABASE_URL` (and
//! `BENCH_CATCHUP_DATABASE_URL`) set to a PostgreSQL server (`postgres://postgres@127.0.0.1:5432/postgres`)
//! make the bench create a fresh `bench_<random>` database there and drop it after (`BENCH_KEEP=1` keeps it
//! and prints its URL); a URL naming a `bench_…` database, or a SQLite file, is used as it is. A database that
//! already holds events is not appended to: the run measures the history it holds.
//!
//! Run: `cargo bench -p projection --bench rebuild`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use domain::{Clocks, StaticAgencyDirectory};
use projection::Projections;
use projection::query::cases::CaseQuery;
use projection::query::stats::{Granularity, StatsQuery};
use projection::query::watchlist::WatchlistQuery;
use store::{Checkpoint, CommandMeta, EventStore, ExpectedVersion, StreamId};
use uuid::Uuid;

mod bench_db;
mod catchup;
mod history;
mod rebuild;
use history::{AGENCIES, case_events};

type Bench<T> = Result<T, Box<dyn std::error::Error>>;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

async fn latency<F, Fut>(runs: usize, mut f: F) -> Bench<(Duration, Duration)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), projection::ProjectionError>>,
{
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        samples.push(t.elapsed());
    }
    Ok((
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
    ))
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Bench<()> {
    let cases: u64 = env_number("BENCH_CASES", 93_000);
    if cases > 0 {
        rebuild_and_queries(cases).await?;
    }
    let catchup_cases: u64 = env_number("BENCH_CATCHUP_CASES", 1_000);
    if catchup_cases > 0 {
        let db = bench_db::BenchDb::open("BENCH_CATCHUP_DATABASE_URL").await?;
        let url = db.url.clone();
        let store: Arc<dyn EventStore> = store::connect(&url).await?;
        Projections::connect(&url).await?;
        let t = Instant::now();
        let events = catchup::append_interleaved(
            &store,
            catchup_cases,
            &Clocks::embedded(),
            &StaticAgencyDirectory::embedded(),
        )
        .await?;
        println!();
        println!(
            "catch-up: backend {} · {catchup_cases} cases · {events} events appended one per append, interleaved, in {:.1} s",
            store.backend(),
            t.elapsed().as_secs_f64()
        );
        catchup::measure(&url, &store, events, env_number("BENCH_ROUNDS", 3)).await?;
        drop(store);
        db.close().await?;
    }
    Ok(())
}

async fn rebuild_and_queries(cases: u64) -> Bench<()> {
    let db = bench_db::BenchDb::open("BENCH_DATABASE_URL").await?;
    let result = rebuild_and_queries_in(&db.url, cases).await;
    db.close().await?;
    result
}

async fn rebuild_and_queries_in(url: &str, cases: u64) -> Bench<()> {
    let url = url.to_owned();
    let store: Arc<dyn EventStore> = store::connect(&url).await?;
    let projections = Projections::connect(&url).await?;
    let clocks = Clocks::embedded();
    let agencies = StaticAgencyDirectory::embedded();

    // A database that already holds a history (a previous run) is measured as it is.
    let reuse = store.head().await? != Checkpoint::START;
    let t = Instant::now();
    let mut total = 0usize;
    for n in (0..cases).filter(|_| !reuse) {
        let (id, events) = case_events(n, &clocks, &agencies)?;
        total += events.len();
        let meta = CommandMeta {
            command_id: Uuid::now_v7(),
            fingerprint: None,
            actor: "bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            rulebook_version: None,
        };
        store
            .append(
                &StreamId::for_case(id.into()),
                ExpectedVersion::NoStream,
                events,
                &meta,
            )
            .await?;
    }
    let generated = t.elapsed();
    println!(
        "backend {} · {cases} cases · {total} events generated and appended in {:.1} s",
        store.backend(),
        generated.as_secs_f64()
    );

    let rows = rebuild::measure(&store, &projections, env_number("BENCH_ROUNDS", 3)).await?;
    let today = NaiveDate::from_ymd_opt(2026, 11, 21).ok_or("date")?;
    let year = StatsQuery {
        period: Some(Granularity::Quarter),
        from: NaiveDate::from_ymd_opt(2026, 1, 1),
        to: NaiveDate::from_ymd_opt(2026, 12, 31),
        ..StatsQuery::default()
    };
    let one_agency = StatsQuery {
        agency: Some(AGENCIES[0].into()),
        ..year.clone()
    };
    let stats_all = latency(20, || async {
        projections.stats(&store, &year, today).await.map(|_| ())
    })
    .await?;
    let stats_one = latency(50, || async {
        projections
            .stats(&store, &one_agency, today)
            .await
            .map(|_| ())
    })
    .await?;
    let watch = latency(50, || async {
        projections
            .watchlist(&WatchlistQuery::default(), today)
            .await
            .map(|_| ())
    })
    .await?;
    let watch_one = WatchlistQuery {
        agency: Some(AGENCIES[1].into()),
        ..WatchlistQuery::default()
    };
    let watch_agency = latency(50, || async {
        projections.watchlist(&watch_one, today).await.map(|_| ())
    })
    .await?;
    let list = CaseQuery {
        overdue: Some(true),
        ..CaseQuery::default()
    };
    let cases_q = latency(50, || async {
        projections.list_cases(&list, today).await.map(|_| ())
    })
    .await?;

    rebuild::print(store.backend(), &rows);
    println!();
    println!("| query | p50 | p99 |");
    println!("|---|---:|---:|");
    println!(
        "| stats, every agency, 4 quarters | {} | {} |",
        ms(stats_all.0),
        ms(stats_all.1)
    );
    println!(
        "| stats, one agency, 4 quarters | {} | {} |",
        ms(stats_one.0),
        ms(stats_one.1)
    );
    println!(
        "| watchlist, first page of 100 | {} | {} |",
        ms(watch.0),
        ms(watch.1)
    );
    println!(
        "| watchlist, one agency | {} | {} |",
        ms(watch_agency.0),
        ms(watch_agency.1)
    );
    println!(
        "| case list, overdue, first page of 50 | {} | {} |",
        ms(cases_q.0),
        ms(cases_q.1)
    );
    Ok(())
}
