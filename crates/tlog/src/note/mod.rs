//! Signed checkpoints: C2SP signed notes with Ed25519 log signatures and optional witness cosignatures.
//!
//! A checkpoint body (C2SP tlog-checkpoint: origin, decimal size, base64 root, optional extension lines) is
//! signed as a C2SP signed note. The log signs with an Ed25519 key (signature type 0x01); a witness that has
//! checked the log's consistency adds a C2SP tlog-cosignature/v1 line (type 0x04: an 8-byte big-endian
//! timestamp, then an Ed25519 signature over `cosignature/v1\ntime <t>\n` followed by the body). Keys travel in
//! the note `vkey` text form, `<name>+<key id as 8 hex digits>+base64(type || public key)`, where the key id is
//! the first four bytes of `SHA-256(name || 0x0A || type || public key)`.
//!
//! Note parsing and the "ignore unknown keys, reject a bad signature from a known key" rule are
//! `signed_note`'s (a port of Go's `golang.org/x/mod/sumdb/note`); the key types and the cosignature verifier
//! are ours, since that crate knows only type 0x01.

mod keys;

pub use keys::{KeyRole, NoteFormatError, NoteSigner, VerifierKey};

use ed25519_dalek::Signer as _;
use signed_note::{Note, NoteError, VerifierList};
use tlog_tiles::Checkpoint;

use keys::cosigned_message;

/// The checkpoint body `origin\nsize\nbase64(root)\n[extension lines]`.
pub fn checkpoint_body(checkpoint: &Checkpoint) -> String {
    String::from_utf8_lossy(&checkpoint.to_bytes()).into_owned()
}

/// Signs a checkpoint with the log's key: the body, a blank line, one signature line.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    log: &NoteSigner,
) -> Result<String, NoteFormatError> {
    log.sign_note(&checkpoint_body(checkpoint))
}

/// Adds a witness cosignature (tlog-cosignature/v1, at `timestamp` seconds since the epoch) to a signed note.
pub fn cosign(note: &str, witness: &NoteSigner, timestamp: u64) -> Result<String, NoteFormatError> {
    if witness.role != KeyRole::Witness {
        return Err(NoteFormatError::BadKey {
            key: witness.verifier_key().to_vkey(),
            why: "only a witness key (type 0x04) cosigns",
        });
    }
    let parsed =
        Note::from_bytes(note.as_bytes()).map_err(|e| NoteFormatError::Malformed(e.to_string()))?;
    let sig = witness
        .key
        .sign(&cosigned_message(timestamp, parsed.text()));
    let mut raw = timestamp.to_be_bytes().to_vec();
    raw.extend_from_slice(&sig.to_bytes());
    Ok(format!("{note}{}", witness.signature_line(&raw)))
}

/// A checkpoint whose note verified: the parsed body and who vouched for it.
#[derive(Debug, PartialEq)]
pub struct VerifiedCheckpoint {
    pub checkpoint: Checkpoint,
    /// Names of the trusted log keys whose signatures verified.
    pub log_signers: Vec<String>,
    /// Trusted witnesses whose cosignatures verified, with the time each one cosigned.
    pub witnesses: Vec<(String, u64)>,
    /// Signature lines by keys the caller does not trust (ignored, as the signed-note spec requires).
    pub unknown_signers: Vec<String>,
}

/// The keys an auditor trusts, e.g. from `--trusted-key`.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<VerifierKey>,
}

impl TrustedKeys {
    pub fn new(keys: Vec<VerifierKey>) -> Self {
        Self { keys }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn keys(&self) -> &[VerifierKey] {
        &self.keys
    }

    /// Verifies a signed checkpoint: well-formed, every signature by a trusted key valid, at least one by a
    /// trusted log key, and (when `origin` is given) for that log.
    pub fn open_checkpoint(
        &self,
        note: &str,
        origin: Option<&str>,
    ) -> Result<VerifiedCheckpoint, NoteFormatError> {
        let parsed = Note::from_bytes(note.as_bytes())
            .map_err(|e| NoteFormatError::Malformed(e.to_string()))?;
        let list = VerifierList::new(self.keys.iter().map(VerifierKey::verifier).collect());
        let (verified, unverified) = match parsed.verify(&list) {
            Ok(v) => v,
            Err(NoteError::InvalidSignature { name, id }) => {
                return Err(NoteFormatError::BadSignature(format!("{name}+{id:08x}")));
            }
            Err(NoteError::UnverifiedNote) => (Vec::new(), Vec::new()),
            Err(e) => return Err(NoteFormatError::Malformed(e.to_string())),
        };
        let checkpoint = Checkpoint::from_bytes(parsed.text())
            .map_err(|e| NoteFormatError::Malformed(e.to_string()))?;
        if let Some(expected) = origin
            && checkpoint.origin() != expected
        {
            return Err(NoteFormatError::WrongOrigin {
                expected: expected.to_owned(),
                found: checkpoint.origin().to_owned(),
            });
        }
        let role_of = |name: &str, id: u32| {
            self.keys
                .iter()
                .find(|k| k.name() == name && k.key_id() == id)
                .map(VerifierKey::role)
        };
        let mut log_signers = Vec::new();
        let mut witnesses = Vec::new();
        for sig in &verified {
            match role_of(sig.name(), sig.id()) {
                Some(KeyRole::Log) => log_signers.push(sig.name().to_owned()),
                Some(KeyRole::Witness) => {
                    let ts = sig
                        .signature()
                        .get(..8)
                        .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap_or_default()));
                    witnesses.push((sig.name().to_owned(), ts));
                }
                None => {}
            }
        }
        let unknown_signers: Vec<String> = unverified
            .iter()
            .map(|s| format!("{}+{:08x}", s.name(), s.id()))
            .collect();
        if log_signers.is_empty() {
            let mut all: Vec<String> = unknown_signers.clone();
            all.extend(witnesses.iter().map(|(n, _)| format!("witness {n}")));
            return Err(NoteFormatError::Untrusted(if all.is_empty() {
                "none".into()
            } else {
                all.join(", ")
            }));
        }
        Ok(VerifiedCheckpoint {
            checkpoint,
            log_signers,
            witnesses,
            unknown_signers,
        })
    }
}
