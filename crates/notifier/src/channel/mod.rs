//! The three ways a message leaves: e-mail over SMTP, SMS through an HTTP gateway, signed webhooks.

pub mod email;
pub mod sms;
pub mod webhook;

/// What a channel did with a message it did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handoff {
    /// A server took it: the SMTP server answered 2xx to the end of DATA, or the SMS gateway or the portal
    /// answered HTTP 2xx. The only outcome recorded as `sent`.
    Accepted,
    /// No transport is configured for the channel (no SMTP server): the message was written to the log
    /// and nothing left the process. Recorded as `logged`, never as `sent`.
    LoggedOnly,
}

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

/// `scheme://host[:port]` of a URL, without user info, path or query (which may carry credentials).
pub(crate) fn origin(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("?");
            match u.port() {
                Some(port) => format!("{}://{host}:{port}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "(invalid URL)".to_owned(),
    }
}
