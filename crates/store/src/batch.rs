//! The backend-independent half of an append: validation, the expected-version rule, idempotent replay and
//! building hash-chained rows. Both backends call these so that they cannot disagree on the rules.

use chrono::{DateTime, SubsecRound, Utc};

use crate::db_error::Violation;
use crate::hash::{GENESIS_PREV_HASH, compute_hash};
use crate::{
    AppendOutcome, CommandMeta, EventMetadata, ExpectedVersion, NewEvent, RecordedEvent,
    StoreError, StreamId,
};

/// What an append needs to know about the stream it extends.
#[derive(Debug, Clone)]
pub(crate) struct StreamHead {
    pub version: u64,
    pub hash: String,
    pub recorded_at: Option<DateTime<Utc>>,
}

impl StreamHead {
    /// The head of a stream that has no events yet.
    pub fn empty() -> Self {
        Self {
            version: 0,
            hash: GENESIS_PREV_HASH.to_owned(),
            recorded_at: None,
        }
    }
}

/// What the `commands` table remembers about a command.
#[derive(Debug, Clone)]
pub(crate) struct CommandRecord {
    pub stream_id: StreamId,
    pub fingerprint: Option<String>,
    pub first_version: u64,
    pub last_version: u64,
}

/// Refuses batches that could never be stored, before any database work.
pub(crate) fn validate(events: &[NewEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Err(StoreError::Invalid(
            "an append needs at least one event".into(),
        ));
    }
    for (i, event) in events.iter().enumerate() {
        if !event.payload.is_object() {
            return Err(StoreError::Invalid(format!(
                "event {} (`{}`): payload must be a JSON object",
                event.event_id, event.event_type
            )));
        }
        if event.event_type.trim().is_empty() {
            return Err(StoreError::Invalid(format!(
                "event {}: event type is empty",
                event.event_id
            )));
        }
        for part in std::iter::once(&event.payload).chain(event.personal.as_ref()) {
            if let Err(why) = portable(part) {
                return Err(StoreError::Invalid(format!(
                    "event {} (`{}`): {why}",
                    event.event_id, event.event_type
                )));
            }
        }
        if events[..i]
            .iter()
            .any(|other| other.event_id == event.event_id)
        {
            return Err(StoreError::Invalid(format!(
                "event id {} appears twice in one batch",
                event.event_id
            )));
        }
    }
    Ok(())
}

/// Refuses the two JSON values that would not survive PostgreSQL `jsonb` unchanged, so that both backends accept
/// the same payloads and a stored payload always hashes as it did when appended: `jsonb` rejects U+0000 in
/// strings, and stores `-0.0` as `0.0`.
fn portable(value: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Err("JSON strings must not contain U+0000".into()),
        Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
            Err("JSON numbers must not be negative zero".into())
        }
        Value::Array(items) => items.iter().try_for_each(portable),
        Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            if key.contains('\0') {
                Err("JSON keys must not contain U+0000".into())
            } else {
                portable(item)
            }
        }),
        _ => Ok(()),
    }
}

/// The optimistic-concurrency rule: `NoStream` means no events, `Exact(n)` means the last version is `n`.
pub(crate) fn check_expected(
    stream: &StreamId,
    expected: ExpectedVersion,
    actual: u64,
) -> Result<(), StoreError> {
    let ok = match expected {
        ExpectedVersion::Any => true,
        ExpectedVersion::NoStream => actual == 0,
        // `Exact(0)` is read as "no events yet", the natural value for a caller that folded an empty stream.
        ExpectedVersion::Exact(n) => actual == n,
    };
    if ok {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            stream: stream.to_string(),
            expected: describe(expected),
            actual,
        })
    }
}

fn describe(expected: ExpectedVersion) -> String {
    match expected {
        ExpectedVersion::NoStream => "no stream".into(),
        ExpectedVersion::Exact(n) => n.to_string(),
        ExpectedVersion::Any => "any version".into(),
    }
}

/// The answer to a command id that was already recorded: the first outcome, or a refusal if the request differs.
///
/// Only the fingerprint decides "same request": a retried "create" command may pick a fresh stream id, and must
/// still get back the stream its first attempt created.
pub(crate) fn replay(
    record: &CommandRecord,
    events: Vec<RecordedEvent>,
    command_id: uuid::Uuid,
    fingerprint: Option<&str>,
) -> Result<AppendOutcome, StoreError> {
    if record.fingerprint.as_deref() != fingerprint {
        return Err(StoreError::IdempotencyKeyReused { command_id });
    }
    recorded_outcome(record, events)
}

/// The answer to `find_command`: like [`replay`], but only a given fingerprint is compared.
pub(crate) fn found(
    record: &CommandRecord,
    events: Vec<RecordedEvent>,
    command_id: uuid::Uuid,
    fingerprint: Option<&str>,
) -> Result<AppendOutcome, StoreError> {
    match fingerprint {
        Some(_) => replay(record, events, command_id, fingerprint),
        None => recorded_outcome(record, events),
    }
}

