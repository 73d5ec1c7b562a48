//! Store errors, in the store's own terms: callers branch on these, never on driver errors.

/// Everything an event store operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream is not at the expected version: someone else appended first.
    /// Callers reload the stream and decide again, or answer 409/412.
    #[error("stream `{stream}` is at version {actual}, expected {expected}")]
    Conflict {
        stream: String,
        expected: String,
        actual: u64,
    },
    /// The command id was already used with a different request fingerprint. Answer 422; never retry.
    #[error("command id {command_id} was already used for a different request")]
    IdempotencyKeyReused { command_id: uuid::Uuid },
    /// The input cannot be stored (empty batch, payload not an object, bad stream id). Answer 400.
    #[error("invalid append: {0}")]
    Invalid(String),
    /// The database could not be reached or failed transiently. Retry later; answer 503.
    #[error("the event store is unavailable: {0}")]
    Unavailable(String),
    /// A stored row could not be decoded: a bug or corruption. Answer 500 and alert.
    #[error("corrupt event row: {0}")]
    Corrupt(String),
    /// Bad configuration (URL, migrations). Fix the settings.
    #[error("event store configuration: {0}")]
    Config(String),
}
