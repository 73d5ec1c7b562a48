//! The end state every system test (and the soak) asserts once the load stopped and the cluster settled:
//! the stream holds exactly the store's events (`petition audit compare-stream --strict`), every
//! acknowledged command is stored once, every read model partition and the notifier caught up, each case's
//! read-model rows were folded from all its events in order, and nothing was dead-lettered.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use sqlx::Row;

use crate::Cluster;
use crate::load::Record;

/// The durable consumers of the loopback cluster.
pub const CONSUMERS: [&str; 5] = [
    "case_list-p0of2",
    "case_list-p1of2",
    "statistics-p0of2",
    "statistics-p1of2",
    "notifier",
];

/// Counts of the settled cluster.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub store_events: i64,
    pub store_cases: i64,
    pub stream_messages: u64,
    pub case_list_cases: i64,
    pub statistics_cases: i64,
    pub notifier_events: i64,
    pub notifier_deliveries: i64,
    pub dead_letters: u64,
    /// Per partition of the case list: how many cases it folded.
    pub partition_cases: [i64; 2],
}

/// Each consumer's lag from `petition bus status`, and the stream's.
fn lags(cluster: &Cluster) -> anyhow::Result<HashMap<String, u64>> {
    let mut args = vec!["bus", "status"];
    for c in CONSUMERS {
        args.extend(["--consumer", c]);
    }
    let out = cluster.petition(&args)?;
    ensure!(
        out.status.success(),
        "bus status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lags = HashMap::new();
    for line in text.lines() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() >= 5 && (cols[0] == "consumer" || cols[0] == "stream") {
            lags.insert(cols[1].to_owned(), cols[4].parse().unwrap_or(u64::MAX));
        }
    }
    Ok(lags)
}

