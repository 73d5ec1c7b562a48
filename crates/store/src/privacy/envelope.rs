//! The stored form of sealed personal data, and the associated data that binds each ciphertext to its place.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::kek::DataKey;
use crate::{StoreError, StreamId};

/// Names the envelope layout; a stored `personal` value is sealed exactly when it carries this marker.
pub const ENVELOPE_FORMAT: &str = "petition-ledger/personal/v1";
/// The AEAD every part is sealed with.
pub const ALGORITHM: &str = "XChaCha20-Poly1305";

/// What `events.personal` holds: one sealed part per person, each under that person's data key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Always [`ENVELOPE_FORMAT`].
    pub sealed: String,
    /// Always [`ALGORITHM`].
    pub alg: String,
    pub parts: Vec<SealedPart>,
}

/// One person's personal data, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedPart {
    /// Who the part belongs to within the stream (e.g. `signatory-0`); names no one outside it.
    pub person: String,
    /// The data key (a row of `personal_keys`); once that row is destroyed the part is erased.
    pub key_id: Uuid,
    /// 24 random bytes, base64.
    pub nonce: String,
    /// The canonical JSON of the part plus the 16-byte tag, base64.
    pub ciphertext: String,
}

impl Envelope {
    /// The envelope a stored `personal` value is, or `None` for a plaintext value written before sealing existed.
    pub fn from_stored(value: &serde_json::Value) -> Result<Option<Self>, StoreError> {
        if value.get("sealed").and_then(|v| v.as_str()) != Some(ENVELOPE_FORMAT) {
            return Ok(None);
        }
        let envelope: Self = serde_json::from_value(value.clone())
            .map_err(|e| StoreError::Corrupt(format!("malformed personal-data envelope: {e}")))?;
        if envelope.alg != ALGORITHM {
            return Err(StoreError::Corrupt(format!(
                "personal data sealed with unknown algorithm `{}`",
                envelope.alg
            )));
        }
        Ok(Some(envelope))
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The associated data of one part: the format, the stream, the event, the person and the key, length-prefixed
/// like the hash encoding, so a ciphertext moved to another event, stream, person or key fails to open.
fn associated_data(stream: &StreamId, event_id: Uuid, person: &str, key_id: Uuid) -> Vec<u8> {
    frame(&[
        ENVELOPE_FORMAT,
        stream.as_str(),
        &event_id.hyphenated().to_string(),
        person,
        &key_id.hyphenated().to_string(),
    ])
}

/// Length-prefixed concatenation (u64 big-endian length, then the bytes), injective whatever the fields hold.
pub(super) fn frame(fields: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for field in fields {
        out.extend_from_slice(&(field.len() as u64).to_be_bytes());
        out.extend_from_slice(field.as_bytes());
    }
    out
}

/// Seals one part of an event's personal data.
pub(super) fn seal(
    key: &DataKey,
    key_id: Uuid,
    stream: &StreamId,
    event_id: Uuid,
    person: &str,
    plaintext: &serde_json::Value,
) -> Result<SealedPart, StoreError> {
    let nonce: [u8; 24] = rand::random();
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let msg = crate::hash::canonical_json(plaintext);
    let aad = associated_data(stream, event_id, person, key_id);
    let ciphertext = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: msg.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Invalid("sealing personal data failed".into()))?;
    Ok(SealedPart {
        person: person.to_owned(),
        key_id,
        nonce: B64.encode(nonce),
        ciphertext: B64.encode(ciphertext),
    })
}

/// Opens one part; a wrong key, a moved or an altered ciphertext are all [`StoreError::Corrupt`].
pub(super) fn open(
    key: &DataKey,
    stream: &StreamId,
    event_id: Uuid,
    part: &SealedPart,
) -> Result<serde_json::Value, StoreError> {
    let corrupt = |what: &str| {
        StoreError::Corrupt(format!(
            "personal data of event {event_id} ({}): {what}",
            part.person
        ))
    };
    let nonce = B64
        .decode(&part.nonce)
        .ok()
        .filter(|n| n.len() == 24)
        .ok_or_else(|| corrupt("bad nonce"))?;
    let ciphertext = B64
        .decode(&part.ciphertext)
        .map_err(|_| corrupt("bad ciphertext encoding"))?;
    let aad = associated_data(stream, event_id, &part.person, part.key_id);
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    let plaintext = cipher
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| corrupt("does not authenticate (altered, moved, or another key)"))?;
    let plaintext = zeroize::Zeroizing::new(plaintext);
    serde_json::from_slice(&plaintext).map_err(|_| corrupt("opened but is not JSON"))
}
