//! Which agency and kind an event belongs to, for its subject and `ce-source`, without the domain crate.
//!
//! Only some events name them (`petition.received` has `receiving_agency` and `kind`; `petition.forwarded`
//! has `to_agency`; `petition.accepted` has `agency`), so the route of an event is folded over its stream:
//! each event's fields override what earlier events of the same case said. The fold depends only on the
//! store, so republishing an event always yields the same subject. A small cache keeps the last route per
//! stream; on a miss the stream is read back from the store through `feed::case` (the one way to load a
//! case). The route folds the raw payloads rather than the decoded `CaseState`, on purpose: every event is
//! published, even one this build cannot decode (a newer schema during a rolling upgrade), and the subjects
//! of events already in the stream must not change (`compare-stream` recomputes them). See ADR 0014.

use std::collections::HashMap;

use feed::case::{Horizon, read};
use serde_json::Value;
use store::{EventStore, RecordedEvent, StoreError, StreamId};

use crate::subject::UNKNOWN;

/// Payload fields naming the agency now handling the case, most specific first.
const AGENCY_FIELDS: [&str; 4] = ["to_agency", "agency", "current_agency", "receiving_agency"];
/// Payload field naming the petition kind (complaint, denunciation, recommendation, feedback).
const KIND_FIELD: &str = "kind";
/// Above this many cached streams the cache is cleared; a miss costs one `read_stream`.
const CACHE_LIMIT: usize = 100_000;

/// The agency and kind of one event (raw values; [`crate::subject::token`] maps them to tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub agency: String,
    pub kind: String,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            agency: UNKNOWN.to_owned(),
            kind: UNKNOWN.to_owned(),
        }
    }
}

impl Route {
    /// The route after `payload`: its fields override the ones carried over from earlier events.
    pub fn after(&self, payload: &Value) -> Route {
        let mut route = self.clone();
        route.apply(payload);
        route
    }

    /// Moves this route past `payload` in place (allocating only for a field the payload names).
    fn apply(&mut self, payload: &Value) {
        let text = |field: &str| {
            payload
                .get(field)
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        if let Some(agency) = AGENCY_FIELDS.iter().find_map(|f| text(f)) {
            agency.clone_into(&mut self.agency);
        }
        if let Some(kind) = text(KIND_FIELD) {
            kind.clone_into(&mut self.kind);
        }
    }
}

/// Computes routes in publishing order, remembering the last `(version, route)` of each stream.
#[derive(Debug, Default)]
pub struct Router {
    last: HashMap<StreamId, (u64, Route)>,
}

impl Router {
    /// The route of `event`, reading its stream from `store` when the previous version is not cached.
    pub async fn route(
        &mut self,
        store: &dyn EventStore,
        event: &RecordedEvent,
    ) -> Result<Route, StoreError> {
        // The usual case, the next event of a cached stream: update in place, no key to clone.
        if let Some((version, route)) = self.last.get_mut(&event.stream_id)
            && *version + 1 == event.version
        {
            route.apply(&event.payload);
            *version = event.version;
            return Ok(route.clone());
        }
        let before = if event.version <= 1 {
            Route::default()
        } else {
            read(store, &event.stream_id, Horizon::Version(event.version - 1))
                .await?
                .iter()
                .fold(Route::default(), |route, e| route.after(&e.payload))
        };
        let route = before.after(&event.payload);
        if self.last.len() >= CACHE_LIMIT {
            self.last.clear();
        }
        self.last
            .insert(event.stream_id.clone(), (event.version, route.clone()));
        Ok(route)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_events_inherit_and_override_the_agency() {
        let received =
            Route::default().after(&json!({"receiving_agency": "UBND-HN", "kind": "complaint"}));
        assert_eq!(received.agency, "UBND-HN");
        let accepted = received.after(&json!({"instance": "first"}));
        assert_eq!(accepted, received);
        let forwarded = accepted.after(&json!({"from_agency": "UBND-HN", "to_agency": "BO-TC"}));
        assert_eq!(forwarded.agency, "BO-TC");
        assert_eq!(forwarded.kind, "complaint");
    }

    #[test]
    fn a_payload_without_fields_routes_to_unknown() {
        assert_eq!(Route::default().after(&json!([1, 2])), Route::default());
    }
}
