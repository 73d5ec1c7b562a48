//! The time encoding, one per backend:
//!
//! - **PostgreSQL: `timestamptz`** (microsecond precision), bound and read as `chrono::DateTime<Utc>`.
//! - **SQLite: `INTEGER` Unix microseconds, UTC**, through [`to_micros`] / [`from_micros`]: it sorts and
//!   compares as a number, and it is what the event store has always written.
//!
//! New columns use these. Columns that predate this module keep their encoding, because changing them
//! would rewrite rows that are append-only or part of what is signed:
//! - the transparency log's `logged_at` / `signed_at` are RFC 3339 text (a signed checkpoint's time is
//!   shown to auditors as written);
//! - the delivery log's `*_ms` columns are Unix milliseconds on both backends (its scheduling arithmetic —
//!   leases, back-off — is done in SQL on integers);
//! - the read models' `projection_checkpoints.updated_at` is RFC 3339 text (informational only);
//! - the read models' dates are ISO `YYYY-MM-DD` text plus a day number (`projection::db::day_number`),
//!   because they are calendar days, not instants.

use chrono::{DateTime, Utc};

/// An instant as SQLite stores it: Unix microseconds.
pub fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The instant SQLite stored as Unix microseconds; `None` when out of chrono's range (a corrupt value).
pub fn from_micros(micros: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
}

/// Now, truncated to the microsecond both backends keep, so a value read back equals the value written.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    from_micros(to_micros(now)).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_round_trip_and_now_is_already_truncated() {
        let now = now();
        assert_eq!(from_micros(to_micros(now)), Some(now));
        assert_eq!(
            now.timestamp_subsec_nanos() % 1_000,
            0,
            "no sub-microsecond part"
        );
        assert_eq!(
            from_micros(i64::MAX),
            None,
            "out of range is refused, not wrapped"
        );
    }
}
