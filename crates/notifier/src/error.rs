//! The notifier's errors, named by what the caller should do about them.

/// Why a notifier operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// The settings or the templates are wrong: fix them; retrying will not help.
    #[error("notifier configuration: {0}")]
    Config(String),
    /// The delivery-log database failed: retry later.
    #[error("delivery log: {0}")]
    Database(#[from] sqlx::Error),
    /// The event store failed: retry later.
    #[error("event store: {0}")]
    Store(#[from] store::StoreError),
    /// An event could not be decoded: a poison message, retrying will not help.
    #[error("undecodable event: {0}")]
    Decode(String),
    /// A template failed to render: fix the template.
    #[error("template `{template}`: {message}")]
    Template { template: String, message: String },
    /// The event or delivery asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}

impl From<minijinja::Error> for NotifierError {
    fn from(e: minijinja::Error) -> Self {
        NotifierError::Template {
            template: e.name().unwrap_or("?").to_owned(),
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = NotifierError> = std::result::Result<T, E>;
