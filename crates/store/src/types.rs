//! The values that cross the store's boundary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The category prefix of case streams.
pub const CASE_STREAM_PREFIX: &str = "case-";

/// A stream name: `<category>-<id>`, e.g. `case-0190…`. ASCII letters, digits, `-`, `_`, `.`, `:`; 1..=200 chars.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

impl StreamId {
    pub fn parse(s: impl Into<String>) -> Result<Self, crate::StoreError> {
        let s = s.into();
        let ok = !s.is_empty()
            && s.len() <= 200
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if ok {
            Ok(Self(s))
        } else {
            Err(crate::StoreError::Invalid(format!(
                "invalid stream id `{s}`"
            )))
        }
    }
    /// The stream of one case: `case-<uuid>`. With [`StreamId::case_id`], the one place that names case
    /// streams (readers go through `feed::case`).
    pub fn for_case(case_id: Uuid) -> Self {
        Self(format!("{CASE_STREAM_PREFIX}{case_id}"))
    }
    /// The case whose stream this is; `None` for other streams (`notifications-…`, `privacy-…`).
    pub fn case_id(&self) -> Option<Uuid> {
        self.0
            .strip_prefix(CASE_STREAM_PREFIX)
            .and_then(|id| Uuid::parse_str(id).ok())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StreamId {
    type Error = crate::StoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}
impl From<StreamId> for String {
    fn from(s: StreamId) -> String {
        s.0
    }
}
impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The version a writer expects the stream to be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last version must be exactly this (>= 1).
    Exact(u64),
    /// No check (used only by system writers that tolerate interleaving).
    Any,
}

/// An event to append. Ids and times are assigned by the caller so that retries are deterministic.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    /// Past-tense type name, e.g. `petition.accepted`.
    pub event_type: String,
    pub schema_version: u16,
    /// The non-personal part of the payload: a JSON object.
    pub payload: serde_json::Value,
    /// The personal part (names, addresses, identity numbers), kept apart so it can be encrypted in one place.
    pub personal: Option<serde_json::Value>,
}

/// Who and what caused an append; copied into every event's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandMeta {
    /// Idempotency key: the same command id never appends twice.
    pub command_id: Uuid,
    /// Hash of the request that produced the command; a reused command id with another fingerprint is refused.
    pub fingerprint: Option<String>,
    pub actor: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    /// Rulebook version used when a deadline was computed by this command.
    pub rulebook_version: Option<String>,
}

/// Metadata stored with every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    pub command_id: Uuid,
    pub actor: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub rulebook_version: Option<String>,
}

/// A position in the global order. Opaque to callers except for display and persistence as a string.
///
/// PostgreSQL orders by `(transaction_id, global_position)`; SQLite uses `transaction_id = 0`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Checkpoint {
    pub transaction_id: u64,
    pub global_position: i64,
}

impl Checkpoint {
    /// Before the first event.
    pub const START: Checkpoint = Checkpoint {
        transaction_id: 0,
        global_position: 0,
    };
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.transaction_id, self.global_position)
    }
}

impl std::str::FromStr for Checkpoint {
    type Err = crate::StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            crate::StoreError::Invalid(format!(
                "invalid checkpoint `{s}`, expected `<tx>:<position>`"
            ))
        };
        let (t, p) = s.split_once(':').ok_or_else(bad)?;
        Ok(Checkpoint {
            transaction_id: t.parse().map_err(|_| bad())?,
            global_position: p.parse().map_err(|_| bad())?,
        })
    }
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedEvent {
    pub event_id: Uuid,
    pub stream_id: StreamId,
    /// Dense per-stream version: 1, 2, 3, …
    pub version: u64,
    /// Unique, increasing within a backend, but gaps are possible; the global order is `checkpoint()`.
    pub global_position: i64,
    /// The writing transaction (PostgreSQL `xid8`); 0 on SQLite.
    pub transaction_id: u64,
    pub recorded_at: DateTime<Utc>,
    pub event_type: String,
    pub schema_version: u16,
    pub payload: serde_json::Value,
    pub personal: Option<serde_json::Value>,
    pub metadata: EventMetadata,
    /// Hex SHA-256 of the previous event of the stream (64 zeros for version 1).
    pub prev_hash: String,
    /// Hex SHA-256 over this event's canonical encoding, including `prev_hash`.
    pub hash: String,
}

impl RecordedEvent {
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            transaction_id: self.transaction_id,
            global_position: self.global_position,
        }
    }
}

/// The result of an append (or of its idempotent replay).
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    pub stream_id: StreamId,
    pub events: Vec<RecordedEvent>,
    /// The stream's version after the append.
    pub last_version: u64,
    /// True when the command id had already been recorded and nothing new was appended.
    pub replayed: bool,
}

/// One page of the global order.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub events: Vec<RecordedEvent>,
    /// Where to continue; equals the input checkpoint when the page is empty.
    pub next: Checkpoint,
}
