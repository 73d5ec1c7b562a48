//! The wire format: CloudEvents 1.0 in binary content mode, per the CloudEvents NATS protocol binding.
//!
//! Attributes travel as `ce-*` headers, the body is the event's payload as JSON (`content-type:
//! application/json`). The event's `personal` part is never published: it stays in the store until the
//! per-person encryption seam exists (ARCHITECTURE.md, "Deliberately absent"). Extensions carry everything
//! a consumer needs to rebuild the [`RecordedEvent`] the in-process source would have handed it, so
//! handlers see one shape whichever source feeds them. Header names are listed in `docs/bus.md`.

use async_nats::HeaderMap;
use chrono::{DateTime, SecondsFormat, Utc};
use store::{Checkpoint, EventMetadata, RecordedEvent, StreamId};
use uuid::Uuid;

use crate::route::Route;
use crate::subject;

/// Header names. CloudEvents extension names are lower-case letters and digits only.
pub mod header {
    pub const SPECVERSION: &str = "ce-specversion";
    pub const ID: &str = "ce-id";
    pub const SOURCE: &str = "ce-source";
    pub const TYPE: &str = "ce-type";
    pub const TIME: &str = "ce-time";
    pub const SUBJECT: &str = "ce-subject";
    pub const CONTENT_TYPE: &str = "content-type";
    /// Extension: the case (stream) version, 1, 2, 3, …
    pub const CASE_VERSION: &str = "ce-caseversion";
    /// Extension: the store's global position (unique, not dense; see ADR 0002).
    pub const GLOBAL_POSITION: &str = "ce-globalposition";
    pub const CORRELATION_ID: &str = "ce-correlationid";
    /// Absent when the event had no causation id.
    pub const CAUSATION_ID: &str = "ce-causationid";
    /// The store's event type verbatim (`petition.accepted`) and its schema version.
    pub const EVENT_TYPE: &str = "ce-petitioneventtype";
    pub const SCHEMA_VERSION: &str = "ce-schemaversion";
    pub const STREAM_ID: &str = "ce-streamid";
    pub const ACTOR: &str = "ce-actor";
    pub const COMMAND_ID: &str = "ce-commandid";
    /// Absent when no deadline was computed.
    pub const RULEBOOK_VERSION: &str = "ce-rulebookversion";
    /// The store's hash chain, so a consumer can verify a case from the stream alone.
    pub const PREV_HASH: &str = "ce-prevhash";
    pub const HASH: &str = "ce-hash";
    /// Not a CloudEvents attribute: the store checkpoint `<transaction_id>:<global_position>` the relay
    /// resumes after. Every message carries it, so the stream's last message says where the relay stopped.
    pub const CHECKPOINT: &str = "petition-checkpoint";
}

/// One event ready to publish.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub subject: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// A message that is not a well-formed petition event (a poison message for a consumer).
#[derive(Debug, thiserror::Error)]
#[error("malformed event message: {0}")]
pub struct DecodeError(pub String);

/// Header names as async-nats values, made at compile time: inserting them neither validates nor
/// allocates per event, as a `&str` name would.
mod name {
    use super::header as h;
    use async_nats::HeaderName;

    pub const SPECVERSION: HeaderName = HeaderName::from_static(h::SPECVERSION);
    pub const ID: HeaderName = HeaderName::from_static(h::ID);
    pub const SOURCE: HeaderName = HeaderName::from_static(h::SOURCE);
    pub const TYPE: HeaderName = HeaderName::from_static(h::TYPE);
    pub const TIME: HeaderName = HeaderName::from_static(h::TIME);
    pub const SUBJECT: HeaderName = HeaderName::from_static(h::SUBJECT);
    pub const CONTENT_TYPE: HeaderName = HeaderName::from_static(h::CONTENT_TYPE);
    pub const CASE_VERSION: HeaderName = HeaderName::from_static(h::CASE_VERSION);
    pub const GLOBAL_POSITION: HeaderName = HeaderName::from_static(h::GLOBAL_POSITION);
    pub const CORRELATION_ID: HeaderName = HeaderName::from_static(h::CORRELATION_ID);
    pub const CAUSATION_ID: HeaderName = HeaderName::from_static(h::CAUSATION_ID);
    pub const EVENT_TYPE: HeaderName = HeaderName::from_static(h::EVENT_TYPE);
    pub const SCHEMA_VERSION: HeaderName = HeaderName::from_static(h::SCHEMA_VERSION);
    pub const STREAM_ID: HeaderName = HeaderName::from_static(h::STREAM_ID);
    pub const ACTOR: HeaderName = HeaderName::from_static(h::ACTOR);
    pub const COMMAND_ID: HeaderName = HeaderName::from_static(h::COMMAND_ID);
    pub const RULEBOOK_VERSION: HeaderName = HeaderName::from_static(h::RULEBOOK_VERSION);
    pub const PREV_HASH: HeaderName = HeaderName::from_static(h::PREV_HASH);
    pub const HASH: HeaderName = HeaderName::from_static(h::HASH);
    pub const CHECKPOINT: HeaderName = HeaderName::from_static(h::CHECKPOINT);
}

