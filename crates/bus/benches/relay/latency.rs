//! End-to-end latency from a store append to delivery at a JetStream consumer, with the relay's `run`
//! loop and a consumer running, one append every 10 ms.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bus::{ConsumerConfig, JetStreamSource, Relay, RelayConfig, StreamSettings};
use feed::{Delivery, EventHandler, EventSource, HandlerError};
use store::{Checkpoint, EventStore, ExpectedVersion, StreamId};
use uuid::Uuid;

use super::support::{Error, event, meta};

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
pub async fn latency(
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
