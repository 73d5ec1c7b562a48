//! Observability of `petition serve` without NATS: every metric name is declared here once with its help text
//! (the relay's are in `bus::metrics`), and this module records them: HTTP requests by matched route and
//! status, store append latency, read-model lag, notifier deliveries, watcher passes and misses, and the
//! age of the append holding PostgreSQL's read horizon back. Metrics are served on their own listener
//! (`PETITION_METRICS_LISTEN`), never on the API's. See `docs/operations.md`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use async_trait::async_trait;
use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::middleware::Next;
use axum::routing::get;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use store::{
    AppendOutcome, Checkpoint, CommandMeta, EventStore, ExpectedVersion, NewEvent, Page,
    RecordedEvent, StoreError, StreamId,
};
use tokio::sync::watch;

/// Counter, labelled `method`, `route` (the matched route template, `unmatched` for none) and `status`.
pub const HTTP_REQUESTS: &str = "petition_http_requests_total";
/// Histogram in seconds, labelled like [`HTTP_REQUESTS`]: time from the request to its answer's head.
pub const HTTP_DURATION: &str = "petition_http_request_duration_seconds";
/// Histogram in seconds, labelled `outcome` (`appended`, `replayed`, `conflict`, `refused`, `error`).
pub const STORE_APPEND_DURATION: &str = "petition_store_append_duration_seconds";
/// Gauge in seconds: how long the oldest append still open has been open (0 when none).
pub const STORE_OLDEST_OPEN_APPEND: &str = "petition_store_oldest_open_append_seconds";
/// Gauge, labelled `model`: global positions between the store's head and the read model's checkpoint.
pub const READ_MODEL_LAG: &str = "petition_read_model_lag_events";
/// Gauge, labelled `channel` and `status`: deliveries in the notifier's log.
pub const NOTIFIER_DELIVERIES: &str = "petition_notifier_deliveries";
/// Counter, labelled `outcome` (`completed`, `failed`): passes of the deadline watcher.
pub const WATCHER_PASSES: &str = "petition_watcher_passes_total";
/// Counter, labelled `result` (`recorded`, `already_recorded`, `failed`): missed deadlines the watcher found.
pub const WATCHER_MISSES: &str = "petition_watcher_misses_total";
/// Counter: append transactions group commit ran (a batch, or one command retried alone).
pub const GROUP_COMMIT_TRANSACTIONS: &str = "petition_store_group_commit_transactions_total";
/// Counter: commands group commit answered.
pub const GROUP_COMMIT_COMMANDS: &str = "petition_store_group_commit_commands_total";
/// Counter: commands retried alone after their batch was rolled back.
pub const GROUP_COMMIT_RETRIED: &str = "petition_store_group_commit_retried_alone_total";
/// Gauge: the largest batch group commit has written since the start.
pub const GROUP_COMMIT_LARGEST: &str = "petition_store_group_commit_largest_batch";
/// Counter, labelled `source` (`store`, `read_models`, `notifier`): samples of the gauges above that failed.
pub const SAMPLE_ERRORS: &str = "petition_metrics_sample_errors_total";

/// How often the sampled gauges (lag, oldest open append, notifier deliveries) are refreshed.
pub const REFRESH: Duration = Duration::from_secs(5);

/// Latency buckets of HTTP requests, in seconds.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Latency buckets of store appends, in seconds.
const APPEND_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the process-wide recorder (histograms as Prometheus histograms) and describes every metric.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), HTTP_BUCKETS)?
        .set_buckets_for_metric(Matcher::Full(STORE_APPEND_DURATION.into()), APPEND_BUCKETS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    describe();
    Ok(handle)
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, matched route template (`unmatched` for none) and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        "Seconds from an HTTP request to its answer's head, by method, matched route template and status."
    );
    describe_histogram!(
        STORE_APPEND_DURATION,
        "Seconds an EventStore::append took, by outcome (appended, replayed, conflict, refused, error)."
    );
    describe_gauge!(
        STORE_OLDEST_OPEN_APPEND,
        "Seconds the oldest append still in progress has been open (0 when none); on PostgreSQL it holds readers' horizon back."
    );
    describe_gauge!(
        READ_MODEL_LAG,
        "Global positions between the event store's head and a read model's checkpoint (an upper bound on PostgreSQL), by model."
    );
    describe_gauge!(
        NOTIFIER_DELIVERIES,
        "Deliveries in the notifier's log, by channel and status (sent, logged, failed, dead, pending, sending, held)."
    );
    describe_counter!(
        WATCHER_PASSES,
        "Passes of the deadline watcher, by outcome (completed, failed)."
    );
    describe_counter!(
        WATCHER_MISSES,
        "Missed deadlines the watcher handled, by result (recorded, already_recorded, failed)."
    );
    describe_counter!(
        GROUP_COMMIT_TRANSACTIONS,
        "Append transactions group commit ran: batches, and commands retried alone after a rolled-back batch."
    );
    describe_counter!(GROUP_COMMIT_COMMANDS, "Commands group commit answered.");
    describe_counter!(
        GROUP_COMMIT_RETRIED,
        "Commands retried alone after the batch holding them was rolled back."
    );
    describe_gauge!(
        GROUP_COMMIT_LARGEST,
        "The most commands one group-commit transaction has held since the start."
    );
    describe_counter!(
        SAMPLE_ERRORS,
        "Failed refreshes of the sampled gauges, by source (store, read_models, notifier)."
    );
    bus::metrics::describe();
}

