//! Key-encryption keys: the [`KeyProvider`] seam (a key file today, a KMS later) and data keys in memory.

use async_trait::async_trait;
use zeroize::Zeroizing;

/// A 256-bit data key in memory, wiped when dropped and never printed.
#[derive(Clone)]
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self(Zeroizing::new(rand::random()))
    }
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

/// Why a key could not be wrapped, unwrapped or loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The data key was wrapped by a KEK this provider does not hold (retired too early, or the wrong key
    /// file): restore that KEK; the data is not lost.
    #[error("no key-encryption key `{0}` is available")]
    UnknownKek(String),
    /// The wrapped key does not authenticate under its KEK: corruption or tampering. Alert.
    #[error("a wrapped data key does not authenticate under key-encryption key `{0}`")]
    Unwrap(String),
    /// The key file could not be read or written, is malformed, or is readable by others. Fix the file.
    #[error("key file: {0}")]
    File(String),
    /// A remote provider (KMS) failed transiently. Retry.
    #[error("key provider unavailable: {0}")]
    Unavailable(String),
}

/// Wraps and unwraps data keys with key-encryption keys that never enter the database. A KMS implements the same
/// three calls; the store never sees a KEK.
#[async_trait]
pub trait KeyProvider: Send + Sync + std::fmt::Debug + 'static {
    /// The id of the KEK that wraps new data keys (and that rotation re-wraps old ones with).
    fn current_kek(&self) -> String;
    /// Wraps `key` with the current KEK, binding it to `aad`; returns the KEK id and the wrapped bytes.
    async fn wrap(&self, aad: &[u8], key: &DataKey) -> Result<(String, Vec<u8>), KeyError>;
    /// Unwraps a data key wrapped by `kek_id` with the same `aad`.
    async fn unwrap(&self, kek_id: &str, aad: &[u8], wrapped: &[u8]) -> Result<DataKey, KeyError>;
}