/// Waits until the stream and every consumer caught up and the stream equals the store.
pub async fn settle(cluster: &Cluster, timeout: Duration) -> anyhow::Result<()> {
    let until = Instant::now() + timeout;
    let mut last = String::new();
    loop {
        if let Ok(lags) = lags(cluster) {
            let behind: Vec<_> = lags.iter().filter(|(_, l)| **l != 0).collect();
            if behind.is_empty() && lags.len() == CONSUMERS.len() + 1 {
                let out = cluster.petition(&["audit", "compare-stream", "--strict"])?;
                if out.status.success() {
                    return Ok(());
                }
                last = format!(
                    "compare-stream: {}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            } else {
                last = format!("behind: {behind:?} of {lags:?}");
            }
        }
        if Instant::now() > until {
            bail!("the cluster did not settle within {timeout:?}: {last}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Checks the settled cluster against what the load was told, and returns the counts.
pub async fn verify(cluster: &Cluster, record: &Record) -> anyhow::Result<Counts> {
    let db = cluster.db().await?;
    let mut counts = Counts::default();
    let store: HashMap<String, i64> = sqlx::query(
        "SELECT substr(stream_id, 6) AS case_id, max(version) AS v, count(*) AS n FROM events
         WHERE stream_id LIKE 'case-%' GROUP BY stream_id",
    )
    .fetch_all(&db)
    .await?
    .iter()
    .map(|r| {
        let (v, n): (i64, i64) = (r.get("v"), r.get("n"));
        assert_eq!(v, n, "versions are dense");
        (r.get("case_id"), v)
    })
    .collect();
    counts.store_cases = store.len() as i64;
    counts.store_events = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(&db)
        .await?;
    // Nothing lost, nothing twice: each acknowledged case holds exactly the acknowledged steps.
    for (case, acked) in &record.acked {
        let stored = store.get(case).copied().unwrap_or(0);
        ensure!(
            stored == *acked as i64,
            "case {case}: {acked} steps acknowledged, {stored} stored"
        );
    }
    ensure!(
        record.acked.len() == store.len(),
        "cases acknowledged {} != stored {}",
        record.acked.len(),
        store.len()
    );
    for (table, field) in [
        ("case_list_snapshots", "case_list_cases"),
        ("stat_snapshots", "statistics_cases"),
    ] {
        let folded: HashMap<String, i64> =
            sqlx::query(&format!("SELECT case_id, version FROM {table}"))
                .fetch_all(&db)
                .await?
                .iter()
                .map(|r| (r.get("case_id"), r.get("version")))
                .collect();
        for (case, version) in &store {
            ensure!(
                folded.get(case) == Some(version),
                "{table}: case {case} folded to {:?}, stored {version}",
                folded.get(case)
            );
        }
        ensure!(
            folded.len() == store.len(),
            "{table} holds {} cases, the store {}",
            folded.len(),
            store.len()
        );
        match field {
            "case_list_cases" => counts.case_list_cases = folded.len() as i64,
            _ => counts.statistics_cases = folded.len() as i64,
        }
    }
    let listed: i64 = sqlx::query_scalar("SELECT count(*) FROM case_list")
        .fetch_one(&db)
        .await?;
    ensure!(
        listed == counts.store_cases,
        "case_list rows {listed} != cases {}",
        counts.store_cases
    );
    for (i, cases) in counts.partition_cases.iter_mut().enumerate() {
        let owned = store
            .keys()
            .filter(|c| feed::Partition::of_case(c, 2) == i as u32)
            .count() as i64;
        let moved: Option<i64> =
            sqlx::query_scalar("SELECT checkpoint_pos FROM projection_checkpoints WHERE name = $1")
                .bind(format!("case_list-p{i}of2"))
                .fetch_optional(&db)
                .await?;
        ensure!(
            owned == 0 || moved.is_some_and(|p| p > 0),
            "partition {i} never moved its checkpoint"
        );
        *cases = owned;
    }
    counts.notifier_deliveries = sqlx::query_scalar("SELECT count(*) FROM notifier_deliveries")
        .fetch_one(&db)
        .await?;
    counts.notifier_events =
        sqlx::query_scalar("SELECT count(DISTINCT event_id) FROM notifier_deliveries")
            .fetch_one(&db)
            .await?;
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM notifier_deliveries d WHERE NOT EXISTS
           (SELECT 1 FROM events e WHERE e.event_id::text = d.event_id)",
    )
    .fetch_one(&db)
    .await?;
    ensure!(
        orphans == 0,
        "{orphans} deliveries name an event the store does not hold"
    );
    let js = bus_js(cluster).await?;
    let mut events = js
        .get_stream("PETITION_EVENTS")
        .await
        .context("events stream")?;
    counts.stream_messages = events.info().await?.state.messages;
    let mut dlq = js
        .get_stream("PETITION_DLQ")
        .await
        .context("dead-letter stream")?;
    counts.dead_letters = dlq.info().await?.state.messages;
    ensure!(
        counts.dead_letters == 0,
        "{} events were dead-lettered",
        counts.dead_letters
    );
    ensure!(
        counts.stream_messages == counts.store_events as u64,
        "stream {} != store {}",
        counts.stream_messages,
        counts.store_events
    );
    db.close().await;
    Ok(counts)
}

/// A JetStream context on the cluster's NATS servers.
pub async fn bus_js(cluster: &Cluster) -> anyhow::Result<async_nats::jetstream::Context> {
    let servers: Vec<async_nats::ServerAddr> = cluster
        .var("NATS_URL")
        .split(',')
        .map(|u| u.parse())
        .collect::<Result<_, _>>()?;
    let client = async_nats::ConnectOptions::new()
        .connection_timeout(Duration::from_secs(5))
        .connect(servers)
        .await?;
    Ok(async_nats::jetstream::new(client))
}

/// The relay instance holding the lease (`relay-<host>-pid<pid>`), from the lease stream's last message.
pub async fn lease_holder(cluster: &Cluster) -> anyhow::Result<String> {
    // Just after a node rejoined, a JetStream API request may time out while the cluster elects; ask again.
    let mut last = None;
    for _ in 0..10 {
        match lease_holder_once(cluster).await {
            Ok(holder) => return Ok(holder),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Err(last.unwrap_or_else(|| anyhow::anyhow!("no lease holder")))
}

async fn lease_holder_once(cluster: &Cluster) -> anyhow::Result<String> {
    let js = bus_js(cluster).await?;
    let stream = js.get_stream("PETITION_RELAY_LEASE").await?;
    let message = stream
        .get_last_raw_message_by_subject("petition.relay.lease")
        .await?;
    Ok(String::from_utf8_lossy(&message.payload).into_owned())
}