/// The router of the metrics listener: `/metrics` and nothing else.
pub fn router(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route("/metrics", get(move || std::future::ready(handle.render())))
}

/// Middleware (an outer `Router::layer`, so it sees the matched route): counts and times every answer.
/// Labels are bounded: the route template, never the raw path, so no case id or tracking code appears.
pub async fn track_http(request: Request, next: Next) -> axum::response::Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}

/// A method label from a closed set: extension methods would otherwise let a client mint label values.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// An [`EventStore`] that times every append; everything else is passed through unchanged.
#[derive(Debug)]
pub struct TimedStore {
    inner: Arc<dyn EventStore>,
}

impl TimedStore {
    /// `inner`, with its appends timed.
    pub fn wrap(inner: Arc<dyn EventStore>) -> Arc<dyn EventStore> {
        Arc::new(Self { inner })
    }
}

fn append_outcome(result: &Result<AppendOutcome, StoreError>) -> &'static str {
    match result {
        Ok(o) if o.replayed => "replayed",
        Ok(_) => "appended",
        Err(StoreError::Conflict { .. }) => "conflict",
        Err(StoreError::IdempotencyKeyReused { .. } | StoreError::Invalid(_)) => "refused",
        Err(_) => "error",
    }
}

#[async_trait]
impl EventStore for TimedStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
        meta: &CommandMeta,
    ) -> Result<AppendOutcome, StoreError> {
        let started = Instant::now();
        let result = self.inner.append(stream, expected, events, meta).await;
        metrics::histogram!(STORE_APPEND_DURATION, "outcome" => append_outcome(&result))
            .record(started.elapsed().as_secs_f64());
        result
    }

    async fn find_command(
        &self,
        command_id: uuid::Uuid,
        fingerprint: Option<&str>,
    ) -> Result<Option<AppendOutcome>, StoreError> {
        self.inner.find_command(command_id, fingerprint).await
    }

    async fn read_stream(&self, stream: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream).await
    }

    async fn read_stream_as_of(
        &self,
        stream: &StreamId,
        as_of: DateTime<Utc>,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream_as_of(stream, as_of).await
    }

    async fn read_all(&self, after: &Checkpoint, limit: usize) -> Result<Page, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn head(&self) -> Result<Checkpoint, StoreError> {
        self.inner.head().await
    }

    async fn verify_stream(
        &self,
        stream: &StreamId,
    ) -> Result<store::hash::Verification, StoreError> {
        self.inner.verify_stream(stream).await
    }

    async fn oldest_open_append(&self) -> Result<Option<Duration>, StoreError> {
        self.inner.oldest_open_append().await
    }

    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

/// What the sampler reads; each part is optional so a failing source does not stop the others.
#[derive(Debug, Clone)]
pub struct Sampled {
    pub store: Arc<dyn EventStore>,
    pub projections: projection::Projections,
    pub notifier: Option<notifier::Notifier>,
    /// The store's group-commit front, when group commit is on.
    pub group_commit: Option<store::GroupCommitStore>,
}

/// Refreshes the sampled gauges every [`REFRESH`] (and runs the exporter's upkeep) until shutdown.
pub async fn run_sampler(
    sampled: Sampled,
    handle: Option<PrometheusHandle>,
    mut stop: watch::Receiver<bool>,
) {
    let mut channels = BTreeSet::new();
    loop {
        if *stop.borrow() {
            return;
        }
        sample_once(&sampled, &mut channels).await;
        if let Some(h) = &handle {
            h.run_upkeep();
        }
        tokio::select! {
            () = tokio::time::sleep(REFRESH) => {}
            _ = stop.changed() => {}
        }
    }
}

fn sample_failed(source: &'static str, error: &dyn std::fmt::Display) {
    tracing::warn!(source, error = %error, "could not refresh metrics");
    metrics::counter!(SAMPLE_ERRORS, "source" => source).increment(1);
}

