//! Envelope encryption of the `personal` part of events, so that personal data is unreadable in the database
//! and its backups, and erasable by destroying a key without rewriting history (ADR 0010, docs/security.md).
//!
//! - A **data key** (256 bits, random) per stream and person seals that person's personal data with
//!   XChaCha20-Poly1305. Data keys live in the `personal_keys` table, never in `events`, each one *wrapped*
//!   (encrypted) by a **key-encryption key** (KEK) that never enters the database: [`KeyProvider`].
//! - The stored `personal` value is an [`Envelope`]: algorithm, key id, nonce and ciphertext per person, bound by
//!   the AEAD's associated data to the event id, the stream, the person and the key id. The hash chain covers the
//!   envelope, so destroying a data key leaves every chain verifiable.
//! - [`SealedStore`] is the decorator that seals on append and opens on read, for both backends at once. It is the
//!   only path that returns plaintext; the undecorated store returns envelopes.

mod batched;
mod envelope;
mod kek;
mod key_file;
mod keys;
mod parts;
mod sealed;

pub use batched::BatchedKeys;
pub use envelope::{ALGORITHM, ENVELOPE_FORMAT, Envelope, SealedPart};
pub use kek::{DataKey, KeyError, KeyProvider};
pub use key_file::FileKeyProvider;
pub use keys::{PersonalKeys, StoredKey};
pub use parts::{OnePerson, PersonalParts};
pub use sealed::{RotationReport, SealedStore};
