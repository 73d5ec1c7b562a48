//! Relay throughput beside a raw JetStream async publish of the same messages, in interleaved rounds of one
//! run, and end-to-end latency from a store append to delivery at a JetStream consumer.
//!
//! `cargo bench -p bus --bench relay` (needs `nats-server`). `BENCH_EVENTS` sets the events per round
//! (default 20,000), `BENCH_ROUNDS` the rounds (default 3; the median is reported). Each round publishes the
//! whole store three ways, each into a fresh stream made by `bus::ensure_stream` (same settings as the
//! relay's), in an order that rotates from round to round:
//! - **relay**: `Relay::run_once` until caught up (store read, route, encode, publish with `Nats-Msg-Id`
//!   and `Nats-Expected-Last-Sequence`, acknowledgements awaited before the checkpoint moves);
//! - **raw**: the same encoded messages (encoded before the clock starts), published with the same window of
//!   acknowledgements in flight, without Msg-Id or expected sequence: the floor the issue compares with;
//! - **raw + guards**: raw plus the two headers the relay's guarantees rest on, to show what the server
//!   charges for de-duplication and ordering.
//!
//! Besides the table it prints one tab-separated `ROW` line per target for scripts. The HTTP part of
//! "command response → delivery" is wired by the binary; the latency here starts when the store append
//! returns, which is when the HTTP handler answers.

#[path = "relay/latency.rs"]
mod latency;
#[path = "relay/support.rs"]
mod support;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage};
use bus::{Relay, RelayConfig, StreamSettings, cloudevents::Outgoing, route::Route};
use store::{Checkpoint, EventStore};
use uuid::Uuid;

use support::{Error, Meter, Spent, median};

/// The bar for relay / raw.
const BAR: f64 = 0.6;
/// The measures of one round, in the order of the first round.
const KINDS: [&str; 4] = ["relay", "raw", "guards", "read"];

fn settings(name: &str, round: usize) -> StreamSettings {
    StreamSettings {
        stream: format!("BENCH_{}_{round}", name.to_uppercase()),
        subject_prefix: format!("bench.{name}{round}.events"),
        dlq_stream: format!("BENCH_{}_DLQ_{round}", name.to_uppercase()),
        dlq_prefix: format!("bench.{name}{round}.dlq"),
        ..StreamSettings::default()
    }
}

/// The relay's default settings, or `BENCH_WINDOW`, `BENCH_PAGE` and `BENCH_BATCH` when set (for tuning).
fn tuned() -> RelayConfig {
    let defaults = RelayConfig::default();
    RelayConfig {
        window: env("BENCH_WINDOW", defaults.window),
        page_size: env("BENCH_PAGE", defaults.page_size),
        batch: env("BENCH_BATCH", defaults.batch),
        ..defaults
    }
}

/// `Relay::run_once` until the store has nothing more, with [`tuned`] settings.
async fn relay_round(
    store: Arc<dyn EventStore>,
    js: &jetstream::Context,
    stream: StreamSettings,
    server: u32,
) -> Result<Spent, Error> {
    bus::ensure_stream(js, &stream).await?;
    let config = RelayConfig { stream, ..tuned() };
    let relay = Relay::new(store, js.clone(), config);
    let (meter, mut total) = (Meter::start(server), 0);
    loop {
        let outcome = relay.run_once().await?;
        total += outcome.published;
        if outcome.caught_up {
            return Ok(meter.finish(total));
        }
    }
}

/// The store read alone, in the relay's pages: the ceiling under the relay that publishing cannot lift.
async fn read_round(store: &dyn EventStore, page_size: usize, server: u32) -> Result<Spent, Error> {
    let (meter, mut after, mut total) = (Meter::start(server), Checkpoint::START, 0);
    loop {
        let page = store.read_all(&after, page_size).await?;
        total += page.events.len();
        match page.events.last() {
            Some(last) if page.events.len() == page_size => after = last.checkpoint(),
            _ => return Ok(meter.finish(total)),
        }
    }
}

