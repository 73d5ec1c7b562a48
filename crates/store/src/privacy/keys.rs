//! Where wrapped data keys are kept: the `personal_keys` table of each backend, beside `events` but not
//! append-only, because destroying a row is how a person is erased.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{StoreError, StreamId};

/// One data key as stored: its scope (a stream and a person in it) and the key wrapped by a KEK.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub key_id: Uuid,
    pub stream_id: StreamId,
    pub person: String,
    pub kek_id: String,
    /// The data key sealed by the KEK (nonce and ciphertext); useless without the KEK.
    pub wrapped: Vec<u8>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("key_id", &self.key_id)
            .field("stream_id", &self.stream_id)
            .field("person", &self.person)
            .field("kek_id", &self.kek_id)
            .finish_non_exhaustive()
    }
}

/// The data-key table. Both backends implement it on the same database as their events.
#[async_trait]
pub trait PersonalKeys: Send + Sync + std::fmt::Debug + 'static {
    /// Stores `key` unless its (stream, person) already has a key; returns the key stored for that scope, which
    /// is the other one when a concurrent writer won.
    async fn insert_or_get(&self, key: StoredKey) -> Result<StoredKey, StoreError>;
    /// [`Self::insert_or_get`] for several keys at once, answered in the same order; the SQL backends store
    /// them in one transaction (one commit), which [`super::BatchedKeys`] uses to share commits between
    /// concurrent commands. Keys of one scope repeated in `keys` all get the one stored key.
    async fn insert_or_get_many(&self, keys: Vec<StoredKey>) -> Result<Vec<StoredKey>, StoreError> {
        let mut stored = Vec::with_capacity(keys.len());
        for key in keys {
            stored.push(self.insert_or_get(key).await?);
        }
        Ok(stored)
    }
    /// The key with this id; `None` once it was destroyed.
    async fn get(&self, key_id: Uuid) -> Result<Option<StoredKey>, StoreError>;
    /// The live key of one person in a stream.
    async fn find(&self, stream: &StreamId, person: &str) -> Result<Option<StoredKey>, StoreError>;
    /// Destroys every key of `stream`, or only `person`'s; returns how many rows were destroyed.
    async fn destroy(&self, stream: &StreamId, person: Option<&str>) -> Result<u64, StoreError>;
    /// The persons of `stream` that still have a key.
    async fn persons(&self, stream: &StreamId) -> Result<Vec<String>, StoreError>;
    /// Up to `limit` keys wrapped by a KEK other than `kek_id`, for rotation.
    async fn wrapped_by_other(
        &self,
        kek_id: &str,
        limit: usize,
    ) -> Result<Vec<StoredKey>, StoreError>;
    /// Replaces a key's wrapping if it is still wrapped by `old_kek`; `false` if it changed or vanished meanwhile.
    async fn rewrap(
        &self,
        key_id: Uuid,
        old_kek: &str,
        new_kek: &str,
        wrapped: &[u8],
    ) -> Result<bool, StoreError>;
}
