//! The Merkle tree over the global order: RFC 6962 / RFC 9162 hashing, roots, inclusion and consistency proofs.
//!
//! Leaf `i` is the `hash` of the `i`-th event of the global order (its 32 bytes); the tree hashes it as
//! `SHA-256(0x00 || leaf)` and joins nodes as `SHA-256(0x01 || left || right)`, so no leaf can pass for a node.
//!
//! **Why `tlog_tiles` and not `ct-merkle`.** The proof math comes from `tlog_tiles`, Cloudflare's port of Go's
//! `golang.org/x/mod/sumdb/tlog` (the code behind the Go checksum database, and the model of C2SP tlog-tiles).
//! It addresses the tree by *stored hashes*: every complete subtree is written once, when its last leaf is
//! appended, at a fixed index ([`tlog_tiles::stored_hash_index`]); nothing is ever rewritten, so the server can
//! keep the tree in an append-only table or in tlog-tiles files, and proofs of any size read `O(log n)` of them.
//! `ct-merkle` 0.3 keeps the whole tree in memory, addresses nodes in an in-order array whose right-edge nodes
//! change as the log grows, and is built on `sha2` 0.11 while the workspace (and the event hash) use 0.10.
//! Both verify the same RFC 6962 proofs; `tests/proof_vectors.rs` runs the CT reference vectors against ours.
//!
//! What this module adds: [`Frontier`], the `O(log n)` compact range a writer keeps to know the root after every
//! append without reading storage; [`MemoryHashes`], the reference store; and verifiers that follow RFC 9162's
//! edge cases (empty trees, equal sizes) and return typed errors instead of panicking on hostile input.

pub use tlog_tiles::{Hash, HashReader};

/// The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1).
pub const EMPTY_ROOT: Hash = tlog_tiles::EMPTY_HASH;

/// Why a proof does not hold, or could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index is not below the tree size, or the old size exceeds the new one: the claim is impossible.
    #[error("{0}")]
    Impossible(String),
    /// The proof has the wrong length or recomputes another root: it does not prove the claim.
    #[error("the proof does not recompute the root")]
    Mismatch,
    /// A proof element or root is not 32 bytes.
    #[error("a hash is {0} bytes long, not 32")]
    MalformedHash(usize),
    /// The hash store could not be read (only when producing proofs).
    #[error("reading stored hashes: {0}")]
    Storage(String),
}

impl From<tlog_tiles::Error> for ProofError {
    fn from(e: tlog_tiles::Error) -> Self {
        match e {
            tlog_tiles::Error::InvalidProof => ProofError::Mismatch,
            tlog_tiles::Error::InvalidInput(s) => ProofError::Impossible(s),
            other => ProofError::Storage(other.to_string()),
        }
    }
}

/// A hash from bytes that must be exactly 32 long.
pub fn hash_from_slice(bytes: &[u8]) -> Result<Hash, ProofError> {
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|_| ProofError::MalformedHash(bytes.len()))?;
    Ok(Hash(arr))
}

/// The RFC 6962 leaf hash of an event hash: `SHA-256(0x00 || event_hash)`.
pub fn leaf_hash(event_hash: &[u8; 32]) -> Hash {
    tlog_tiles::record_hash(event_hash)
}

/// The RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    tlog_tiles::node_hash(left, right)
}

/// The right edge of the tree: the roots of its perfect subtrees, largest first, one per set bit of the size.
///
/// A writer keeps one in memory (or persists [`Frontier::nodes`] with the size) and calls [`Frontier::append`]
/// with each committed event's leaf hash; [`Frontier::root`] is then the root a checkpoint of that size signs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontier {
    size: u64,
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores a persisted frontier; refuses one whose node count does not match the size's set bits.
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Result<Self, ProofError> {
        if nodes.len() != size.count_ones() as usize {
            return Err(ProofError::Impossible(format!(
                "a frontier of size {size} has {} nodes, not {}",
                size.count_ones(),
                nodes.len()
            )));
        }
        Ok(Self { size, nodes })
    }

    /// The number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, largest (leftmost) first.
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// Appends one leaf hash (already [`leaf_hash`]ed): merges every subtree the new leaf completes.
    pub fn append(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            // Invariant: one node per set bit, so a set low bit always has a node to merge with.
            let Some(left) = self.nodes.pop() else { break };
            hash = node_hash(left, hash);
            size >>= 1;
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    /// The tree's root: the perfect subtrees joined from the right, or [`EMPTY_ROOT`] when empty.
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(last) = nodes.next() else {
            return EMPTY_ROOT;
        };
        nodes.fold(*last, |right, left| node_hash(*left, right))
    }
}

