//! Relay throughput beside a raw JetStream async publish of the same messages (window 256), measured in
//! the same run, and end-to-end latency from a store append to delivery at a JetStream consumer.
//!
//! `cargo bench -p bus --bench relay` (needs `nats-server`; `BENCH_EVENTS` sets N, default 5000).
//! The HTTP part of "command response → delivery" is wired by the binary; this measures from the moment
//! the store append returns, which is when the HTTP handler answers.

use std::collections::{HashMap, VecDeque};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, message::PublishMessage};
use async_trait::async_trait;
use bus::{ConsumerConfig, JetStreamSource, Relay, RelayConfig, StreamSettings, route::Route};
use feed::{Delivery, EventHandler, EventSource, HandlerError};
use serde_json::json;
use store::{Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, StreamId};
use uuid::Uuid;

type Error = Box<dyn std::error::Error + Send + Sync>;

struct Server(Child, std::path::PathBuf);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn start_nats() -> Result<(Server, String), Error> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dir = std::env::temp_dir().join(format!("bus-bench-{}", Uuid::new_v4().simple()));
    let bin = if std::path::Path::new("/usr/sbin/nats-server").exists() {
        "/usr/sbin/nats-server"
    } else {
        "nats-server"
    };
    let child = Command::new(bin)
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let server = Server(child, dir);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("nats-server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((server, format!("nats://127.0.0.1:{port}")))
}

fn meta() -> CommandMeta {
    CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: None,
        actor: "officer-hn-1".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        rulebook_version: Some("2026.1".into()),
    }
}

fn event(i: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: if i == 0 {
            "petition.received"
        } else {
            "verification.finding_recorded"
        }
        .into(),
        schema_version: 1,
        payload: json!({"receiving_agency": "UBND-HN", "kind": "complaint", "occurred_on": "2026-09-01",
                        "summary": "Biên bản xác minh hiện trạng sử dụng đất tại thửa số 123", "step": i}),
        personal: None,
    }
}

/// Appends `n` events, ten per case in one append each.
async fn fill(store: &dyn EventStore, n: usize) -> Result<(), Error> {
    for _ in 0..n.div_ceil(10) {
        let events = (0..10).map(event).collect();
        store
            .append(
                &StreamId::for_case(Uuid::now_v7()),
                ExpectedVersion::NoStream,
                events,
                &meta(),
            )
            .await?;
    }
    Ok(())
}

async fn relay_throughput(
    store: Arc<dyn EventStore>,
    js: &jetstream::Context,
) -> Result<(usize, f64), Error> {
    let relay = Relay::new(store, js.clone(), RelayConfig::default());
    let (started, mut total) = (Instant::now(), 0);
    loop {
        let outcome = relay.run_once().await?;
        total += outcome.published;
        if outcome.caught_up {
            return Ok((total, total as f64 / started.elapsed().as_secs_f64()));
        }
    }
}

/// The same encoded messages, published raw (no Msg-Id, no expected sequence) with 256 acks in flight.
async fn raw_throughput(
    store: &dyn EventStore,
    js: &jetstream::Context,
) -> Result<(usize, f64), Error> {
    js.create_or_update_stream(jetstream::stream::Config {
        name: "RAW".into(),
        subjects: vec!["raw.>".into()],
        ..Default::default()
    })
    .await?;
    let page = store.read_all(&Checkpoint::START, 1_000_000).await?;
    let messages: Vec<_> = page
        .events
        .iter()
        .map(|e| bus::cloudevents::encode("raw.events", e, &Route::default().after(&e.payload)))
        .collect::<Result<_, _>>()?;
    let (started, mut in_flight) = (Instant::now(), VecDeque::new());
    for m in &messages {
        let publish = PublishMessage::build()
            .payload(m.body.clone().into())
            .headers(m.headers.clone());
        in_flight.push_back(js.send_publish(m.subject.clone(), publish).await?);
        if in_flight.len() >= 256
            && let Some(ack) = in_flight.pop_front()
        {
            ack.await?;
        }
    }
    for ack in in_flight {
        ack.await?;
    }
    Ok((
        messages.len(),
        messages.len() as f64 / started.elapsed().as_secs_f64(),
    ))
}

#[derive(Debug, Default)]
struct Stopwatch {
    seen: Mutex<HashMap<Uuid, Instant>>,
}

#[async_trait]
impl EventHandler for Stopwatch {
    fn name(&self) -> &str {
        "bench_latency"
    }
    async fn checkpoint(&self) -> Result<Option<Checkpoint>, HandlerError> {
        Ok(None)
    }
    async fn handle(&self, delivery: &Delivery) -> Result<(), HandlerError> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.insert(delivery.event.event_id, Instant::now());
        }
        Ok(())
    }
}

