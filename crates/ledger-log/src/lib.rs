//! The server side of the transparency log (issue 13; `docs/audit.md`).
//!
//! - [`builder::LogBuilder`] follows the store's global order (`EventStore::read_all` from its own checkpoint)
//!   and appends each event's hash as the next leaf of an RFC 6962 tree, writing the leaf, the tree's new stored
//!   hashes and its checkpoint (the last leaf's place in the global order) in one transaction; it signs C2SP
//!   checkpoints at a configured cadence, stores them, and publishes them on NATS when configured.
//! - [`http`] serves the checkpoint, the public key and inclusion and consistency proofs, publicly.
//! - [`export`] writes `petition audit export`'s bundle, which `petition-verify` checks.
//!
//! The proof and format code is `tlog`'s; this crate adds the storage (`migrations/tlog-<backend>/`, tables
//! separate from the events and append-only like them) and the wiring. It reads the store and never appends.

pub mod builder;
pub mod db;
pub mod export;
mod hashes;
pub mod http;
pub mod keys;

use std::path::PathBuf;

use serde::Deserialize;

pub use crate::db::LogDb;
pub use builder::LogBuilder;

/// Why the log could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log database: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Proof(#[from] tlog::tree::ProofError),
    #[error(transparent)]
    Note(#[from] tlog::note::NoteFormatError),
    #[error(transparent)]
    Form(#[from] tlog::event::FormError),
    #[error("the signing key: {0}")]
    Key(String),
    #[error("{0}")]
    Invalid(String),
    /// The log's own tables are not what the builder wrote (a missing hash, a malformed row).
    #[error("the log's tables are inconsistent: {0}")]
    Corrupt(String),
}

/// `[tlog]` in `petition.toml` (`PETITION_TLOG__…` variables).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// Run the log builder in `petition serve` and serve `/api/v1/log/…`.
    pub enabled: bool,
    /// The log's origin: the first line of every checkpoint, and the signing key's name
    /// (a schema-less URL, e.g. `tiepdan.example.vn/log`).
    pub origin: String,
    /// The Ed25519 signing key, in the Go note private-key form `PRIVATE+KEY+<name>+<id>+<base64>`. Without
    /// it, the key is `<data_dir>/tlog-signing.key`, created (mode 0600) on first start. Keep it off the
    /// database server: an insider who holds it can sign a rewritten history.
    pub key_file: Option<PathBuf>,
    /// Sign a checkpoint at least this often (seconds) while new leaves exist.
    pub checkpoint_interval_secs: u64,
    /// ... or as soon as this many leaves were appended since the last one.
    pub checkpoint_every_leaves: u64,
    /// NATS subject the signed checkpoints are published on (core NATS), when NATS is configured.
    pub nats_subject: String,
    /// Events read and appended per transaction.
    pub batch_size: usize,
    /// Idle poll of the store when no append woke the builder (milliseconds).
    pub poll_ms: u64,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            origin: "petition-ledger.local/log".into(),
            key_file: None,
            checkpoint_interval_secs: 60,
            checkpoint_every_leaves: 1000,
            nats_subject: "petition.log.checkpoint".into(),
            batch_size: 500,
            poll_ms: 1000,
        }
    }
}

impl LogSettings {
    /// Refuses settings the builder cannot run with.
    pub fn validate(&self) -> Result<(), LogError> {
        if self.origin.is_empty() || self.origin.contains(['\n', ' ', '+']) {
            return Err(LogError::Invalid(
                "tlog.origin must be non-empty, without spaces, `+` or newlines".into(),
            ));
        }
        if self.checkpoint_interval_secs == 0 || self.checkpoint_every_leaves == 0 {
            return Err(LogError::Invalid(
                "tlog.checkpoint_interval_secs and tlog.checkpoint_every_leaves must be at least 1"
                    .into(),
            ));
        }
        if self.batch_size == 0 || self.batch_size > 10_000 {
            return Err(LogError::Invalid(
                "tlog.batch_size must be between 1 and 10000".into(),
            ));
        }
        Ok(())
    }

    /// The key file: the configured one, or `tlog-signing.key` in the data directory.
    pub fn key_path(&self, data_dir: &std::path::Path) -> (PathBuf, bool) {
        match &self.key_file {
            Some(p) => (p.clone(), false),
            None => (data_dir.join("tlog-signing.key"), true),
        }
    }
}