/// The hashes to store, from index `stored_hash_index(0, index)` on, when leaf `index` is appended.
pub fn hashes_to_store(
    index: u64,
    leaf: Hash,
    store: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    Ok(tlog_tiles::stored_hashes_for_record_hash(
        index, leaf, store,
    )?)
}

/// The root of the tree of the first `size` leaves, read from stored hashes.
pub fn root(size: u64, store: &impl HashReader) -> Result<Hash, ProofError> {
    Ok(tlog_tiles::tree_hash(size, store)?)
}

/// The audit path proving that leaf `index` is in the tree of size `size`, leaf to root (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(
    size: u64,
    index: u64,
    store: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    Ok(tlog_tiles::prove_record(size, index, store)?)
}

/// The proof that the tree of size `old_size` is a prefix of the tree of size `new_size` (RFC 9162 §2.1.4.1).
/// Empty when `old_size` is 0 or equals `new_size`.
pub fn consistency_proof(
    old_size: u64,
    new_size: u64,
    store: &impl HashReader,
) -> Result<Vec<Hash>, ProofError> {
    if old_size > new_size {
        return Err(ProofError::Impossible(format!(
            "old size {old_size} exceeds new size {new_size}"
        )));
    }
    if old_size == 0 {
        return Ok(Vec::new());
    }
    Ok(tlog_tiles::prove_tree(new_size, old_size, store)?)
}

/// The stored-hash indexes [`inclusion_proof`] reads, for stores that must fetch them first (e.g. async SQL).
pub fn inclusion_proof_indexes(size: u64, index: u64) -> Result<Vec<u64>, ProofError> {
    if index >= size {
        return Err(ProofError::Impossible(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    let recorder = Recorder::default();
    // The proof built from zeros is discarded; only the indexes it asked for matter.
    let _ = tlog_tiles::prove_record(size, index, &recorder);
    Ok(recorder.0.into_inner())
}

/// The stored-hash indexes [`consistency_proof`] reads.
pub fn consistency_proof_indexes(old_size: u64, new_size: u64) -> Result<Vec<u64>, ProofError> {
    if old_size > new_size {
        return Err(ProofError::Impossible(format!(
            "old size {old_size} exceeds new size {new_size}"
        )));
    }
    if old_size == 0 {
        return Ok(Vec::new());
    }
    let recorder = Recorder::default();
    let _ = tlog_tiles::prove_tree(new_size, old_size, &recorder);
    Ok(recorder.0.into_inner())
}

/// Records the indexes a proof asks for and answers with zeros; the proof built from them is discarded.
#[derive(Debug, Default)]
struct Recorder(std::cell::RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Ok(vec![Hash::default(); indexes.len()])
    }
}

/// Verifies that `leaf` (a [`leaf_hash`]) is leaf `index` of the tree of size `size` whose root is `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: Hash,
    proof: &[Hash],
    root: Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Impossible(format!(
            "leaf {index} is not in a tree of size {size}"
        )));
    }
    // RFC 9162 §2.1.3.2 bounds the path by the tree's height; longer proofs are refused before any hashing.
    if proof.len() > 64 {
        return Err(ProofError::Mismatch);
    }
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf)?;
    Ok(())
}

/// Verifies that the tree of size `old_size` and root `old_root` is a prefix of the tree of size `new_size` and
/// root `new_root`. Follows RFC 9162 §2.1.4.2: equal sizes need equal roots and an empty proof; the empty tree
/// is a prefix of every tree, with an empty proof; a tree never shrinks.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: Hash,
    new_root: Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::Impossible(format!(
            "the tree shrank from {old_size} to {new_size} leaves"
        )));
    }
    if old_size == new_size {
        return if proof.is_empty() && old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if old_size == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::Mismatch)
        };
    }
    if proof.len() > 128 {
        return Err(ProofError::Mismatch);
    }
    tlog_tiles::check_tree(&proof.to_vec(), new_size, new_root, old_size, old_root)?;
    Ok(())
}

/// Stored hashes in memory: the reference store, used by tests and by in-process exports.
#[derive(Debug, Clone, Default)]
pub struct MemoryHashes {
    hashes: Vec<Hash>,
    size: u64,
}

impl MemoryHashes {
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf (a [`leaf_hash`]) and stores the hashes it completes; returns its index.
    pub fn append(&mut self, leaf: Hash) -> Result<u64, ProofError> {
        let index = self.size;
        let new = hashes_to_store(index, leaf, self)?;
        self.hashes.extend(new);
        self.size += 1;
        Ok(index)
    }
}

impl HashReader for MemoryHashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}
