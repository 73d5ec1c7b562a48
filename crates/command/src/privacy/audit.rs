//! The personal-data audit of a case (ADR 0016): every reveal of personal data (who, when, why, via which
//! endpoint, whose data by position) and every erasure, read from the case's append-only `privacy-<case id>`
//! stream. Nothing in it is personal data, so auditors read it without being able to read the data itself.

use chrono::{DateTime, Utc};
use domain::CaseId;
use serde::Serialize;
use store::{EventStore, RecordedEvent, StoreError};
use uuid::Uuid;

use super::privacy_stream_of;

/// One audited act on a case's personal data.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// `denouncer.revealed` (a read of a protected identity) or `personal_data.erased`.
    pub event_type: String,
    /// When it happened (the event's recording time).
    pub recorded_at: DateTime<Utc>,
    /// Who did it: the principal's actor name.
    pub actor: String,
    /// The request's correlation id, to find it in the server's log.
    pub correlation_id: Uuid,
    /// Whose data, by position (`denouncer-0`, `signatory-1`), never by name.
    pub persons: Vec<String>,
    /// Why (required for reveals and erasures).
    pub reason: Option<String>,
    /// The endpoint a reveal came through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// The event's position in the privacy stream.
    pub version: u64,
    pub hash: String,
}

impl From<&RecordedEvent> for AuditEntry {
    fn from(e: &RecordedEvent) -> Self {
        let text = |field: &str| {
            e.payload
                .get(field)
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        Self {
            event_type: e.event_type.clone(),
            recorded_at: e.recorded_at,
            actor: e.metadata.actor.clone(),
            correlation_id: e.metadata.correlation_id,
            persons: e
                .payload
                .get("persons")
                .and_then(|v| v.as_array())
                .map(|list| {
                    list.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            reason: text("reason"),
            endpoint: text("endpoint"),
            version: e.version,
            hash: e.hash.clone(),
        }
    }
}

/// The audit trail of `case_id`, oldest first.
pub async fn load(store: &dyn EventStore, case_id: CaseId) -> Result<Vec<AuditEntry>, StoreError> {
    let events = store.read_stream(&privacy_stream_of(case_id)).await?;
    Ok(events.iter().map(AuditEntry::from).collect())
}
