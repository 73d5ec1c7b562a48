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

/// The bar and goal for relay / raw.
const BAR: f64 = 0.6;

fn settings(name: &str, round: usize) -> StreamSettings {
    StreamSettings {
        stream: format!("BENCH_{}_{round}", name.to_uppercase()),
        subject_prefix: format!("bench.{name}{round}.events"),
        dlq_stream: format!("BENCH_{}_DLQ_{round}", name.to_uppercase()),
        dlq_prefix: format!("bench.{name}{round}.dlq"),
        ..StreamSettings::default()
    }
}

/// `Relay::run_once` until the store has nothing more, with the default settings.
async fn relay_round(
    store: Arc<dyn EventStore>,
    js: &jetstream::Context,
    stream: StreamSettings,
    server: u32,
) -> Result<Spent, Error> {
    bus::ensure_stream(js, &stream).await?;
    let config = RelayConfig {
        stream,
        ..RelayConfig::default()
    };
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
    let window = RelayConfig::default().window;
    let ids: Vec<Uuid> = store
        .read_all(&Checkpoint::START, usize::MAX >> 1)
        .await?
        .events
        .iter()
        .map(|e| e.event_id)
        .collect();
    let (mut relay, mut raw, mut guarded) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let raw_stream = settings("raw", round);
        let guarded_stream = settings("rawid", round);
        let raw_messages = encode_all(store.as_ref(), &raw_stream).await?;
        let guarded_messages = encode_all(store.as_ref(), &guarded_stream).await?;
        for turn in 0..3 {
            match (round + turn) % 3 {
                0 => {
                    let s = relay_round(
                        store.clone(),
                        &js,
                        settings("relay", round),
                        server.pid(),
                    )
                    .await?;
                    print_spent(round, "relay", &s);
                    relay.push(s);
                }
                1 => {
                    let s = raw_round(
                        &raw_messages,
                        &ids,
                        &js,
                        &raw_stream,
                        window,
                        false,
                        server.pid(),
                    )
                    .await?;
                    print_spent(round, "raw", &s);
                    raw.push(s);
                }
                _ => {
                    let s = raw_round(
                        &guarded_messages,
                        &ids,
                        &js,
                        &guarded_stream,
                        window,
                        true,
                        server.pid(),
                    )
                    .await?;
                    print_spent(round, "raw + guards", &s);
                    guarded.push(s);
                }
            }
        }
    }
    let med = |v: &[Spent]| median(v.iter().map(Spent::rate).collect());
    let med_cpu = |v: &[Spent]| {
        let (c, s): (Vec<f64>, Vec<f64>) = v.iter().map(Spent::per_event_us).unzip();
        (median(c), median(s))
    };
    let (relay_rate, raw_rate, guarded_rate) = (med(&relay), med(&raw), med(&guarded));
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
    println!(
        "{n} events per round, {rounds} rounds, median; relay window {window}, page {}",
        RelayConfig::default().page_size
    );
    println!(
        "{:<52} {:>12} {:>22}",
        "measure", "value", "cpu µs/event bench/nats"
    );
    for (what, rate, spent) in [
        ("relay throughput (events/s)", relay_rate, &relay),
        ("raw JetStream async publish (msgs/s)", raw_rate, &raw),
        ("raw + Msg-Id + expected sequence (msgs/s)", guarded_rate, &guarded),
    ] {
        let (c, s) = med_cpu(spent);
        println!("{what:<52} {rate:>12.0} {c:>13.1} / {s:>5.1}");
    }
    println!("{:<52} {:>12.2}", "ratio relay / raw", ratio);
    println!("{:<52} {:>12.2}", "ratio relay / raw + guards", relay_rate / guarded_rate);
    for (idle, p50, p99) in &latencies {
        let idle = idle.as_millis();
        println!("{:<52} {p50:>12.1}", format!("append -> consumer p50 (ms, relay idle {idle} ms)"));
        println!("{:<52} {p99:>12.1}", format!("append -> consumer p99 (ms, relay idle {idle} ms)"));
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
