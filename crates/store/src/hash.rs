//! The per-stream hash chain that makes history tamper-evident, specified precisely enough to re-implement.
//!
//! Every stored event carries `prev_hash` (the `hash` of the previous event of the same stream, or 64 `0`
//! characters for version 1) and `hash`, computed by [`compute_hash`] as:
//!
//! ```text
//! hash     = lowercase hex of SHA-256(encoding)
//! encoding = field("petition-ledger/event/v1")   domain separator, changes if the encoding ever changes
//!          ‖ field(prev_hash)                     64 lowercase hex characters
//!          ‖ field(stream_id)
//!          ‖ field(version)                       decimal, no sign, no leading zeros
//!          ‖ field(event_id)                      lowercase hyphenated UUID, e.g. 0190c2…-…
//!          ‖ field(event_type)
//!          ‖ field(schema_version)                decimal
//!          ‖ field(recorded_at)                   RFC 3339 in UTC, exactly 6 fractional digits and `Z`,
//!                                                 e.g. 2024-05-01T09:30:00.000123Z
//!          ‖ field(canonical_json(payload))
//!          ‖ optional(canonical_json(personal))
//!          ‖ field(command_id)                    UUID as above
//!          ‖ field(actor)
//!          ‖ field(correlation_id)                UUID as above
//!          ‖ optional(causation_id)               UUID as above
//!          ‖ optional(rulebook_version)
//!
//! field(s)          = the byte length of UTF-8 `s` as an unsigned 64-bit big-endian integer, then those bytes
//! optional(absent)  = the single byte 0x00
//! optional(present) = the single byte 0x01, then field(value)
//! ```
//!
//! `canonical_json` writes JSON with no whitespace at all:
//! - object members sorted by the UTF-8 bytes of their keys (note: this is *not* RFC 8785, which sorts by
//!   UTF-16 code units; the two differ only for keys outside the Basic Multilingual Plane);
//! - arrays in their order; `null`, `true`, `false` as such;
//! - strings in double quotes, escaping `"` as `\"`, `\` as `\\`, U+0008 as `\b`, U+000C as `\f`, U+000A as `\n`,
//!   U+000D as `\r`, U+0009 as `\t`, any other character below U+0020 as `\u00xx` (lowercase hex), and every
//!   other character as its raw UTF-8 bytes (no `\u` escapes for non-ASCII, `/` not escaped);
//! - integers in decimal; other numbers as the shortest decimal that parses back to the same IEEE 754 double,
//!   the way `serde_json` prints them (`0.1`, `1.5`, `1.0`, `1e20`, `1.5e-7`). Payloads should prefer integers
//!   and strings, which every language prints identically.
//!
//! The length prefixes make the encoding injective: no two different events share an encoding, whatever
//! characters their fields contain. [`verify_chain`] recomputes the chain from stored rows; it is pure so that an
//! auditor can run it offline on an exported bundle without trusting the server.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{EventMetadata, RecordedEvent, StreamId};

/// The `prev_hash` of every stream's first event.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Identifies this encoding; a future encoding gets a new separator so old and new hashes never collide.
const DOMAIN_SEPARATOR: &str = "petition-ledger/event/v1";

/// The hash of one event, as specified in the module documentation.
#[allow(clippy::too_many_arguments)] // The signature mirrors the specification field by field, on purpose.
pub fn compute_hash(
    prev_hash: &str,
    stream_id: &StreamId,
    version: u64,
    event_id: Uuid,
    event_type: &str,
    schema_version: u16,
    recorded_at: DateTime<Utc>,
    payload: &Value,
    personal: Option<&Value>,
    metadata: &EventMetadata,
) -> String {
    let mut enc = Encoder(Sha256::new());
    enc.field(DOMAIN_SEPARATOR);
    enc.field(prev_hash);
    enc.field(stream_id.as_str());
    enc.field(&version.to_string());
    enc.field(&event_id.hyphenated().to_string());
    enc.field(event_type);
    enc.field(&schema_version.to_string());
    enc.field(&format_recorded_at(recorded_at));
    enc.field(&canonical_json(payload));
    enc.optional(personal.map(canonical_json).as_deref());
    enc.field(&metadata.command_id.hyphenated().to_string());
    enc.field(&metadata.actor);
    enc.field(&metadata.correlation_id.hyphenated().to_string());
    enc.optional(
        metadata
            .causation_id
            .map(|id| id.hyphenated().to_string())
            .as_deref(),
    );
    enc.optional(metadata.rulebook_version.as_deref());
    hex::encode(enc.0.finalize())
}

