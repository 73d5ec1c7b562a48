//! The time source the service asks for "now", injectable so tests can move time.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};

/// Gives the current instant. Production uses the system clock; tests pin or advance it.
pub trait TimeSource: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A fixed instant, for tests and demos.
#[derive(Debug, Clone, Copy)]
pub struct FixedTime(pub DateTime<Utc>);

impl TimeSource for FixedTime {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Vietnam's offset from UTC; it has no daylight-saving time, so a fixed offset is exact.
const VIETNAM_UTC_OFFSET_SECONDS: i64 = 7 * 3600;

/// The legal date of an instant: statutory periods are counted in Vietnam's local calendar.
///
/// Never panics: an instant within seven hours of the last one chrono can represent has no local date
/// chrono can represent either, and saturates to `NaiveDate::MAX`. The HTTP layer refuses such instants
/// before they get here ([`check_instant`]); use [`try_local_date`] to see the overflow.
pub fn local_date(instant: DateTime<Utc>) -> NaiveDate {
    try_local_date(instant).unwrap_or(NaiveDate::MAX)
}

/// The legal date of an instant, or `None` when it is not representable.
pub fn try_local_date(instant: DateTime<Utc>) -> Option<NaiveDate> {
    instant
        .checked_add_signed(TimeDelta::seconds(VIETNAM_UTC_OFFSET_SECONDS))
        .map(|local| local.date_naive())
}

/// The first year a date or instant given to the API may fall in. Nothing in the record predates the
/// petitions laws (1998 onwards); 1900 leaves room for old decisions a complaint may cite.
pub const MIN_SUPPORTED_YEAR: i32 = 1900;
/// The last year a date or instant given to the API may fall in: RFC 3339 and ISO 8601 without
/// extension have four-digit years, and every date computed from a supported one (a deadline, a
/// reporting period, a local date) stays representable.
pub const MAX_SUPPORTED_YEAR: i32 = 9999;

/// A date or instant outside [`MIN_SUPPORTED_YEAR`]..=[`MAX_SUPPORTED_YEAR`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{parameter}` = {value} is outside the supported range (years {MIN_SUPPORTED_YEAR} to {MAX_SUPPORTED_YEAR})"
)]
pub struct DateOutOfRange {
    /// The query parameter (or field) that carried the value.
    pub parameter: &'static str,
    pub value: String,
}

/// The problem type of a refused date (`tag:petition-ledger,2026:problem/date-out-of-range`, HTTP 400).
pub const DATE_OUT_OF_RANGE: &str = "date-out-of-range";

impl From<DateOutOfRange> for crate::http::error::ApiError {
    fn from(e: DateOutOfRange) -> Self {
        Self::bad_request(DATE_OUT_OF_RANGE, e.to_string())
    }
}

fn supported_year(year: i32) -> bool {
    (MIN_SUPPORTED_YEAR..=MAX_SUPPORTED_YEAR).contains(&year)
}

/// Refuses a date outside the supported years.
pub fn check_date(parameter: &'static str, date: NaiveDate) -> Result<NaiveDate, DateOutOfRange> {
    if supported_year(date.year()) {
        Ok(date)
    } else {
        Err(DateOutOfRange {
            parameter,
            value: date.to_string(),
        })
    }
}

/// Refuses an instant outside the supported years (judged in UTC and in Vietnam's local time, so its
/// local date is supported too).
pub fn check_instant(
    parameter: &'static str,
    instant: DateTime<Utc>,
) -> Result<DateTime<Utc>, DateOutOfRange> {
    let local_ok = try_local_date(instant).is_some_and(|d| supported_year(d.year()));
    if supported_year(instant.year()) && local_ok {
        Ok(instant)
    } else {
        Err(DateOutOfRange {
            parameter,
            value: instant.to_rfc3339(),
        })
    }
}

/// [`check_date`] for an optional parameter.
pub fn check_opt_date(
    parameter: &'static str,
    date: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, DateOutOfRange> {
    date.map(|d| check_date(parameter, d)).transpose()
}

/// [`check_instant`] for an optional parameter.
pub fn check_opt_instant(
    parameter: &'static str,
    instant: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, DateOutOfRange> {
    instant.map(|t| check_instant(parameter, t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_date_never_overflows() {
        assert_eq!(try_local_date(DateTime::<Utc>::MAX_UTC), None);
        assert_eq!(local_date(DateTime::<Utc>::MAX_UTC), NaiveDate::MAX);
        let late = "2026-09-15T17:00:00Z".parse().expect("instant");
        assert_eq!(
            local_date(late),
            NaiveDate::from_ymd_opt(2026, 9, 16).expect("date")
        );
    }

    #[test]
    fn dates_outside_the_supported_years_are_refused() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        assert!(check_date("from", d("1900-01-01")).is_ok());
        assert!(check_date("to", d("9999-12-31")).is_ok());
        let e = check_date("to", d("+262142-12-31")).expect_err("refused");
        assert_eq!(e.parameter, "to");
        assert!(check_date("from", d("1899-12-31")).is_err());
        assert!(check_date("from", d("0001-01-01")).is_err());
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("instant");
        assert!(check_instant("as_of", t("9999-12-31T16:59:59Z")).is_ok());
        // Already 10000-01-01 in Vietnam.
        assert!(check_instant("as_of", t("9999-12-31T17:00:00Z")).is_err());
        assert!(check_instant("as_of", t("+262142-12-31T23:59:59Z")).is_err());
        assert!(check_instant("as_of", DateTime::<Utc>::MAX_UTC).is_err());
        assert!(check_instant("as_of", DateTime::<Utc>::MIN_UTC).is_err());
    }
}
