//! The audit timeline of one case, read from the store itself (not from a read model), so an auditor sees
//! exactly what was recorded: every event with its actor, times, hash chain and deadline explanations,
//! and the case as it stood at `as_of` (all events recorded at or before that instant).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use feed::case::{self, Horizon, Loaded, Personal};
use serde::Serialize;
use store::EventStore;
use utoipa::ToSchema;

use crate::ProjectionError;
use crate::model::case_list::status_parts;

/// A deadline an event started (with its explanation) or closed.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeadlineNote {
    pub key: String,
    /// `started`, or the closing status (`met`, `late`, `missed`, `cancelled`).
    pub change: String,
    pub due: Option<String>,
    pub rule_id: Option<String>,
    pub explanation: Option<String>,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub version: u64,
    pub event_type: String,
    pub occurred_on: String,
    pub recorded_at: String,
    pub actor: String,
    pub command_id: String,
    pub correlation_id: String,
    pub causation_id: Option<String>,
    pub rulebook_version: Option<String>,
    pub global_position: i64,
    pub prev_hash: String,
    pub hash: String,
    pub deadlines: Vec<DeadlineNote>,
}

/// The answer of `GET /api/v1/petitions/{id}/timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Timeline {
    pub case_id: String,
    pub as_of: Option<String>,
    pub version: u64,
    /// The case state folded from every event recorded by `as_of` (its public view; personal data is
    /// never included), whichever page of them `events` shows.
    #[schema(value_type = Object)]
    pub state: serde_json::Value,
    /// The events from `from_version`, at most `limit` of them.
    pub events: Vec<TimelineEntry>,
    /// The `from_version` of the next page, when more events follow.
    pub next_from_version: Option<u64>,
}

/// Which events of a timeline to show: from `from_version` (1-based), at most `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelinePage {
    pub from_version: u64,
    pub limit: usize,
}

impl TimelinePage {
    /// Every event.
    pub const ALL: TimelinePage = TimelinePage {
        from_version: 1,
        limit: usize::MAX,
    };
}

/// The timeline of `case_id`, or `None` when the case did not exist (at `as_of`).
pub async fn timeline(
    store: &Arc<dyn EventStore>,
    case_id: uuid::Uuid,
    as_of: Option<DateTime<Utc>>,
) -> Result<Option<Timeline>, ProjectionError> {
    timeline_page(store, case_id, as_of, TimelinePage::ALL).await
}

/// One page of the timeline of `case_id` (the state is folded from every event, the entries are the
/// page's), or `None` when the case did not exist (at `as_of`).
pub async fn timeline_page(
    store: &Arc<dyn EventStore>,
    case_id: uuid::Uuid,
    as_of: Option<DateTime<Utc>>,
    page: TimelinePage,
) -> Result<Option<Timeline>, ProjectionError> {
    let horizon = as_of.map_or(Horizon::Now, Horizon::AsOf);
    // The personal part is deliberately not decoded: an audit view shows facts, not identities.
    let loaded = case::load(store.as_ref(), case_id.into(), horizon, Personal::Omit).await?;
    let Some(Loaded {
        recorded,
        events: decoded,
        state,
    }) = loaded
    else {
        return Ok(None);
    };
    let mut events = Vec::with_capacity(recorded.len().min(page.limit));
    for (r, event) in recorded.iter().zip(&decoded) {
        if r.version < page.from_version || events.len() >= page.limit {
            continue;
        }
        let changes = event.deadlines();
        let mut deadlines: Vec<DeadlineNote> = changes
            .started
            .iter()
            .map(|(k, d)| DeadlineNote {
                key: k.as_str().to_owned(),
                change: "started".into(),
                due: Some(d.due.to_string()),
                rule_id: Some(d.rule_id.clone()),
                explanation: Some(d.explanation.clone()),
            })
            .collect();
        deadlines.extend(changes.closed.iter().map(|(k, s)| {
            DeadlineNote {
                key: k.as_str().to_owned(),
                change: status_parts(*s).0.to_owned(),
                due: None,
                rule_id: None,
                explanation: status_parts(*s)
                    .1
                    .map(|on| format!("{} on {on}", status_parts(*s).0)),
            }
        }));
        events.push(TimelineEntry {
            version: r.version,
            event_type: r.event_type.clone(),
            occurred_on: event.occurred_on().to_string(),
            recorded_at: r.recorded_at.to_rfc3339(),
            actor: r.metadata.actor.clone(),
            command_id: r.metadata.command_id.to_string(),
            correlation_id: r.metadata.correlation_id.to_string(),
            causation_id: r.metadata.causation_id.map(|c| c.to_string()),
            rulebook_version: r.metadata.rulebook_version.clone(),
            global_position: r.global_position,
            prev_hash: r.prev_hash.clone(),
            hash: r.hash.clone(),
            deadlines,
        });
    }
    let state_json =
        serde_json::to_value(&state).map_err(|e| ProjectionError::Decode(e.to_string()))?;
    Ok(Some(Timeline {
        case_id: case_id.to_string(),
        as_of: as_of.map(|t| t.to_rfc3339()),
        version: state.version,
        next_from_version: events
            .last()
            .map(|e| e.version)
            .filter(|last| *last < state.version)
            .and_then(|last| last.checked_add(1)),
        state: state_json,
        events,
    }))
}
