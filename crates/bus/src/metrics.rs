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

/// Registers the help text of every metric above with the installed recorder (call once at start).
pub fn describe() {
    metrics::describe_gauge!(
        RELAY_LAG,
        metrics::Unit::Count,
        "How far the JetStream stream is behind the event store, in global positions (an upper bound on PostgreSQL)."
    );
    metrics::describe_counter!(
        RELAY_PUBLISHED,
        metrics::Unit::Count,
        "Events acknowledged by JetStream as newly stored."
    );
    metrics::describe_counter!(
        RELAY_PUBLISH_ERRORS,
        metrics::Unit::Count,
        "Failed publishes to JetStream; each one triggers a re-sync."
    );
    metrics::describe_gauge!(
        RELAY_LEADER,
        "1 while this process holds the relay lease, 0 while it stands by."
    );
    metrics::describe_counter!(
        CONSUMER_DEAD_LETTERED,
        metrics::Unit::Count,
        "Events a consumer sent to its dead-letter subject, by consumer."
    );
}

pub(crate) fn lag(store_head: i64, published: i64) {
    metrics::gauge!(RELAY_LAG).set((store_head - published).max(0) as f64);
}
