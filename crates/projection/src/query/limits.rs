//! The bounds of every read-side query, checked before anything is read: what a query may ask for is
//! stated here once, enforced by the query functions (so every caller gets them, not only HTTP) and
//! declared in the OpenAPI parameters (`minimum` / `maximum`). See `docs/projections.md`, "Bounds".

use chrono::{DateTime, NaiveDate, Utc};

use crate::ProjectionError;

/// Largest page of the case list and the watchlist.
pub const MAX_PER_PAGE: u32 = 500;
/// Largest page number (1-based): beyond it the offset alone would make the database scan more rows
/// than any read model holds.
pub const MAX_PAGE: u32 = 100_000;
/// Largest number of reporting periods in one statistics request (ten years of months).
pub const MAX_STATS_PERIODS: u64 = 120;
/// Longest range of one statistics request, in years: `to` must fall before `from` + 20 years.
pub const MAX_STATS_RANGE_YEARS: u32 = 20;
/// Largest "days open" threshold of the watchlist (100 years).
pub const MAX_PROLONGED_DAYS: i64 = 36_500;
/// Largest "appeals + re-denunciations" threshold of the watchlist.
pub const MAX_REPEAT_THRESHOLD: i64 = 1_000;
/// Largest page of a timeline (events of one case), and its default.
pub const MAX_TIMELINE_LIMIT: u32 = 1_000;

/// Problem type of a value beyond a stated bound (HTTP 400).
pub const LIMIT_EXCEEDED: &str = "query-limit-exceeded";
/// Problem type of an unusable filter value (HTTP 400).
pub const INVALID_QUERY: &str = "invalid-query";

pub(crate) fn limit_exceeded(detail: impl Into<String>) -> ProjectionError {
    ProjectionError::BadQuery {
        code: LIMIT_EXCEEDED,
        detail: detail.into(),
    }
}

pub(crate) fn invalid(detail: impl Into<String>) -> ProjectionError {
    ProjectionError::BadQuery {
        code: INVALID_QUERY,
        detail: detail.into(),
    }
}

impl From<command::DateOutOfRange> for ProjectionError {
    fn from(e: command::DateOutOfRange) -> Self {
        ProjectionError::BadQuery {
            code: command::DATE_OUT_OF_RANGE,
            detail: e.to_string(),
        }
    }
}

/// An integer parameter within `[min, max]`, or the default when absent.
pub(crate) fn bounded<T: PartialOrd + Copy + std::fmt::Display>(
    name: &str,
    value: Option<T>,
    default: T,
    min: T,
    max: T,
) -> Result<T, ProjectionError> {
    let v = value.unwrap_or(default);
    if v < min || v > max {
        return Err(limit_exceeded(format!(
            "`{name}` = {v} is out of bounds: use {min} to {max}"
        )));
    }
    Ok(v)
}

/// The page number and page size, bounded.
pub(crate) fn paging(
    page: Option<u32>,
    per_page: Option<u32>,
    default_per_page: u32,
) -> Result<(u32, u32), ProjectionError> {
    Ok((
        bounded("page", page, 1, 1, MAX_PAGE)?,
        bounded("per_page", per_page, default_per_page, 1, MAX_PER_PAGE)?,
    ))
}

/// Longest text filter accepted (agency codes have at most 32 characters, tracking codes 21).
pub const MAX_FILTER_CHARS: usize = 64;

/// Refuses C0 and C1 control characters (NUL included), bidi overrides and isolates, zero-width and
/// other invisible format characters, and overlong values in a text filter, before anything else
/// looks at it (PostgreSQL answered a NUL in a bound text with an error, i.e. a 500).
pub(crate) fn clean_text<'a>(name: &str, value: &'a str) -> Result<&'a str, ProjectionError> {
    let invisible = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}')
    };
    if value.chars().any(invisible) {
        return Err(invalid(format!(
            "`{name}` contains a control or invisible formatting character"
        )));
    }
    if value.chars().count() > MAX_FILTER_CHARS {
        return Err(limit_exceeded(format!(
            "`{name}` is longer than {MAX_FILTER_CHARS} characters"
        )));
    }
    Ok(value)
}

/// A filter naming an agency, normalised as the directory spells codes; malformed codes (control
/// characters, NUL, anything but letters, digits, `-` and `.`) are refused before they reach SQL.
pub(crate) fn agency(value: Option<&String>) -> Result<Option<String>, ProjectionError> {
    value
        .map(|a| {
            domain::AgencyCode::parse(clean_text("agency", a)?)
                .map(|c| c.to_string())
                .map_err(|_| {
                    invalid(format!(
                        "`agency` = {a:?} is not an agency code (2 to 32 letters, digits, `-` and `.`)"
                    ))
                })
        })
        .transpose()
}

/// A tracking-code filter, normalised (case, blanks, look-alikes); malformed codes are refused.
pub(crate) fn tracking_code(value: Option<&String>) -> Result<Option<String>, ProjectionError> {
    value
        .map(|c| {
            domain::TrackingCode::parse(clean_text("tracking_code", c)?)
                .map(|c| c.to_string())
                .map_err(|e| invalid(format!("`tracking_code`: {e}")))
        })
        .transpose()
}

/// An optional date parameter within the supported years.
pub(crate) fn date(
    name: &'static str,
    value: Option<NaiveDate>,
) -> Result<Option<NaiveDate>, ProjectionError> {
    Ok(command::check_opt_date(name, value)?)
}

/// An optional instant parameter within the supported years.
pub(crate) fn instant(
    name: &'static str,
    value: Option<DateTime<Utc>>,
) -> Result<Option<DateTime<Utc>>, ProjectionError> {
    Ok(command::check_opt_instant(name, value)?)
}
