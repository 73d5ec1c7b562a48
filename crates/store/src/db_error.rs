//! Translates driver errors into the store's own terms, so that no caller ever branches on a `sqlx::Error`.

use sqlx::error::ErrorKind;

use crate::StoreError;

/// Which uniqueness rule an insert broke; each means something different to an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Violation {
    /// `(stream_id, version)`: another writer took the version first.
    StreamVersion,
    /// `commands.command_id`: a concurrent duplicate of the same command committed first.
    CommandId,
    /// `events.event_id`: the caller reused an event id.
    EventId,
}

/// Recognises the unique violations an append can hit. PostgreSQL names the constraint; SQLite only says
/// `UNIQUE constraint failed: table.column, …` in the message, so both are looked at.
pub(crate) fn unique_violation(err: &sqlx::Error) -> Option<Violation> {
    let sqlx::Error::Database(db) = err else {
        return None;
    };
    if db.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    let text = db.constraint().unwrap_or_else(|| db.message());
    if text.contains("stream_version") || text.contains("events.stream_id") {
        Some(Violation::StreamVersion)
    } else if text.contains("commands") {
        Some(Violation::CommandId)
    } else if text.contains("event_id") {
        Some(Violation::EventId)
    } else {
        None
    }
}

/// PostgreSQL reports five-character SQLSTATEs; SQLite reports its numeric (extended) result code, whose low
/// byte is the primary code.
fn sqlite_primary(code: &str) -> Option<i64> {
    if code.len() == 5 {
        None
    } else {
        code.parse::<i64>().ok().map(|n| n & 0xff)
    }
}

/// Errors that mean "try again later".
fn is_transient(code: &str) -> bool {
    match sqlite_primary(code) {
        // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_FULL, SQLITE_PROTOCOL.
        Some(primary) => matches!(primary, 5 | 6 | 10 | 13 | 14 | 15),
        // 08: connection exception; 53: insufficient resources; 57: operator intervention (shutdown, cancel);
        // 40: serialization failure or deadlock; 55P03: lock not available.
        None => {
            ["08", "53", "57", "40"]
                .iter()
                .any(|class| code.starts_with(class))
                || code == "55P03"
        }
    }
}

/// Errors caused by the input rather than by the database's health.
fn is_refused_input(code: &str) -> bool {
    match sqlite_primary(code) {
        // SQLITE_TOOBIG, SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_RANGE.
        Some(primary) => matches!(primary, 18 | 19 | 20 | 25),
        // 22: data exception; 23: integrity constraint violation.
        None => code.starts_with("22") || code.starts_with("23"),
    }
}

/// The general mapping for everything that is not a specific, expected violation.
pub(crate) fn map(err: sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Configuration(e) => StoreError::Config(e.to_string()),
        sqlx::Error::Migrate(e) => StoreError::Config(format!("applying migrations failed: {e}")),
        sqlx::Error::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            if is_refused_input(&code) {
                // Data exceptions and constraint violations not recognised above come from the input, not the
                // database's health; validation should have caught them, so they are logged too.
                tracing::warn!(code, message = db.message(), "database refused the input");
                StoreError::Invalid(format!("the database refused the input: {}", db.message()))
            } else if is_transient(&code) {
                StoreError::Unavailable(format!("{} (code {code})", db.message()))
            } else {
                // Anything else is unexpected from our own statements; it is logged here because callers only
                // see a 503 and the detail would otherwise be lost.
                tracing::error!(code, message = db.message(), "unexpected database error");
                StoreError::Unavailable(format!(
                    "unexpected database error {code}: {}",
                    db.message()
                ))
            }
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => StoreError::Corrupt(err.to_string()),
        sqlx::Error::PoolTimedOut => StoreError::Unavailable(
            "timed out waiting for a database connection (is the database up?)".into(),
        ),
        sqlx::Error::PoolClosed => StoreError::Unavailable("the connection pool is closed".into()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// Why an append's write transaction stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A final answer.
    Store(StoreError),
    /// A uniqueness rule caught a race; what it means is decided after the rollback, with fresh reads
    /// (see [`crate::batch::explain_violation`]).
    Violation(Violation),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Store(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        match unique_violation(&e) {
            Some(v) => Failure::Violation(v),
            None => Failure::Store(map(e)),
        }
    }
}
