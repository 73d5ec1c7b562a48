//! The three ways a message leaves: e-mail over SMTP, SMS through an HTTP gateway, signed webhooks.

pub mod email;
pub mod sms;
pub mod webhook;

/// Why one send failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct SendError {
    /// A short class for the audit event (`smtp`, `http_status`, `http`, `recipient`, `config`), never
    /// containing personal data.
    pub kind: &'static str,
    /// Details for the log; may name an address, so it is kept out of events.
    pub message: String,
    /// True when retrying cannot help (the recipient no longer exists).
    pub permanent: bool,
}

impl SendError {
    pub fn transient(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            permanent: false,
        }
    }
    pub fn permanent(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            permanent: true,
        }
    }
}
