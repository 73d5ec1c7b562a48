//! What the API returns: events without personal data, and a case's state with its deadlines explained.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use store::RecordedEvent;
use uuid::Uuid;

/// One recorded event as the API shows it. Personal data is never included here; `has_personal_data`
/// says whether the stored event carries any (visible only to roles allowed to see it, later).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub event_id: Uuid,
    pub version: u64,
    pub global_position: i64,
    pub recorded_at: DateTime<Utc>,
    pub event_type: String,
    pub schema_version: u16,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub has_personal_data: bool,
    pub actor: String,
    pub command_id: Uuid,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub rulebook_version: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&RecordedEvent> for EventView {
    fn from(e: &RecordedEvent) -> Self {
        Self {
            event_id: e.event_id,
            version: e.version,
            global_position: e.global_position,
            recorded_at: e.recorded_at,
            event_type: e.event_type.clone(),
            schema_version: e.schema_version,
            payload: e.payload.clone(),
            has_personal_data: e.personal.is_some(),
            actor: e.metadata.actor.clone(),
            command_id: e.metadata.command_id,
            correlation_id: e.metadata.correlation_id,
            causation_id: e.metadata.causation_id,
            rulebook_version: e.metadata.rulebook_version.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

/// The answer to a command.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommandResponse {
    pub case_id: Uuid,
    /// Present on `receive`: the code to hand to the petitioner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_code: Option<String>,
    /// The case version after the command; send it back as `If-Match` on the next command.
    pub version: u64,
    /// True when this repeated an `Idempotency-Key` already recorded: nothing new was appended.
    pub replayed: bool,
    pub events: Vec<EventView>,
}

/// A deadline of the case, as of today.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeadlineView {
    pub key: String,
    pub due: NaiveDate,
    #[schema(value_type = Object)]
    pub status: serde_json::Value,
    pub overdue: bool,
    pub days_overdue: i64,
    /// The day a miss was recorded that no longer stands: the step was keyed in later with an earlier
    /// real date (backlog entry). The `deadline.missed` event stays in the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub superseded_miss: Option<NaiveDate>,
    pub rule_id: String,
    pub rule_version: u32,
    pub basis: String,
    pub verified: bool,
    pub explanation: String,
}

/// A case as it stands: its folded state and deadlines with explanations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseView {
    pub case_id: Uuid,
    pub version: u64,
    /// The local (Vietnam) date the overdue flags were evaluated on.
    pub as_of: NaiveDate,
    pub deadlines: Vec<DeadlineView>,
    /// The folded state, without personal data.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    /// Whether the case's personal data is still readable, and the erasures recorded for it.
    pub personal_data: crate::privacy::PersonalDataView,
}
