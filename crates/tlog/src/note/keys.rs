//! Note keys: the `vkey` and `PRIVATE+KEY` text forms, key ids, and the two signature types (0x01, 0x04).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use signed_note::{Note, Verifier};

/// What a key signs: a log's own checkpoints, or a witness's cosignatures of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Signature type 0x01: the log's Ed25519 key.
    Log,
    /// Signature type 0x04: a witness's timestamped Ed25519 cosignature (C2SP tlog-cosignature/v1).
    Witness,
}

impl KeyRole {
    fn type_byte(self) -> u8 {
        match self {
            KeyRole::Log => 0x01,
            KeyRole::Witness => 0x04,
        }
    }
}

/// Why a key, a note or a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteFormatError {
    /// A `vkey` or `skey` string is malformed, has an unknown type, or its key id does not match the key.
    #[error("bad key `{key}`: {why}")]
    BadKey { key: String, why: &'static str },
    /// The note is not a well-formed signed note or its body is not a C2SP checkpoint.
    #[error("malformed checkpoint note: {0}")]
    Malformed(String),
    /// A signature line names a trusted key but does not verify: the note was forged or altered.
    #[error(
        "the signature of trusted key {0} does not verify: the checkpoint was forged or altered"
    )]
    BadSignature(String),
    /// No trusted log key signed the note.
    #[error("no trusted log key signed this checkpoint (signers: {0})")]
    Untrusted(String),
    /// The checkpoint belongs to another log.
    #[error("the checkpoint is for log `{found}`, not `{expected}`")]
    WrongOrigin { expected: String, found: String },
}

/// A public key as the note `vkey` text names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    role: KeyRole,
    key: VerifyingKey,
}

fn key_name_ok(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(char::is_whitespace) && !name.contains('+')
}

fn key_id(name: &str, role: KeyRole, key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', role.type_byte()]);
    h.update(key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

impl VerifierKey {
    /// Parses `<name>+<8 hex digits>+base64(type || 32-byte Ed25519 key)`, type 0x01 (log) or 0x04 (witness).
    pub fn parse(vkey: &str) -> Result<Self, NoteFormatError> {
        let bad = |why| NoteFormatError::BadKey {
            key: vkey.to_owned(),
            why,
        };
        let (name, rest) = vkey.split_once('+').ok_or(bad("expected name+id+key"))?;
        let (id_hex, key64) = rest.split_once('+').ok_or(bad("expected name+id+key"))?;
        if !key_name_ok(name) {
            return Err(bad("the name is empty or contains a space or `+`"));
        }
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("the key id is not 8 hex digits"));
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("the key id is not hex"))?;
        let raw = BASE64
            .decode(key64)
            .map_err(|_| bad("the key is not base64"))?;
        let (role, key) = match raw.split_first() {
            Some((0x01, key)) => (KeyRole::Log, key),
            Some((0x04, key)) => (KeyRole::Witness, key),
            _ => return Err(bad("unknown signature type (expected 0x01 or 0x04)")),
        };
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| bad("not an Ed25519 point"))?;
        let parsed = Self {
            name: name.to_owned(),
            role,
            key,
        };
        if parsed.key_id() != id {
            return Err(bad("the key id does not match the name and key"));
        }
        Ok(parsed)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn role(&self) -> KeyRole {
        self.role
    }

    /// The signed-note key id: `SHA-256(name || 0x0A || type || key)[:4]`, big-endian.
    pub fn key_id(&self) -> u32 {
        key_id(&self.name, self.role, &self.key)
    }

    /// The `vkey` text form.
    pub fn to_vkey(&self) -> String {
        let mut raw = vec![self.role.type_byte()];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.key_id(), BASE64.encode(raw))
    }

    pub(super) fn verifier(&self) -> Box<dyn Verifier> {
        Box::new(NoteKey {
            name: self.name.clone(),
            id: self.key_id(),
            role: self.role,
            key: self.key,
        })
    }
}

impl std::fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_vkey())
    }
}