/// The store's events encoded for `stream`, as the relay would send them (routes folded in order).
async fn encode_all(
    store: &dyn EventStore,
    stream: &StreamSettings,
) -> Result<Vec<Outgoing>, Error> {
    let page = store.read_all(&Checkpoint::START, usize::MAX >> 1).await?;
    let mut routes = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(page.events.len());
    for e in &page.events {
        let before: Route = routes.get(&e.stream_id).cloned().unwrap_or_default();
        let route = before.after(&e.payload);
        out.push(bus::cloudevents::encode(&stream.subject_prefix, e, &route)?);
        routes.insert(e.stream_id.clone(), route);
    }
    Ok(out)
}

/// Publishes pre-encoded messages with `window` acknowledgements in flight; `guards` adds the relay's
/// `Nats-Msg-Id` and `Nats-Expected-Last-Sequence` (the stream is fresh, so sequence i follows i - 1).
async fn raw_round(
    messages: &[Outgoing],
    ids: &[Uuid],
    js: &jetstream::Context,
    stream: &StreamSettings,
    window: usize,
    guards: bool,
    server: u32,
) -> Result<Spent, Error> {
    bus::ensure_stream(js, stream).await?;
    let (meter, mut in_flight) = (Meter::start(server), VecDeque::with_capacity(window));
    for (i, (m, id)) in messages.iter().zip(ids).enumerate() {
        let mut publish = PublishMessage::build()
            .payload(m.body.clone().into())
            .headers(m.headers.clone());
        if guards {
            publish = publish
                .message_id(id.to_string())
                .expected_last_sequence(i as u64);
        }
        in_flight.push_back(js.send_publish(m.subject.clone(), publish).await?);
        if in_flight.len() >= window
            && let Some(ack) = in_flight.pop_front()
        {
            ack.await?;
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    Ok(meter.finish(messages.len()))
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn print_spent(round: usize, what: &str, s: &Spent) {
    let (client, server) = s.per_event_us();
    println!(
        "round {round}  {what:<14} {:>9.0} events/s  {:>7} events  {:>8.1} ms  cpu/event: bench {client:>5.1} µs, nats-server {server:>5.1} µs",
        s.rate(),
        s.events,
        s.wall.as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let n = env("BENCH_EVENTS", 20_000);
    let rounds = env("BENCH_ROUNDS", 3).max(1);
    let server = support::start_nats()?;
    let js = bus::connect(&server.url, "bench").await?;
    let dir = std::env::temp_dir().join(format!("bus-bench-store-{}", Uuid::new_v4().simple()));
    let store: Arc<dyn EventStore> = Arc::new(
        store::sqlite::SqliteStore::connect(&format!("sqlite://{}/events.db", dir.display()))
            .await?,
    );
    support::fill(store.as_ref(), n).await?;
    let window = tuned().window;
    let ids: Vec<Uuid> = store
        .read_all(&Checkpoint::START, usize::MAX >> 1)
        .await?
        .events
        .iter()
        .map(|e| e.event_id)
        .collect();
    // `BENCH_ONLY=relay|raw|guards|read` runs one measure alone (for profiling it); ratios then print NaN.
    let only = std::env::var("BENCH_ONLY")
        .ok()
        .and_then(|v| KINDS.iter().position(|k| *k == v));
    let mut spent: Vec<Vec<Spent>> = vec![Vec::new(); KINDS.len()];
    for round in 0..rounds {
        let raw_stream = settings("raw", round);
        let guarded_stream = settings("rawid", round);
        let wanted = |kind: usize| only.is_none_or(|only| only == kind);
        let raw_messages = match wanted(1) {
            true => encode_all(store.as_ref(), &raw_stream).await?,
            false => Vec::new(),
        };
        let guarded_messages = match wanted(2) {
            true => encode_all(store.as_ref(), &guarded_stream).await?,
            false => Vec::new(),
        };
        // The order rotates from round to round, so no measure always runs first or last.
        for turn in 0..KINDS.len() {
            let kind = (round + turn) % KINDS.len();
            if !wanted(kind) {
                continue;
            }
            let pid = server.pid();
            let s = match kind {
                0 => relay_round(store.clone(), &js, settings("relay", round), pid).await?,
                1 => raw_round(&raw_messages, &ids, &js, &raw_stream, window, false, pid).await?,
                2 => {
                    raw_round(
                        &guarded_messages,
                        &ids,
                        &js,
                        &guarded_stream,
                        window,
                        true,
                        pid,
                    )
                    .await?
                }
                _ => read_round(store.as_ref(), tuned().page_size, pid).await?,
            };
            print_spent(round, KINDS[kind], &s);
            spent[kind].push(s);
        }
    }
    let med = |v: &[Spent]| median(v.iter().map(Spent::rate).collect());
    let med_cpu = |v: &[Spent]| {
        let (c, s): (Vec<f64>, Vec<f64>) = v.iter().map(Spent::per_event_us).unzip();
        (median(c), median(s))
    };
    let rates: Vec<f64> = spent.iter().map(|v| med(v)).collect();
    let (relay_rate, raw_rate, guarded_rate) = (rates[0], rates[1], rates[2]);
    let ratio = relay_rate / raw_rate;

    // The latency part runs on the production stream names; publish the backlog there first, untimed.
    // `BENCH_LATENCY=0` skips it (for profiling the throughput rounds alone).
    let mut latencies = Vec::new();
    if env("BENCH_LATENCY", 1) != 0 {
        relay_round(store.clone(), &js, StreamSettings::default(), server.pid()).await?;
        for idle in [100, 10] {
            let idle = Duration::from_millis(idle);
            let (p50, p99) = latency::latency(&server.url, store.clone(), idle, 300).await?;
            latencies.push((idle, p50, p99));
        }
    }

    println!();
    println!("store: SQLite (WAL, synchronous=FULL); nats-server local, file storage, 1 replica");
    let config = tuned();
    println!(
        "{n} events per round, {rounds} rounds, median; window {window} (relay and raw), relay page {}, batch {}",
        config.page_size, config.batch
    );
    println!(
        "{:<52} {:>12} {:>22}",
        "measure", "value", "cpu µs/event bench/nats"
    );
    for (kind, what) in [
        "relay throughput (events/s)",
        "raw JetStream async publish (msgs/s)",
        "raw + Msg-Id + expected sequence (msgs/s)",
        "store read_all alone, relay page size (events/s)",
    ]
    .into_iter()
    .enumerate()
    {
        let (c, s) = med_cpu(&spent[kind]);
        println!("{what:<52} {:>12.0} {c:>13.1} / {s:>5.1}", rates[kind]);
    }
    println!("{:<52} {:>12.2}", "ratio relay / raw", ratio);
    println!(
        "{:<52} {:>12.2}",
        "ratio relay / raw + guards",
        relay_rate / guarded_rate
    );
    for (idle, p50, p99) in &latencies {
        let idle = idle.as_millis();
        println!(
            "{:<52} {p50:>12.1}",
            format!("append -> consumer p50 (ms, relay idle {idle} ms)")
        );
        println!(
            "{:<52} {p99:>12.1}",
            format!("append -> consumer p99 (ms, relay idle {idle} ms)")
        );
    }
    if !latencies.is_empty() {
        println!(
            "(latency is measured from the store append's return, i.e. when the HTTP handler answers; 300 samples)"
        );
    }
    println!(
        "ROW\trelay vs raw JetStream async publish\t{relay_rate:.0}\t{raw_rate:.0}\t{ratio:.2}\t>= {BAR}\t{}",
        if ratio >= BAR { "met" } else { "not met" }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
