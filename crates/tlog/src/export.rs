//! An append-only log in memory that signs checkpoints and writes bundles: the reference for the server.
//!
//! The server will keep the same three things durably — the events, the stored tree hashes, the signed
//! checkpoints — and call the same functions ([`crate::tree::hashes_to_store`], [`crate::note::sign_checkpoint`],
//! [`crate::tree::inclusion_proof`], [`crate::tree::consistency_proof`]). Tests build their bundles here, so
//! what the verifier accepts is exactly what an honest exporter produces.

use tlog_tiles::Checkpoint;

use crate::bundle::{Bundle, ConsistencyProof, FORMAT_VERSION, InclusionProof, Scope, proof_bytes};
use crate::event::{Event, FormError};
use crate::note::{NoteFormatError, NoteSigner, cosign, sign_checkpoint};
use crate::tree::{self, Hash, MemoryHashes, ProofError};

/// Why the reference log refused an operation.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Form(#[from] FormError),
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Note(#[from] NoteFormatError),
    #[error("invalid checkpoint: {0}")]
    Checkpoint(String),
}

/// Events, their tree and the checkpoints signed over it.
#[derive(Debug, Clone)]
pub struct MemoryLog {
    origin: String,
    hashes: MemoryHashes,
    events: Vec<Event>,
    /// Signed notes with the tree size each one signs, in signing order.
    checkpoints: Vec<(u64, String)>,
}

impl MemoryLog {
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            hashes: MemoryHashes::new(),
            events: Vec::new(),
            checkpoints: Vec::new(),
        }
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn size(&self) -> u64 {
        self.hashes.size()
    }

    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The signed checkpoints, oldest first.
    pub fn checkpoints(&self) -> impl Iterator<Item = &str> {
        self.checkpoints.iter().map(|(_, note)| note.as_str())
    }

    /// Appends a committed event as the next leaf; sets its `leaf_index`.
    pub fn append(&mut self, mut event: Event) -> Result<u64, ExportError> {
        event.leaf_index = self.size();
        let leaf = tree::leaf_hash(&event.leaf()?);
        let index = self.hashes.append(leaf)?;
        self.events.push(event);
        Ok(index)
    }

    /// The current root.
    pub fn root(&self) -> Result<Hash, ExportError> {
        Ok(tree::root(self.size(), &self.hashes)?)
    }

    /// Signs (and keeps) a checkpoint of the current tree, cosigned by each `(witness, timestamp)`.
    pub fn checkpoint(
        &mut self,
        log: &NoteSigner,
        witnesses: &[(&NoteSigner, u64)],
    ) -> Result<String, ExportError> {
        let body = Checkpoint::new(&self.origin, self.size(), self.root()?, "")
            .map_err(|e| ExportError::Checkpoint(e.to_string()))?;
        let mut note = sign_checkpoint(&body, log)?;
        for (witness, timestamp) in witnesses {
            note = cosign(&note, witness, *timestamp)?;
        }
        self.checkpoints.push((self.size(), note.clone()));
        Ok(note)
    }

    /// A bundle of `scope`: the selected events, every checkpoint, a consistency proof between each pair of
    /// successive checkpoints and from each of `known_sizes` (checkpoints an auditor said it holds) to the
    /// newest, and an inclusion proof of each covered event in the newest checkpoint.
    pub fn bundle(
        &self,
        scope: Scope,
        public_keys: Vec<String>,
        known_sizes: &[u64],
    ) -> Result<Bundle, ExportError> {
        let events: Vec<Event> = self
            .events
            .iter()
            .filter(|e| match &scope {
                Scope::All => true,
                Scope::Stream { stream_id } => &e.stream_id == stream_id,
                Scope::Range { from, to } => (*from..*to).contains(&e.leaf_index),
            })
            .cloned()
            .collect();
        let mut sizes: Vec<u64> = self.checkpoints.iter().map(|(s, _)| *s).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let latest = sizes.last().copied().unwrap_or(0);
        let mut pairs: Vec<(u64, u64)> = sizes.windows(2).map(|w| (w[0], w[1])).collect();
        pairs.extend(
            known_sizes
                .iter()
                .filter(|&&k| k < latest)
                .map(|&k| (k, latest)),
        );
        pairs.sort_unstable();
        pairs.dedup();
        let consistency_proofs = pairs
            .into_iter()
            .filter(|(old, new)| old < new && *old > 0)
            .map(|(old_size, new_size)| {
                Ok(ConsistencyProof {
                    old_size,
                    new_size,
                    hashes: proof_bytes(&tree::consistency_proof(
                        old_size,
                        new_size,
                        &self.hashes,
                    )?),
                })
            })
            .collect::<Result<Vec<_>, ExportError>>()?;
        let inclusion_proofs = events
            .iter()
            .filter(|e| e.leaf_index < latest)
            .map(|e| {
                Ok(InclusionProof {
                    leaf_index: e.leaf_index,
                    tree_size: latest,
                    hashes: proof_bytes(&tree::inclusion_proof(
                        latest,
                        e.leaf_index,
                        &self.hashes,
                    )?),
                })
            })
            .collect::<Result<Vec<_>, ExportError>>()?;
        let mut checkpoints = self.checkpoints.clone();
        checkpoints.sort_by_key(|(size, _)| *size);
        Ok(Bundle {
            format_version: FORMAT_VERSION,
            origin: self.origin.clone(),
            scope,
            public_keys,
            checkpoints: checkpoints.into_iter().map(|(_, note)| note).collect(),
            consistency_proofs,
            inclusion_proofs,
            events,
        })
    }
}
