//! The projection's error type; each variant says whether retrying can help.

use feed::HandlerError;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    /// The read-model database failed or is unreachable: retry later.
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
    /// The event store failed: retry later.
    #[error("event store: {0}")]
    Store(#[from] store::StoreError),
    /// A stored event or snapshot cannot be decoded: retrying will not help; fix the code or rebuild.
    #[error("cannot decode: {0}")]
    Decode(String),
    /// An event arrived after a gap in its case's versions: the read model is inconsistent; rebuild it.
    #[error("case {case_id}: the read model holds version {have}, the next event is version {got}")]
    Gap {
        case_id: String,
        have: u64,
        got: u64,
    },
    /// A query the read side refuses (HTTP 400): a malformed filter, a date outside the supported years,
    /// or more than a query may ask for (page size, number of periods, range). `code` is the problem type.
    #[error("{detail}")]
    BadQuery { code: &'static str, detail: String },
    /// A bad setting (URL scheme, unknown read model name).
    #[error("configuration: {0}")]
    Config(String),
}

impl From<feed::case::CaseError> for ProjectionError {
    fn from(e: feed::case::CaseError) -> Self {
        match e {
            feed::case::CaseError::Store(e) => ProjectionError::Store(e),
            e @ feed::case::CaseError::Decode { .. } => ProjectionError::Decode(e.to_string()),
        }
    }
}

impl From<ProjectionError> for HandlerError {
    fn from(e: ProjectionError) -> Self {
        match e {
            ProjectionError::Database(_) | ProjectionError::Store(_) => {
                HandlerError::Transient(e.to_string())
            }
            _ => HandlerError::Permanent(e.to_string()),
        }
    }
}
