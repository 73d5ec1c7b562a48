//! `petition bus status`: how far the stream is behind the store, and each consumer behind the stream.

use std::fmt;

use async_nats::jetstream;
use store::{Checkpoint, EventStore};

use crate::{BusError, StreamSettings, cloudevents};

/// The stream's head as the relay left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHead {
    pub name: String,
    pub messages: u64,
    pub last_sequence: u64,
    /// The store checkpoint carried by the last message (`None` for an empty stream).
    pub checkpoint: Option<Checkpoint>,
}

/// One durable consumer's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerStatus {
    pub name: String,
    /// `false` when no consumer of that name exists yet (it is created on its first run).
    pub exists: bool,
    /// Stream sequence of the last acknowledged event (all before it are done).
    pub acked: u64,
    /// Events not yet delivered plus delivered but unacknowledged: the consumer's lag.
    pub lag: u64,
    pub redelivered: usize,
}

/// Everything `petition bus status` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusStatus {
    pub store_backend: &'static str,
    pub store_head: Checkpoint,
    pub stream: StreamHead,
    /// Store positions not yet in the stream: exact on SQLite, an upper bound on PostgreSQL (gaps).
    pub relay_lag: i64,
    pub consumers: Vec<ConsumerStatus>,
}

/// Reads the store head, the stream head and the named consumers' progress.
pub async fn bus_status(
    store: &dyn EventStore,
    js: &jetstream::Context,
    settings: &StreamSettings,
    consumer_names: &[&str],
) -> Result<BusStatus, BusError> {
    let store_head = store.head().await?;
    let unavailable =
        |what: &str, e: &dyn fmt::Display| BusError::Unavailable(format!("{what}: {e}"));
    let stream = js
        .get_stream_no_info(&settings.stream)
        .await
        .map_err(|e| unavailable("stream", &e))?;
    let info = stream
        .get_info()
        .await
        .map_err(|e| unavailable("stream info", &e))?;
    let checkpoint = if info.state.messages == 0 {
        None
    } else {
        let last = stream
            .direct_get(info.state.last_sequence)
            .await
            .map_err(|e| unavailable("last message", &e))?;
        cloudevents::checkpoint(&last.headers).ok()
    };
    let published = checkpoint.unwrap_or(Checkpoint::START).global_position;
    let mut consumers = Vec::with_capacity(consumer_names.len());
    for name in consumer_names {
        let status = match stream.consumer_info(name).await {
            Ok(c) => ConsumerStatus {
                name: (*name).to_owned(),
                exists: true,
                acked: c.ack_floor.stream_sequence,
                lag: c.num_pending.saturating_add(c.num_ack_pending as u64),
                redelivered: c.num_redelivered,
            },
            Err(_) => ConsumerStatus {
                name: (*name).to_owned(),
                exists: false,
                acked: 0,
                lag: info.state.messages,
                redelivered: 0,
            },
        };
        consumers.push(status);
    }
    Ok(BusStatus {
        store_backend: store.backend(),
        store_head,
        relay_lag: (store_head.global_position - published).max(0),
        stream: StreamHead {
            name: settings.stream.clone(),
            messages: info.state.messages,
            last_sequence: info.state.last_sequence,
            checkpoint,
        },
        consumers,
    })
}

impl fmt::Display for BusStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stream_at = self
            .stream
            .checkpoint
            .map_or_else(|| "-".to_owned(), |c| c.to_string());
        writeln!(
            f,
            "{:<28} {:>16} {:>12} {:>10}",
            "PART", "POSITION", "SEQUENCE", "LAG"
        )?;
        writeln!(
            f,
            "{:<28} {:>16} {:>12} {:>10}",
            format!("store ({})", self.store_backend),
            self.store_head.to_string(),
            "-",
            "-"
        )?;
        writeln!(
            f,
            "{:<28} {:>16} {:>12} {:>10}",
            format!("stream {}", self.stream.name),
            stream_at,
            self.stream.last_sequence,
            self.relay_lag
        )?;
        for c in &self.consumers {
            let name = if c.exists {
                format!("consumer {}", c.name)
            } else {
                format!("consumer {} (absent)", c.name)
            };
            writeln!(f, "{name:<28} {:>16} {:>12} {:>10}", "-", c.acked, c.lag)?;
        }
        Ok(())
    }
}
