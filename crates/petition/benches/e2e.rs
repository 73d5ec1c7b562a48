//! End-to-end latency of the whole pipeline as a client sees it: from the moment a command's HTTP
//! response arrives to the moment a JetStream consumer receives the event (API → store → relay →
//! JetStream → durable pull consumer). A benchmark, not a test: it prints its figures.
//!
//! A second table measures the notifier as the embedded default runs it: from the HTTP response of
//! `receive` to the acknowledgement e-mail being accepted by a local SMTP server (store tail → notifier →
//! lettre → SMTP), one petition at a time.
//!
//! `cargo bench -p petition --bench e2e` — NATS from `BENCH_NATS_URL` (default
//! `nats://127.0.0.1:4222`), SQLite store in a temp file; streams get unique names and are deleted after.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bus::{ConsumerConfig, JetStreamSource, Relay, RelayConfig};
use command::http::{ApiToken, AppState, HttpConfig, TokenList};
use command::{CaseService, SystemTime};
use feed::{Delivery, EventHandler, EventSource, HandlerError};
use secrecy::SecretString;
use store::Checkpoint;
use testkit::smtp_sink;
use uuid::Uuid;

const TOKEN: &str = "bench-token-0123456789abcdef";

/// Records when each event reached the consumer.
#[derive(Debug, Default)]
struct Stopwatch {
    seen: Mutex<HashMap<Uuid, Instant>>,
}

