//! Benchmark: how fast the notifier turns events into mail accepted by a local SMTP server.
//!
//! 1. Throughput: N receipts are appended, then the notifier (fed by the in-process bus) plans, renders,
//!    sends over SMTP (lettre, pooled connection) and logs each one; messages per second.
//! 2. Latency: with the notifier running as in `petition serve` (store tail + retry loop), one receipt at a
//!    time is appended the way the command service does after answering; the time from the append
//!    returning to the SMTP sink accepting the mail, p50 / p99.
//!
//! Run: `cargo bench -p notifier --bench smtp` (`NOTIFIER_BENCH_N` messages, default 500; the delivery log
//! on SQLite, or on PostgreSQL when `NOTIFIER_BENCH_PG=1`, using `TEST_DATABASE_URL`).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "../tests/notifier/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../tests/notifier/smtp_sink.rs"]
mod smtp_sink;

use std::time::{Duration, Instant};

use domain::PetitionKind;
use feed::{EventSource, StoreTail};

use helpers::{Backend, TestCase, World, person, receive};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("NOTIFIER_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let backend = if std::env::var("NOTIFIER_BENCH_PG").is_ok() {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };

    // 1. Throughput.
    let world = World::start(backend).await;
    for i in 0..n {
        let mut case = TestCase::new(&world.store);
        case.step(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                vec![person("Nguyễn Văn An", &format!("p{i}@example.vn"), None)],
                vec![],
            ),
        )
        .await;
    }
    let started = Instant::now();
    world.pump().await;
    let mails = world.sink.wait_for(n, Duration::from_secs(120)).await;
    let elapsed = started.elapsed();
    assert_eq!(mails.len(), n, "every message arrived");
    let rate = n as f64 / elapsed.as_secs_f64();

    // 1b. Draining a backlog: the SMTP server was down while N receipts were handled; once it is back,
    // the retry loop sends with `CONCURRENCY` sends in flight over the lettre pool.
    let world = World::start(backend).await;
    world.sink.set_down(true);
    for i in 0..n {
        let mut case = TestCase::new(&world.store);
        case.step(
            "2026-07-01",
            receive(
                PetitionKind::Complaint,
                vec![person("Nguyễn Văn An", &format!("b{i}@example.vn"), None)],
                vec![],
            ),
        )
        .await;
    }
    world.pump().await;
    world.sink.set_down(false);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    while world.sink.count().await < n && started.elapsed() < Duration::from_secs(120) {
        world.notifier.run_retries_once().await.unwrap();
    }
    let drain_rate = world.sink.count().await as f64 / started.elapsed().as_secs_f64();

    // 2. Latency, with the notifier running in the background as in `petition serve`.
    let world = World::start(backend).await;
    let (stop, shutdown) = tokio::sync::watch::channel(false);
    let tail = StoreTail::new(world.store.clone()).with_idle(Duration::from_millis(2));
    let handler = world.notifier.handler();
    let consumer = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { tail.run(handler, shutdown).await }
    });
    let samples = n.min(300);
    let mut latencies = Vec::with_capacity(samples);
    for i in 0..samples {
        let mut case = TestCase::new(&world.store);
        let person = person("Nguyễn Văn An", &format!("l{i}@example.vn"), None);
        let command = receive(PetitionKind::Complaint, vec![person], vec![]);
        case.step("2026-07-01", command).await;
        let appended = Instant::now();
        let mails = world.sink.wait_for(i + 1, Duration::from_secs(30)).await;
        let accepted = mails.get(i).map(|m| m.accepted_at).unwrap();
        latencies.push(accepted.saturating_duration_since(appended));
    }
    let _ = stop.send(true);
    let _ = consumer.await;
    latencies.sort();

    let backend_name = if backend == Backend::Postgres {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!();
    println!(
        "notifier → local SMTP sink (store: SQLite, delivery log: {backend_name}, lettre over loopback)"
    );
    println!("| measure                                   | value            |");
    println!("|-------------------------------------------|------------------|");
    println!("| throughput, {n:>5} receipts                 | {rate:>8.0} msg/s   |");
    println!(
        "| backlog drain, retry loop, {} in flight     | {drain_rate:>8.0} msg/s   |",
        notifier::RETRY_CONCURRENCY
    );
    println!(
        "| append → SMTP accepted, p50 ({samples} samples) | {:>16} |",
        ms(percentile(&latencies, 50.0))
    );
    println!(
        "| append → SMTP accepted, p99               | {:>16} |",
        ms(percentile(&latencies, 99.0))
    );
    println!(
        "| append → SMTP accepted, max               | {:>16} |",
        ms(*latencies.last().unwrap())
    );
}
