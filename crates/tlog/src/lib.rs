//! Tamper-evident history an auditor can check offline: a Merkle tree over the global order, signed
//! checkpoints, inclusion and consistency proofs, and the audit bundle that carries them.
//!
//! - [`event`] recomputes an event's hash exactly as `store::hash` does, from the exported fields alone.
//! - [`tree`] is the RFC 6962 tree: [`tree::Frontier`] for a writer, proofs over stored hashes, verifiers.
//! - [`note`] signs and verifies C2SP checkpoints as signed notes, with optional witness cosignatures.
//! - [`bundle`] is the JSON bundle format; [`export::MemoryLog`] writes bundles the way the server will.
//! - [`audit::verify_bundle`] is the whole verification `petition-verify` runs.
//!
//! This crate does no I/O and depends on no other crate of the workspace, so the verifier builds without the
//! server (see `Cargo.toml`).

pub mod audit;
pub mod bundle;
pub mod event;
pub mod export;
pub mod note;
pub mod tree;

/// The C2SP tlog-checkpoint body (origin, size, root, extension lines), from `tlog_tiles`.
pub use tlog_tiles::Checkpoint;
