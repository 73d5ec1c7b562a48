//! The JetStream side's shape: connection, the event stream and the dead-letter stream, created or updated
//! idempotently at start so that every process (relay, projector, notifier) can call it safely.

use std::time::Duration;

use async_nats::jetstream::{
    self,
    stream::{Config, DiscardPolicy, RetentionPolicy, StorageType},
};

use crate::BusError;

/// Where events live on the broker. Plain values; the binary maps `PETITION_NATS_*` settings onto them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSettings {
    /// The event stream (`PETITION_EVENTS`).
    pub stream: String,
    /// Subject prefix of the event stream; events go to `<prefix>.<agency>.<kind>.<event_type>`.
    pub subject_prefix: String,
    /// The dead-letter stream (`PETITION_DLQ`), capturing `<dlq_prefix>.>`.
    pub dlq_stream: String,
    /// Dead letters of consumer `c` go to `<dlq_prefix>.<c>`.
    pub dlq_prefix: String,
    /// Replicas of both streams and of the lease bucket: 1 on one node, 3 on a cluster.
    pub replicas: usize,
    /// How long JetStream remembers a `Nats-Msg-Id`: a relay retry within it is a no-op.
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            stream: "PETITION_EVENTS".into(),
            subject_prefix: "petition.events".into(),
            dlq_stream: "PETITION_DLQ".into(),
            dlq_prefix: "petition.dlq".into(),
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

impl StreamSettings {
    /// The filter matching every event.
    pub fn all_events(&self) -> String {
        format!("{}.>", self.subject_prefix)
    }
}

/// Connects to NATS without waiting for the server: the client retries in the background, so a process
/// that starts while NATS is down keeps serving commands and the relay catches up once it is reachable.
/// `url` may list the servers of a cluster, comma-separated (`nats://a:4222,nats://b:4222`): the client
/// connects to one and fails over to the others (and to those the cluster announces).
pub async fn connect(url: &str, client_name: &str) -> Result<jetstream::Context, BusError> {
    let servers = server_addrs(url)?;
    let client = async_nats::ConnectOptions::new()
        .name(client_name)
        .retry_on_initial_connect()
        .max_reconnects(None)
        .connect(servers)
        .await
        .map_err(|e| BusError::Unavailable(format!("connecting to {url}: {e}")))?;
    Ok(jetstream::new(client))
}

/// The servers of a comma-separated NATS URL list (`nats://a:4222,nats://b:4222`).
pub fn server_addrs(url: &str) -> Result<Vec<async_nats::ServerAddr>, BusError> {
    let servers = url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| {
            u.parse::<async_nats::ServerAddr>()
                .map_err(|e| BusError::Config(format!("NATS server address `{u}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if servers.is_empty() {
        return Err(BusError::Config("no NATS server address".into()));
    }
    Ok(servers)
}

/// Creates or updates the event stream and the dead-letter stream; safe to call from every process.
///
/// The event stream keeps everything (limits retention, no age limit), on file storage, refuses message
/// deletion and purges through the API (only the store may decide what happened), and allows direct gets
/// so the relay can read its last message cheaply.
pub async fn ensure_stream(
    js: &jetstream::Context,
    settings: &StreamSettings,
) -> Result<(), BusError> {
    let events = Config {
        name: settings.stream.clone(),
        description: Some(
            "petition-ledger events, in the store's global order (relay-written)".into(),
        ),
        subjects: vec![settings.all_events()],
        storage: StorageType::File,
        num_replicas: settings.replicas,
        retention: RetentionPolicy::Limits,
        discard: DiscardPolicy::Old,
        duplicate_window: settings.duplicate_window,
        allow_direct: true,
        deny_delete: true,
        deny_purge: true,
        ..Default::default()
    };
    let dead_letters = Config {
        name: settings.dlq_stream.clone(),
        description: Some("events a consumer gave up on, per consumer subject".into()),
        subjects: vec![format!("{}.>", settings.dlq_prefix)],
        storage: StorageType::File,
        num_replicas: settings.replicas,
        retention: RetentionPolicy::Limits,
        allow_direct: true,
        ..Default::default()
    };
    for config in [events, dead_letters] {
        let name = config.name.clone();
        js.create_or_update_stream(config)
            .await
            .map_err(|e| BusError::Unavailable(format!("creating stream {name}: {e}")))?;
    }
    Ok(())
}
