//! The rebuild rows: a raw sequential `read_all` of every event against a rebuild of each read model alone
//! and of both in one pass, in interleaved rounds; each row's median, its ratio to the raw read of the same
//! rounds, and the bar issue 14 sets for it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use projection::{Model, NoProgress, Projections};
use store::{Checkpoint, EventStore};

use crate::Bench;

/// The page size of the raw read: the same as the rebuild's, so both pay the same per-page cost.
const PAGE: usize = 20_000;

/// One measured row: what, events, the median time, and the bar (× raw) it is held to.
#[derive(Debug)]
pub struct Row {
    pub what: String,
    pub events: usize,
    pub median: Duration,
    pub bar: Option<f64>,
}

async fn raw_read(store: &Arc<dyn EventStore>) -> Bench<(usize, Duration)> {
    let t = Instant::now();
    let mut read = 0usize;
    let mut cp = Checkpoint::START;
    loop {
        let page = store.read_all(&cp, PAGE).await?;
        if page.events.is_empty() {
            break;
        }
        read += page.events.len();
        cp = page.next;
    }
    Ok((read, t.elapsed()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// `rounds` interleaved rounds of: raw read, `case_list`, `statistics`, both in one pass.
pub async fn measure(
    store: &Arc<dyn EventStore>,
    projections: &Projections,
    rounds: usize,
) -> Bench<Vec<Row>> {
    let sides: Vec<(String, Option<Vec<Model>>, Option<f64>)> = vec![
        (
            "raw sequential `read_all` (pages of 20,000)".into(),
            None,
            None,
        ),
        (
            "rebuild `case_list`".into(),
            Some(vec![Model::CaseList]),
            Some(0.5),
        ),
        (
            "rebuild `statistics`".into(),
            Some(vec![Model::Statistics]),
            Some(0.5),
        ),
        (
            "rebuild both read models, one pass".into(),
            Some(Model::ALL.to_vec()),
            Some(0.4),
        ),
    ];
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); sides.len()];
    let mut events = vec![0usize; sides.len()];
    for round in 0..rounds.max(1) {
        for (i, (what, models, _)) in sides.iter().enumerate() {
            let (n, elapsed) = match models {
                None => raw_read(store).await?,
                Some(models) => {
                    let reports =
                        projection::rebuild_models(store, projections, models, &NoProgress).await?;
                    let r = reports.first().ok_or("no report")?;
                    (r.events, r.elapsed)
                }
            };
            eprintln!(
                "round {}: {what} {n} events {:.2} s",
                round + 1,
                elapsed.as_secs_f64()
            );
            events[i] = n;
            samples[i].push(elapsed);
        }
    }
    Ok(sides
        .into_iter()
        .zip(samples)
        .zip(events)
        .map(|(((what, _, bar), s), events)| Row {
            what,
            events,
            median: median(s),
            bar,
        })
        .collect())
}

/// The table, then one `ROW` line per rebuild row.
pub fn print(backend: &str, rows: &[Row]) {
    let rate = |r: &Row| r.events as f64 / r.median.as_secs_f64().max(1e-9);
    let raw = rows.first().map(rate).unwrap_or(f64::NAN);
    println!();
    println!(
        "| {backend}: measurement (median of interleaved rounds) | events | time | events/s | × raw | bar |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for r in rows {
        let bar = r.bar.map_or_else(
            || "—".to_owned(),
            |b| {
                let met = if rate(r) / raw >= b { "met" } else { "not met" };
                format!("≥ {b}× ({met})")
            },
        );
        println!(
            "| {} | {} | {:.2} s | {:.0} | {:.2} | {bar} |",
            r.what,
            r.events,
            r.median.as_secs_f64(),
            rate(r),
            rate(r) / raw
        );
    }
    for r in rows {
        let Some(bar) = r.bar else { continue };
        let ratio = rate(r) / raw;
        println!(
            "ROW\t{} ({backend})\t{:.0}\t{raw:.0}\t{ratio:.2}\t>= {bar}x raw read\t{}",
            r.what,
            rate(r),
            if ratio >= bar { "met" } else { "not met" }
        );
    }
}
