//! How fast a live consumer catches up through the store tail, as `petition serve` runs it: pages handed to
//! `handle_batch` (one transaction per page), of 500, and growing from 500 to 5,000 as the tail's run loop
//! makes them while a consumer is behind; against one transaction per event (the handler's single-event
//! path, which is what the tail did before pages were handed over whole), and against a raw `read_all` of
//! the same events in pages of 500, in interleaved rounds. The consumer is the real one, with its folds
//! cached in memory between pages.
//!
//! The history is appended as a burst of commands would leave it: one event per append, `OPEN` cases in
//! progress at a time, so consecutive events belong to different cases (the rebuild's history appends a
//! whole case at once, which would flatter a batch: fewer cases per page).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use domain::{Clocks, StaticAgencyDirectory};
use feed::{Delivery, EventHandler, EventSource, HandlerError, StoreTail};
use projection::{Model, Projections};
use store::{Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

use crate::Bench;
use crate::history::case_events;

/// The store tail's default page.
const PAGE: usize = 500;
/// The largest page the tail's run loop grows to while a consumer is behind.
const MAX_PAGE: usize = 5_000;
/// Cases in progress at once while the history is appended.
const OPEN: usize = 500;

/// A projector seen only through `handle`: the tail's default `handle_batch` then applies one event per
/// transaction.
#[derive(Debug)]
struct OneByOne(Arc<dyn EventHandler>);

#[async_trait]
impl EventHandler for OneByOne {
    fn name(&self) -> &str {
        self.0.name()
    }
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        self.0.checkpoint().await
    }
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        self.0.handle(delivery).await
    }
}

/// Appends `cases` lifecycles interleaved, one event per append; returns the number of events.
pub async fn append_interleaved(
    store: &Arc<dyn EventStore>,
    cases: u64,
    clocks: &Clocks,
    agencies: &StaticAgencyDirectory,
) -> Bench<usize> {
    let mut pending = (0..cases).map(|n| case_events(n, clocks, agencies));
    let mut open: VecDeque<(StreamId, u64, std::vec::IntoIter<NewEvent>)> = VecDeque::new();
    let mut total = 0;
    loop {
        while open.len() < OPEN {
            let Some(next) = pending.next() else { break };
            let (id, events) = next?;
            open.push_back((StreamId::for_case(id.into()), 0, events.into_iter()));
        }
        let Some((stream, version, mut events)) = open.pop_front() else {
            return Ok(total);
        };
        let Some(event) = events.next() else { continue };
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        let meta = CommandMeta {
            command_id: Uuid::now_v7(),
            fingerprint: None,
            actor: "bench".into(),
            correlation_id: Uuid::now_v7(),
            causation_id: None,
            rulebook_version: None,
        };
        store.append(&stream, expected, vec![event], &meta).await?;
        total += 1;
        open.push_back((stream, version + 1, events));
    }
}

/// Empties one read model: without its checkpoint row, `connect` recreates its tables.
async fn reset(url: &str, model: Model) -> Bench<Projections> {
    let pool = db::open(db::Role::ReadModels, url, &db::PoolSettings::default()).await?;
    db::on_pool!(&pool, p => sqlx::query("DELETE FROM projection_checkpoints WHERE name = $1")
        .bind(model.name())
        .execute(p)
        .await
        .map(drop))?;
    pool.close().await;
    Ok(Projections::connect(url).await?)
}

/// Feeds `handler` from an empty read model through the tail until it has applied `events`, in pages of
/// `PAGE`, or (`grow`) doubling after each full page up to `MAX_PAGE` as `StoreTail::run` does.
async fn catch_up(
    store: &Arc<dyn EventStore>,
    handler: &Arc<dyn EventHandler>,
    events: usize,
    grow: bool,
) -> Bench<Duration> {
    let tail = StoreTail::new(store.clone()).with_page_size(MAX_PAGE);
    let t = Instant::now();
    let (mut done, mut page) = (0, PAGE);
    while done < events {
        let want = page.min(events - done);
        let o = tail.run_once(handler, want).await?;
        if o.retried + o.dead_lettered > 0 || o.handled == 0 {
            return Err(format!("{} stopped after {done} events: {o:?}", handler.name()).into());
        }
        done += o.handled;
        if grow && o.handled == want {
            page = (page * 2).min(MAX_PAGE);
        }
    }
    Ok(t.elapsed())
}

async fn raw_read(store: &Arc<dyn EventStore>, events: usize) -> Bench<Duration> {
    let t = Instant::now();
    let (mut done, mut cp) = (0, Checkpoint::START);
    while done < events {
        let page = store.read_all(&cp, PAGE.min(events - done)).await?;
        if page.events.is_empty() {
            break;
        }
        done += page.events.len();
        cp = page.next;
    }
    Ok(t.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Interleaved rounds of: raw read, then each read model batched and one by one; prints the medians.
pub async fn measure(
    url: &str,
    store: &Arc<dyn EventStore>,
    events: usize,
    rounds: usize,
) -> Bench<()> {
    /// How a row feeds the consumer.
    #[derive(Clone, Copy)]
    enum Feed {
        Pages,
        Growing,
        OneByOne,
    }
    let one_by_one = std::env::var("BENCH_ONE_BY_ONE").as_deref() == Ok("1");
    let rows: Vec<(String, Option<(Model, Feed)>)> = std::iter::once(("raw".to_owned(), None))
        .chain(Model::ALL.into_iter().flat_map(|m| {
            let mut rows = vec![
                (
                    format!("`{}`, pages of {PAGE}", m.name()),
                    Some((m, Feed::Pages)),
                ),
                (
                    format!("`{}`, pages growing to {MAX_PAGE}", m.name()),
                    Some((m, Feed::Growing)),
                ),
            ];
            if one_by_one {
                rows.push((
                    format!("`{}`, one event per transaction", m.name()),
                    Some((m, Feed::OneByOne)),
                ));
            }
            rows
        }))
        .collect();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); rows.len()];
    for round in 0..rounds {
        for (i, (_, what)) in rows.iter().enumerate() {
            let elapsed = match what {
                None => raw_read(store, events).await?,
                Some((model, feed)) => {
                    let projections = reset(url, *model).await?;
                    let handler = projections
                        .handlers()
                        .into_iter()
                        .find(|h| h.name() == model.name())
                        .ok_or("no handler")?;
                    let handler: Arc<dyn EventHandler> = match feed {
                        Feed::OneByOne => Arc::new(OneByOne(handler)),
                        Feed::Pages | Feed::Growing => handler,
                    };
                    catch_up(store, &handler, events, matches!(feed, Feed::Growing)).await?
                }
            };
            eprintln!(
                "round {}: {} {:.2} s",
                round + 1,
                rows[i].0,
                elapsed.as_secs_f64()
            );
            samples[i].push(elapsed);
        }
    }
    let medians: Vec<Duration> = samples.into_iter().map(median).collect();
    let raw_rate = events as f64 / medians[0].as_secs_f64();
    println!();
    println!(
        "| live catch-up through the store tail (median of {rounds} interleaved rounds) | events | time | events/s | × raw |"
    );
    println!("|---|---:|---:|---:|---:|");
    for ((label, _), m) in rows.iter().zip(&medians) {
        let rate = events as f64 / m.as_secs_f64();
        let label = if label == "raw" {
            format!("raw sequential `read_all` (pages of {PAGE})")
        } else {
            label.clone()
        };
        println!(
            "| {label} | {events} | {:.2} s | {rate:.0} | {:.2} |",
            m.as_secs_f64(),
            rate / raw_rate
        );
    }
    Ok(())
}
