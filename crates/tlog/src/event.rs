//! The event hash of `store::hash`, re-implemented from its documentation so that the verifier needs no store.
//!
//! `crates/store/src/hash.rs` specifies the encoding field by field; this module follows that text and nothing
//! else, and `tests/store_parity.rs` checks it against the store's own `compute_hash` byte for byte. Fields
//! arrive here exactly as they are hashed (UUIDs as lowercase hyphenated text, `recorded_at` with six
//! fractional digits and `Z`); [`Event::check_form`] refuses any other spelling, so that an exported event can
//! only be read one way.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of every stream's first event.
pub const GENESIS_PREV_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The store's domain separator for encoding v1.
const DOMAIN_SEPARATOR: &str = "petition-ledger/event/v1";

/// One stored event as exported: its place in the global order (the Merkle leaf index), the fields its hash
/// covers, and the hashes the store recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Position in the global order, from 0: the index of this event's leaf in the log's Merkle tree.
    pub leaf_index: u64,
    pub stream_id: String,
    pub version: u64,
    pub event_id: String,
    pub event_type: String,
    pub schema_version: u16,
    /// Exactly as hashed: RFC 3339, UTC, six fractional digits, `Z`.
    pub recorded_at: String,
    pub payload: Value,
    /// The personal part; the field is absent when the event has none or it is withheld (`personal_withheld`).
    /// A present `null` is a personal part that is JSON `null`, which hashes differently from none at all.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub personal: Option<Value>,
    /// True when the exporter left the personal part out. The event's hash then cannot be recomputed (it
    /// covers the personal part itself), but its place in its chain and in the log can still be proven.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub personal_withheld: bool,
    pub metadata: Metadata,
    /// Hex SHA-256 of the previous event of the stream, or [`GENESIS_PREV_HASH`].
    pub prev_hash: String,
    /// Hex SHA-256 of this event's encoding, as the store recorded it. Its 32 bytes are the Merkle leaf.
    pub hash: String,
}

/// A field that is present is `Some`, even when it is `null`; an absent one is `None` (via `default`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The metadata fields the hash covers, in the store's JSON shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    pub command_id: String,
    pub actor: String,
    pub correlation_id: String,
    #[serde(default)]
    pub causation_id: Option<String>,
    #[serde(default)]
    pub rulebook_version: Option<String>,
}

/// Why an exported event cannot be read as the store wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} `{value}` is not {expected}")]
pub struct FormError {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl Event {
    /// The event's hash recomputed from its fields, or `None` when the personal part was withheld.
    pub fn recompute_hash(&self) -> Option<String> {
        (!self.personal_withheld).then(|| compute_hash(self))
    }

    /// The Merkle leaf of this event: the 32 bytes its stored `hash` spells in hex.
    pub fn leaf(&self) -> Result<[u8; 32], FormError> {
        parse_hex_hash("hash", &self.hash)
    }

    /// Refuses every spelling the store would never have hashed.
    pub fn check_form(&self) -> Result<(), FormError> {
        check_stream_id(&self.stream_id)?;
        check_uuid("event_id", &self.event_id)?;
        check_uuid("metadata.command_id", &self.metadata.command_id)?;
        check_uuid("metadata.correlation_id", &self.metadata.correlation_id)?;
        if let Some(id) = &self.metadata.causation_id {
            check_uuid("metadata.causation_id", id)?;
        }
        check_recorded_at(&self.recorded_at)?;
        parse_hex_hash("prev_hash", &self.prev_hash)?;
        parse_hex_hash("hash", &self.hash)?;
        if self.personal_withheld && self.personal.is_some() {
            return Err(FormError {
                field: "personal",
                value: "present".into(),
                expected: "null when personal_withheld is true",
            });
        }
        if self.version == 0 {
            return Err(FormError {
                field: "version",
                value: "0".into(),
                expected: "a version from 1",
            });
        }
        Ok(())
    }
}

/// The hash of one event, as specified in `store::hash`.
pub fn compute_hash(e: &Event) -> String {
    let mut enc = Encoder(Sha256::new());
    enc.field(DOMAIN_SEPARATOR);
    enc.field(&e.prev_hash);
    enc.field(&e.stream_id);
    enc.field(&e.version.to_string());
    enc.field(&e.event_id);
    enc.field(&e.event_type);
    enc.field(&e.schema_version.to_string());
    enc.field(&e.recorded_at);
    enc.field(&canonical_json(&e.payload));
    enc.optional(e.personal.as_ref().map(canonical_json).as_deref());
    enc.field(&e.metadata.command_id);
    enc.field(&e.metadata.actor);
    enc.field(&e.metadata.correlation_id);
    enc.optional(e.metadata.causation_id.as_deref());
    enc.optional(e.metadata.rulebook_version.as_deref());
    hex::encode(enc.0.finalize())
}

/// Length-prefixed framing: `field(s)` = u64 big-endian byte length, then the bytes; `optional` adds 0x00/0x01.
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

/// Canonical JSON as `store::hash` specifies it: no whitespace, object keys sorted by their UTF-8 bytes,
/// minimal string escapes, numbers as `serde_json` prints them.
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

/// 64 lowercase hex characters, decoded.
pub fn parse_hex_hash(field: &'static str, s: &str) -> Result<[u8; 32], FormError> {
    let bad = || FormError {
        field,
        value: s.to_owned(),
        expected: "64 lowercase hex characters",
    };
    if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
    Ok(out)
}

/// The store's stream id rule: ASCII letters, digits, `-`, `_`, `.`, `:`; 1..=200 characters.
fn check_stream_id(s: &str) -> Result<(), FormError> {
    let ok = !s.is_empty()
        && s.len() <= 200
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if ok {
        Ok(())
    } else {
        Err(FormError {
            field: "stream_id",
            value: s.to_owned(),
            expected: "a stream id (ASCII letters, digits, `-_.:`, 1 to 200 characters)",
        })
    }
}

/// Lowercase hyphenated UUID text: 8-4-4-4-12 lowercase hex digits.
fn check_uuid(field: &'static str, s: &str) -> Result<(), FormError> {
    let ok = s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
        });
    if ok {
        Ok(())
    } else {
        Err(FormError {
            field,
            value: s.to_owned(),
            expected: "a lowercase hyphenated UUID",
        })
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` naming a real calendar day, as chrono prints a UTC time with microseconds.
fn check_recorded_at(s: &str) -> Result<(), FormError> {
    let bad = || FormError {
        field: "recorded_at",
        value: s.to_owned(),
        expected: "an RFC 3339 UTC time with six fractional digits and `Z`",
    };
    let b = s.as_bytes();
    if b.len() != 27 {
        return Err(bad());
    }
    let shape = b"dddd-dd-ddTdd:dd:dd.ddddddZ";
    for (c, want) in b.iter().zip(shape) {
        let ok = if *want == b'd' {
            c.is_ascii_digit()
        } else {
            c == want
        };
        if !ok {
            return Err(bad());
        }
    }
    let num = |from: usize, to: usize| -> u32 {
        b[from..to]
            .iter()
            .fold(0, |n, d| n * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    let (hour, minute, second) = (num(11, 13), num(14, 16), num(17, 19));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return Err(bad());
    }
    Ok(())
}