/// The hash of a stored event, recomputed from its own fields (including its stored `prev_hash`).
pub fn hash_of(event: &RecordedEvent) -> String {
    compute_hash(
        &event.prev_hash,
        &event.stream_id,
        event.version,
        event.event_id,
        &event.event_type,
        event.schema_version,
        event.recorded_at,
        &event.payload,
        event.personal.as_ref(),
        &event.metadata,
    )
}

/// `recorded_at` as hashed: RFC 3339, UTC, exactly six fractional digits, `Z`.
pub fn format_recorded_at(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Streams bytes into the digest with the length-prefixed framing described in the module docs.
struct Encoder(Sha256);

impl Encoder {
    fn field(&mut self, s: &str) {
        self.0.update((s.len() as u64).to_be_bytes());
        self.0.update(s.as_bytes());
    }
    fn optional(&mut self, s: Option<&str>) {
        match s {
            None => self.0.update([0u8]),
            Some(s) => {
                self.0.update([1u8]);
                self.field(s);
            }
        }
    }
}

/// Canonical JSON as specified in the module docs. Written by hand rather than with `serde_json::to_string` so
/// that the result does not depend on whether some other crate enabled serde_json's `preserve_order` feature.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // `str` ordering is byte-wise, which is exactly the documented key order.
            members.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write_canonical(item, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The result of checking one stream's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub stream_id: StreamId,
    pub events_checked: u64,
    /// Every inconsistency found, in version order. Empty when the stream is intact.
    pub problems: Vec<TamperFinding>,
}

impl Verification {
    /// True when every hash recomputes, every link holds and the versions are dense from 1.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One inconsistency in a stream's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TamperFinding {
    /// The version of the event at which the inconsistency shows.
    pub version: u64,
    pub kind: TamperKind,
    /// What the chain says the value should be.
    pub expected: String,
    /// What is stored.
    pub actual: String,
}

/// What kind of inconsistency a [`TamperFinding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TamperKind {
    /// The stored `hash` is not the hash of the stored fields: the event was altered after it was written.
    HashMismatch,
    /// The stored `prev_hash` is not the stored `hash` of the previous event: the chain was cut or spliced.
    BrokenLink,
    /// The versions are not 1, 2, 3, …: an event is missing or was inserted.
    VersionGap,
}

/// Recomputes the chain of `stream` from `events` (in version order, as `read_stream` returns them).
///
/// Each event is checked against its own stored hash and against the stored hash of the event before it, so a
/// single altered event is reported at its own version, and an attacker who also rewrites that event's hash is
/// caught by the `BrokenLink` at the next version.
pub fn verify_chain(stream: &StreamId, events: &[RecordedEvent]) -> Verification {
    let mut problems = Vec::new();
    let mut expected_prev = GENESIS_PREV_HASH.to_owned();
    let mut expected_version = 1u64;
    for event in events {
        let finding = |kind, expected: String, actual: String| TamperFinding {
            version: event.version,
            kind,
            expected,
            actual,
        };
        if event.version != expected_version {
            problems.push(finding(
                TamperKind::VersionGap,
                expected_version.to_string(),
                event.version.to_string(),
            ));
        }
        if event.prev_hash != expected_prev {
            problems.push(finding(
                TamperKind::BrokenLink,
                expected_prev.clone(),
                event.prev_hash.clone(),
            ));
        }
        // Hash with the stream being verified, not the row's own stream id, so a row moved between streams shows.
        let recomputed = compute_hash(
            &event.prev_hash,
            stream,
            event.version,
            event.event_id,
            &event.event_type,
            event.schema_version,
            event.recorded_at,
            &event.payload,
            event.personal.as_ref(),
            &event.metadata,
        );
        if recomputed != event.hash {
            problems.push(finding(
                TamperKind::HashMismatch,
                recomputed,
                event.hash.clone(),
            ));
        }
        expected_prev = event.hash.clone();
        expected_version = event.version.saturating_add(1);
    }
    Verification {
        stream_id: stream.clone(),
        events_checked: events.len() as u64,
        problems,
    }
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
