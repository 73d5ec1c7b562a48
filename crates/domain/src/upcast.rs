//! The upcaster chain: how events stored under an older schema version are read by this build.
//!
//! Stored events are never rewritten (the store refuses it, and the hash chain would break). When an
//! event's shape must change:
//!
//! 1. Keep the event's type name. Change its struct to the new shape.
//! 2. Add or bump its entry in `VERSIONS`, e.g. `("petition.received", 2)`.
//! 3. Add one arm to `step` turning a version-1 payload (and personal part) into a version-2 one, e.g.
//!    `("petition.received", 1) => { payload["channel"] = json!("mail"); Ok((payload, personal)) }`.
//!    Steps are pure functions of the stored JSON; they never look anything up.
//! 4. Keep a stored version-1 sample in the tests and assert it decodes to the expected v2 event.
//!
//! Reading then applies every step from the stored version up to the current one, so a v1 event read
//! by a v3 build goes v1 → v2 → v3. An event newer than the build is refused, never guessed.

use serde_json::Value;

use crate::DecodeError;

/// Event types whose current schema version is above 1, e.g. `("petition.received", 2)`. Empty for now.
const VERSIONS: &[(&str, u16)] = &[];

/// The schema version this build writes for `event_type`: 1 unless `VERSIONS` says otherwise.
pub fn current_version(event_type: &str) -> u16 {
    VERSIONS
        .iter()
        .find(|(t, _)| *t == event_type)
        .map_or(1, |&(_, v)| v)
}

/// Brings a stored payload and personal part up to the current version of their type.
pub fn upcast(
    event_type: &str,
    schema_version: u16,
    mut payload: Value,
    mut personal: Option<Value>,
) -> Result<(Value, Option<Value>), DecodeError> {
    let current = current_version(event_type);
    if schema_version == 0 || schema_version > current {
        return Err(DecodeError::UnsupportedSchemaVersion {
            event_type: event_type.to_owned(),
            version: schema_version,
        });
    }
    for from in schema_version..current {
        (payload, personal) = step(event_type, from, payload, personal)?;
    }
    Ok((payload, personal))
}

/// One step of the chain: from version `from` to `from + 1`. There are none yet.
fn step(
    event_type: &str,
    from: u16,
    payload: Value,
    personal: Option<Value>,
) -> Result<(Value, Option<Value>), DecodeError> {
    let _ = (payload, personal);
    Err(DecodeError::UnsupportedSchemaVersion {
        event_type: event_type.to_owned(),
        version: from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_version_passes_through_unchanged() {
        let payload = serde_json::json!({ "a": 1 });
        assert_eq!(
            upcast("petition.received", 1, payload.clone(), None),
            Ok((payload, None))
        );
    }

    #[test]
    fn a_version_from_the_future_is_refused() {
        assert!(upcast("petition.received", 2, Value::Null, None).is_err());
        assert!(upcast("petition.received", 0, Value::Null, None).is_err());
    }
}
