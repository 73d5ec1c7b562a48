//! Every delivery outcome is also a fact in the event store, in the stream `notifications-<case id>`, so an
//! auditor can show what the citizen was told and when, with the same hash chain as the case itself.
//! The events name the recipient by role (`signatory:0`, `portal`, `agency:<mailbox>`) and carry no address,
//! no name and no message text.

use serde_json::json;
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use uuid::Uuid;

use crate::log::DeliveryRow;
use crate::{Result, ids};

/// A server or gateway accepted the message (SMTP 2xx to the end of DATA, HTTP 2xx).
pub const SENT: &str = "notification.sent";
pub const FAILED: &str = "notification.failed";
/// Nothing was transmitted: no transport is configured, so the message was only written to the log.
pub const LOGGED: &str = "notification.logged";

/// The outcome of one attempt, as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    Sent,
    /// Written to the log only, because no transport is configured: the recipient was not told.
    Logged,
    /// Failed; `dead` when no attempt is left. `kind` is the error class, never its text.
    Failed {
        kind: &'a str,
        dead: bool,
    },
}

/// Appends the outcome of attempt `row.attempts` of `row`. The event id (and command id) is derived from
/// (delivery, attempt, outcome), so recording the same attempt twice appends once.
pub async fn record(
    store: &dyn EventStore,
    source: &RecordedEvent,
    row: &DeliveryRow,
    template_id: &str,
    outcome: Outcome<'_>,
) -> Result<()> {
    let (event_type, outcome_name, error_kind) = match outcome {
        Outcome::Sent => (SENT, "sent", None),
        Outcome::Logged => (LOGGED, "logged", None),
        Outcome::Failed { kind, dead } => {
            (FAILED, if dead { "dead" } else { "failed" }, Some(kind))
        }
    };
    let id = ids::v5(&format!("{}/{}/{outcome_name}", row.id, row.attempts));
    let stream = StreamId::parse(format!("notifications-{}", row.case_id))?;
    let payload = json!({
        "delivery_id": row.id,
        "source_event_id": row.event_id,
        "source_event_type": row.event_type,
        "recipient": row.recipient,
        "channel": row.channel,
        "template_id": template_id,
        "lang": row.lang,
        "attempt": row.attempts,
        "outcome": outcome_name,
        "error_kind": error_kind,
    });
    let event = NewEvent {
        event_id: id,
        event_type: event_type.to_owned(),
        schema_version: 1,
        payload,
        personal: None,
    };
    let meta = CommandMeta {
        command_id: id,
        fingerprint: None,
        actor: "notifier".to_owned(),
        correlation_id: source.metadata.correlation_id,
        causation_id: Some(source.event_id),
        rulebook_version: None,
    };
    store
        .append(&stream, ExpectedVersion::Any, vec![event], &meta)
        .await?;
    Ok(())
}

/// The notification events of a case, for audits and tests.
pub async fn history(store: &dyn EventStore, case_id: Uuid) -> Result<Vec<RecordedEvent>> {
    Ok(store
        .read_stream(&StreamId::parse(format!("notifications-{case_id}"))?)
        .await?)
}
