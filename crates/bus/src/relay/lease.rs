//! The relay lease: one relay publishes, the others stand by, so two started relays do not waste work
//! racing each other.
//!
//! A tiny JetStream stream (one subject, one message kept, `max_age` = the lease TTL) holds the holder's
//! instance id. This is exactly how a JetStream key-value bucket works underneath, done by hand because
//! the key-value API of async-nats 0.51 needs a newer server than the nats-server 2.9 we test against.
//! The holder publishes with `Nats-Expected-Last-Subject-Sequence: 0` to take the lease, then renews it
//! every TTL/3 with the sequence it wrote last (a compare-and-set); a standby retries the first publish,
//! which succeeds only once the holder's message has expired (it died) or was deleted (it stopped).
//! The lease is an optimisation, not the safety net: a paused holder can outlive its lease, and then
//! `Nats-Expected-Last-Sequence` on every event publish is what keeps the stream free of duplicates and
//! gaps (see `docs/adr/0006-relay-and-subjects.md`).

use std::time::{Duration, Instant};

use async_nats::jetstream::{
    self,
    context::PublishErrorKind,
    message::PublishMessage,
    stream::{Config, DiscardPolicy, StorageType},
};

use crate::BusError;

/// Where the lease lives and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseConfig {
    /// The lease stream (`PETITION_RELAY_LEASE`).
    pub stream: String,
    /// Its one subject (`petition.relay.lease`).
    pub subject: String,
    /// A dead holder is replaced after at most this long.
    pub ttl: Duration,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        Self {
            stream: "PETITION_RELAY_LEASE".into(),
            subject: "petition.relay.lease".into(),
            ttl: Duration::from_secs(10),
        }
    }
}

/// This process's view of the lease.
#[derive(Debug)]
pub(crate) struct Lease {
    js: jetstream::Context,
    config: LeaseConfig,
    instance: String,
    /// The stream sequence we wrote last, while we believe we hold the lease.
    revision: Option<u64>,
    renewed_at: Instant,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(format!("relay lease: {what}: {e}"))
}

impl Lease {
    /// Creates (or updates) the lease stream; idempotent.
    pub(crate) async fn open(
        js: &jetstream::Context,
        config: LeaseConfig,
        replicas: usize,
        instance: String,
    ) -> Result<Self, BusError> {
        js.create_or_update_stream(Config {
            name: config.stream.clone(),
            description: Some("which relay instance publishes (see ADR 0006)".into()),
            subjects: vec![config.subject.clone()],
            max_messages_per_subject: 1,
            max_age: config.ttl,
            duplicate_window: config.ttl.min(Duration::from_secs(120)),
            discard: DiscardPolicy::Old,
            storage: StorageType::File,
            num_replicas: replicas,
            ..Default::default()
        })
        .await
        .map_err(|e| unavailable("creating the stream", e))?;
        Ok(Self {
            js: js.clone(),
            config,
            instance,
            revision: None,
            renewed_at: Instant::now(),
        })
    }

    pub(crate) fn held(&self) -> bool {
        self.revision.is_some() && self.renewed_at.elapsed() < self.config.ttl
    }

    /// Whether the holder should renew now (a third of the TTL has passed).
    pub(crate) fn renewal_due(&self) -> bool {
        self.revision.is_some() && self.renewed_at.elapsed() >= self.config.ttl / 3
    }

    /// Takes or renews the lease; `Ok(false)` means another instance holds it.
    pub(crate) async fn acquire_or_renew(&mut self) -> Result<bool, BusError> {
        // Count the TTL from before the request: the server may have stamped it any time since.
        let started = Instant::now();
        let message = PublishMessage::build()
            .payload(self.instance.clone().into_bytes().into())
            .expected_last_subject_sequence(self.revision.unwrap_or(0));
        let sent = self
            .js
            .send_publish(self.config.subject.clone(), message)
            .await
            .map_err(|e| unavailable("publishing", e))?;
        let result = match sent.await {
            Ok(ack) => Some(ack.sequence),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => None,
            Err(e) => return Err(unavailable("acknowledging", e)),
        };
        if result.is_none() && self.revision.is_some() {
            tracing::warn!(instance = %self.instance, "relay lease lost to another instance");
        }
        self.revision = result;
        self.renewed_at = started;
        Ok(self.revision.is_some())
    }

    /// Gives the lease up so a standby takes over at once instead of after the TTL.
    pub(crate) async fn release(&mut self) {
        let Some(revision) = self.revision.take() else {
            return;
        };
        let deleted = match self.js.get_stream_no_info(&self.config.stream).await {
            Ok(stream) => stream
                .delete_message(revision)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = deleted {
            tracing::debug!(error = %e, "relay lease not released; it will expire");
        }
    }
}