/// Rebuilds the outcome of a recorded command from its rows, checking they are all there.
pub(crate) fn recorded_outcome(
    record: &CommandRecord,
    events: Vec<RecordedEvent>,
) -> Result<AppendOutcome, StoreError> {
    let expected = record.last_version.saturating_sub(record.first_version) + 1;
    if events.len() as u64 != expected {
        return Err(StoreError::Corrupt(format!(
            "command recorded versions {}..={} of `{}` but {} of those events exist",
            record.first_version,
            record.last_version,
            record.stream_id,
            events.len()
        )));
    }
    Ok(AppendOutcome {
        stream_id: record.stream_id.clone(),
        events,
        last_version: record.last_version,
        replayed: true,
    })
}

/// The timestamp for a new batch: now, truncated to the microseconds both databases store, and never earlier
/// than the stream's last event so that "as of" reads always return a prefix of the stream even if clocks of
/// several servers disagree slightly.
pub(crate) fn recorded_at(head: &StreamHead) -> DateTime<Utc> {
    let now = Utc::now().trunc_subsecs(6);
    match head.recorded_at {
        Some(last) if last > now => last,
        _ => now,
    }
}

/// The rows to insert: dense versions after `head`, chained hashes. Positions are filled in by the backend.
pub(crate) fn build(
    stream: &StreamId,
    head: &StreamHead,
    events: Vec<NewEvent>,
    meta: &CommandMeta,
    recorded_at: DateTime<Utc>,
) -> Vec<RecordedEvent> {
    let metadata = EventMetadata {
        command_id: meta.command_id,
        actor: meta.actor.clone(),
        correlation_id: meta.correlation_id,
        causation_id: meta.causation_id,
        rulebook_version: meta.rulebook_version.clone(),
    };
    let mut prev_hash = head.hash.clone();
    let mut rows = Vec::with_capacity(events.len());
    for (offset, event) in events.into_iter().enumerate() {
        let version = head.version + offset as u64 + 1;
        let hash = compute_hash(
            &prev_hash,
            stream,
            version,
            event.event_id,
            &event.event_type,
            event.schema_version,
            recorded_at,
            &event.payload,
            event.personal.as_ref(),
            &metadata,
        );
        rows.push(RecordedEvent {
            event_id: event.event_id,
            stream_id: stream.clone(),
            version,
            global_position: 0,
            transaction_id: 0,
            recorded_at,
            event_type: event.event_type,
            schema_version: event.schema_version,
            payload: event.payload,
            personal: event.personal,
            metadata: metadata.clone(),
            prev_hash: std::mem::replace(&mut prev_hash, hash.clone()),
            hash,
        });
    }
    rows
}

/// Converts a stored `BIGINT` to the unsigned value the API uses, refusing nonsense instead of wrapping.
/// A `commands` row (stream id, fingerprint, first and last version) as a typed record.
pub(crate) fn command_record(
    (stream_id, fingerprint, first, last): (String, Option<String>, i64, i64),
) -> Result<CommandRecord, StoreError> {
    Ok(CommandRecord {
        stream_id: StreamId::parse(stream_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        fingerprint,
        first_version: to_u64(first, "first version")?,
        last_version: to_u64(last, "last version")?,
    })
}

pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {what}: {value}")))
}

/// Converts an API value to a `BIGINT` bind.
pub(crate) fn to_i64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Invalid(format!("{what} {value} is out of range")))
}

/// The answer to an append whose insert hit a unique violation, given what the database holds now: the
/// recorded command with this id (if any) and the stream's current version. The violating insert only fails once
/// the other transaction has committed, so the caller's fresh reads see what caused it.
pub(crate) fn explain_violation(
    violation: Violation,
    stream: &StreamId,
    expected: ExpectedVersion,
    meta: &CommandMeta,
    command: Option<(CommandRecord, Vec<RecordedEvent>)>,
    current_version: u64,
) -> Result<AppendOutcome, StoreError> {
    // A concurrent duplicate of this very command wins over every other explanation.
    if let Some((record, recorded)) = command {
        return replay(
            &record,
            recorded,
            meta.command_id,
            meta.fingerprint.as_deref(),
        );
    }
    match violation {
        Violation::EventId => Err(StoreError::Invalid(
            "an event id in this batch is already stored".into(),
        )),
        // The expectation may happen to hold again by now; the append still lost its race, so it is a conflict.
        Violation::StreamVersion => Err(check_expected(stream, expected, current_version)
            .err()
            .unwrap_or_else(|| StoreError::Conflict {
                stream: stream.to_string(),
                expected: "a version no other writer took".into(),
                actual: current_version,
            })),
        Violation::CommandId => Err(StoreError::Unavailable(format!(
            "command {} was being recorded concurrently and then vanished; retry",
            meta.command_id
        ))),
    }
}