/// Encodes `event` for the stream whose subjects start with `prefix`.
pub fn encode(prefix: &str, event: &RecordedEvent, route: &Route) -> Result<Outgoing, DecodeError> {
    let mut h = HeaderMap::new();
    h.insert(name::SPECVERSION, "1.0");
    h.insert(name::ID, event.event_id.to_string());
    h.insert(name::SOURCE, subject::ce_source(&route.agency));
    h.insert(
        name::TYPE,
        subject::ce_type(&event.event_type, event.schema_version),
    );
    h.insert(name::TIME, rfc3339(&event.recorded_at));
    h.insert(
        name::SUBJECT,
        subject::case_subject(event.stream_id.as_str()),
    );
    h.insert(name::CONTENT_TYPE, "application/json");
    h.insert(name::CASE_VERSION, event.version.to_string());
    h.insert(name::GLOBAL_POSITION, event.global_position.to_string());
    h.insert(
        name::CORRELATION_ID,
        event.metadata.correlation_id.to_string(),
    );
    if let Some(causation) = event.metadata.causation_id {
        h.insert(name::CAUSATION_ID, causation.to_string());
    }
    h.insert(name::EVENT_TYPE, event.event_type.as_str());
    h.insert(name::SCHEMA_VERSION, event.schema_version.to_string());
    h.insert(name::STREAM_ID, event.stream_id.as_str());
    h.insert(name::ACTOR, event.metadata.actor.as_str());
    h.insert(name::COMMAND_ID, event.metadata.command_id.to_string());
    if let Some(rulebook) = &event.metadata.rulebook_version {
        h.insert(name::RULEBOOK_VERSION, rulebook.as_str());
    }
    h.insert(name::PREV_HASH, event.prev_hash.as_str());
    h.insert(name::HASH, event.hash.as_str());
    h.insert(name::CHECKPOINT, event.checkpoint().to_string());
    // Payloads are a few hundred bytes: one allocation instead of a series of doublings.
    let mut body = Vec::with_capacity(512);
    serde_json::to_writer(&mut body, &event.payload).map_err(|e| DecodeError(e.to_string()))?;
    Ok(Outgoing {
        subject: subject::event_subject(prefix, &route.agency, &route.kind, &event.event_type),
        headers: h,
        body,
    })
}

/// RFC 3339 with a `Z` offset and the precision the store kept.
fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The value of a header, if present.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.as_str())
}

/// The checkpoint a relay-written message carries.
pub fn checkpoint(headers: &HeaderMap) -> Result<Checkpoint, DecodeError> {
    required(headers, header::CHECKPOINT)?
        .parse()
        .map_err(|e: store::StoreError| DecodeError(e.to_string()))
}

fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, DecodeError> {
    get(headers, name).ok_or_else(|| DecodeError(format!("missing header `{name}`")))
}

fn parsed<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Result<T, DecodeError>
where
    T::Err: std::fmt::Display,
{
    required(headers, name)?
        .parse()
        .map_err(|e| DecodeError(format!("header `{name}`: {e}")))
}