/// One refresh. `channels` remembers every channel seen, so a status that empties is set back to 0.
async fn sample_once(sampled: &Sampled, channels: &mut BTreeSet<String>) {
    if let Some(group) = &sampled.group_commit {
        let stats = group.stats();
        metrics::counter!(GROUP_COMMIT_TRANSACTIONS).absolute(stats.transactions);
        metrics::counter!(GROUP_COMMIT_COMMANDS).absolute(stats.commands);
        metrics::counter!(GROUP_COMMIT_RETRIED).absolute(stats.retried_alone);
        metrics::gauge!(GROUP_COMMIT_LARGEST).set(stats.largest_batch as f64);
    }
    match sampled.store.oldest_open_append().await {
        Ok(age) => {
            metrics::gauge!(STORE_OLDEST_OPEN_APPEND).set(age.unwrap_or_default().as_secs_f64())
        }
        Err(e) => sample_failed("store", &e),
    }
    match sampled.store.head().await {
        Ok(head) => {
            for model in projection::Model::ALL {
                match sampled.projections.checkpoint(model).await {
                    Ok(at) => {
                        let at = at.unwrap_or(Checkpoint::START);
                        let lag = (head.global_position - at.global_position).max(0);
                        metrics::gauge!(READ_MODEL_LAG, "model" => model.name()).set(lag as f64);
                    }
                    Err(e) => sample_failed("read_models", &e),
                }
            }
        }
        Err(e) => sample_failed("store", &e),
    }
    if let Some(notifier) = &sampled.notifier {
        match notifier.delivery_counts().await {
            Ok(counts) => {
                channels.extend(counts.iter().map(|c| c.channel.clone()));
                for channel in channels.iter() {
                    for status in notifier::DeliveryStatus::ALL {
                        let n = counts
                            .iter()
                            .find(|c| &c.channel == channel && c.status == status)
                            .map_or(0, |c| c.count);
                        metrics::gauge!(
                            NOTIFIER_DELIVERIES,
                            "channel" => channel.clone(),
                            "status" => status.as_str()
                        )
                        .set(n as f64);
                    }
                }
            }
            Err(e) => sample_failed("notifier", &e),
        }
    }
}

/// The deadline watcher's loop (as `Watcher::run`, every `interval`), counting passes and misses.
pub async fn run_watcher(
    watcher: projection::watcher::Watcher,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let today = command::local_date(Utc::now());
        match watcher.run_once(today).await {
            Ok(o) => {
                metrics::counter!(WATCHER_PASSES, "outcome" => "completed").increment(1);
                for (result, n) in [
                    ("recorded", o.recorded),
                    ("already_recorded", o.already_done),
                    ("failed", o.failed),
                ] {
                    metrics::counter!(WATCHER_MISSES, "result" => result).increment(n as u64);
                }
                if o.recorded + o.failed > 0 {
                    tracing::info!(
                        recorded = o.recorded,
                        failed = o.failed,
                        "deadline watcher pass"
                    );
                }
            }
            Err(e) => {
                metrics::counter!(WATCHER_PASSES, "outcome" => "failed").increment(1);
                tracing::warn!(error = %e, "deadline watcher pass failed; retrying later");
            }
        }
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store whose only answer is an append open for three seconds.
    #[derive(Debug)]
    struct Held;

    #[async_trait]
    impl EventStore for Held {
        async fn append(
            &self,
            _: &StreamId,
            _: ExpectedVersion,
            _: Vec<NewEvent>,
            _: &CommandMeta,
        ) -> Result<AppendOutcome, StoreError> {
            Err(StoreError::Unavailable("test".into()))
        }
        async fn find_command(
            &self,
            _: uuid::Uuid,
            _: Option<&str>,
        ) -> Result<Option<AppendOutcome>, StoreError> {
            Ok(None)
        }
        async fn read_stream(&self, _: &StreamId) -> Result<Vec<RecordedEvent>, StoreError> {
            Ok(Vec::new())
        }
        async fn read_stream_as_of(
            &self,
            _: &StreamId,
            _: DateTime<Utc>,
        ) -> Result<Vec<RecordedEvent>, StoreError> {
            Ok(Vec::new())
        }
        async fn read_all(&self, _: &Checkpoint, _: usize) -> Result<Page, StoreError> {
            Err(StoreError::Unavailable("test".into()))
        }
        async fn head(&self) -> Result<Checkpoint, StoreError> {
            Ok(Checkpoint::START)
        }
        async fn verify_stream(
            &self,
            _: &StreamId,
        ) -> Result<store::hash::Verification, StoreError> {
            Err(StoreError::Unavailable("test".into()))
        }
        async fn oldest_open_append(&self) -> Result<Option<Duration>, StoreError> {
            Ok(Some(Duration::from_secs(3)))
        }
        fn backend(&self) -> &'static str {
            "held"
        }
    }

    #[tokio::test]
    async fn the_wrappers_serve_uses_pass_the_oldest_open_append_through() {
        let store: Arc<dyn EventStore> =
            Arc::new(feed::SignallingStore::new(TimedStore::wrap(Arc::new(Held))));
        assert_eq!(
            store.oldest_open_append().await.expect("age"),
            Some(Duration::from_secs(3)),
            "a wrapper that forgot the method would answer the trait's default, None"
        );
        assert_eq!(store.backend(), "held");
    }

    #[test]
    fn append_outcomes_are_a_closed_set() {
        let refused = Err(StoreError::Invalid("x".into()));
        assert_eq!(append_outcome(&refused), "refused");
        assert_eq!(
            append_outcome(&Err(StoreError::Unavailable("x".into()))),
            "error"
        );
        assert_eq!(
            method_label(&Method::from_bytes(b"BREW").expect("method")),
            "other"
        );
    }
}