/// A key as `signed_note` sees it; verifies type 0x01 signatures and type 0x04 cosignatures.
struct NoteKey {
    name: String,
    id: u32,
    role: KeyRole,
    key: VerifyingKey,
}

impl Verifier for NoteKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        match self.role {
            KeyRole::Log => verify_ed25519(&self.key, msg, sig),
            KeyRole::Witness => {
                if sig.len() != 8 + 64 {
                    return false;
                }
                let (ts, sig) = sig.split_at(8);
                let ts = u64::from_be_bytes(ts.try_into().unwrap_or_default());
                if ts > i64::MAX as u64 {
                    return false;
                }
                verify_ed25519(&self.key, &cosigned_message(ts, msg), sig)
            }
        }
    }
}

fn verify_ed25519(key: &VerifyingKey, msg: &[u8], sig: &[u8]) -> bool {
    let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
        return false;
    };
    key.verify_strict(msg, &sig).is_ok()
}

/// The message a cosignature/v1 signs: header line, time line, then the checkpoint body.
pub(super) fn cosigned_message(timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    m.extend_from_slice(body);
    m
}

/// A private key that signs checkpoints (the log) or cosigns them (a witness).
pub struct NoteSigner {
    name: String,
    pub(super) role: KeyRole,
    pub(super) key: SigningKey,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private key.
        write!(f, "NoteSigner({})", self.verifier_key())
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed. The name must be non-empty, without spaces or `+`.
    pub fn from_seed(name: &str, role: KeyRole, seed: [u8; 32]) -> Result<Self, NoteFormatError> {
        if !key_name_ok(name) {
            return Err(NoteFormatError::BadKey {
                key: name.to_owned(),
                why: "the name is empty or contains a space or `+`",
            });
        }
        Ok(Self {
            name: name.to_owned(),
            role,
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Parses the Go `note` private key form, `PRIVATE+KEY+<name>+<id>+base64(type || seed)`.
    pub fn from_skey(skey: &str) -> Result<Self, NoteFormatError> {
        let bad = |why| NoteFormatError::BadKey {
            key: "PRIVATE+KEY+…".to_owned(),
            why,
        };
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("expected PRIVATE+KEY+name+id+key"))?;
        let (name, rest) = rest.split_once('+').ok_or(bad("expected name+id+key"))?;
        let (id_hex, key64) = rest.split_once('+').ok_or(bad("expected name+id+key"))?;
        let raw = BASE64
            .decode(key64)
            .map_err(|_| bad("the key is not base64"))?;
        let (role, seed) = match raw.split_first() {
            Some((0x01, seed)) => (KeyRole::Log, seed),
            Some((0x04, seed)) => (KeyRole::Witness, seed),
            _ => return Err(bad("unknown signature type")),
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("a seed is 32 bytes"))?;
        let signer = Self::from_seed(name, role, seed)?;
        if format!("{:08x}", signer.verifier_key().key_id()) != id_hex.to_ascii_lowercase() {
            return Err(bad("the key id does not match the key"));
        }
        Ok(signer)
    }

    /// The public half, in `vkey` form.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            role: self.role,
            key: self.key.verifying_key(),
        }
    }

    /// Signs any note text (it must end in a newline): the text, a blank line, one signature line. Only log
    /// keys sign this way; witnesses [`cosign`].
    pub fn sign_note(&self, text: &str) -> Result<String, NoteFormatError> {
        if self.role != KeyRole::Log {
            return Err(NoteFormatError::BadKey {
                key: self.verifier_key().to_vkey(),
                why: "a witness key cannot sign notes; use cosign",
            });
        }
        Note::new(text.as_bytes(), &[]).map_err(|e| NoteFormatError::Malformed(e.to_string()))?;
        let sig = self.key.sign(text.as_bytes());
        Ok(format!("{text}\n{}", self.signature_line(&sig.to_bytes())))
    }

    pub(super) fn signature_line(&self, sig: &[u8]) -> String {
        let mut raw = self.verifier_key().key_id().to_be_bytes().to_vec();
        raw.extend_from_slice(sig);
        format!("— {} {}\n", self.name, BASE64.encode(raw))
    }
}
