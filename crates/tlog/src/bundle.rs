//! The audit bundle: everything an auditor needs to check a part of the log offline, as one JSON document.
//!
//! Version 1 (`format_version: 1`). Hashes inside proofs are base64 (as in checkpoints); event hashes are hex
//! (as the store keeps them). Unknown fields are refused, so a newer bundle fails loudly on an older verifier
//! instead of being half-checked. `docs/audit.md` describes every field.

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::tree::Hash;

/// The bundle format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    /// Always [`FORMAT_VERSION`] for this layout.
    pub format_version: u32,
    /// The log's origin: the first line of each of its checkpoints.
    pub origin: String,
    /// Which events the bundle holds; decides which absences are tampering.
    pub scope: Scope,
    /// The keys the server says it signs with, as `vkey` strings. Informational: an auditor passes the keys it
    /// trusts with `--trusted-key`; keys taken from the bundle itself prove nothing against the server.
    #[serde(default)]
    pub public_keys: Vec<String>,
    /// Signed checkpoints (C2SP signed notes), smallest tree first.
    pub checkpoints: Vec<String>,
    /// Consistency proofs between checkpoint sizes.
    #[serde(default)]
    pub consistency_proofs: Vec<ConsistencyProof>,
    /// Inclusion proofs of events in checkpoints.
    #[serde(default)]
    pub inclusion_proofs: Vec<InclusionProof>,
    /// The events, in the global order (ascending `leaf_index`).
    pub events: Vec<Event>,
}

/// What part of the log a bundle covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Scope {
    /// Every event from leaf 0 on: leaf indexes must be dense, and every checkpoint root is recomputed.
    All,
    /// The events of one stream (a case): versions must be dense from 1; each event needs an inclusion proof.
    Stream { stream_id: String },
    /// The leaves `from..to` (half-open): indexes must be dense in the range; each needs an inclusion proof.
    Range { from: u64, to: u64 },
}

/// Proof that the tree of `old_size` leaves is a prefix of the tree of `new_size` leaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProof {
    pub old_size: u64,
    pub new_size: u64,
    #[serde(with = "base64_hashes")]
    pub hashes: Vec<Vec<u8>>,
}

/// Proof that leaf `leaf_index` is in the tree of `tree_size` leaves (a checkpoint's size).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    #[serde(with = "base64_hashes")]
    pub hashes: Vec<Vec<u8>>,
}

/// Proof hashes as written by [`crate::tree`], for the bundle.
pub fn proof_bytes(proof: &[Hash]) -> Vec<Vec<u8>> {
    proof.iter().map(|h| h.0.to_vec()).collect()
}

/// Bytes kept as they are on reading, so that a hash of the wrong length reaches the verifier (and is reported
/// there as a bad proof) instead of failing the whole bundle as unreadable.
mod base64_hashes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer, de::Error, ser::SerializeSeq};

    pub fn serialize<S: Serializer>(hashes: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&STANDARD.encode(h))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        let strings = Vec::<String>::deserialize(d)?;
        strings
            .iter()
            .map(|s| STANDARD.decode(s).map_err(D::Error::custom))
            .collect()
    }
}