/// Rebuilds the event a message carries (`personal` is always `None`: it is never published).
pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<RecordedEvent, DecodeError> {
    let checkpoint = checkpoint(headers)?;
    let causation_id = match get(headers, header::CAUSATION_ID) {
        Some(raw) => Some(
            raw.parse::<Uuid>()
                .map_err(|e| DecodeError(format!("header `{}`: {e}", header::CAUSATION_ID)))?,
        ),
        None => None,
    };
    let recorded_at = DateTime::parse_from_rfc3339(required(headers, header::TIME)?)
        .map_err(|e| DecodeError(format!("header `{}`: {e}", header::TIME)))?
        .with_timezone(&Utc);
    Ok(RecordedEvent {
        event_id: parsed(headers, header::ID)?,
        stream_id: StreamId::parse(required(headers, header::STREAM_ID)?)
            .map_err(|e| DecodeError(e.to_string()))?,
        version: parsed(headers, header::CASE_VERSION)?,
        global_position: checkpoint.global_position,
        transaction_id: checkpoint.transaction_id,
        recorded_at,
        event_type: required(headers, header::EVENT_TYPE)?.to_owned(),
        schema_version: parsed(headers, header::SCHEMA_VERSION)?,
        payload: serde_json::from_slice(body).map_err(|e| DecodeError(format!("body: {e}")))?,
        personal: None,
        metadata: EventMetadata {
            command_id: parsed(headers, header::COMMAND_ID)?,
            actor: required(headers, header::ACTOR)?.to_owned(),
            correlation_id: parsed(headers, header::CORRELATION_ID)?,
            causation_id,
            rulebook_version: get(headers, header::RULEBOOK_VERSION).map(str::to_owned),
        },
        prev_hash: required(headers, header::PREV_HASH)?.to_owned(),
        hash: required(headers, header::HASH)?.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> RecordedEvent {
        RecordedEvent {
            event_id: Uuid::now_v7(),
            stream_id: StreamId::for_case(Uuid::nil()),
            version: 3,
            global_position: 42,
            transaction_id: 7,
            recorded_at: Utc::now(),
            event_type: "petition.accepted".into(),
            schema_version: 1,
            payload: json!({"agency": "UBND-HN"}),
            personal: Some(json!({"name": "Nguyễn Văn A"})),
            metadata: EventMetadata {
                command_id: Uuid::now_v7(),
                actor: "officer-1".into(),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
                rulebook_version: Some("2026.1".into()),
            },
            prev_hash: "0".repeat(64),
            hash: "f".repeat(64),
        }
    }

    #[test]
    fn a_decoded_message_is_the_event_without_its_personal_part() {
        let event = sample();
        let route = Route::default().after(&event.payload);
        let out = encode("petition.events", &event, &route).expect("encodes");
        assert_eq!(
            out.subject,
            "petition.events.UBND-HN.unknown.petition_accepted"
        );
        let back = decode(&out.headers, &out.body).expect("decodes");
        assert_eq!(
            back,
            RecordedEvent {
                personal: None,
                ..event
            }
        );
    }

    /// The relay and `compare-stream` (which re-encodes what the store holds) must agree byte for byte with
    /// every message already in a stream: the encoding may get faster, never different.
    #[test]
    fn the_wire_format_stays_exactly_what_is_documented() {
        let mut event = sample();
        event.event_id = Uuid::from_u128(1);
        event.recorded_at = DateTime::parse_from_rfc3339("2026-09-01T08:30:00.123456Z")
            .expect("time")
            .with_timezone(&Utc);
        event.metadata.command_id = Uuid::from_u128(2);
        event.metadata.correlation_id = Uuid::from_u128(3);
        event.metadata.causation_id = Some(Uuid::from_u128(4));
        event.event_type = "Appeal2.Lodged".into();
        let route = Route {
            agency: " BO.TC ".into(),
            kind: String::new(),
        };
        let out = encode("petition.events", &event, &route).expect("encodes");
        assert_eq!(out.subject, "petition.events.BO_TC.unknown.appeal2_lodged");
        let mut headers: Vec<(String, String)> = out
            .headers
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.to_string(), v.to_string())))
            .collect();
        headers.sort();
        let id = |n: u128| Uuid::from_u128(n).to_string();
        let mut expected: Vec<(String, String)> = [
            ("ce-specversion", "1.0".to_owned()),
            ("ce-id", id(1)),
            ("ce-source", "urn:vn-gov-petition:agency:BO_TC".to_owned()),
            ("ce-type", "vn.gov.petition.appeal__lodged.v1".to_owned()),
            ("ce-time", "2026-09-01T08:30:00.123456Z".to_owned()),
            ("ce-subject", Uuid::nil().to_string()),
            ("content-type", "application/json".to_owned()),
            ("ce-caseversion", "3".to_owned()),
            ("ce-globalposition", "42".to_owned()),
            ("ce-correlationid", id(3)),
            ("ce-causationid", id(4)),
            ("ce-petitioneventtype", "Appeal2.Lodged".to_owned()),
            ("ce-schemaversion", "1".to_owned()),
            ("ce-streamid", format!("case-{}", Uuid::nil())),
            ("ce-actor", "officer-1".to_owned()),
            ("ce-commandid", id(2)),
            ("ce-rulebookversion", "2026.1".to_owned()),
            ("ce-prevhash", "0".repeat(64)),
            ("ce-hash", "f".repeat(64)),
            ("petition-checkpoint", "7:42".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        expected.sort();
        assert_eq!(headers, expected);
        assert_eq!(out.body, br#"{"agency":"UBND-HN"}"#);
    }

    #[test]
    fn a_message_without_a_checkpoint_is_malformed() {
        assert!(decode(&HeaderMap::new(), b"{}").is_err());
    }
}
