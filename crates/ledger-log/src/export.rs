//! `petition audit export`: the audit bundle `petition-verify` reads, written the way
//! `tlog::export::MemoryLog::bundle` writes it — from the store's events as they are now, and the log's
//! stored hashes and signed checkpoints.
//!
//! The events are read from the store (never from the log's tables), in the global order, and numbered from
//! leaf 0, so the bundle shows the store as it is: an event deleted, moved or rewritten since a checkpoint was
//! signed no longer matches the leaf that checkpoint holds at its place.

use std::collections::BTreeSet;

use store::{Checkpoint, EventStore, RecordedEvent};
pub use tlog::bundle::{Bundle, Scope};
use tlog::bundle::{ConsistencyProof, FORMAT_VERSION, InclusionProof, proof_bytes};
use tlog::event::{Event, Metadata};

use crate::LogError;
use crate::db::LogDb;
use crate::hashes::with_hashes;

/// An event as the bundle carries it: the fields exactly as `store::hash` hashes them.
pub fn bundle_event(leaf_index: u64, e: &RecordedEvent) -> Event {
    Event {
        leaf_index,
        stream_id: e.stream_id.as_str().to_owned(),
        version: e.version,
        event_id: e.event_id.to_string(),
        event_type: e.event_type.clone(),
        schema_version: e.schema_version,
        recorded_at: store::hash::format_recorded_at(e.recorded_at),
        payload: e.payload.clone(),
        personal: e.personal.clone(),
        personal_withheld: false,
        metadata: Metadata {
            command_id: e.metadata.command_id.to_string(),
            actor: e.metadata.actor.clone(),
            correlation_id: e.metadata.correlation_id.to_string(),
            causation_id: e.metadata.causation_id.map(|id| id.to_string()),
            rulebook_version: e.metadata.rulebook_version.clone(),
        },
        prev_hash: e.prev_hash.clone(),
        hash: e.hash.clone(),
    }
}

/// The bundle of `scope`: its events from the store, every signed checkpoint, a consistency proof between
/// each pair of successive checkpoints and from each of `known_sizes` (checkpoints the auditor holds) to the
/// newest, and an inclusion proof of each event in the newest checkpoint.
pub async fn export(
    store: &dyn EventStore,
    db: &LogDb,
    origin: &str,
    scope: Scope,
    known_sizes: &[u64],
) -> Result<Bundle, LogError> {
    if let Scope::Range { from, to } = scope
        && from >= to
    {
        return Err(LogError::Invalid(format!(
            "the range {from}..{to} is empty"
        )));
    }
    let mut events = Vec::new();
    let mut after = Checkpoint::START;
    let mut leaf = 0u64;
    'read: loop {
        let page = store.read_all(&after, 1000).await?;
        if page.events.is_empty() {
            break;
        }
        for e in &page.events {
            let keep = match &scope {
                Scope::All => true,
                Scope::Stream { stream_id } => e.stream_id.as_str() == stream_id,
                Scope::Range { from, to } => {
                    if leaf >= *to {
                        break 'read;
                    }
                    leaf >= *from
                }
            };
            if keep {
                events.push(bundle_event(leaf, e));
            }
            leaf += 1;
        }
        after = page.next;
    }

    let checkpoints = db.checkpoints().await?;
    let sizes: Vec<u64> = checkpoints.iter().map(|c| c.tree_size).collect();
    let latest = sizes.last().copied().unwrap_or(0);
    let mut pairs: BTreeSet<(u64, u64)> = sizes.windows(2).map(|w| (w[0], w[1])).collect();
    pairs.extend(
        known_sizes
            .iter()
            .filter(|&&k| k > 0 && k < latest)
            .map(|&k| (k, latest)),
    );
    let pairs: Vec<(u64, u64)> = pairs.into_iter().collect();
    let consistency_proofs = with_hashes(db, |known| {
        pairs
            .iter()
            .map(|&(old_size, new_size)| {
                Ok(ConsistencyProof {
                    old_size,
                    new_size,
                    hashes: proof_bytes(&tlog::tree::consistency_proof(old_size, new_size, known)?),
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let covered: Vec<u64> = events
        .iter()
        .map(|e| e.leaf_index)
        .filter(|&i| i < latest)
        .collect();
    let inclusion_proofs = with_hashes(db, |known| {
        covered
            .iter()
            .map(|&leaf_index| {
                Ok(InclusionProof {
                    leaf_index,
                    tree_size: latest,
                    hashes: proof_bytes(&tlog::tree::inclusion_proof(latest, leaf_index, known)?),
                })
            })
            .collect::<Result<Vec<_>, _>>()
    })
    .await?;
    let mut public_keys: Vec<String> = checkpoints.iter().map(|c| c.public_key.clone()).collect();
    public_keys.sort();
    public_keys.dedup();
    Ok(Bundle {
        format_version: FORMAT_VERSION,
        origin: origin.to_owned(),
        scope,
        public_keys,
        checkpoints: checkpoints.into_iter().map(|c| c.note).collect(),
        consistency_proofs,
        inclusion_proofs,
        events,
    })
}