/// Appends one event per "command" every 10 ms with the relay and a consumer running; p50 and p99 in ms.
async fn latency(
    url: &str,
    store: Arc<dyn EventStore>,
    idle: Duration,
    samples: usize,
) -> Result<(f64, f64), Error> {
    let js = bus::connect(url, "bench").await?;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let config = RelayConfig {
        idle,
        ..Default::default()
    };
    let relay = Arc::new(Relay::new(store.clone(), js.clone(), config));
    let relay_task = tokio::spawn({
        let (relay, shutdown) = (relay.clone(), shutdown.clone());
        async move { relay.run(shutdown).await }
    });
    let watch = Arc::new(Stopwatch::default());
    let source = JetStreamSource::new(
        js.clone(),
        StreamSettings::default(),
        ConsumerConfig::default(),
    );
    let handler: Arc<dyn EventHandler> = watch.clone();
    // Start the consumer at the end of the stream: catch up on the throughput run's events first.
    while source.run_once(&handler, 1000).await?.handled > 0 {}
    watch.seen.lock().map_err(|_| "poisoned")?.clear();
    let consumer_task = tokio::spawn(async move { source.run(handler, shutdown).await });
    let mut appended = Vec::with_capacity(samples);
    for i in 0..samples {
        let e = event(i.min(1));
        let id = e.event_id;
        store
            .append(
                &StreamId::for_case(Uuid::now_v7()),
                ExpectedVersion::NoStream,
                vec![e],
                &meta(),
            )
            .await?;
        appended.push((id, Instant::now()));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while watch.seen.lock().map_err(|_| "poisoned")?.len() < samples && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.send(true)?;
    let _ = relay_task.await;
    let _ = consumer_task.await;
    let seen = watch.seen.lock().map_err(|_| "poisoned")?;
    let mut ms: Vec<f64> = appended
        .iter()
        .filter_map(|(id, at)| {
            seen.get(id)
                .map(|d| d.duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    if ms.len() < samples {
        return Err(format!("only {} of {samples} events delivered", ms.len()).into());
    }
    ms.sort_by(f64::total_cmp);
    let pick = |q: f64| ms[((ms.len() as f64 * q) as usize).min(ms.len() - 1)];
    Ok((pick(0.50), pick(0.99)))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let n: usize = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let (_server, url) = start_nats()?;
    let js = bus::connect(&url, "bench").await?;
    bus::ensure_stream(&js, &StreamSettings::default()).await?;
    let dir = std::env::temp_dir().join(format!("bus-bench-store-{}", Uuid::new_v4().simple()));
    let store: Arc<dyn EventStore> = Arc::new(
        store::sqlite::SqliteStore::connect(&format!("sqlite://{}/events.db", dir.display()))
            .await?,
    );
    fill(store.as_ref(), n).await?;
    let (relayed, relay_rate) = relay_throughput(store.clone(), &js).await?;
    let (raw, raw_rate) = raw_throughput(store.as_ref(), &js).await?;
    let (p50, p99) = latency(&url, store.clone(), Duration::from_millis(100), 300).await?;
    let (p50_fast, p99_fast) = latency(&url, store.clone(), Duration::from_millis(10), 300).await?;
    println!("store: SQLite (WAL, synchronous=FULL); nats-server local, file storage, 1 replica");
    println!("{:<52} {:>12} {:>10}", "measure", "value", "events");
    println!(
        "{:<52} {:>12.0} {:>10}",
        "relay throughput (events/s, window 256)", relay_rate, relayed
    );
    println!(
        "{:<52} {:>12.0} {:>10}",
        "raw JetStream async publish (msgs/s, window 256)", raw_rate, raw
    );
    println!(
        "{:<52} {:>12.2} {:>10}",
        "ratio relay / raw",
        relay_rate / raw_rate,
        ""
    );
    println!(
        "{:<52} {:>12.1} {:>10}",
        "append -> consumer p50 (ms, relay idle 100 ms)", p50, 300
    );
    println!(
        "{:<52} {:>12.1} {:>10}",
        "append -> consumer p99 (ms, relay idle 100 ms)", p99, 300
    );
    println!(
        "{:<52} {:>12.1} {:>10}",
        "append -> consumer p50 (ms, relay idle 10 ms)", p50_fast, 300
    );
    println!(
        "{:<52} {:>12.1} {:>10}",
        "append -> consumer p99 (ms, relay idle 10 ms)", p99_fast, 300
    );
    println!(
        "(latency is measured from the store append's return, i.e. when the HTTP handler answers)"
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
