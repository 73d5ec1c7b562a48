//! What an audit found: findings (tampering or unprovable claims), warnings, and counts.

use serde::Serialize;

use crate::event::Event;

/// The kind of a finding; each one means the bundle does not show an untouched history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An event's fields are not in the form the store hashes (or the bundle is otherwise unreadable there).
    Malformed,
    /// An event's stored hash is not the hash of its fields: it was altered after it was written.
    HashMismatch,
    /// An event's `prev_hash` is not the previous event's hash: the stream's chain was cut or spliced.
    BrokenLink,
    /// A stream's versions are not 1, 2, 3, …: an event is missing, duplicated or out of order.
    VersionGap,
    /// The bundle's events are not in ascending leaf order.
    OutOfOrder,
    /// Leaf indexes skip: the events at those places of the global order were deleted.
    MissingLeaf,
    /// A checkpoint covers more events than the bundle holds: the end of the log was deleted.
    Truncated,
    /// An event is not the leaf a trusted checkpoint holds at its index.
    NotInCheckpoint,
    /// The events do not hash to a trusted checkpoint's root.
    RootMismatch,
    /// A checkpoint does not verify with the trusted keys, or is for another log.
    BadCheckpoint,
    /// A checkpoint has fewer witness cosignatures than required.
    TooFewWitnesses,
    /// Two trusted checkpoints of the same size have different roots.
    Equivocation,
    /// A consistency proof between two trusted checkpoints fails: the later one rewrote the earlier history.
    Inconsistent,
    /// The auditor's checkpoint is larger than any the log now shows: the log was rolled back.
    Rollback,
    /// A claim the bundle must prove comes without the proof.
    MissingProof,
}

/// The event a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRef {
    pub stream_id: String,
    pub version: u64,
    pub event_id: String,
}

impl From<&Event> for EventRef {
    fn from(e: &Event) -> Self {
        Self {
            stream_id: e.stream_id.clone(),
            version: e.version,
            event_id: e.event_id.clone(),
        }
    }
}

/// One inconsistency, located at a leaf of the global order when it can be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The place in the global order where the history stops being the one the checkpoints vouch for.
    pub leaf_index: Option<u64>,
    pub event: Option<EventRef>,
    pub message: String,
}

impl Finding {
    pub(crate) fn at(kind: FindingKind, event: &Event, message: impl Into<String>) -> Self {
        Self {
            kind,
            leaf_index: Some(event.leaf_index),
            event: Some(event.into()),
            message: message.into(),
        }
    }

    pub(crate) fn log(kind: FindingKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            leaf_index: None,
            event: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.leaf_index, &self.event) {
            (Some(leaf), Some(e)) => write!(
                f,
                "leaf {leaf}, {} version {} (event {}): {}",
                e.stream_id, e.version, e.event_id, self.message
            ),
            (Some(leaf), None) => write!(f, "leaf {leaf}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// The result of [`super::verify_bundle`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// True when there is no finding.
    pub intact: bool,
    pub events_checked: u64,
    pub streams_checked: u64,
    /// Events below the newest trusted checkpoint's size: the ones the log's signature vouches for.
    pub events_covered: u64,
    /// Events whose hash could not be recomputed because the bundle withheld their personal part.
    pub events_withheld: u64,
    /// Tree size and root (base64) of the newest trusted checkpoint.
    pub newest_checkpoint: Option<(u64, String)>,
    pub checkpoints_verified: u64,
    pub warnings: Vec<String>,
    /// Earliest in the global order first; findings about the log as a whole last.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The finding earliest in the global order, or the first finding about the log as a whole.
    pub fn first_bad(&self) -> Option<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.leaf_index.is_some())
            .min_by_key(|f| f.leaf_index)
            .or_else(|| self.findings.first())
    }

    /// Orders the findings by their place in the global order, findings about the log as a whole last, so the
    /// first one listed is [`Report::first_bad`].
    pub(crate) fn finish(mut self) -> Self {
        self.findings
            .sort_by_key(|f| (f.leaf_index.is_none(), f.leaf_index));
        self.intact = self.findings.is_empty();
        self
    }
}