#[async_trait]
impl EventHandler for Stopwatch {
    fn name(&self) -> &str {
        "bench_e2e"
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

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn run(
    nats_url: &str,
    relay_idle: Duration,
    signalled: bool,
    samples: usize,
) -> anyhow::Result<(f64, f64, f64)> {
    let id = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let dir = std::env::temp_dir().join(format!("petition-bench-e2e-{id}"));
    std::fs::create_dir_all(&dir)?;
    let signal = feed::SignallingStore::new(
        store::connect(&format!("sqlite://{}/events.db", dir.display())).await?,
    );
    let store: Arc<dyn store::EventStore> = Arc::new(signal.clone());
    let wake = signalled.then(|| signal.subscribe());

    let service = CaseService::new(
        store.clone(),
        Arc::new(clock::Clocks::embedded()),
        Arc::new(domain::StaticAgencyDirectory::embedded()),
        Arc::new(SystemTime),
    );
    let tokens = TokenList::new(&[ApiToken::from_secret(
        "bench",
        &SecretString::from(TOKEN.to_owned()),
        command::access::Role::ALL.to_vec(),
        command::access::Scope::All,
    )]);
    let policy = command::access::AccessPolicy::embedded(Arc::new(
        domain::StaticAgencyDirectory::embedded(),
    ))?;
    let app = command::http::router(
        AppState {
            service,
            tokens,
            policy,
        },
        &HttpConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut http_stop = stopping.clone();
    tokio::spawn(command::http::serve(listener, app, async move {
        let _ = http_stop.wait_for(|s| *s).await;
    }));

    let stream = bus::StreamSettings {
        stream: format!("BENCH_E2E_{id}"),
        subject_prefix: format!("bench_{id}.events"),
        dlq_stream: format!("BENCH_E2E_DLQ_{id}"),
        dlq_prefix: format!("bench_{id}.dlq"),
        ..bus::StreamSettings::default()
    };
    let lease = bus::LeaseConfig {
        stream: format!("BENCH_E2E_LEASE_{id}"),
        subject: format!("bench_{id}.lease"),
        ..bus::LeaseConfig::default()
    };
    let js = bus::connect(nats_url, "bench-e2e").await?;
    bus::ensure_stream(&js, &stream).await?;
    let relay = Relay::new(
        store.clone(),
        js.clone(),
        RelayConfig {
            stream: stream.clone(),
            lease: lease.clone(),
            idle: relay_idle,
            wake,
            ..RelayConfig::default()
        },
    );
    let relay_stop = stopping.clone();
    tokio::spawn(async move { relay.run(relay_stop).await });
    let watch = Arc::new(Stopwatch::default());
    let source = JetStreamSource::new(js.clone(), stream.clone(), ConsumerConfig::default());
    let handler: Arc<dyn EventHandler> = watch.clone();
    let consumer_stop = stopping.clone();
    tokio::spawn(async move { source.run(handler, consumer_stop).await });

    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(samples);
    let started = Instant::now();
    for i in 0..samples {
        let response = client
            .post(format!("{base}/api/v1/petitions"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({
                "kind": "feedback", "channel": "online", "receiving_agency": "UBND-HN",
                "subject": format!("Street lights {i}"), "content": "Broken street lights on Hàng Bạc.",
                "signatory_count": 1
            }))
            .send()
            .await?;
        let body: serde_json::Value = response.json().await?;
        let answered = Instant::now();
        let event_id: Uuid = body["events"][0]["event_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("no event id in {body}"))?;
        let deadline = answered + Duration::from_secs(10);
        let delivered = loop {
            if let Some(at) = watch
                .seen
                .lock()
                .ok()
                .and_then(|s| s.get(&event_id).copied())
            {
                break at;
            }
            if Instant::now() > deadline {
                anyhow::bail!("event {event_id} was not delivered within 10 s");
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        };
        latencies.push(delivered.saturating_duration_since(answered).as_secs_f64() * 1000.0);
    }
    let rate = samples as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    tokio::time::sleep(Duration::from_millis(200)).await;
    for name in [&stream.stream, &stream.dlq_stream, &lease.stream] {
        let _ = js.delete_stream(name).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    latencies.sort_by(f64::total_cmp);
    Ok((
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        rate,
    ))
}

/// HTTP response of `receive` → acknowledgement mail accepted by SMTP, with the notifier fed by the store tail.
async fn run_mail(samples: usize) -> anyhow::Result<(f64, f64, f64)> {
    let id = Uuid::new_v4().simple().to_string()[..8].to_owned();
    let dir = std::env::temp_dir().join(format!("petition-bench-mail-{id}"));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}/events.db", dir.display());
    let store = store::connect(&url).await?;
    let sink = smtp_sink::SmtpSink::start().await;
    let settings = notifier::NotifierSettings {
        smtp: Some(notifier::SmtpSettings {
            host: "127.0.0.1".into(),
            port: sink.port,
            tls: notifier::TlsMode::None,
            username: None,
            password: None,
            from: "no-reply@bench.example".into(),
            timeout_secs: 10,
        }),
        ..notifier::NotifierSettings::default()
    };
    let notifier = notifier::Notifier::connect(&url, store.clone(), settings).await?;
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let tail = feed::StoreTail::new(store.clone()).with_idle(Duration::from_millis(10));
    let handler = notifier.handler();
    let tail_stop = stopping.clone();
    tokio::spawn(async move { tail.run(handler, tail_stop).await });

    let service = CaseService::new(
        store.clone(),
        Arc::new(clock::Clocks::embedded()),
        Arc::new(domain::StaticAgencyDirectory::embedded()),
        Arc::new(SystemTime),
    );
    let tokens = TokenList::new(&[ApiToken::from_secret(
        "bench",
        &SecretString::from(TOKEN.to_owned()),
        command::access::Role::ALL.to_vec(),
        command::access::Scope::All,
    )]);
    let policy = command::access::AccessPolicy::embedded(Arc::new(
        domain::StaticAgencyDirectory::embedded(),
    ))?;
    let app = command::http::router(
        AppState {
            service,
            tokens,
            policy,
        },
        &HttpConfig::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut http_stop = stopping.clone();
    tokio::spawn(command::http::serve(listener, app, async move {
        let _ = http_stop.wait_for(|s| *s).await;
    }));

    let client = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(samples);
    let started = Instant::now();
    for i in 0..samples {
        let response = client
            .post(format!("{base}/api/v1/petitions"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({
                "kind": "feedback", "channel": "online", "receiving_agency": "UBND-HN",
                "subject": format!("Street lights {i}"), "content": "Broken street lights on Hàng Bạc.",
                "petitioners": { "signatories": [ { "full_name": "Lê Văn Cường", "email": format!("p{i}@bench.example") } ] },
                "signatory_count": 1
            }))
            .send()
            .await?;
        let _: serde_json::Value = response.json().await?;
        let answered = Instant::now();
        let mails = sink.wait_for(i + 1, Duration::from_secs(10)).await;
        let Some(mail) = mails.get(i) else {
            anyhow::bail!("mail {i} was not accepted within 10 s")
        };
        latencies.push(
            mail.accepted_at
                .saturating_duration_since(answered)
                .as_secs_f64()
                * 1000.0,
        );
    }
    let rate = samples as f64 / started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = std::fs::remove_dir_all(&dir);
    latencies.sort_by(f64::total_cmp);
    Ok((
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        rate,
    ))
}

#[tokio::main]
async fn main() {
    let nats_url =
        std::env::var("BENCH_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let samples: usize = std::env::var("BENCH_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    println!(
        "end-to-end: HTTP response of `receive` -> delivery at a JetStream durable pull consumer"
    );
    println!("SQLite store, {samples} sequential commands, NATS at {nats_url}, 2-core machine");
    println!(
        "{:<28} {:>10} {:>10} {:>12}",
        "relay wake-up", "p50 ms", "p99 ms", "commands/s"
    );
    for (idle, signalled) in [
        (Duration::from_millis(100), false),
        (Duration::from_millis(10), false),
        (Duration::from_millis(100), true),
    ] {
        match run(&nats_url, idle, signalled, samples).await {
            Ok((p50, p99, rate)) => {
                let how = if signalled {
                    format!("append signal (+{} ms poll)", idle.as_millis())
                } else {
                    format!("{} ms poll only", idle.as_millis())
                };
                println!("{:<28} {:>10.2} {:>10.2} {:>12.0}", how, p50, p99, rate)
            }
            Err(e) => {
                eprintln!(
                    "e2e benchmark failed: {e:#} (is NATS running? scripts/services.sh starts it)"
                );
                std::process::exit(1);
            }
        }
    }
    println!();
    println!(
        "end-to-end: HTTP response of `receive` -> acknowledgement e-mail accepted by a local SMTP server"
    );
    println!(
        "embedded default (store tail polling every 10 ms -> notifier -> lettre), {samples} sequential commands"
    );
    match run_mail(samples).await {
        Ok((p50, p99, rate)) => {
            println!(
                "{:<28} {:>10} {:>10} {:>12}",
                "", "p50 ms", "p99 ms", "commands/s"
            );
            println!(
                "{:<28} {:>10.2} {:>10.2} {:>12.0}",
                "HTTP -> SMTP accepted", p50, p99, rate
            );
        }
        Err(e) => {
            eprintln!("mail benchmark failed: {e:#}");
            std::process::exit(1);
        }
    }
}
