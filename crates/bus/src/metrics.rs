//! Metric names, declared once so dashboards and alerts can rely on them (the binary installs the exporter).

/// Gauge: how far the stream is behind the store, in global positions (exact on SQLite; on PostgreSQL
/// positions have gaps, so it is an upper bound of the events still to publish).
pub const RELAY_LAG: &str = "petition_relay_lag_events";
/// Counter: events acknowledged by JetStream as newly stored.
pub const RELAY_PUBLISHED: &str = "petition_relay_published_total";
/// Counter: failed publishes (broker down, wrong last sequence, timeouts); each one triggers a re-sync.
pub const RELAY_PUBLISH_ERRORS: &str = "petition_relay_publish_errors_total";
/// Gauge: 1 while this process holds the relay lease, 0 while it stands by.
pub const RELAY_LEADER: &str = "petition_relay_leader";
/// Counter, labelled by `consumer`: events a consumer sent to its dead-letter subject.
pub const CONSUMER_DEAD_LETTERED: &str = "petition_consumer_dead_lettered_total";

pub(crate) fn lag(store_head: i64, published: i64) {
    metrics::gauge!(RELAY_LAG).set((store_head - published).max(0) as f64);
}
